//! Classification metrics: accuracy, per-class and macro precision/recall/F1, confusion matrix.

use super::MetricError;

/// Classification metrics over a test set with classes `0..classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub classes: usize,
    /// `confusion[truth][pred]` = number of samples of class `truth` predicted as `pred`.
    pub confusion: Vec<Vec<u64>>,
    /// Correct / samples.
    pub accuracy: f64,
    /// Per class: correct / predicted as this class; 0 for a class never predicted.
    pub precision: Vec<f64>,
    /// Per class: correct / truly of this class; 0 for a class absent from the truth.
    pub recall: Vec<f64>,
    /// Mean per-class precision over the classes present in truth or predictions.
    pub macro_precision: f64,
    /// Mean per-class recall over the classes present in truth or predictions.
    pub macro_recall: f64,
    /// Mean per-class F1 (not the F1 of the macro averages) over the same classes.
    pub macro_f1: f64,
}

/// Accuracy, per-class precision/recall, macro averages and the confusion matrix.
///
/// Every 0/0 ratio is 0 (scikit-learn's `zero_division=0`): a class never predicted has
/// precision 0, a class never true has recall 0, and a class with P = R = 0 has F1 0.
/// Classes absent from both `truth` and `preds` are left out of the macro averages (as
/// scikit-learn does when `labels` is not given), so declaring extra classes changes nothing.
///
/// Errors: `LengthMismatch` if the slices differ in length, `Empty` if there are no samples,
/// `OutOfRange` if a label is ≥ `classes`.
pub fn classification(
    preds: &[usize],
    truth: &[usize],
    classes: usize,
) -> Result<Classification, MetricError> {
    if preds.len() != truth.len() {
        return Err(MetricError::LengthMismatch {
            what: "predictions vs truth",
            left: preds.len(),
            right: truth.len(),
        });
    }
    if truth.is_empty() {
        return Err(MetricError::Empty { what: "samples" });
    }
    let mut confusion = vec![vec![0u64; classes]; classes];
    for (&p, &t) in preds.iter().zip(truth) {
        for (what, label) in [("predicted label", p), ("true label", t)] {
            if label >= classes {
                return Err(MetricError::OutOfRange {
                    what,
                    value: label as f64,
                    expected: "a class index below `classes`",
                });
            }
        }
        confusion[t][p] += 1;
    }
    let correct: u64 = confusion.iter().enumerate().map(|(c, row)| row[c]).sum();
    let accuracy = correct as f64 / truth.len() as f64;
    let predicted_as: Vec<u64> = (0..classes)
        .map(|c| confusion.iter().map(|row| row[c]).sum())
        .collect();

    let mut precision = Vec::with_capacity(classes);
    let mut recall = Vec::with_capacity(classes);
    let (mut sum_p, mut sum_r, mut sum_f1, mut present) = (0.0, 0.0, 0.0, 0usize);
    for (c, row) in confusion.iter().enumerate() {
        let predicted = predicted_as[c];
        let actual: u64 = row.iter().sum();
        let tp = row[c];
        let p = ratio(tp, predicted);
        let r = ratio(tp, actual);
        precision.push(p);
        recall.push(r);
        if predicted + actual > 0 {
            present += 1;
            sum_p += p;
            sum_r += r;
            sum_f1 += if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            };
        }
    }
    // `present` ≥ 1 because there is at least one sample.
    let n = present as f64;
    Ok(Classification {
        classes,
        confusion,
        accuracy,
        precision,
        recall,
        macro_precision: sum_p / n,
        macro_recall: sum_r / n,
        macro_f1: sum_f1 / n,
    })
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

