//! Scoring a trained plugin on the test split. Plugins predict, the
//! workbench scores: every variant is judged by this one implementation.

use crate::data::ImageSet;
use crate::datasets::{Split, Splits};
use crate::host::{HostError, Instance};
use crate::metrics;
use crate::spec::RunPlan;
use std::collections::BTreeMap;
use std::path::Path;

mod autoencoder;
pub mod pipeline;
pub mod probe;
mod recognizer;
pub mod segmenter;
use workbench_api::{Image, Kind};

/// Test metrics an autoencoder run produces.
const AUTOENCODER_METRICS: &[&str] = &[
    "mse",
    "rmse",
    "bce",
    "psnr",
    "noisy_psnr",
    "psnr_gain",
    "anomaly_precision",
    "anomaly_recall",
    "anomaly_accuracy",
    "anomaly_auroc",
    "probe_accuracy",
    "probe_precision",
    "probe_recall",
    "code_size",
    "train_seconds",
    "eval_seconds",
    "samples_per_sec",
];
const RECOGNIZER_METRICS: &[&str] = &[
    "cer",
    "wer",
    "word_accuracy",
    "train_seconds",
    "eval_seconds",
    "words_per_sec",
    "preprocess_seconds",
];
const SEGMENTER_METRICS: &[&str] = &[
    "word_precision",
    "word_recall",
    "word_f1",
    "image_precision",
    "image_recall",
    "image_f1",
    "pixel_accuracy",
    "pixel_text_precision",
    "pixel_text_recall",
    "pixel_image_precision",
    "pixel_image_recall",
    "pages_per_sec",
    "seconds_per_page",
    "ocr_cer",
    "ocr_word_precision",
    "ocr_word_recall",
    "ocr_word_f1",
    "train_seconds",
    "eval_seconds",
    "samples_per_sec",
];

/// Metric names a spec may ask for, per plugin kind (besides `train_*` and
/// `val_*`, the last reported training and validation signals).
pub fn known_metrics(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Autoencoder => AUTOENCODER_METRICS,
        Kind::Recognizer => RECOGNIZER_METRICS,
        Kind::Segmenter => SEGMENTER_METRICS,
    }
}

/// What tables show when a spec lists no metrics.
pub fn default_metrics(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Autoencoder => &["mse", "rmse", "psnr", "bce", "train_seconds"],
        Kind::Recognizer => &["cer", "wer", "word_accuracy"],
        Kind::Segmenter => &["word_f1", "image_f1", "pages_per_sec"],
    }
}

/// Why scoring failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The plugin failed while predicting.
    #[error(transparent)]
    Plugin(#[from] HostError),
    /// The predictions could not be scored.
    #[error("scoring failed: {0}")]
    Metric(#[from] metrics::MetricError),
    /// An artifact could not be written.
    #[error(transparent)]
    Artifact(#[from] crate::results::ResultsError),
    /// The page pipeline failed.
    #[error(transparent)]
    Ocr(#[from] crate::pipeline::OcrError),
    /// This kind cannot be scored on this dataset.
    #[error("{0}")]
    Unsupported(String),
}

/// Borrowed images of a set.
pub fn images(set: &ImageSet) -> Vec<Image<'_>> {
    (0..set.len())
        .map(|i| Image {
            height: set.height,
            width: set.width,
            channels: set.channels,
            data: set.image(i),
        })
        .collect()
}

/// Predictions are requested in batches of this many images.
pub(crate) const BATCH: usize = 512;

/// Scores `instance` on the test split, writing artifacts under
/// `run_dir/artifacts`. Returns the test metrics.
pub fn evaluate(
    plan: &RunPlan,
    instance: &mut Instance,
    splits: &Splits,
    run_dir: &Path,
) -> Result<BTreeMap<String, f64>, EvalError> {
    match (plan.kind, &splits.val, &splits.test) {
        (Kind::Autoencoder, Split::Images(val), Split::Images(test)) => {
            autoencoder::evaluate(plan, instance, val, test, run_dir)
        }
        (Kind::Recognizer, _, Split::Words(test)) => recognizer::evaluate(instance, test, run_dir),
        (Kind::Segmenter, _, Split::Pages(test)) => segmenter::evaluate(instance, test, run_dir),
        (kind, _, test) => Err(EvalError::Unsupported(format!(
            "no scoring of {kind} plugins on {} datasets",
            match test {
                Split::Images(_) => "image-set",
                Split::Words(_) => "word",
                Split::Pages(_) => "page",
            }
        ))),
    }
}
