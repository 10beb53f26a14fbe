//! The linear probe: how much class information an autoencoder's codes
//! carry, measured by a softmax regression trained on half of the test
//! codes and scored on the other half.
//!
//! Features are standardised with the training half's mean and deviation;
//! the regression is full-batch gradient descent with Adam and a small L2
//! penalty, deterministic (zero initialisation, no sampling).

use crate::metrics::{classification, Classification, MetricError};

/// Optimisation steps.
const STEPS: usize = 300;
/// Adam step size.
const LR: f64 = 0.05;
/// L2 penalty on the weights.
const L2: f64 = 1e-4;

/// A fitted softmax regression.
pub struct Probe {
    mean: Vec<f64>,
    scale: Vec<f64>,
    /// `classes × (dim + 1)`, bias last.
    weights: Vec<f64>,
    classes: usize,
    dim: usize,
}

impl Probe {
    /// Fits on `codes` (each of the same length) with labels in `0..classes`.
    pub fn fit(codes: &[Vec<f32>], labels: &[usize], classes: usize) -> Probe {
        let dim = codes.first().map(|c| c.len()).unwrap_or(0);
        let n = codes.len().max(1) as f64;
        let mut mean = vec![0.0; dim];
        for c in codes {
            for (m, v) in mean.iter_mut().zip(c) {
                *m += *v as f64 / n;
            }
        }
        let mut scale = vec![0.0; dim];
        for c in codes {
            for ((s, v), m) in scale.iter_mut().zip(c).zip(&mean) {
                *s += (*v as f64 - m).powi(2) / n;
            }
        }
        for s in scale.iter_mut() {
            *s = if *s > 1e-12 { 1.0 / s.sqrt() } else { 0.0 };
        }
        let mut probe = Probe {
            mean,
            scale,
            weights: vec![0.0; classes * (dim + 1)],
            classes,
            dim,
        };
        let xs: Vec<Vec<f64>> = codes.iter().map(|c| probe.features(c)).collect();
        let (mut m, mut v) = (
            vec![0.0; probe.weights.len()],
            vec![0.0; probe.weights.len()],
        );
        let (b1, b2) = (0.9f64, 0.999f64);
        let mut grad = vec![0.0; probe.weights.len()];
        let mut p = vec![0.0; classes];
        for t in 1..=STEPS {
            grad.iter_mut().for_each(|g| *g = 0.0);
            for (x, &y) in xs.iter().zip(labels) {
                probe.softmax(x, &mut p);
                for k in 0..classes {
                    let err = (p[k] - if k == y { 1.0 } else { 0.0 }) / n;
                    let row = &mut grad[k * (dim + 1)..(k + 1) * (dim + 1)];
                    for (g, xi) in row.iter_mut().zip(x) {
                        *g += err * xi;
                    }
                    row[dim] += err;
                }
            }
            for k in 0..classes {
                for j in 0..dim {
                    grad[k * (dim + 1) + j] += L2 * probe.weights[k * (dim + 1) + j];
                }
            }
            for i in 0..grad.len() {
                m[i] = b1 * m[i] + (1.0 - b1) * grad[i];
                v[i] = b2 * v[i] + (1.0 - b2) * grad[i] * grad[i];
                let mh = m[i] / (1.0 - b1.powi(t as i32));
                let vh = v[i] / (1.0 - b2.powi(t as i32));
                probe.weights[i] -= LR * mh / (vh.sqrt() + 1e-8);
            }
        }
        probe
    }

    fn features(&self, code: &[f32]) -> Vec<f64> {
        code.iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .map(|((v, m), s)| (*v as f64 - m) * s)
            .collect()
    }

    fn softmax(&self, x: &[f64], out: &mut [f64]) {
        for (k, o) in out.iter_mut().enumerate() {
            let row = &self.weights[k * (self.dim + 1)..(k + 1) * (self.dim + 1)];
            *o = row[..self.dim]
                .iter()
                .zip(x)
                .map(|(w, xi)| w * xi)
                .sum::<f64>()
                + row[self.dim];
        }
        let max = out.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for o in out.iter_mut() {
            *o = (*o - max).exp();
            sum += *o;
        }
        out.iter_mut().for_each(|o| *o /= sum);
    }

    /// The most likely class of a code.
    pub fn predict(&self, code: &[f32]) -> usize {
        let x = self.features(code);
        let mut p = vec![0.0; self.classes];
        self.softmax(&x, &mut p);
        p.iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, _)| k)
            .unwrap_or(0)
    }
}