impl Classification {
    /// The confusion matrix as CSV: a header `truth\pred,0,1,…`, then one line per true class
    /// starting with the class index. Lines end with `\n`.
    pub fn confusion_csv(&self) -> String {
        let mut out = String::from("truth\\pred");
        for c in 0..self.classes {
            out.push_str(&format!(",{c}"));
        }
        out.push('\n');
        for (t, row) in self.confusion.iter().enumerate() {
            out.push_str(&t.to_string());
            for v in row {
                out.push_str(&format!(",{v}"));
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_class_example_by_hand() {
        // truth: 0 0 0 1 1 2 2 2
        // preds: 0 0 1 1 2 2 2 0
        // confusion [truth][pred]:
        //          p0 p1 p2
        //   t0  [   2, 1, 0 ]
        //   t1  [   0, 1, 1 ]
        //   t2  [   1, 0, 2 ]
        // accuracy = (2 + 1 + 2) / 8 = 5/8
        // precision: c0 = 2/(2+0+1) = 2/3, c1 = 1/(1+1+0) = 1/2, c2 = 2/(0+1+2) = 2/3
        // recall:    c0 = 2/3, c1 = 1/2, c2 = 2/3
        // F1 per class equals P (= R): 2/3, 1/2, 2/3
        // macro P = macro R = macro F1 = (2/3 + 1/2 + 2/3) / 3 = (11/6) / 3 = 11/18
        let truth = [0, 0, 0, 1, 1, 2, 2, 2];
        let preds = [0, 0, 1, 1, 2, 2, 2, 0];
        let c = classification(&preds, &truth, 3).unwrap();
        assert_eq!(
            c.confusion,
            vec![vec![2, 1, 0], vec![0, 1, 1], vec![1, 0, 2]]
        );
        assert_eq!(c.accuracy, 5.0 / 8.0);
        assert_eq!(c.precision, vec![2.0 / 3.0, 0.5, 2.0 / 3.0]);
        assert_eq!(c.recall, vec![2.0 / 3.0, 0.5, 2.0 / 3.0]);
        assert!((c.macro_precision - 11.0 / 18.0).abs() < 1e-15);
        assert!((c.macro_recall - 11.0 / 18.0).abs() < 1e-15);
        assert!((c.macro_f1 - 11.0 / 18.0).abs() < 1e-15);
        assert_eq!(
            c.confusion_csv(),
            "truth\\pred,0,1,2\n0,2,1,0\n1,0,1,1\n2,1,0,2\n"
        );
    }

    #[test]
    fn never_predicted_class_and_absent_class() {
        // classes = 4; class 3 appears nowhere; class 1 is true once but never predicted.
        // truth: 0 0 1 2      preds: 0 0 0 2
        // confusion: t0 [2,0,0,0], t1 [1,0,0,0], t2 [0,0,1,0], t3 [0,0,0,0]
        // precision: c0 = 2/3, c1 = 0 (never predicted), c2 = 1, c3 = 0 (excluded)
        // recall:    c0 = 1,   c1 = 0,                    c2 = 1, c3 = 0 (excluded)
        // F1: c0 = 2·(2/3)·1/(5/3) = 4/5, c1 = 0, c2 = 1
        // macro over {0,1,2}: P = (2/3 + 0 + 1)/3 = 5/9, R = 2/3, F1 = (4/5 + 0 + 1)/3 = 3/5
        let c = classification(&[0, 0, 0, 2], &[0, 0, 1, 2], 4).unwrap();
        assert_eq!(c.precision, vec![2.0 / 3.0, 0.0, 1.0, 0.0]);
        assert_eq!(c.recall, vec![1.0, 0.0, 1.0, 0.0]);
        assert!((c.macro_precision - 5.0 / 9.0).abs() < 1e-15);
        assert!((c.macro_recall - 2.0 / 3.0).abs() < 1e-15);
        assert!((c.macro_f1 - 3.0 / 5.0).abs() < 1e-15);
        assert_eq!(c.accuracy, 0.75);
    }

    #[test]
    fn classification_errors() {
        assert!(matches!(
            classification(&[0], &[0, 1], 2),
            Err(MetricError::LengthMismatch { .. })
        ));
        assert_eq!(
            classification(&[], &[], 2),
            Err(MetricError::Empty { what: "samples" })
        );
        assert_eq!(
            classification(&[0, 2], &[0, 1], 2),
            Err(MetricError::OutOfRange {
                what: "predicted label",
                value: 2.0,
                expected: "a class index below `classes`"
            })
        );
    }
}
