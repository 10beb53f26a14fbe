//! Anomaly detection from reconstruction-error scores: percentile threshold and AUROC.

use super::MetricError;

/// Anomaly detection quality with "anomaly" as the positive class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnomalyMetrics {
    /// Score threshold: the chosen percentile of the validation (normal) scores.
    pub threshold: f64,
    /// Flagged anomalies that are anomalies / flagged; 0 when nothing is flagged.
    pub precision: f64,
    /// Flagged anomalies / true anomalies; 0 when the test set has no anomaly.
    pub recall: f64,
    /// Correct decisions (either class) / test samples.
    pub accuracy: f64,
    /// Threshold-free ranking quality; `None` when the test set lacks one of the classes.
    pub auroc: Option<f64>,
}

/// The `p`-th percentile (p in `[0, 100]`) with linear interpolation between order statistics.
///
/// Same as NumPy's default (`method="linear"`): with the values sorted ascending as
/// s₀ ≤ … ≤ sₙ₋₁ and r = p/100 · (n − 1), the result is s⌊r⌋ + (r − ⌊r⌋)(s⌈r⌉ − s⌊r⌋).
/// `p` outside `[0, 100]` is clamped; an empty slice or a NaN `p` gives NaN. Values are sorted
/// by `f64::total_cmp`, so NaN values sort after +∞.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() || p.is_nan() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = p.clamp(0.0, 100.0) / 100.0 * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    if lo == hi || frac == 0.0 {
        sorted[lo]
    } else {
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    }
}

/// Area under the ROC curve, higher scores meaning "more positive".
///
/// Rank-based (Mann–Whitney U): the fraction of (positive, negative) pairs in which the
/// positive scores higher, a tie counting half. Ties get average ranks.
/// `None` when the slices differ in length, when either class is absent, or when a score is NaN.
pub fn auroc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    if scores.len() != positive.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let n_pos = positive.iter().filter(|&&b| b).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Positions i..=j share the average rank of (i+1 ..= j+1).
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        let pos_in_group = order[i..=j].iter().filter(|&&k| positive[k]).count();
        rank_sum += avg_rank * pos_in_group as f64;
        i = j + 1;
    }
    let (np, nn) = (n_pos as f64, n_neg as f64);
    let u = rank_sum - np * (np + 1.0) / 2.0;
    Some(u / (np * nn))
}

