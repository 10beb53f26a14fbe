//! Image reconstruction metrics: MSE, RMSE, BCE and PSNR for `[0, 1]` images.

use super::MetricError;

/// MSE floor used by [`psnr_from_mse`], so identical images give 10·log10(1e10) = 100 dB.
pub const PSNR_MSE_FLOOR: f64 = 1e-10;

/// Predictions are clamped to `[BCE_EPS, 1 − BCE_EPS]` before taking logarithms.
const BCE_EPS: f64 = 1e-7;

/// Reconstruction quality over a test set of equally sized images with pixels in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReconstructionMetrics {
    /// Mean squared error over all pixels of all images (equals the mean of per-image MSEs).
    pub mse: f64,
    /// Mean over images of the per-image RMSE, √(per-image MSE); ≤ √`mse` by Jensen.
    pub rmse: f64,
    /// Mean binary cross-entropy over all pixels of all images (natural log, nats per pixel).
    pub bce: f64,
    /// Mean over images of the per-image PSNR in dB (see [`psnr_from_mse`]).
    pub psnr: f64,
}

/// Peak signal-to-noise ratio in dB for a peak value of 1: `10 · log10(1 / max(mse, 1e-10))`.
///
/// The floor makes identical images give 100 dB instead of infinity; NaN stays NaN.
pub fn psnr_from_mse(mse: f64) -> f64 {
    if mse.is_nan() {
        return f64::NAN;
    }
    10.0 * (1.0 / mse.max(PSNR_MSE_FLOOR)).log10()
}

/// Checks the shapes and returns the number of images.
fn image_count(
    originals: &[f32],
    reconstructions: &[f32],
    image_len: usize,
) -> Result<usize, MetricError> {
    if originals.len() != reconstructions.len() {
        return Err(MetricError::LengthMismatch {
            what: "originals vs reconstructions",
            left: originals.len(),
            right: reconstructions.len(),
        });
    }
    if image_len == 0 {
        return Err(MetricError::OutOfRange {
            what: "image_len",
            value: 0.0,
            expected: "at least 1",
        });
    }
    if !originals.len().is_multiple_of(image_len) {
        return Err(MetricError::OutOfRange {
            what: "pixel count",
            value: originals.len() as f64,
            expected: "a multiple of image_len",
        });
    }
    Ok(originals.len() / image_len)
}

/// The MSE of each image (`image_len` consecutive pixels), e.g. as anomaly scores.
///
/// Zero images give an empty vector. Errors: `LengthMismatch` if the two slices differ in
/// length; `OutOfRange` if `image_len` is 0 or does not divide the pixel count.
pub fn per_image_mse(
    originals: &[f32],
    reconstructions: &[f32],
    image_len: usize,
) -> Result<Vec<f64>, MetricError> {
    image_count(originals, reconstructions, image_len)?;
    Ok(originals
        .chunks_exact(image_len)
        .zip(reconstructions.chunks_exact(image_len))
        .map(|(o, r)| {
            let sum: f64 = o
                .iter()
                .zip(r)
                .map(|(&a, &b)| {
                    let d = f64::from(a) - f64::from(b);
                    d * d
                })
                .sum();
            sum / image_len as f64
        })
        .collect())
}

