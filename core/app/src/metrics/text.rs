//! Recognition text metrics: Levenshtein distance, CER, WER and word accuracy.

use super::MetricError;

/// Text recognition metrics over a whole test set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextMetrics {
    /// Character error rate: Σ Levenshtein(pred, ref) / Σ len(ref), in Unicode scalar values.
    pub cer: f64,
    /// Word error rate: Σ Levenshtein(pred tokens, ref tokens) / Σ ref tokens (whitespace split).
    pub wer: f64,
    /// Exact matches / samples.
    pub word_accuracy: f64,
    /// Σ len(ref) in chars: the CER denominator.
    pub chars: usize,
    /// Number of samples (each pair is one word image).
    pub words: usize,
}

/// Edit distance (insertions, deletions, substitutions all cost 1) between two sequences.
///
/// `strsim`'s, the one implementation in the workspace (the recognizers'
/// monitoring CER uses it too): one row of memory, time O(len a · len b).
pub fn levenshtein<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let (a, b): (Vec<&T>, Vec<&T>) = (a.iter().collect(), b.iter().collect());
    strsim::generic_levenshtein(&a, &b)
}

/// CER, WER and word accuracy of `preds` against `refs` (one pair per word image).
///
/// * CER = Σ Levenshtein(pred chars, ref chars) / Σ ref chars, summed over the whole set
///   (not a mean of per-sample ratios). Characters are Unicode scalar values (`char`);
///   no normalisation (case, Unicode form, whitespace) is applied.
/// * WER = Σ Levenshtein(pred tokens, ref tokens) / Σ ref tokens, tokens being the
///   `split_whitespace` pieces of each sample.
/// * word accuracy = samples whose pred equals the ref exactly (byte-equal strings) / samples.
///
/// Errors: `LengthMismatch` if the slices differ in length; `Empty` if there are no samples,
/// if the references hold no characters at all (CER would be 0/0), or if they hold no
/// whitespace-separated tokens (WER would be 0/0, e.g. all references are spaces).
pub fn text_metrics(preds: &[&str], refs: &[&str]) -> Result<TextMetrics, MetricError> {
    if preds.len() != refs.len() {
        return Err(MetricError::LengthMismatch {
            what: "predictions vs references",
            left: preds.len(),
            right: refs.len(),
        });
    }
    if refs.is_empty() {
        return Err(MetricError::Empty { what: "samples" });
    }
    let (mut char_edits, mut chars, mut word_edits, mut ref_tokens, mut exact) = (0, 0, 0, 0, 0);
    for (p, r) in preds.iter().zip(refs) {
        let pc: Vec<char> = p.chars().collect();
        let rc: Vec<char> = r.chars().collect();
        char_edits += levenshtein(&pc, &rc);
        chars += rc.len();
        let pw: Vec<&str> = p.split_whitespace().collect();
        let rw: Vec<&str> = r.split_whitespace().collect();
        word_edits += levenshtein(&pw, &rw);
        ref_tokens += rw.len();
        exact += usize::from(p == r);
    }
    if chars == 0 {
        return Err(MetricError::Empty {
            what: "reference characters",
        });
    }
    if ref_tokens == 0 {
        return Err(MetricError::Empty {
            what: "reference words",
        });
    }
    Ok(TextMetrics {
        cer: char_edits as f64 / chars as f64,
        wer: word_edits as f64 / ref_tokens as f64,
        word_accuracy: exact as f64 / refs.len() as f64,
        chars,
        words: refs.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lev(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        levenshtein(&a, &b)
    }

    #[test]
    fn levenshtein_classic_cases() {
        // kitten → sitten (sub k/s) → sittin (sub e/i) → sitting (insert g) = 3
        assert_eq!(lev("kitten", "sitting"), 3);
        assert_eq!(lev("sitting", "kitten"), 3);
        // flaw → law (delete f) → lawn (insert n) = 2
        assert_eq!(lev("flaw", "lawn"), 2);
        assert_eq!(lev("", "abc"), 3);
        assert_eq!(lev("abc", ""), 3);
        assert_eq!(lev("", ""), 0);
        assert_eq!(lev("same", "same"), 0);
        // Unicode scalar values, not bytes: 'ä' vs 'a' is one substitution.
        assert_eq!(lev("bär", "bar"), 1);
        // Works on any PartialEq element type, e.g. word tokens.
        assert_eq!(levenshtein(&["a", "b", "c"], &["a", "c"]), 1);
    }

    #[test]
    fn text_metrics_three_words_by_hand() {
        // pred     ref       char edits   ref chars   exact
        // "cat"    "cat"     0            3           yes
        // "dgo"    "dog"     2 (g→o,o→g)  3           no
        // "hose"   "house"   1 (insert u) 5           no
        // CER = (0 + 2 + 1) / (3 + 3 + 5) = 3 / 11
        // WER: one token each; token edits 0 + 1 + 1 = 2 over 3 tokens = 2/3
        // word accuracy = 1 / 3
        let m = text_metrics(&["cat", "dgo", "hose"], &["cat", "dog", "house"]).unwrap();
        assert_eq!(m.cer, 3.0 / 11.0);
        assert_eq!(m.wer, 2.0 / 3.0);
        assert_eq!(m.word_accuracy, 1.0 / 3.0);
        assert_eq!(m.chars, 11);
        assert_eq!(m.words, 3);
    }

    #[test]
    fn cer_is_pooled_not_mean_of_ratios() {
        // "a" vs "b": 1 edit / 1 char; "abcdefghij" exact: 0 / 10.
        // Pooled CER = 1 / 11, whereas the mean of per-sample ratios would be 0.5.
        let m = text_metrics(&["a", "abcdefghij"], &["b", "abcdefghij"]).unwrap();
        assert_eq!(m.cer, 1.0 / 11.0);
    }

    #[test]
    fn wer_over_multi_token_samples() {
        // "the cat sat" vs "the cat sat down": 1 deletion over 4 tokens;
        // "a  b" vs "a b": tokens equal (whitespace split) → 0 edits, 2 tokens;
        // WER = 1 / 6. Exact matches: none ("a  b" != "a b"), so accuracy 0.
        let m = text_metrics(&["the cat sat", "a  b"], &["the cat sat down", "a b"]).unwrap();
        assert_eq!(m.wer, 1.0 / 6.0);
        assert_eq!(m.word_accuracy, 0.0);
        // chars: 16 + 3 = 19; char edits: 5 (" down") + 1 (extra space) = 6
        assert_eq!(m.chars, 19);
        assert_eq!(m.cer, 6.0 / 19.0);
    }

    #[test]
    fn text_metrics_errors() {
        assert_eq!(
            text_metrics(&["a"], &["a", "b"]),
            Err(MetricError::LengthMismatch {
                what: "predictions vs references",
                left: 1,
                right: 2
            })
        );
        assert_eq!(
            text_metrics(&[], &[]),
            Err(MetricError::Empty { what: "samples" })
        );
        assert_eq!(
            text_metrics(&["x"], &[""]),
            Err(MetricError::Empty {
                what: "reference characters"
            })
        );
        assert_eq!(
            text_metrics(&["x"], &["  "]),
            Err(MetricError::Empty {
                what: "reference words"
            })
        );
    }
}
