//! Axis-aligned boxes, IoU, and greedy one-to-one box matching with precision/recall/F1.

use serde::{Deserialize, Serialize};

/// An axis-aligned box: top-left corner (`x`, `y`), width `w`, height `h`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl BBox {
    /// `w · h`, with negative widths or heights counted as 0.
    pub fn area(&self) -> f64 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    /// Intersection over union; 0 when the union has zero area (both boxes degenerate).
    pub fn iou(&self, other: &BBox) -> f64 {
        let ix = ((self.x + self.w).min(other.x + other.w) - self.x.max(other.x)).max(0.0);
        let iy = ((self.y + self.h).min(other.y + other.h) - self.y.max(other.y)).max(0.0);
        let inter = ix * iy;
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

/// The result of matching predicted boxes to ground-truth boxes.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxMatch {
    /// Accepted `(pred index, truth index, IoU)` pairs, in the order greedy accepted them.
    pub pairs: Vec<(usize, usize, f64)>,
    /// matched / predicted.
    pub precision: f64,
    /// matched / truth.
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    pub matched: usize,
    pub predicted: usize,
    pub truth: usize,
}

/// Greedy one-to-one matching by descending IoU; a pair needs IoU ≥ `min_iou` (use 0.5).
///
/// See [`match_boxes_where`] for the algorithm and the edge cases.
pub fn match_boxes(pred: &[BBox], truth: &[BBox], min_iou: f64) -> BoxMatch {
    match_boxes_where(pred, truth, min_iou, |_, _| true)
}

