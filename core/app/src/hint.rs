//! "Did you mean" hints for a name that is not one of a closed set
//! (plugins, variants, parameters, dataset kinds, metrics).

/// "did you mean `x`?" when a candidate is close, else the list of valid ones.
pub fn nearest_hint(word: &str, candidates: &[String]) -> String {
    let best = candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, c)) if d <= 2.max(word.chars().count() / 3) => format!("did you mean `{c}`?"),
        _ if candidates.is_empty() => "nothing is allowed here".to_string(),
        _ => format!(
            "expected one of: {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
