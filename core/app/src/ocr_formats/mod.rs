//! A page's XML outputs for other OCR tools: hOCR 1.2 ([`hocr()`]), ALTO v4
//! ([`alto()`]) and PAGE XML 2019-07-15 ([`page_xml`]). Each writes an
//! [`OcrPage`] in the order its layout already found (blocks, lines and
//! words in reading order), so the three files, the page JSON and the text
//! agree on the order and on every box.
//!
//! What the writers share lives here: boxes in whole pixels clamped to the
//! page ([`Px`]), the box of a line or block (the union of its words), the
//! confidence as a number in [0, 1], and XML escaping ([`escape`]). They are
//! plain formatted strings; the schema tests (`core/app/tests/ocr_formats.rs`)
//! check them against the official XSDs and `hocr-check`.

mod alto;
mod hocr;
mod page;

pub use alto::alto;
pub use hocr::hocr;
pub use page::page_xml;

use crate::layout::OcrPage;
use crate::metrics::BBox;

/// The writing program, as every format names it.
pub const SOFTWARE: &str = "workbench";
/// Its version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A box in whole pixels inside the page: left, top, right, bottom (the
/// right and bottom edges exclusive, so `x1 - x0` is the width).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Px {
    /// Left edge.
    pub x0: u32,
    /// Top edge.
    pub y0: u32,
    /// Right edge (exclusive).
    pub x1: u32,
    /// Bottom edge (exclusive).
    pub y1: u32,
}

impl Px {
    /// A box rounded to whole pixels and clamped to the page.
    pub fn of(b: &BBox, page: &OcrPage) -> Px {
        let clamp = |v: f64, max: u32| {
            if v.is_finite() {
                v.round().clamp(0.0, max as f64) as u32
            } else {
                0
            }
        };
        let (x0, y0) = (clamp(b.x, page.width), clamp(b.y, page.height));
        Px {
            x0,
            y0,
            x1: clamp(b.x + b.w, page.width).max(x0),
            y1: clamp(b.y + b.h, page.height).max(y0),
        }
    }

    /// The whole page.
    pub fn page(page: &OcrPage) -> Px {
        Px {
            x0: 0,
            y0: 0,
            x1: page.width,
            y1: page.height,
        }
    }

    /// Width in pixels.
    pub fn w(&self) -> u32 {
        self.x1 - self.x0
    }

    /// Height in pixels.
    pub fn h(&self) -> u32 {
        self.y1 - self.y0
    }

    /// The smallest box holding both.
    pub fn union(self, o: Px) -> Px {
        Px {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }
}

/// The box of a word of the page.
pub(crate) fn word_box(page: &OcrPage, i: usize) -> Px {
    Px::of(&page.words[i].bbox, page)
}

/// The union of the boxes of some words of the page (a line or a block;
/// never empty in an [`OcrPage`], a zero box at the origin if it were).
pub(crate) fn words_box<'a>(page: &OcrPage, ids: impl IntoIterator<Item = &'a usize>) -> Px {
    ids.into_iter()
        .map(|&i| word_box(page, i))
        .reduce(Px::union)
        .unwrap_or(Px {
            x0: 0,
            y0: 0,
            x1: 0,
            y1: 0,
        })
}

/// A confidence clamped to [0, 1] (NaN reads as 0).
pub(crate) fn unit(c: f32) -> f32 {
    if c.is_nan() {
        0.0
    } else {
        c.clamp(0.0, 1.0)
    }
}

/// A confidence in [0, 1] (see [`unit`]) with at most four decimals.
pub(crate) fn confidence(c: f32) -> String {
    let s = format!("{:.4}", unit(c));
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Escapes text for XML element content and double- or single-quoted
/// attribute values: `& < > " '` as references; tab, newline and carriage
/// return as character references (so they survive attribute-value
/// normalization); characters XML 1.0 does not allow (other C0 controls,
/// U+FFFE, U+FFFF) as U+FFFD. `'` is written `&#39;`, which HTML parsers
/// read too (hOCR is read by both kinds).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'.. => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// The text of one line: its words joined by single spaces.
pub(crate) fn line_text(page: &OcrPage, line: &[usize]) -> String {
    line.iter()
        .map(|&i| page.words[i].text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::layout::OcrWord;

    /// A page with two columns under a heading, words with every character
    /// XML treats specially, and two image regions.
    pub(crate) fn sample() -> OcrPage {
        let word = |text: &str, x: f64, y: f64, confidence: f32| OcrWord {
            text: text.into(),
            confidence,
            bbox: BBox {
                x,
                y,
                w: 10.0 * text.chars().count() as f64,
                h: 10.0,
            },
        };
        OcrPage::new(
            300,
            200,
            vec![
                word("right2", 200.0, 55.0, 0.5),
                word("a<b&c", 10.0, 40.0, 0.25),
                word("\"Title\"", 10.0, 10.0, 1.0),
                word("it's>", 200.0, 40.0, f32::NAN),
                word("left2b", 70.0, 55.0, 1.5),
                word("left2", 10.0, 55.0, 0.75),
                word("Page", 90.0, 10.0, 0.9),
            ],
            vec![
                BBox {
                    x: 10.0,
                    y: 100.0,
                    w: 80.0,
                    h: 60.0,
                },
                BBox {
                    x: 250.0,
                    y: 150.0,
                    w: 100.0,
                    h: 100.0,
                },
            ],
        )
    }

    #[test]
    fn escape_covers_markup_quotes_and_forbidden_characters() {
        assert_eq!(
            escape("a<b>&\"c'\td\u{1}\u{FFFF}é"),
            "a&lt;b&gt;&amp;&quot;c&#39;&#9;d\u{FFFD}\u{FFFD}é"
        );
    }

    #[test]
    fn boxes_are_whole_pixels_inside_the_page() {
        let page = sample();
        // The second image runs off the page's right and bottom edges.
        assert_eq!(
            Px::of(&page.images[1], &page),
            Px {
                x0: 250,
                y0: 150,
                x1: 300,
                y1: 200
            }
        );
        let nan = BBox {
            x: f64::NAN,
            y: -5.0,
            w: 1.0,
            h: 1.0,
        };
        assert_eq!(
            Px::of(&nan, &page),
            Px {
                x0: 0,
                y0: 0,
                x1: 0,
                y1: 0
            }
        );
    }

    #[test]
    fn confidences_stay_in_the_unit_interval() {
        assert_eq!(confidence(0.25), "0.25");
        assert_eq!(confidence(1.5), "1");
        assert_eq!(confidence(-1.0), "0");
        assert_eq!(confidence(f32::NAN), "0");
        assert_eq!(confidence(0.123456), "0.1235");
    }

    /// Every element name of an XML text, in document order, with the
    /// value of `attr` on it when it has one; fails on malformed XML.
    pub(crate) fn elements(xml: &str, attr: &str) -> Vec<(String, Option<String>)> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut out = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                    let name = String::from_utf8(e.local_name().as_ref().to_vec()).unwrap();
                    let value = e
                        .try_get_attribute(attr)
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned());
                    out.push((name, value));
                }
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        out
    }
}
