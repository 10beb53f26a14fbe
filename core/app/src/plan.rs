//! What a run is, once a spec is checked: the resolved [`RunPlan`], the
//! [`WorkerJob`] a worker runs (`run.json`), the scoring protocol, and the
//! metrics each plugin kind can report. Everything above this layer (the
//! worker, the scheduler, scoring, the views) reads runs through these types.

use crate::datasets::DatasetSpec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use workbench_api::{Kind, TrainSettings};

/// One run, fully resolved: what the worker needs and what `spec.yaml` records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPlan {
    /// Position in the experiment.
    pub index: usize,
    /// Display name (unique within the experiment).
    pub name: String,
    /// Plugin name.
    pub plugin: String,
    /// The library it comes from.
    pub plugin_file: PathBuf,
    /// Plugin version.
    pub plugin_version: String,
    /// Plugin kind.
    pub kind: Kind,
    /// Variant.
    pub variant: String,
    /// Every parameter of the variant, defaults filled in.
    pub params: Map<String, Json>,
    /// The parameters the spec set or swept (for tables), formatted.
    pub key_params: BTreeMap<String, String>,
    /// Training settings, seed included.
    pub train: TrainSettings,
    /// The dataset.
    pub dataset: DatasetSpec,
    /// The metrics the experiment reports.
    pub metrics: Vec<String>,
    /// The scoring protocol.
    #[serde(default)]
    pub evaluation: EvaluationSettings,
    /// Index of the spec's `runs:` entry this run comes from.
    #[serde(default)]
    pub source: usize,
    /// A trained recognizer run reading this segmenter's words (resolved
    /// by `spec::resolve_trained_runs`).
    #[serde(default)]
    pub recognizer: Option<PathBuf>,
    /// A trained autoencoder run that cleans every word image of this
    /// recognizer run (resolved by `spec::resolve_trained_runs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preprocess: Option<PathBuf>,
    /// A finished run of the same plugin and variant whose saved model this
    /// run starts from (resolved by `spec::resolve_trained_runs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<PathBuf>,
    /// `evaluation: {protocol: one-class}`: the one class this run trains
    /// and validates on (the test split keeps every class; the others are
    /// the anomalies). One run per normal class, expanded by `spec::resolve`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal_class: Option<u8>,
}

/// What the parent writes into a run directory for its worker (`run.json`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct WorkerJob {
    /// The run id.
    pub run_id: String,
    /// The experiment name.
    pub experiment: String,
    /// The resolved run.
    pub plan: RunPlan,
}

fn default_holdout() -> Option<u8> {
    Some(0)
}
fn default_percentile() -> f64 {
    95.0
}
fn default_true() -> bool {
    true
}

/// How an autoencoder's anomaly detection is set up (`evaluation.protocol`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// One class (`holdout_class`) is left out of training and validation;
    /// it is the anomaly in the test split.
    #[default]
    Holdout,
    /// The protocol of Deep SVDD (Ruff et al. 2018): one run per normal
    /// class, trained and validated on that class only, tested on the whole
    /// test split with every other class as the anomaly.
    OneClass,
}

impl Protocol {
    /// The name a spec writes.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Holdout => "holdout",
            Protocol::OneClass => "one-class",
        }
    }
}

/// The digit classes the one-class protocol uses when `classes` is absent.
pub const DIGIT_CLASSES: std::ops::RangeInclusive<u8> = 0..=9;

/// `evaluation:`: the scoring protocol for autoencoders on labelled digits.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSettings {
    /// `holdout` (the default) or `one-class`.
    #[serde(default)]
    pub protocol: Protocol,
    /// `one-class` only: the normal classes to run (all ten digits when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<u8>>,
    /// Class left out of the training and validation splits, so the test
    /// split's images of it are anomalies (`null`: none held out). The
    /// one-class protocol holds nothing out (`spec::resolve` sets `null`).
    #[serde(default = "default_holdout")]
    pub holdout_class: Option<u8>,
    /// Anomaly threshold: this percentile of the validation reconstruction errors.
    #[serde(default = "default_percentile")]
    pub anomaly_percentile: f64,
    /// Fit a linear probe (softmax regression) on the codes.
    #[serde(default = "default_true")]
    pub probe: bool,
    /// With the probe, also fit it on the raw pixels and on a PCA of the
    /// training images (`probe_raw_*`, `probe_pca_*`; seconds per run on MNIST).
    #[serde(default = "default_true")]
    pub probe_baselines: bool,
}

impl Default for EvaluationSettings {
    fn default() -> Self {
        EvaluationSettings {
            protocol: Protocol::Holdout,
            classes: None,
            holdout_class: default_holdout(),
            anomaly_percentile: default_percentile(),
            probe: true,
            probe_baselines: true,
        }
    }
}

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
    "probe_raw_accuracy",
    "probe_raw_precision",
    "probe_raw_recall",
    "probe_pca_accuracy",
    "probe_pca_precision",
    "probe_pca_recall",
    "probe_pca_components",
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
    "ocr_bow_precision",
    "ocr_bow_recall",
    "ocr_bow_f1",
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
