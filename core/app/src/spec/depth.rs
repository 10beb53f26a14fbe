//! The nesting depth of YAML flow collections (`[` and `{`), checked before
//! the text is parsed: the YAML parser takes time quadratic in the depth
//! before it reaches its own recursion limit (200 KB of `[` took minutes),
//! and no spec nests anywhere near [`MAX_DEPTH`].

/// The deepest nesting of flow collections a spec may have.
pub const MAX_DEPTH: usize = 64;

/// The 1-based `(line, column)` of the first bracket nested deeper than
/// [`MAX_DEPTH`], if any. Brackets inside quoted strings and comments do
/// not count; a plain scalar holding brackets may be counted, which can
/// only matter for text no spec has.
pub fn too_deep(source: &str) -> Option<(usize, usize)> {
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let (mut single, mut double, mut escaped, mut comment) = (false, false, false, false);
    let mut previous = '\n';
    for c in source.chars() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            comment = false;
            previous = c;
            continue;
        }
        if comment {
            continue;
        }
        if double {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                double = false;
            }
        } else if single {
            // `''` inside single quotes closes and reopens: the same state.
            single = c != '\'';
        } else {
            match c {
                '#' if previous.is_whitespace() => comment = true,
                '"' => double = true,
                '\'' => single = true,
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some((line, column));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        previous = c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_found_where_it_passes_the_limit() {
        let deep = format!("name: x\ndataset: {}", "[".repeat(200_000));
        assert_eq!(too_deep(&deep), Some((2, 10 + MAX_DEPTH)));
        let ok = format!("a: {}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(too_deep(&ok), None);
        // Repeated shallow collections never add up.
        assert_eq!(too_deep(&"- [{a: 1}, [2]]\n".repeat(1000)), None);
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let many = "[".repeat(100);
        for text in [
            format!("charset: \"{many}\\\"{many}\""),
            format!("charset: '{many}''{many}'"),
            format!("name: x # {many}\nruns: []"),
        ] {
            assert_eq!(too_deep(&text), None, "{text}");
        }
    }
}