/// Threshold test scores at the `percentile_p`-th percentile of normal validation scores.
///
/// A test sample is flagged as an anomaly when its score is strictly greater than the
/// threshold (so at p = 100 no validation score would be flagged). Precision and recall treat
/// "anomaly" as the positive class and are 0 when their denominator is 0; `auroc` is computed
/// from the raw test scores (see [`auroc`]).
///
/// Errors: `OutOfRange` if `percentile_p` is not in `[0, 100]` (or NaN); `Empty` if there are no
/// validation or no test scores; `LengthMismatch` if `test_scores` and `test_is_anomaly`
/// differ in length.
pub fn anomaly_detection(
    val_normal_scores: &[f64],
    test_scores: &[f64],
    test_is_anomaly: &[bool],
    percentile_p: f64,
) -> Result<AnomalyMetrics, MetricError> {
    if !(0.0..=100.0).contains(&percentile_p) {
        return Err(MetricError::OutOfRange {
            what: "percentile",
            value: percentile_p,
            expected: "0 to 100",
        });
    }
    if val_normal_scores.is_empty() {
        return Err(MetricError::Empty {
            what: "validation scores",
        });
    }
    if test_scores.len() != test_is_anomaly.len() {
        return Err(MetricError::LengthMismatch {
            what: "test scores vs labels",
            left: test_scores.len(),
            right: test_is_anomaly.len(),
        });
    }
    if test_scores.is_empty() {
        return Err(MetricError::Empty {
            what: "test scores",
        });
    }
    let threshold = percentile(val_normal_scores, percentile_p);
    let (mut tp, mut fp, mut tn, mut fn_) = (0usize, 0usize, 0usize, 0usize);
    for (&s, &is_anomaly) in test_scores.iter().zip(test_is_anomaly) {
        match (s > threshold, is_anomaly) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
    }
    let ratio = |num: usize, den: usize| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    Ok(AnomalyMetrics {
        threshold,
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
        accuracy: ratio(tp + tn, test_scores.len()),
        auroc: auroc(test_scores, test_is_anomaly),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolation() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0]; // sorted: 1 2 3 4 5, n − 1 = 4
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 100.0), 5.0);
        assert_eq!(percentile(&v, 50.0), 3.0); // r = 2 → s₂ = 3
        assert_eq!(percentile(&v, 25.0), 2.0); // r = 1 → s₁ = 2
                                               // r = 0.9 · 4 = 3.6 → 4 + 0.6 · (5 − 4) = 4.6
        assert!((percentile(&v, 90.0) - 4.6).abs() < 1e-12);
        // two values: r = 0.25 · 1 → 0 + 0.25 · 10 = 2.5
        assert_eq!(percentile(&[10.0, 0.0], 25.0), 2.5);
        assert_eq!(percentile(&[7.0], 30.0), 7.0);
        assert_eq!(percentile(&v, 150.0), 5.0); // clamped
        assert!(percentile(&[], 50.0).is_nan());
        assert!(percentile(&v, f64::NAN).is_nan());
    }

    #[test]
    fn auroc_without_ties() {
        // positives {0.35, 0.8}, negatives {0.1, 0.4}
        // pairs: 0.35>0.1 ✓, 0.35>0.4 ✗, 0.8>0.1 ✓, 0.8>0.4 ✓ → 3/4
        assert_eq!(
            auroc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            Some(0.75)
        );
        // perfect separation and perfectly wrong
        assert_eq!(auroc(&[1.0, 2.0], &[false, true]), Some(1.0));
        assert_eq!(auroc(&[2.0, 1.0], &[false, true]), Some(0.0));
    }

    #[test]
    fn auroc_with_ties() {
        // positives {0.5, 0.9}, negatives {0.2, 0.5}
        // pairs: 0.5 vs 0.2 → 1, 0.5 vs 0.5 → ½ (tie), 0.9 vs 0.2 → 1, 0.9 vs 0.5 → 1
        // AUROC = 3.5 / 4 = 0.875
        // via ranks: 0.2→1, 0.5,0.5→2.5 each, 0.9→4; R₊ = 2.5 + 4 = 6.5;
        // U = 6.5 − 2·3/2 = 3.5; 3.5 / (2·2) = 0.875
        assert_eq!(
            auroc(&[0.2, 0.5, 0.5, 0.9], &[false, true, false, true]),
            Some(0.875)
        );
        // all scores tied → every pair counts ½
        assert_eq!(auroc(&[1.0, 1.0, 1.0], &[true, false, false]), Some(0.5));
    }

    #[test]
    fn auroc_undefined_cases() {
        assert_eq!(auroc(&[1.0, 2.0], &[true, true]), None);
        assert_eq!(auroc(&[1.0, 2.0], &[false, false]), None);
        assert_eq!(auroc(&[], &[]), None);
        assert_eq!(auroc(&[1.0], &[true, false]), None);
        assert_eq!(auroc(&[f64::NAN, 1.0], &[true, false]), None);
    }

    #[test]
    fn anomaly_detection_by_hand() {
        // validation normals 1..5; p = 90 → threshold 4.6 (see percentile test)
        // test scores  2    4    5    6    3    10
        // anomaly?     no   yes  no   yes  no   yes
        // flagged >4.6 no   no   yes  yes  no   yes
        // TP = 2 (6, 10), FP = 1 (5), FN = 1 (4), TN = 2 (2, 3)
        // precision = 2/3, recall = 2/3, accuracy = (2 + 2)/6 = 2/3
        // AUROC: positives {4, 6, 10} vs negatives {2, 5, 3}:
        //   4 beats 2 and 3 (2), 6 beats all (3), 10 beats all (3) → 8/9
        let m = anomaly_detection(
            &[1.0, 2.0, 3.0, 4.0, 5.0],
            &[2.0, 4.0, 5.0, 6.0, 3.0, 10.0],
            &[false, true, false, true, false, true],
            90.0,
        )
        .unwrap();
        assert!((m.threshold - 4.6).abs() < 1e-12);
        assert_eq!(m.precision, 2.0 / 3.0);
        assert_eq!(m.recall, 2.0 / 3.0);
        assert_eq!(m.accuracy, 2.0 / 3.0);
        assert_eq!(m.auroc, Some(8.0 / 9.0));
    }

    #[test]
    fn score_equal_to_threshold_is_normal() {
        // p = 50 of {1, 3} → 2; test scores of exactly 2 are not flagged.
        // Nothing flagged: TP = FP = 0, TN = 1, FN = 1 →
        // precision 0 (0/0), recall 0/1 = 0, accuracy 1/2; the tied scores give AUROC ½.
        let m = anomaly_detection(&[1.0, 3.0], &[2.0, 2.0], &[false, true], 50.0).unwrap();
        assert_eq!(m.threshold, 2.0);
        assert_eq!((m.precision, m.recall, m.accuracy), (0.0, 0.0, 0.5));
        assert_eq!(m.auroc, Some(0.5));
    }

    #[test]
    fn anomaly_detection_errors() {
        assert!(matches!(
            anomaly_detection(&[1.0], &[1.0], &[true], 101.0),
            Err(MetricError::OutOfRange { .. })
        ));
        assert!(matches!(
            anomaly_detection(&[1.0], &[1.0], &[true], f64::NAN),
            Err(MetricError::OutOfRange { .. })
        ));
        assert_eq!(
            anomaly_detection(&[], &[1.0], &[true], 95.0),
            Err(MetricError::Empty {
                what: "validation scores"
            })
        );
        assert_eq!(
            anomaly_detection(&[1.0], &[], &[], 95.0),
            Err(MetricError::Empty {
                what: "test scores"
            })
        );
        assert!(matches!(
            anomaly_detection(&[1.0], &[1.0, 2.0], &[true], 95.0),
            Err(MetricError::LengthMismatch { .. })
        ));
    }
}
