//! Maps a path inside a YAML document (`runs[1].params.components`) to the
//! line and column where it is written, so every spec error can point at
//! the file position a person must edit.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// One step of a path: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Seg {
    /// `.key`
    Key(String),
    /// `[index]`
    Index(usize),
}

/// A path from the document root.
pub type YamlPath = Vec<Seg>;

/// Formats a path as `runs[1].params.components`.
pub fn path_to_string(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Line (1-based) and column (1-based) of every key and sequence item.
#[derive(Debug, Default)]
pub struct Locator {
    marks: HashMap<YamlPath, (usize, usize)>,
}

enum Frame {
    Map { key: Option<String> },
    Seq { next: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<(Frame, YamlPath)>,
    marks: HashMap<YamlPath, (usize, usize)>,
}

impl Builder {
    /// The path a value starting now would have, and whether this event is a
    /// mapping key rather than a value.
    fn position(&mut self, mark: Marker, scalar: Option<&str>) -> Option<YamlPath> {
        let here = (mark.line(), mark.col() + 1);
        let Some((frame, base)) = self.stack.last_mut() else {
            return Some(Vec::new());
        };
        match frame {
            Frame::Map { key } => match key.take() {
                None => {
                    // This event is a key.
                    let k = scalar.unwrap_or("").to_string();
                    // A block mapping's start is marked after its first key;
                    // the mapping starts where that key does.
                    if let Some(m) = self.marks.get_mut(base.as_slice()) {
                        if here < *m {
                            *m = here;
                        }
                    }
                    let mut path = base.clone();
                    path.push(Seg::Key(k.clone()));
                    self.marks.entry(path).or_insert(here);
                    *key = Some(k);
                    None
                }
                Some(k) => {
                    let mut path = base.clone();
                    path.push(Seg::Key(k));
                    Some(path)
                }
            },
            Frame::Seq { next } => {
                let mut path = base.clone();
                path.push(Seg::Index(*next));
                *next += 1;
                self.marks.entry(path.clone()).or_insert(here);
                Some(path)
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                self.position(mark, Some(&value));
            }
            Event::MappingStart(..) => {
                if let Some(path) = self.position(mark, None) {
                    self.stack.push((Frame::Map { key: None }, path));
                } else {
                    // A complex key: track it so nesting stays balanced.
                    self.stack.push((Frame::Map { key: None }, Vec::new()));
                }
            }
            Event::SequenceStart(..) => {
                if let Some(path) = self.position(mark, None) {
                    self.stack.push((Frame::Seq { next: 0 }, path));
                } else {
                    self.stack.push((Frame::Seq { next: 0 }, Vec::new()));
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Alias(_) => {
                self.position(mark, Some(""));
            }
            _ => {}
        }
    }
}

impl Locator {
    /// Indexes a YAML document. A document that does not parse gives an
    /// empty locator (the parse error itself carries a position).
    pub fn new(source: &str) -> Locator {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(source);
        if parser.load(&mut builder, false).is_err() {
            return Locator::default();
        }
        Locator {
            marks: builder.marks,
        }
    }

    /// Where `path` is written, or the nearest enclosing path that is.
    pub fn find(&self, path: &[Seg]) -> Option<(usize, usize)> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.marks.get(&path[..n]).copied())
    }

    /// Whether `path` itself is written in the document.
    pub fn contains(&self, path: &[Seg]) -> bool {
        self.marks.contains_key(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Seg {
        Seg::Key(k.into())
    }

    #[test]
    fn finds_keys_items_and_nearest_parent() {
        let src = "name: x\nruns:\n  - plugin: pca\n    params:\n      components: 4\n  - {plugin: b, variant: c}\nseeds: [1, 2]\n";
        let loc = Locator::new(src);
        assert_eq!(loc.find(&[key("name")]), Some((1, 1)));
        assert_eq!(loc.find(&[key("runs"), Seg::Index(0)]), Some((3, 5)));
        assert_eq!(
            loc.find(&[key("runs"), Seg::Index(0), key("params"), key("components")]),
            Some((5, 7))
        );
        assert_eq!(
            loc.find(&[key("runs"), Seg::Index(1), key("variant")]),
            Some((6, 17))
        );
        assert_eq!(loc.find(&[key("seeds"), Seg::Index(1)]), Some((7, 12)));
        // Not written: falls back to the enclosing item.
        assert_eq!(
            loc.find(&[key("runs"), Seg::Index(1), key("params")]),
            Some((6, 5))
        );
        assert_eq!(
            path_to_string(&[key("runs"), Seg::Index(1), key("params")]),
            "runs[1].params"
        );
    }

    #[test]
    fn broken_yaml_gives_empty_locator() {
        let loc = Locator::new("a: [1, 2\nb: }");
        assert_eq!(loc.find(&[key("a")]), None);
    }
}