/// Greedy one-to-one matching restricted to pairs that `accept(pred index, truth index)` allows.
///
/// Candidates are all pairs with IoU ≥ `min_iou` (NaN IoU never qualifies) for which `accept`
/// returns true. They are visited by descending IoU, ties broken by ascending
/// (pred index, truth index); a pair is accepted when neither box is already matched.
/// A prediction duplicating an already matched truth therefore counts as a false positive.
/// The OCR pipeline's word precision/recall passes `accept = |p, t| text[p] == text[t]`.
///
/// Edge cases (every 0/0 ratio is 0, except that an empty vs empty image is perfect):
/// * no predictions and no ground truth → precision = recall = F1 = 1;
/// * no predictions, some ground truth → precision = recall = F1 = 0;
/// * some predictions, no ground truth → precision = recall = F1 = 0.
pub fn match_boxes_where(
    pred: &[BBox],
    truth: &[BBox],
    min_iou: f64,
    accept: impl Fn(usize, usize) -> bool,
) -> BoxMatch {
    let mut candidates: Vec<(usize, usize, f64)> = Vec::new();
    for (p, pb) in pred.iter().enumerate() {
        for (t, tb) in truth.iter().enumerate() {
            let iou = pb.iou(tb);
            if iou >= min_iou && accept(p, t) {
                candidates.push((p, t, iou));
            }
        }
    }
    candidates.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    let mut pred_used = vec![false; pred.len()];
    let mut truth_used = vec![false; truth.len()];
    let mut pairs = Vec::new();
    for (p, t, iou) in candidates {
        if !pred_used[p] && !truth_used[t] {
            pred_used[p] = true;
            truth_used[t] = true;
            pairs.push((p, t, iou));
        }
    }
    let (matched, predicted, n_truth) = (pairs.len(), pred.len(), truth.len());
    let (precision, recall) = if predicted == 0 && n_truth == 0 {
        (1.0, 1.0)
    } else {
        (ratio(matched, predicted), ratio(matched, n_truth))
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    BoxMatch {
        pairs,
        precision,
        recall,
        f1,
        matched,
        predicted,
        truth: n_truth,
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: f64, y: f64, w: f64, h: f64) -> BBox {
        BBox { x, y, w, h }
    }

    #[test]
    fn area_and_iou() {
        let a = b(0.0, 0.0, 2.0, 2.0);
        assert_eq!(a.area(), 4.0);
        assert_eq!(b(0.0, 0.0, -1.0, 2.0).area(), 0.0);
        // identical → 1
        assert_eq!(a.iou(&a), 1.0);
        // disjoint → 0
        assert_eq!(a.iou(&b(5.0, 5.0, 2.0, 2.0)), 0.0);
        // touching edges → 0
        assert_eq!(a.iou(&b(2.0, 0.0, 2.0, 2.0)), 0.0);
        // shifted by half the width: intersection 1×2 = 2, union 4 + 4 − 2 = 6 → 1/3
        assert_eq!(a.iou(&b(1.0, 0.0, 2.0, 2.0)), 1.0 / 3.0);
        // contained: 1×1 inside 2×2 → 1/4
        assert_eq!(a.iou(&b(0.5, 0.5, 1.0, 1.0)), 0.25);
        // both degenerate → 0, not NaN
        let z = b(1.0, 1.0, 0.0, 0.0);
        assert_eq!(z.iou(&z), 0.0);
    }

    #[test]
    fn perfect_and_empty_cases() {
        let a = [b(0.0, 0.0, 1.0, 1.0), b(2.0, 0.0, 1.0, 1.0)];
        let m = match_boxes(&a, &a, 0.5);
        assert_eq!(m.pairs, vec![(0, 0, 1.0), (1, 1, 1.0)]);
        assert_eq!((m.precision, m.recall, m.f1), (1.0, 1.0, 1.0));

        let m = match_boxes(&[], &[], 0.5);
        assert_eq!((m.precision, m.recall, m.f1), (1.0, 1.0, 1.0));
        assert_eq!((m.matched, m.predicted, m.truth), (0, 0, 0));

        let m = match_boxes(&[], &a, 0.5);
        assert_eq!((m.precision, m.recall, m.f1), (0.0, 0.0, 0.0));
        let m = match_boxes(&a, &[], 0.5);
        assert_eq!((m.precision, m.recall, m.f1), (0.0, 0.0, 0.0));
    }

    #[test]
    fn threshold_is_inclusive() {
        // IoU exactly 1/3 passes at min_iou 1/3 and fails at 0.5.
        let t = [b(0.0, 0.0, 2.0, 2.0)];
        let p = [b(1.0, 0.0, 2.0, 2.0)];
        assert_eq!(match_boxes(&p, &t, 1.0 / 3.0).matched, 1);
        assert_eq!(match_boxes(&p, &t, 0.5).matched, 0);
    }

    #[test]
    fn greedy_order_matters() {
        // truth T0 = [0,10]×[0,10], T1 = [2,12]×[0,10] (all boxes height 10).
        // P0 = [1,11]: IoU(P0,T0) = 9/11 ≈ 0.818, IoU(P0,T1) = 9/11 ≈ 0.818
        // P1 = [0,10] = T0: IoU(P1,T0) = 1, IoU(P1,T1) = 8/12 ≈ 0.667
        // Greedy takes (P1,T0,1.0) first, then the best remaining is (P0,T1,9/11).
        // Matching in prediction order instead would give P0→T0 (tie broken by index) and then
        // P1→T1 at only 0.667; greedy-by-IoU is what the contract fixes.
        let t = [b(0.0, 0.0, 10.0, 10.0), b(2.0, 0.0, 10.0, 10.0)];
        let p = [b(1.0, 0.0, 10.0, 10.0), b(0.0, 0.0, 10.0, 10.0)];
        let m = match_boxes(&p, &t, 0.5);
        assert_eq!(m.pairs, vec![(1, 0, 1.0), (0, 1, 90.0 / 110.0)]);
        assert_eq!((m.precision, m.recall), (1.0, 1.0));

        // Greedy is not an optimal assignment, and the contract wants greedy.
        // Height-10 strips: T0 = [-3,7], T1 = [0,10], P0 = [0,9], P1 = [2,12].
        // IoU(P0,T1) = 9/10 = 0.9       IoU(P0,T0) = 7/12 ≈ 0.583
        // IoU(P1,T1) = 8/12 ≈ 0.667     IoU(P1,T0) = 5/15 ≈ 0.333 (< 0.5, no candidate)
        // Greedy takes (P0,T1) first; (P1,T1) and (P0,T0) are then blocked → 1 match,
        // although P0→T0, P1→T1 would have matched both.
        let t = [b(-3.0, 0.0, 10.0, 10.0), b(0.0, 0.0, 10.0, 10.0)];
        let p = [b(0.0, 0.0, 9.0, 10.0), b(2.0, 0.0, 10.0, 10.0)];
        let m = match_boxes(&p, &t, 0.5);
        assert_eq!(m.pairs, vec![(0, 1, 90.0 / 100.0)]);
        assert_eq!((m.precision, m.recall, m.f1), (0.5, 0.5, 0.5));
    }

    #[test]
    fn ties_break_by_pred_then_truth_index() {
        // Two identical predictions on one truth: both have IoU 1; P0 wins by index.
        let t = [b(0.0, 0.0, 1.0, 1.0)];
        let p = [b(0.0, 0.0, 1.0, 1.0), b(0.0, 0.0, 1.0, 1.0)];
        let m = match_boxes(&p, &t, 0.5);
        assert_eq!(m.pairs, vec![(0, 0, 1.0)]);
    }

    #[test]
    fn duplicates_on_one_truth_count_once() {
        // Three predictions on the same truth box: 1 match; precision 1/3, recall 1/1,
        // F1 = 2 · (1/3) · 1 / (1/3 + 1) = (2/3) / (4/3) = 1/2.
        let t = [b(0.0, 0.0, 4.0, 4.0)];
        let p = [
            b(0.0, 0.0, 4.0, 4.0),
            b(0.5, 0.0, 4.0, 4.0),
            b(0.0, 0.5, 4.0, 4.0),
        ];
        let m = match_boxes(&p, &t, 0.5);
        assert_eq!((m.matched, m.predicted, m.truth), (1, 3, 1));
        assert_eq!(m.precision, 1.0 / 3.0);
        assert_eq!(m.recall, 1.0);
        assert_eq!(m.f1, 0.5);
    }

    #[test]
    fn accept_filter_requires_equal_text() {
        // Word boxes with texts; P1 overlaps T1 perfectly but reads the wrong word.
        let t = [b(0.0, 0.0, 1.0, 1.0), b(2.0, 0.0, 1.0, 1.0)];
        let p = [b(0.0, 0.0, 1.0, 1.0), b(2.0, 0.0, 1.0, 1.0)];
        let t_text = ["hello", "world"];
        let p_text = ["hello", "wrld"];
        let m = match_boxes_where(&p, &t, 0.5, |pi, ti| p_text[pi] == t_text[ti]);
        // 1 match of 2 predictions and 2 truths: P = R = F1 = 1/2.
        assert_eq!(m.pairs, vec![(0, 0, 1.0)]);
        assert_eq!((m.precision, m.recall, m.f1), (0.5, 0.5, 0.5));
    }
}
