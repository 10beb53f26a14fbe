//! Finished runs used again: a trained model opened from its run directory
//! (`recognizer:` and `preprocess:` references, `workbench recognize`,
//! `reconstruct` and `ocr`), found by directory or by `EXPERIMENT/NAME`;
//! and the bundled reader, a finished recognizer run shipped in the
//! repository (`models/reader/`) that `recognize` and `ocr` use when no
//! run is named.

use crate::host::{find_plugin, Instance, SearchDir};
use crate::plan::WorkerJob;
use crate::results::RunDir;
use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};
use workbench_api::Config;

/// Environment variable naming the bundled reader's directory (for a
/// binary installed away from its source tree).
pub const READER_ENV: &str = "WORKBENCH_READER";

/// The bundled reader's directory: `$WORKBENCH_READER`, else
/// `models/reader` of the source tree this binary was built from.
pub fn bundled_reader() -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os(READER_ENV).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/reader"),
        PathBuf::from,
    );
    if !RunDir::new(&dir).is_run() {
        bail!(
            "no bundled reader found (looked in {}); set {READER_ENV} to the models/reader directory of a workbench checkout, or name a trained recognizer run",
            dir.display()
        );
    }
    Ok(dir)
}

/// Finds the trained run `reference` names: a directory (relative to
/// `base_dir`) holding `run.json`, or `EXPERIMENT/NAME`, the newest `done`
/// run of that name under `results_root`. `what` names the kind wanted in
/// messages. Errors are (message, hint).
pub fn find_trained(
    base_dir: &Path,
    reference: &str,
    results_root: &Path,
    what: &str,
) -> Result<PathBuf, (String, Option<String>)> {
    use crate::results::{list_runs, RunStatus};
    let as_path = base_dir.join(reference);
    if RunDir::new(&as_path).is_run() {
        return Ok(as_path);
    }
    if let Some((experiment, name)) = reference.rsplit_once('/') {
        let named: Vec<_> = list_runs(results_root, Some(experiment))
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, s)| s.name == name)
            .collect();
        if let Some((dir, _)) = named
            .iter()
            .rev()
            .find(|(_, s)| s.status == Some(RunStatus::Done))
        {
            return Ok(dir.clone());
        }
        if let Some((dir, latest)) = named.last() {
            let status = latest
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "unknown".into());
            return Err((
                format!(
                    "{what} run `{reference}` has not finished (its latest run, {}, is {status})",
                    dir.display()
                ),
                Some(format!(
                    "run experiment `{experiment}` to the end first, or name a done run directory"
                )),
            ));
        }
    }
    Err((
        format!("no finished {what} run `{reference}`"),
        Some(format!(
            "name a run directory, or EXPERIMENT/NAME of a done run under {} (run the {what} experiment first)",
            results_root.display()
        )),
    ))
}

/// Opens a finished run of `kind` with its saved model (`artifacts/model`):
/// its job and a live plugin instance.
///
/// A run directory never names code to load: the plugin is found by the
/// name, version and kind its job records among the libraries in `dirs`
/// (the configured plugin directories) only; the library file the job
/// records is at most a hint inside them (see [`find_plugin`]).
pub fn open_trained(
    run_dir: &Path,
    kind: workbench_api::Kind,
    dirs: &[SearchDir],
) -> anyhow::Result<(WorkerJob, Instance)> {
    let job_path = RunDir::new(run_dir).job();
    let bytes = std::fs::read(&job_path).with_context(|| {
        format!(
            "{} is not a run directory (cannot read {})",
            run_dir.display(),
            job_path.display()
        )
    })?;
    let job: WorkerJob = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a valid job", job_path.display()))?;
    if job.plan.kind != kind {
        bail!(
            "run {} is a {} run, not a {kind} run",
            job.run_id,
            job.plan.kind
        );
    }
    let model_dir = RunDir::new(run_dir).model();
    if !model_dir.is_dir() {
        bail!(
            "run {} has no saved model ({} is missing; did the run finish?)",
            job.run_id,
            model_dir.display()
        );
    }
    let lib = find_plugin(
        dirs,
        &job.plan.plugin,
        &job.plan.plugin_version,
        kind,
        Some(&job.plan.plugin_file),
    )
    .with_context(|| format!("cannot load the plugin of run {}", job.run_id))?;
    let config = Config {
        params: job.plan.params.clone(),
        train: job.plan.train.clone(),
    };
    let instance = Instance::create(&lib, &job.plan.variant, &config, Some(&model_dir))?;
    Ok((job, instance))
}
