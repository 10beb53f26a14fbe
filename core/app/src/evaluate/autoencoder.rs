//! Scoring autoencoders on the test split: reconstruction error (against
//! clean targets, from corrupted inputs for denoising runs), anomaly
//! detection on the held-out class, a linear probe on the codes, and the
//! artifacts: reconstruction grid, code scatter, loss curve.

use super::{probe, EvalError, BATCH};
use crate::artifacts;
use crate::data::corrupt::Noise;
use crate::data::ImageSet;
use crate::host::Instance;
use crate::metrics;
use crate::plan::RunPlan;
use crate::results::{write_atomic, MetricsLog};
use std::collections::BTreeMap;
use std::path::Path;
use workbench_api::{Image, OwnedImage};

/// The corruption a run's parameters ask for (`noise` and `noise_level`),
/// if any: such runs are scored on corrupted inputs against clean targets.
pub fn noise_of(plan: &RunPlan) -> Option<Noise> {
    let kind = plan.params.get("noise")?.as_str()?;
    let level = plan.params.get("noise_level")?.as_f64()? as f32;
    Noise::new(kind, level).ok()
}

fn reconstruct_all(
    instance: &mut Instance,
    inputs: &[Image<'_>],
) -> Result<Vec<OwnedImage>, EvalError> {
    let mut out = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(BATCH) {
        out.extend(instance.reconstruct(chunk)?);
    }
    Ok(out)
}

fn encode_all(instance: &mut Instance, inputs: &[Image<'_>]) -> Result<Vec<Vec<f32>>, EvalError> {
    let mut out = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(BATCH) {
        out.extend(instance.encode(chunk)?);
    }
    Ok(out)
}

fn flatten(images: &[OwnedImage]) -> Vec<f32> {
    images.iter().flat_map(|i| i.data.iter().copied()).collect()
}

pub(super) fn evaluate(
    plan: &RunPlan,
    instance: &mut Instance,
    (train, val, test): (&ImageSet, &ImageSet, &ImageSet),
    run_dir: &Path,
) -> Result<BTreeMap<String, f64>, EvalError> {
    let artifacts_dir = crate::results::RunDir::new(run_dir).artifacts();
    let mut out = BTreeMap::new();
    let clean = test.images();

    // Inputs: corrupted for denoising runs, the same noise every time for a seed.
    let noise = noise_of(plan);
    let mut noisy_set = test.clone();
    if let Some(noise) = noise {
        noise.apply(&mut noisy_set.pixels, plan.train.seed ^ 0x7e57);
    }
    let inputs = if noise.is_some() {
        noisy_set.images()
    } else {
        clean.clone()
    };
    let recon = reconstruct_all(instance, &inputs)?;
    let recon_pixels = flatten(&recon);
    let rec = metrics::reconstruction(&test.pixels, &recon_pixels, test.image_len())?;
    out.insert("mse".to_string(), rec.mse);
    out.insert("rmse".to_string(), rec.rmse);
    out.insert("bce".to_string(), rec.bce);
    out.insert("psnr".to_string(), rec.psnr);
    if noise.is_some() {
        let before = metrics::reconstruction(&test.pixels, &noisy_set.pixels, test.image_len())?;
        out.insert("noisy_psnr".to_string(), before.psnr);
        out.insert("psnr_gain".to_string(), rec.psnr - before.psnr);
    }

    let codes = encode_all(instance, &clean)?;
    out.insert(
        "code_size".to_string(),
        codes.first().map(|c| c.len()).unwrap_or(0) as f64,
    );

    // Anomaly detection, with reconstruction error as the score: under the
    // holdout protocol the held-out class is the anomaly, under the
    // one-class protocol every class but the normal one. The threshold is a
    // percentile of the validation (normal) errors.
    let flagged = anomalies(
        plan.normal_class,
        plan.evaluation.holdout_class,
        &test.labels,
    );
    if let (Some(is_anomaly), true) = (flagged, test.has_labels()) {
        if is_anomaly.iter().any(|a| *a) {
            let test_scores =
                metrics::per_image_mse(&test.pixels, &recon_pixels, test.image_len())?;
            if !val.is_empty() {
                let val_recon = flatten(&reconstruct_all(instance, &val.images())?);
                let val_scores = metrics::per_image_mse(&val.pixels, &val_recon, val.image_len())?;
                let a = metrics::anomaly_detection(
                    &val_scores,
                    &test_scores,
                    &is_anomaly,
                    plan.evaluation.anomaly_percentile,
                )?;
                out.insert("anomaly_precision".to_string(), a.precision);
                out.insert("anomaly_recall".to_string(), a.recall);
                out.insert("anomaly_accuracy".to_string(), a.accuracy);
            }
            if let Some(auroc) = metrics::auroc(&test_scores, &is_anomaly) {
                out.insert("anomaly_auroc".to_string(), auroc);
            }
        }
    }

    // Linear probe on the codes.
    if plan.evaluation.probe && test.has_labels() && test.len() >= 4 {
        let c = probe::probe(&codes, &test.labels)?;
        out.insert("probe_accuracy".to_string(), c.accuracy);
        out.insert("probe_precision".to_string(), c.macro_precision);
        out.insert("probe_recall".to_string(), c.macro_recall);
        write_atomic(
            &artifacts_dir.join("probe_confusion.csv"),
            c.confusion_csv().as_bytes(),
        )?;
    }
    // Baselines under the same probe: the raw pixels, and a PCA of the
    // training images with as many components as the code has values.
    if plan.evaluation.probe
        && plan.evaluation.probe_baselines
        && test.has_labels()
        && test.len() >= 4
    {
        let raw = probe::probe(&probe::pixel_codes(test), &test.labels)?;
        out.insert("probe_raw_accuracy".to_string(), raw.accuracy);
        out.insert("probe_raw_precision".to_string(), raw.macro_precision);
        out.insert("probe_raw_recall".to_string(), raw.macro_recall);
        let code_size = codes.first().map_or(0, |c| c.len());
        if let Some(pca) = probe::pca_codes(train, test, code_size) {
            let components = pca.first().map_or(0, |c| c.len());
            let p = probe::probe(&pca, &test.labels)?;
            out.insert("probe_pca_accuracy".to_string(), p.accuracy);
            out.insert("probe_pca_precision".to_string(), p.macro_precision);
            out.insert("probe_pca_recall".to_string(), p.macro_recall);
            out.insert("probe_pca_components".to_string(), components as f64);
        }
    }

    // Originals over reconstructions (noisy / denoised / clean for denoising).
    let n = test.len().min(16);
    let recon_row: Vec<Image> = recon[..n].iter().map(|r| r.as_image()).collect();
    let (rows, labels) = if noise.is_some() {
        (
            vec![inputs[..n].to_vec(), recon_row, clean[..n].to_vec()],
            vec!["noisy input", "denoised", "clean"],
        )
    } else {
        (
            vec![clean[..n].to_vec(), recon_row],
            vec!["original", "reconstruction"],
        )
    };
    let picture = crate::plot::labelled_grid(
        &artifacts::grid(&rows),
        2,
        "Test images and their reconstructions",
        &labels,
    );
    artifacts::save_png(
        &artifacts_dir.join("reconstructions.png"),
        &image::DynamicImage::ImageRgb8(picture),
    )?;

    if test.has_labels() && !codes.is_empty() {
        let points = project_2d(&codes);
        crate::plot::scatter(
            "Test codes on their first two principal directions",
            ("first principal direction", "second principal direction"),
            &points,
            &test.labels,
            "digit",
            &artifacts_dir.join("codes_2d.png"),
        )?;
    }
    loss_curve(run_dir)?;
    Ok(out)
}

/// Which test images are anomalies, when the run's protocol says: the
/// held-out class (holdout protocol) or every class but the normal one
/// (one-class protocol; `spec::resolve` never sets both).
fn anomalies(normal: Option<u8>, held_out: Option<u8>, labels: &[u8]) -> Option<Vec<bool>> {
    let anomalous = |label: u8| match (normal, held_out) {
        (Some(normal), _) => label != normal,
        (None, Some(held_out)) => label == held_out,
        (None, None) => false,
    };
    (normal.is_some() || held_out.is_some()).then(|| labels.iter().map(|l| anomalous(*l)).collect())
}

/// Codes projected on their first two principal directions (power
/// iteration with deflation on the code covariance).
pub fn project_2d(codes: &[Vec<f32>]) -> Vec<(f64, f64)> {
    let d = codes.first().map(|c| c.len()).unwrap_or(0);
    let n = codes.len().max(1) as f64;
    if d == 0 {
        return vec![(0.0, 0.0); codes.len()];
    }
    let mut mean = vec![0.0f64; d];
    for c in codes {
        for (m, v) in mean.iter_mut().zip(c) {
            *m += *v as f64 / n;
        }
    }
    let centred: Vec<Vec<f64>> = codes
        .iter()
        .map(|c| c.iter().zip(&mean).map(|(v, m)| *v as f64 - m).collect())
        .collect();
    let cov_times = |v: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; d];
        for x in &centred {
            let dot: f64 = x.iter().zip(v).map(|(a, b)| a * b).sum();
            for (o, xi) in out.iter_mut().zip(x) {
                *o += dot * xi;
            }
        }
        out
    };
    let mut axes: Vec<Vec<f64>> = Vec::new();
    for k in 0..d.min(2) {
        let mut v: Vec<f64> = (0..d)
            .map(|i| 1.0 + ((i + 7 * k) as f64 * 0.618).fract())
            .collect();
        for _ in 0..100 {
            let mut w = cov_times(&v);
            for a in &axes {
                let dot: f64 = w.iter().zip(a).map(|(x, y)| x * y).sum();
                w.iter_mut().zip(a).for_each(|(x, y)| *x -= dot * y);
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm < 1e-12 {
                break;
            }
            v = w.into_iter().map(|x| x / norm).collect();
        }
        axes.push(v);
    }
    centred
        .iter()
        .map(|x| {
            let p = |k: usize| {
                axes.get(k)
                    .map(|a| x.iter().zip(a).map(|(u, v)| u * v).sum())
                    .unwrap_or(0.0)
            };
            (p(0), p(1))
        })
        .collect()
}

/// `artifacts/loss_curve.csv` and `.png` from the run's `metrics.csv`:
/// training loss per step (blue) and validation loss (orange).
fn loss_curve(run_dir: &Path) -> Result<(), EvalError> {
    let path = crate::results::RunDir::new(run_dir).metrics();
    let rows = match MetricsLog::read(&path) {
        Ok(rows) => rows,
        Err(_) => return Ok(()),
    };
    let losses: Vec<_> = rows
        .iter()
        .filter(|r| r.name == "loss" && r.split != "test")
        .collect();
    if losses.is_empty() {
        return Ok(());
    }
    let mut csv = String::from("step,epoch,split,value\n");
    for r in &losses {
        csv.push_str(&format!("{},{},{},{}\n", r.step, r.epoch, r.split, r.value));
    }
    let dir = crate::results::RunDir::new(run_dir).artifacts();
    write_atomic(&dir.join("loss_curve.csv"), csv.as_bytes())?;
    let series = |split: &str| -> Vec<(f64, f64)> {
        losses
            .iter()
            .filter(|r| r.split == split)
            .map(|r| (r.step as f64, r.value))
            .collect()
    };
    let series: Vec<crate::plot::Series> = [("train", "training loss"), ("val", "validation loss")]
        .into_iter()
        .map(|(split, label)| crate::plot::Series {
            label: label.to_string(),
            points: series(split),
            band: None,
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let figure = crate::plot::Figure {
        title: "Loss per step".into(),
        x_label: "step".into(),
        y_label: "loss".into(),
        log_y: false,
        series,
    };
    crate::plot::draw(&figure, &dir.join("loss_curve.png"), 720, 450)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_class_marks_every_other_class_as_anomalous() {
        let labels = [3, 1, 3, 7, 0];
        assert_eq!(
            anomalies(Some(3), None, &labels),
            Some(vec![false, true, false, true, true])
        );
        // The holdout protocol: only the held-out class.
        assert_eq!(
            anomalies(None, Some(3), &labels),
            Some(vec![true, false, true, false, false])
        );
        assert_eq!(anomalies(None, None, &labels), None);
    }

    #[test]
    fn one_class_auroc_on_a_known_ranking() {
        // Normal class 1: the model reconstructs its own class best.
        // Errors: class 1 → 0.1, 0.2; class 0 → 0.15, 0.9; class 2 → 0.5.
        // Of the 2 × 3 (anomaly, normal) pairs, the anomaly scores higher
        // in 5 (0.15 < 0.2 is the one miss): AUROC = 5/6.
        let labels = [1, 0, 1, 0, 2];
        let scores = [0.1, 0.15, 0.2, 0.9, 0.5];
        let flagged = anomalies(Some(1), None, &labels).unwrap();
        let auroc = metrics::auroc(&scores, &flagged).unwrap();
        assert!((auroc - 5.0 / 6.0).abs() < 1e-12, "{auroc}");
        // With class 0 normal instead: pairs (anomaly ∈ {0.1, 0.2, 0.5},
        // normal ∈ {0.15, 0.9}) the anomaly wins in 0.2>0.15 and 0.5>0.15: 2/6.
        let flagged = anomalies(Some(0), None, &labels).unwrap();
        let auroc = metrics::auroc(&scores, &flagged).unwrap();
        assert!((auroc - 2.0 / 6.0).abs() < 1e-12, "{auroc}");
    }

    #[test]
    fn projection_keeps_the_main_spread_on_the_first_axis() {
        // Points along (1, 1, 0) with a little spread along (0, 0, 1).
        let codes: Vec<Vec<f32>> = (0..50)
            .map(|i| {
                let t = i as f32 - 25.0;
                vec![t, t, (i % 3) as f32 * 0.1]
            })
            .collect();
        let p = project_2d(&codes);
        let var = |k: usize| {
            p.iter()
                .map(|q| if k == 0 { q.0 * q.0 } else { q.1 * q.1 })
                .sum::<f64>()
        };
        assert!(var(0) > 100.0 * var(1), "{} {}", var(0), var(1));
    }
}
