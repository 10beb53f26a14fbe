//! Finished runs used again: a trained model opened from its run directory
//! (`recognizer:` and `preprocess:` references, `workbench recognize`,
//! `reconstruct` and `ocr`).

use crate::host::{find_plugin, Instance, SearchDir};
use crate::plan::WorkerJob;
use crate::results::RunDir;
use anyhow::{bail, Context as _};
use std::path::Path;
use workbench_api::Config;

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
