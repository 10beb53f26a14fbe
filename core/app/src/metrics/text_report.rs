//! A recognizer's error report, as `ketos test` gives one: the text
//! metrics ([`text_metrics`]), then where the errors are — a character
//! alignment of every prediction with its reference (one minimal edit
//! script, substitutions preferred over an insertion plus a deletion), the
//! most frequent confusions (`reference → prediction`, `∅` for nothing),
//! and errors by class of the reference character (lower case, upper
//! case, digits, punctuation, other), with how many substitutions only
//! changed the case.

use super::text::{text_metrics, TextMetrics};
use super::MetricError;
use serde::Serialize;
use std::collections::BTreeMap;

/// One step of an alignment: `(reference, prediction)`; `None` on one side
/// is an insertion or a deletion.
pub type Step = (Option<char>, Option<char>);

/// A minimal edit script turning `reference` into `prediction`, matches
/// included.
pub fn align(reference: &str, prediction: &str) -> Vec<Step> {
    let r: Vec<char> = reference.chars().collect();
    let p: Vec<char> = prediction.chars().collect();
    let (n, m) = (r.len(), p.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let sub = d[i - 1][j - 1] + usize::from(r[i - 1] != p[j - 1]);
            d[i][j] = sub.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
        }
    }
    let mut steps = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        if i > 0 && j > 0 && d[i][j] == d[i - 1][j - 1] + usize::from(r[i - 1] != p[j - 1]) {
            steps.push((Some(r[i - 1]), Some(p[j - 1])));
            i -= 1;
            j -= 1;
        } else if i > 0 && d[i][j] == d[i - 1][j] + 1 {
            steps.push((Some(r[i - 1]), None));
            i -= 1;
        } else {
            steps.push((None, Some(p[j - 1])));
            j -= 1;
        }
    }
    steps.reverse();
    steps
}

/// Classes of reference characters.
pub const CLASSES: [&str; 5] = ["lower case", "upper case", "digits", "punctuation", "other"];

/// The class of `c` (an index into [`CLASSES`]).
pub fn class_of(c: char) -> usize {
    if c.is_lowercase() {
        0
    } else if c.is_uppercase() {
        1
    } else if c.is_ascii_digit() {
        2
    } else if c.is_ascii_punctuation() || is_typographic_punctuation(c) {
        3
    } else {
        4
    }
}

fn is_typographic_punctuation(c: char) -> bool {
    matches!(
        c,
        '‘' | '’' | '“' | '”' | '–' | '—' | '…' | '•' | '·' | '«' | '»'
    )
}

/// Errors among the reference characters of one class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassErrors {
    /// The class name.
    pub class: String,
    /// Reference characters of the class.
    pub chars: usize,
    /// Of them, deleted or substituted.
    pub errors: usize,
}

/// One confusion and how often it happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Confusion {
    /// The reference character (`∅`: an insertion).
    pub reference: String,
    /// What was read instead (`∅`: a deletion).
    pub predicted: String,
    /// Occurrences.
    pub count: usize,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TextReport {
    /// Character error rate.
    pub cer: f64,
    /// Word error rate.
    pub wer: f64,
    /// Exact matches / samples.
    pub word_accuracy: f64,
    /// Reference characters.
    pub chars: usize,
    /// Samples.
    pub words: usize,
    /// Character edits in total.
    pub errors: usize,
    /// Substitutions that only changed the case (`a` → `A`).
    pub case_errors: usize,
    /// Per class of the reference character, in [`CLASSES`] order.
    pub classes: Vec<ClassErrors>,
    /// Every confusion, most frequent first (ties by reference, prediction).
    pub confusions: Vec<Confusion>,
}

const NOTHING: &str = "∅";

