//! Runs that name finished runs: `recognizer:` (a segmenter run scored
//! through a trained recognizer run), `preprocess:` (a recognizer run
//! reading words cleaned by a trained autoencoder run) and `init_from:` (a
//! recognizer run starting from a trained model of its plugin and
//! variant), found under the results directory and checked before anything
//! runs.

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
    for plan in &mut exp.runs {
        let Some(reference) = spec
            .raw
            .runs
            .get(plan.source)
            .and_then(|r| r.init_from.as_ref())
        else {
            continue;
        };
        let at = [key("runs"), Seg::Index(plan.source), key("init_from")];
        match init_run(spec, plan, reference, results_root) {
            Ok(dir) => plan.init_from = Some(dir),
            Err((message, hint)) => diags.push(spec.diag(&at, message, hint)),
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(SpecError::Invalid(diags))
    }
}

/// The run `init_from: reference` names for `plan`: a finished recognizer
/// run of the same plugin and variant, with a saved model. Errors are
/// (message, hint).
fn init_run(
    spec: &Spec,
    plan: &crate::plan::RunPlan,
    reference: &str,
    results_root: &std::path::Path,
) -> Result<PathBuf, (String, Option<String>)> {
    if plan.kind != Kind::Recognizer {
        return Err((
            format!(
                "only recognizer runs can start from a trained model, not {} runs",
                plan.kind
            ),
            None,
        ));
    }
    let dir = find_run(spec, reference, results_root, "recognizer")?;
    let run = crate::results::RunDir::new(&dir);
    let job = std::fs::read(run.job())
        .map_err(|e| e.to_string())
        .and_then(|b| {
            serde_json::from_slice::<crate::plan::WorkerJob>(&b).map_err(|e| e.to_string())
        })
        .map_err(|e| {
            (
                format!(
                    "`{reference}`: {} is not a readable run ({e})",
                    dir.display()
                ),
                None,
            )
        })?;
    let theirs = &job.plan;
    if theirs.plugin != plan.plugin || theirs.variant != plan.variant {
        return Err((
            format!(
                "`{reference}` is a {}/{} run; this run is {}/{}",
                theirs.plugin, theirs.variant, plan.plugin, plan.variant
            ),
            Some("a model can only be fine-tuned by the plugin and variant that trained it".into()),
        ));
    }
    if !run.model().is_dir() {
        return Err((
            format!(
                "`{reference}` has no saved model ({} is missing)",
                run.model().display()
            ),
            None,
        ));
    }
    Ok(dir)
}
