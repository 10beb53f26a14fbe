//! Scoring a trained plugin on the test split. Plugins predict, the
//! workbench scores: every variant is judged by this one implementation.

use crate::datasets::{Split, Splits};
use crate::host::{HostError, Instance, BATCH};
use crate::metrics;
use crate::plan::RunPlan;
use std::collections::BTreeMap;
use std::path::Path;

mod autoencoder;
pub mod pipeline;
pub mod probe;
mod recognizer;
pub mod segmenter;
use workbench_api::Kind;

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
    Ocr(#[from] crate::ocr::OcrError),
    /// This kind cannot be scored on this dataset.
    #[error("{0}")]
    Unsupported(String),
    /// A figure could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
}

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
            let empty = crate::data::ImageSet::new(0, 0, 1);
            let train = match &splits.train {
                Split::Images(train) => train,
                _ => &empty,
            };
            autoencoder::evaluate(plan, instance, (train, val, test), run_dir)
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