/// MSE, RMSE, BCE and PSNR of `reconstructions` against `originals`.
///
/// Both slices hold n images of `image_len` pixels each, concatenated; pixel values are
/// meant to lie in `[0, 1]` (they are not checked). All sums are taken in `f64`. Definitions:
/// * `mse`  = Σ over all pixels (xᵢ − yᵢ)² / (n · image_len);
/// * `rmse` = (1/n) Σ over images √MSEₖ (mean of per-image RMSE);
/// * `bce`  = (1/(n · image_len)) Σ −[xᵢ ln yᵢ + (1 − xᵢ) ln(1 − yᵢ)], with the
///   reconstruction yᵢ clamped to `[1e-7, 1 − 1e-7]` and the original xᵢ as the target;
/// * `psnr` = (1/n) Σ over images [`psnr_from_mse`]\(MSEₖ) (identical images → 100 dB).
///
/// Errors: as [`per_image_mse`], plus `Empty` when there are no images.
pub fn reconstruction(
    originals: &[f32],
    reconstructions: &[f32],
    image_len: usize,
) -> Result<ReconstructionMetrics, MetricError> {
    let per_image = per_image_mse(originals, reconstructions, image_len)?;
    if per_image.is_empty() {
        return Err(MetricError::Empty { what: "images" });
    }
    let n = per_image.len() as f64;
    let mse = per_image.iter().sum::<f64>() / n;
    let rmse = per_image.iter().map(|m| m.sqrt()).sum::<f64>() / n;
    let psnr = per_image.iter().map(|&m| psnr_from_mse(m)).sum::<f64>() / n;
    let bce_sum: f64 = originals
        .iter()
        .zip(reconstructions)
        .map(|(&x, &y)| {
            let x = f64::from(x);
            let y = f64::from(y).clamp(BCE_EPS, 1.0 - BCE_EPS);
            -(x * y.ln() + (1.0 - x) * (1.0 - y).ln())
        })
        .sum();
    Ok(ReconstructionMetrics {
        mse,
        rmse,
        bce: bce_sum / originals.len() as f64,
        psnr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn psnr_values() {
        // 10 · log10(1 / 0.01) = 10 · 2 = 20 dB
        assert!(close(psnr_from_mse(0.01), 20.0, 1e-12));
        // 10 · log10(1 / 1) = 0 dB
        assert_eq!(psnr_from_mse(1.0), 0.0);
        // floor: 10 · log10(1 / 1e-10) = 100 dB
        assert!(close(psnr_from_mse(0.0), 100.0, 1e-12));
        assert!(psnr_from_mse(f64::NAN).is_nan());
    }

    #[test]
    fn two_images_by_hand() {
        // image 0: originals [0, 1], reconstructions [0.1, 0.9]
        //   MSE₀ = (0.1² + 0.1²) / 2 = 0.01, RMSE₀ = 0.1, PSNR₀ = 20 dB
        // image 1: originals [0.5, 0.5], reconstructions [0.5, 0.5]
        //   MSE₁ = 0, RMSE₁ = 0, PSNR₁ = 100 dB (floor)
        // mse  = (0.01 + 0.01 + 0 + 0) / 4 = 0.005
        // rmse = (0.1 + 0) / 2 = 0.05   (√0.005 ≈ 0.0707 would be the pooled RMSE)
        // psnr = (20 + 100) / 2 = 60
        // bce  = [−ln 0.9 − ln 0.9 + ln 2 + ln 2] / 4 = (ln 2 − ln 0.9) / 2 ≈ 0.399253
        let o = [0.0, 1.0, 0.5, 0.5];
        let r = [0.1, 0.9, 0.5, 0.5];
        let m = reconstruction(&o, &r, 2).unwrap();
        assert!(close(m.mse, 0.005, 1e-8));
        assert!(close(m.rmse, 0.05, 1e-8));
        assert!(close(m.psnr, 60.0, 1e-5));
        assert!(close(m.bce, (2f64.ln() - 0.9f64.ln()) / 2.0, 1e-7));
        let per = per_image_mse(&o, &r, 2).unwrap();
        assert_eq!(per.len(), 2);
        assert!(close(per[0], 0.01, 1e-8));
        assert_eq!(per[1], 0.0);
    }

    #[test]
    fn bce_clamps_predictions() {
        // target 1, prediction 0 → clamped to 1e-7 → −ln(1e-7) = 7 · ln 10 ≈ 16.118
        let m = reconstruction(&[1.0], &[0.0], 1).unwrap();
        assert!(close(m.bce, 7.0 * 10f64.ln(), 1e-6));
        assert!(m.bce.is_finite());
        // perfect binary reconstruction → −ln(1 − 1e-7) ≈ 1e-7, not 0 and not NaN
        let m = reconstruction(&[0.0, 1.0], &[0.0, 1.0], 2).unwrap();
        assert!(close(m.bce, 1e-7, 1e-12));
        assert_eq!(m.mse, 0.0);
        assert!(close(m.psnr, 100.0, 1e-12));
    }

    #[test]
    fn shape_errors() {
        assert_eq!(
            reconstruction(&[0.0, 1.0], &[0.0], 1),
            Err(MetricError::LengthMismatch {
                what: "originals vs reconstructions",
                left: 2,
                right: 1
            })
        );
        assert!(matches!(
            reconstruction(&[0.0], &[0.0], 0),
            Err(MetricError::OutOfRange {
                what: "image_len",
                ..
            })
        ));
        assert!(matches!(
            reconstruction(&[0.0; 3], &[0.0; 3], 2),
            Err(MetricError::OutOfRange {
                what: "pixel count",
                ..
            })
        ));
        assert_eq!(
            reconstruction(&[], &[], 4),
            Err(MetricError::Empty { what: "images" })
        );
        assert_eq!(per_image_mse(&[], &[], 4), Ok(vec![]));
    }
}