impl TextReport {
    /// The report of `preds` against `refs` (one pair per sample).
    pub fn of(preds: &[&str], refs: &[&str]) -> Result<TextReport, MetricError> {
        let TextMetrics {
            cer,
            wer,
            word_accuracy,
            chars,
            words,
        } = text_metrics(preds, refs)?;
        let mut classes = [(0usize, 0usize); CLASSES.len()];
        let mut confusions: BTreeMap<(String, String), usize> = BTreeMap::new();
        let (mut errors, mut case_errors) = (0, 0);
        for (p, r) in preds.iter().zip(refs) {
            for (rc, pc) in align(r, p) {
                if let Some(c) = rc {
                    classes[class_of(c)].0 += 1;
                }
                if rc == pc {
                    continue;
                }
                errors += 1;
                if let Some(c) = rc {
                    classes[class_of(c)].1 += 1;
                }
                if let (Some(a), Some(b)) = (rc, pc) {
                    if a.to_lowercase().eq(b.to_lowercase()) {
                        case_errors += 1;
                    }
                }
                let show = |c: Option<char>| c.map_or(NOTHING.to_string(), String::from);
                *confusions.entry((show(rc), show(pc))).or_default() += 1;
            }
        }
        let mut confusions: Vec<Confusion> = confusions
            .into_iter()
            .map(|((reference, predicted), count)| Confusion {
                reference,
                predicted,
                count,
            })
            .collect();
        confusions.sort_by_key(|c| std::cmp::Reverse(c.count));
        Ok(TextReport {
            cer,
            wer,
            word_accuracy,
            chars,
            words,
            errors,
            case_errors,
            classes: CLASSES
                .iter()
                .zip(classes)
                .map(|(name, (chars, errors))| ClassErrors {
                    class: name.to_string(),
                    chars,
                    errors,
                })
                .collect(),
            confusions,
        })
    }

    /// The report as Markdown; `top` confusions are listed.
    pub fn markdown(&self, top: usize) -> String {
        let pct = |a: usize, b: usize| {
            if b == 0 {
                "–".to_string()
            } else {
                format!("{:.2} %", 100.0 * a as f64 / b as f64)
            }
        };
        let mut out = String::new();
        out.push_str("| metric | value |\n|---|---:|\n");
        out.push_str(&format!("| words | {} |\n", self.words));
        out.push_str(&format!("| characters | {} |\n", self.chars));
        out.push_str(&format!("| character errors | {} |\n", self.errors));
        out.push_str(&format!("| CER | {:.2} % |\n", 100.0 * self.cer));
        out.push_str(&format!("| WER | {:.2} % |\n", 100.0 * self.wer));
        out.push_str(&format!(
            "| word accuracy | {:.2} % |\n",
            100.0 * self.word_accuracy
        ));
        out.push_str(&format!(
            "| case-only substitutions | {} |\n\n",
            self.case_errors
        ));
        out.push_str("| class | characters | errors | error rate |\n|---|---:|---:|---:|\n");
        for c in &self.classes {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                c.class,
                c.chars,
                c.errors,
                pct(c.errors, c.chars)
            ));
        }
        out.push_str("\n| reference | read as | count |\n|---|---|---:|\n");
        for c in self.confusions.iter().take(top) {
            out.push_str(&format!(
                "| `{}` | `{}` | {} |\n",
                c.reference.replace('|', "\\|"),
                c.predicted.replace('|', "\\|"),
                c.count
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_is_a_minimal_edit_script() {
        let steps = align("kitten", "sitting");
        let edits = steps.iter().filter(|(a, b)| a != b).count();
        assert_eq!(edits, 3);
        let rebuilt_ref: String = steps.iter().filter_map(|s| s.0).collect();
        let rebuilt_pred: String = steps.iter().filter_map(|s| s.1).collect();
        assert_eq!(
            (rebuilt_ref.as_str(), rebuilt_pred.as_str()),
            ("kitten", "sitting")
        );
        assert_eq!(align("", "ab"), vec![(None, Some('a')), (None, Some('b'))]);
    }

    #[test]
    fn the_report_counts_confusions_classes_and_case() {
        let report = TextReport::of(&["Tbe", "l0", "x."], &["the", "10", "x,"]).unwrap();
        assert_eq!(report.errors, 4);
        assert_eq!(report.case_errors, 1);
        assert_eq!(report.words, 3);
        assert_eq!(report.chars, 7);
        let class = |name: &str| report.classes.iter().find(|c| c.class == name).unwrap();
        assert_eq!(
            (class("lower case").chars, class("lower case").errors),
            (4, 2)
        );
        assert_eq!((class("digits").chars, class("digits").errors), (2, 1));
        assert_eq!(
            (class("punctuation").chars, class("punctuation").errors),
            (1, 1)
        );
        assert!(report.confusions.iter().all(|c| c.count == 1));
        assert!(report
            .confusions
            .iter()
            .any(|c| c.reference == "h" && c.predicted == "b"));
        let md = report.markdown(10);
        assert!(md.contains("| CER | 57.14 % |"), "{md}");
        assert!(md.contains("| `1` | `l` | 1 |"), "{md}");
        assert!(TextReport::of(&[], &[]).is_err());
    }
}
