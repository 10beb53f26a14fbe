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
}