/// Trains on the even-indexed codes, scores on the odd-indexed ones.
pub fn probe(codes: &[Vec<f32>], labels: &[u8]) -> Result<Classification, MetricError> {
    if codes.len() != labels.len() {
        return Err(MetricError::LengthMismatch {
            what: "codes and labels",
            left: codes.len(),
            right: labels.len(),
        });
    }
    let classes = labels.iter().map(|l| *l as usize + 1).max().unwrap_or(0);
    let (mut train_x, mut train_y, mut test_x, mut test_y) = (vec![], vec![], vec![], vec![]);
    for (i, (c, l)) in codes.iter().zip(labels).enumerate() {
        if i % 2 == 0 {
            train_x.push(c.clone());
            train_y.push(*l as usize);
        } else {
            test_x.push(c.as_slice());
            test_y.push(*l as usize);
        }
    }
    if test_x.is_empty() {
        return Err(MetricError::Empty {
            what: "probe test codes",
        });
    }
    let fitted = Probe::fit(&train_x, &train_y, classes);
    let preds: Vec<usize> = test_x.iter().map(|c| fitted.predict(c)).collect();
    classification(&preds, &test_y, classes)
}

/// The most training images the PCA baseline is fitted on (the first
/// ones): its covariance costs `n · d²`.
pub const PCA_BASELINE_IMAGES: usize = 5000;

/// The PCA baseline's codes: `test` projected on the first `k` principal
/// directions of (at most [`PCA_BASELINE_IMAGES`] of) `train`, the images
/// the autoencoder was trained on; `k` is cut to what the data allow
/// (`min(k, pixels, training images)`). `None` when there is nothing to
/// fit (no training image, `k` = 0, images of another size).
pub fn pca_codes(
    train: &crate::data::ImageSet,
    test: &crate::data::ImageSet,
    k: usize,
) -> Option<Vec<Vec<f32>>> {
    use faer::linalg::matmul::triangular::{self, BlockStructure};
    use faer::{get_global_parallelism, Accum, Mat, Side};
    let d = train.image_len();
    let n = train.len().min(PCA_BASELINE_IMAGES);
    let k = k.min(d).min(n);
    if k == 0 || test.image_len() != d {
        return None;
    }
    let mut mean = vec![0.0f64; d];
    for i in 0..n {
        for (m, &x) in mean.iter_mut().zip(train.image(i)) {
            *m += x as f64 / n as f64;
        }
    }
    // Centred data, column i = image i (d × n).
    let mut y = Mat::<f64>::zeros(d, n);
    for i in 0..n {
        for ((dst, &x), &m) in y
            .col_as_slice_mut(i)
            .iter_mut()
            .zip(train.image(i))
            .zip(&mean)
        {
            *dst = x as f64 - m;
        }
    }
    let par = get_global_parallelism();
    let axes: Vec<Vec<f64>> = if n >= d {
        // Lower triangle of the covariance Y Yᵀ / n (d × d); its top-k
        // eigenvectors, which come last (eigenvalues non-decreasing).
        let mut cov = Mat::<f64>::zeros(d, d);
        triangular::matmul(
            cov.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            y.as_ref(),
            BlockStructure::Rectangular,
            y.transpose(),
            BlockStructure::Rectangular,
            1.0 / n as f64,
            par,
        );
        let evd = cov.self_adjoint_eigen(Side::Lower).ok()?;
        let u = evd.U();
        (0..k)
            .map(|j| u.col(d - 1 - j).iter().copied().collect())
            .collect()
    } else {
        // Fewer images than pixels: the Gram matrix Yᵀ Y / n (n × n) has the
        // same nonzero eigenvalues λ; for its eigenvector v, Y v / √(n λ) is
        // the unit principal direction.
        let mut gram = Mat::<f64>::zeros(n, n);
        triangular::matmul(
            gram.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            y.transpose(),
            BlockStructure::Rectangular,
            y.as_ref(),
            BlockStructure::Rectangular,
            1.0 / n as f64,
            par,
        );
        let evd = gram.self_adjoint_eigen(Side::Lower).ok()?;
        let (u, s) = (evd.U(), evd.S().column_vector());
        (0..k)
            .map(|j| n - 1 - j)
            .take_while(|&c| s[c] > 1e-12)
            .map(|c| {
                let v = u.col(c);
                let scale = 1.0 / (n as f64 * s[c]).sqrt();
                (0..d)
                    .map(|p| (0..n).map(|i| y[(p, i)] * v[i]).sum::<f64>() * scale)
                    .collect()
            })
            .collect()
    };
    if axes.is_empty() {
        return None;
    }
    Some(
        (0..test.len())
            .map(|i| {
                let x = test.image(i);
                axes.iter()
                    .map(|a| {
                        a.iter()
                            .zip(x)
                            .zip(&mean)
                            .map(|((a, &x), m)| a * (x as f64 - m))
                            .sum::<f64>() as f32
                    })
                    .collect()
            })
            .collect(),
    )
}

