//! Run ids: sortable by start time, and safe as a single path component
//! whatever a spec's names contain.

use std::time::SystemTime;

/// Reduces a name to `[A-Za-z0-9_=.-]`, with no leading dots or dashes and no
/// `..`, at most 64 characters; `run` when nothing is left. The result is
/// always one plain path component.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.chars() {
        let keep = ch.is_ascii_alphanumeric() || matches!(ch, '_' | '=' | '.' | '-');
        let c = if keep { ch } else { '-' };
        // No runs of separators, no `..`.
        if (c == '-' || c == '.') && out.ends_with(['-', '.']) {
            continue;
        }
        out.push(c);
    }
    let trimmed: String = out
        .trim_matches(|c| c == '-' || c == '.')
        .chars()
        .take(64)
        .collect();
    let trimmed = trimmed.trim_end_matches(['-', '.']).to_string();
    if trimmed.is_empty() {
        "run".to_string()
    } else {
        trimmed
    }
}

/// The directory name of an experiment: the name itself when it is already
/// a slug, else its slug plus 8 hex digits of a hash of the name, so two
/// different names never share a directory (`.`, `..`, `a b` and `a-b`,
/// two 300-character names with one prefix all get their own).
pub fn experiment_slug(name: &str) -> String {
    let s = slug(name);
    if s == name {
        return s;
    }
    // FNV-1a, 64 bits: stable across builds and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let stem: String = s.chars().take(55).collect();
    format!("{}-{:08x}", stem.trim_end_matches(['-', '.']), h as u32)
}

/// A run id: `YYYYMMDDTHHMMSS-NNN-<slug(name)>` (UTC), where `NNN` is the
/// run's index in its experiment, so ids sort by start time and then order.
pub fn new_run_id(started: SystemTime, index: usize, name: &str) -> String {
    let stamp = humantime::format_rfc3339_seconds(started).to_string();
    let compact: String = stamp
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    format!("{compact}-{index:03}-{}", slug(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Component, Path};
    use std::time::Duration;

    #[test]
    fn slugs_cannot_escape_their_directory() {
        // A run named like this once would have written outside results/.
        for evil in [
            "../../etc",
            "..",
            ".",
            "/abs/path",
            "a/../../b",
            "..\\..\\x",
            "",
            "~",
            "\0x",
        ] {
            let s = slug(evil);
            let comps: Vec<_> = Path::new(&s).components().collect();
            assert_eq!(comps.len(), 1, "{evil:?} -> {s:?}");
            assert!(
                matches!(comps[0], Component::Normal(_)),
                "{evil:?} -> {s:?}"
            );
            assert!(!s.contains(".."), "{evil:?} -> {s:?}");
        }
        assert_eq!(slug("../../etc"), "etc");
        assert_eq!(slug("pca k=16"), "pca-k=16");
        assert_eq!(slug("lr=0.001"), "lr=0.001");
        assert_eq!(slug(""), "run");
    }

    #[test]
    fn different_experiment_names_never_share_a_directory() {
        let long_a = format!("{}a", "x".repeat(300));
        let long_b = format!("{}b", "x".repeat(300));
        let names = [
            ".",
            "..",
            "",
            "a b",
            "a-b",
            "run",
            long_a.as_str(),
            long_b.as_str(),
        ];
        let slugs: std::collections::BTreeSet<String> =
            names.iter().map(|n| experiment_slug(n)).collect();
        assert_eq!(slugs.len(), names.len(), "{slugs:?}");
        // Names that are slugs already keep them (existing results stay put).
        assert_eq!(experiment_slug("quickstart"), "quickstart");
        assert_eq!(experiment_slug("a-b"), "a-b");
        for s in &slugs {
            assert_eq!(&slug(s), s, "{s} is a safe directory name");
            assert!(s.len() <= 64);
        }
    }

    #[test]
    fn run_ids_sort_by_time_then_index() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let a = new_run_id(t0, 2, "zeta");
        let b = new_run_id(t0, 10, "alpha");
        let c = new_run_id(t0 + Duration::from_secs(1), 0, "alpha");
        assert!(a < b && b < c, "{a} {b} {c}");
        assert!(a.starts_with("20270115T080000-002-zeta"), "{a}");
    }
}
