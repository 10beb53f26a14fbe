//! Runs that name finished runs: `recognizer:` (a segmenter run scored
//! through a trained recognizer run) and `preprocess:` (a recognizer run
//! reading words cleaned by a trained autoencoder run), found under the
//! results directory and checked before anything runs.

use super::resolve::{key, Experiment};
use super::{Seg, Spec, SpecError};
use std::path::PathBuf;
use workbench_api::Kind;

/// [`crate::trained::find_trained`] relative to the spec file.
fn find_run(
    spec: &Spec,
    reference: &str,
    results_root: &std::path::Path,
    what: &str,
) -> Result<PathBuf, (String, Option<String>)> {
    crate::trained::find_trained(&spec.base_dir, reference, results_root, what)
}

/// Resolves the trained runs that runs name: `recognizer:` (segmenter runs;
/// a finished recognizer run scoring the page pipeline) and `preprocess:`
/// (recognizer runs; a finished autoencoder run trained on word tiles of
/// the run's word height). See [`find_run`] for how a reference is found.
pub fn resolve_trained_runs(
    spec: &Spec,
    exp: &mut Experiment,
    results_root: &std::path::Path,
) -> Result<(), SpecError> {
    let mut diags = Vec::new();
    for plan in &mut exp.runs {
        let Some(raw) = spec.raw.runs.get(plan.source) else {
            continue;
        };
        if let Some(reference) = &raw.recognizer {
            let at = [key("runs"), Seg::Index(plan.source), key("recognizer")];
            if plan.kind != Kind::Segmenter {
                diags.push(spec.diag(&at, "only segmenter runs can name a recognizer", None));
            } else {
                match find_run(spec, reference, results_root, "recognizer") {
                    Ok(dir) => plan.recognizer = Some(dir),
                    Err((message, hint)) => diags.push(spec.diag(&at, message, hint)),
                }
            }
        }
        if let Some(reference) = &raw.preprocess {
            let at = [key("runs"), Seg::Index(plan.source), key("preprocess")];
            if plan.kind != Kind::Recognizer {
                diags.push(spec.diag(
                    &at,
                    format!("only recognizer runs can name a preprocess run, not {} runs", plan.kind),
                    Some("preprocess cleans the word images a recognizer trains and is scored on".into()),
                ));
                continue;
            }
            let dir = match find_run(spec, reference, results_root, "autoencoder") {
                Ok(dir) => dir,
                Err((message, hint)) => {
                    diags.push(spec.diag(&at, message, hint));
                    continue;
                }
            };
            let job = std::fs::read(crate::results::RunDir::new(&dir).job())
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    serde_json::from_slice::<crate::plan::WorkerJob>(&b).map_err(|e| e.to_string())
                });
            let checked = job
                .map_err(|e| format!("{} is not a readable run ({e})", dir.display()))
                .and_then(|job| crate::preprocess::check_job(&job, plan.dataset.word_height()));
            match checked {
                Ok(_) => plan.preprocess = Some(dir),
                Err(message) => diags.push(spec.diag(
                    &at,
                    format!("`{reference}`: {message}"),
                    Some("train it on a word dataset with `tile_width` and this dataset's `height` (see experiments/denoise-word-ae.yaml)".into()),
                )),
            }
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(SpecError::Invalid(diags))
    }
}