/// The test images' raw pixels as probe features.
pub fn pixel_codes(test: &crate::data::ImageSet) -> Vec<Vec<f32>> {
    (0..test.len()).map(|i| test.image(i).to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_codes_are_classified_perfectly() {
        // Three classes, each a tight cluster on one axis.
        let mut codes = Vec::new();
        let mut labels = Vec::new();
        for i in 0..60 {
            let class = (i % 3) as u8;
            let jitter = (i as f32 * 0.37).sin() * 0.05;
            let mut c = vec![jitter; 3];
            c[class as usize] += 1.0;
            codes.push(c);
            labels.push(class);
        }
        let result = probe(&codes, &labels).unwrap();
        assert_eq!(result.accuracy, 1.0);
        assert_eq!(result.macro_recall, 1.0);
    }

    #[test]
    fn codes_without_information_score_near_chance() {
        // Identical codes, two balanced classes in both halves (labels
        // 0, 0, 1, 1, ...): nothing to learn, so accuracy is one half.
        let codes: Vec<Vec<f32>> = (0..200).map(|_| vec![0.5, 0.5]).collect();
        let labels: Vec<u8> = (0..200).map(|i| ((i / 2) % 2) as u8).collect();
        let result = probe(&codes, &labels).unwrap();
        assert!((result.accuracy - 0.5).abs() < 1e-9, "{}", result.accuracy);
        assert!(result.macro_recall <= 0.5 + 1e-9, "{}", result.macro_recall);
    }

    #[test]
    fn pca_codes_follow_the_main_direction_of_the_training_images() {
        // 2×2 images varying along pixel 0 (strongly) and pixel 3 (weakly).
        let mut train = crate::data::ImageSet::new(2, 2, 1);
        for i in 0..40 {
            let t = i as f32 / 40.0;
            train.push(&[t, 0.5, 0.5, 0.5 + 0.01 * ((i % 2) as f32)], 0);
        }
        let mut test = crate::data::ImageSet::new(2, 2, 1);
        test.push(&[0.0, 0.5, 0.5, 0.5], 0);
        test.push(&[1.0, 0.5, 0.5, 0.5], 1);
        let codes = pca_codes(&train, &test, 1).unwrap();
        assert_eq!(codes.len(), 2);
        assert_eq!(codes[0].len(), 1);
        // One unit along pixel 0 is one unit along the first component.
        assert!(
            ((codes[1][0] - codes[0][0]).abs() - 1.0).abs() < 1e-3,
            "{codes:?}"
        );
        // More components than pixels: cut to the pixels.
        assert_eq!(pca_codes(&train, &test, 99).unwrap()[0].len(), 4);
        let empty = crate::data::ImageSet::new(2, 2, 1);
        assert!(pca_codes(&empty, &test, 1).is_none());
    }

    #[test]
    fn fewer_images_than_pixels_give_the_same_components_through_the_gram_matrix() {
        // 5 images of 8 pixels (Gram path) and the same 5 twice (10 ≥ 8:
        // covariance path; duplicates leave the covariance unchanged).
        let image = |i: usize| -> Vec<f32> {
            (0..8)
                .map(|p| ((i * 7 + p * 3) % 11) as f32 / 11.0 + (p == i) as u8 as f32)
                .collect()
        };
        let (mut few, mut twice) = (
            crate::data::ImageSet::new(2, 4, 1),
            crate::data::ImageSet::new(2, 4, 1),
        );
        for i in 0..5 {
            few.push(&image(i), 0);
            twice.push(&image(i), 0);
            twice.push(&image(i), 0);
        }
        let mut test = crate::data::ImageSet::new(2, 4, 1);
        test.push(&image(7), 0);
        test.push(&image(2), 0);
        let a = pca_codes(&few, &test, 3).unwrap();
        let b = pca_codes(&twice, &test, 3).unwrap();
        for j in 0..3 {
            // Equal up to the sign of each component.
            let same = (0..2).all(|i| (a[i][j] - b[i][j]).abs() < 1e-4);
            let flipped = (0..2).all(|i| (a[i][j] + b[i][j]).abs() < 1e-4);
            assert!(same || flipped, "component {j}: {a:?} vs {b:?}");
        }
        // At most n - 1 = 4 directions carry variance: a fifth is not invented.
        assert!(pca_codes(&few, &test, 8).unwrap()[0].len() <= 5);
    }

    #[test]
    fn the_baselines_probe_digits_well_above_chance() {
        // Rendered digits: raw pixels and 16 principal components both
        // carry the class, so both probes beat the 10 % of chance by far.
        let cfg = crate::data::synthetic_digits::DigitsConfig::default();
        let (train, test) = crate::data::synthetic_digits::generate_splits(&cfg, 300, 200, 5);
        for codes in [
            pixel_codes(&test),
            pca_codes(&train, &test, 16).expect("fitted"),
        ] {
            let c = probe(&codes, &test.labels).unwrap();
            assert!(c.accuracy.is_finite() && c.accuracy > 0.5, "{}", c.accuracy);
            assert!(c.macro_recall.is_finite() && c.macro_precision.is_finite());
        }
    }
}
