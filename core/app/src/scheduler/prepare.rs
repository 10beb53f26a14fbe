//! Preparing an experiment's runs: a directory per run with its resolved
//! `spec.yaml`, its job (`run.json`) and a queued `summary.json`, and with
//! `--resume` the earlier runs that are kept or continued.

use super::Prepared;
use crate::plan::{RunPlan, WorkerJob};
use crate::results::{
    experiment_dir, new_run_id, Invocation, ResultsError, RunDir, RunStatus, RunSummary, Versions,
};
use crate::spec::resolve::Experiment;
use crate::state::{ExperimentState, RunRow};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The resolved spec of one run, as its `spec.yaml` records it.
#[derive(Serialize)]
struct ResolvedRunSpec<'a> {
    experiment: &'a str,
    description: &'a str,
    run_id: &'a str,
    #[serde(flatten)]
    plan: &'a RunPlan,
}

/// One prepared run: the job its worker runs (plan and ids, as `run.json`
/// holds them), where it lives, and its summary so far.
pub struct PreparedRun {
    /// The job.
    pub job: WorkerJob,
    /// Its directory.
    pub dir: RunDir,
    /// Its summary as the parent keeps it.
    pub summary: RunSummary,
    /// Already done in an earlier invocation (`--resume`): not run again.
    pub skip: bool,
}

/// Earlier runs of an experiment with a readable job, oldest first.
fn earlier_runs(exp_dir: &Path) -> Vec<(PathBuf, WorkerJob)> {
    let mut out: Vec<(PathBuf, WorkerJob)> = std::fs::read_dir(exp_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let dir = e.path();
            let job: WorkerJob =
                serde_json::from_slice(&std::fs::read(RunDir::new(&dir).job()).ok()?).ok()?;
            Some((dir, job))
        })
        .collect();
    out.sort_by(|a, b| a.1.run_id.cmp(&b.1.run_id));
    out
}

/// Whether two plans describe the same run (ignoring where the plugin file
/// is and the `resume` switch).
fn same_run(a: &RunPlan, b: &RunPlan) -> bool {
    let params = |p: &RunPlan| {
        let mut m = p.params.clone();
        m.remove("resume");
        m
    };
    a.name == b.name
        && a.plugin == b.plugin
        && a.variant == b.variant
        && params(a) == params(b)
        && a.train == b.train
        && a.dataset == b.dataset
        && a.evaluation == b.evaluation
        && a.normal_class == b.normal_class
}

pub(super) fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Creates `results/<experiment>/<run-id>/` for every run with its resolved
/// `spec.yaml`, `run.json` (the worker's job) and a queued `summary.json`.
///
/// With `resume`, a run whose plan matches an earlier run of the experiment
/// reuses that run's directory: a finished (`done`) run is kept as it is and
/// not run again; any other is run again in place, appending to its
/// `metrics.csv`, and a variant that declares a `resume` parameter gets it set
/// so it continues from its last per-epoch checkpoint.
pub fn prepare(
    exp: &Experiment,
    results_root: &Path,
    resume: bool,
) -> Result<Prepared, ResultsError> {
    let exp_dir = experiment_dir(results_root, &exp.name);
    let earlier = if resume {
        earlier_runs(&exp_dir)
    } else {
        Vec::new()
    };
    let started = SystemTime::now();
    let mut runs = Vec::new();
    let mut state = ExperimentState {
        name: exp.name.clone(),
        metrics: exp.metrics.clone(),
        runs: Vec::new(),
    };
    for plan in &exp.runs {
        let previous = earlier
            .iter()
            .rev()
            .find(|(_, job)| same_run(&job.plan, plan));
        if let Some((dir, job)) = previous {
            if let Ok(summary) = crate::results::read_summary(dir) {
                if summary.status == Some(RunStatus::Done) {
                    let mut row = RunRow::queued(
                        &job.run_id,
                        dir.clone(),
                        &plan.name,
                        &plan.plugin,
                        &plan.variant,
                        plan.key_params.clone(),
                    );
                    row.status = RunStatus::Done;
                    row.latest = summary.metrics.clone();
                    state.runs.push(row);
                    runs.push(PreparedRun {
                        job: WorkerJob {
                            run_id: job.run_id.clone(),
                            experiment: exp.name.clone(),
                            plan: plan.clone(),
                        },
                        dir: RunDir::new(dir),
                        summary,
                        skip: true,
                    });
                    continue;
                }
            }
        }
        let mut plan = plan.clone();
        let resuming = previous.is_some() && plan.params.contains_key("resume");
        if resuming {
            plan.params
                .insert("resume".into(), serde_json::Value::Bool(true));
        }
        let plan = &plan;
        let run_id = previous
            .map(|(_, job)| job.run_id.clone())
            .unwrap_or_else(|| new_run_id(started, plan.index, &plan.name));
        let reuse = previous.is_some();
        let run = prepare_run(&exp.name, &exp.description, &exp_dir, plan, run_id, reuse)?;
        state.runs.push(run.row());
        runs.push(run);
    }
    Ok(Prepared {
        exp_dir,
        runs,
        parallel: exp.parallel,
        state,
        description: exp.description.clone(),
        plugin_dirs: exp.plugin_dirs.clone(),
        executor: exp.executor.clone(),
        attached: None,
    })
}

/// A run id for a re-run: a suffix when the original started in the same second.
pub(super) fn fresh_run_id(exp_dir: &Path, plan: &RunPlan) -> String {
    let base = new_run_id(SystemTime::now(), plan.index, &plan.name);
    let mut run_id = base.clone();
    let mut n = 1;
    while exp_dir.join(&run_id).exists() {
        n += 1;
        run_id = format!("{base}-{n}");
    }
    run_id
}

/// Creates the directory of run `run_id` in `exp_dir`, exclusively: when
/// another run (of this or a concurrent invocation) already has that id,
/// the id gets the next free suffix (`-2`, `-3`, ...), so two invocations
/// never share a run directory. Only `reuse` (`--resume` continuing that
/// very run) takes an existing directory. Returns the directory and the id.
fn create_run_dir(
    exp_dir: &Path,
    run_id: String,
    reuse: bool,
) -> Result<(PathBuf, String), ResultsError> {
    use crate::results::io_err;
    std::fs::create_dir_all(exp_dir).map_err(io_err(exp_dir))?;
    if reuse {
        let dir = exp_dir.join(&run_id);
        if !std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
            std::fs::create_dir(&dir).map_err(io_err(&dir))?;
        }
        return Ok((dir, run_id));
    }
    let mut id = run_id.clone();
    for n in 2.. {
        let dir = exp_dir.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((dir, id)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100_000 => {
                id = format!("{run_id}-{n}");
            }
            Err(e) => return Err(io_err(&dir)(e)),
        }
    }
    unreachable!("the loop returns")
}

/// Creates one run's directory (see [`create_run_dir`]) with `spec.yaml`,
/// `run.json` and a queued `summary.json`.
pub(super) fn prepare_run(
    experiment: &str,
    description: &str,
    exp_dir: &Path,
    plan: &RunPlan,
    run_id: String,
    reuse: bool,
) -> Result<PreparedRun, ResultsError> {
    let (dir, run_id) = create_run_dir(exp_dir, run_id, reuse)?;
    let resolved = ResolvedRunSpec {
        experiment,
        description,
        run_id: &run_id,
        plan,
    };
    let yaml = serde_yaml::to_string(&resolved).expect("resolved specs serialize");
    crate::results::write_atomic(&RunDir::new(&dir).spec(), yaml.as_bytes())?;
    let job = WorkerJob {
        run_id: run_id.clone(),
        experiment: experiment.to_string(),
        plan: plan.clone(),
    };
    crate::results::write_atomic(
        &RunDir::new(&dir).job(),
        &serde_json::to_vec_pretty(&job).expect("jobs serialize"),
    )?;
    let summary = RunSummary {
        run_id: run_id.clone(),
        experiment: experiment.to_string(),
        name: plan.name.clone(),
        plugin: plan.plugin.clone(),
        variant: plan.variant.clone(),
        key_params: plan.key_params.clone(),
        seed: plan.train.seed,
        status: Some(RunStatus::Queued),
        versions: Versions {
            workbench: env!("CARGO_PKG_VERSION").to_string(),
            abi: workbench_api::ABI_VERSION,
            plugin: plan.plugin_version.clone(),
        },
        invocation: Some(Invocation::current()),
        ..Default::default()
    };
    summary.write(&dir)?;
    Ok(PreparedRun {
        job,
        dir: RunDir::new(dir),
        summary,
        skip: false,
    })
}

impl PreparedRun {
    /// The run as the views first see it (queued).
    pub fn row(&self) -> RunRow {
        let plan = &self.job.plan;
        RunRow::queued(
            &self.job.run_id,
            self.dir.path().to_path_buf(),
            &plan.name,
            &plan.plugin,
            &plan.variant,
            plan.key_params.clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_directories_are_created_exclusively() {
        let exp = tempfile::tempdir().unwrap();
        let (a, id_a) = create_run_dir(exp.path(), "20260101T000000-000-x".into(), false).unwrap();
        let (b, id_b) = create_run_dir(exp.path(), "20260101T000000-000-x".into(), false).unwrap();
        assert_ne!(a, b);
        assert_eq!(id_b, format!("{id_a}-2"));
        // Only a resumed run takes its existing directory again.
        let (c, id_c) = create_run_dir(exp.path(), id_a.clone(), true).unwrap();
        assert_eq!((c, id_c), (a, id_a));
        // A link planted at the id is not a run directory to write into.
        std::os::unix::fs::symlink(exp.path(), exp.path().join("link")).unwrap();
        assert!(create_run_dir(exp.path(), "link".into(), true).is_err());
        let (d, _) = create_run_dir(exp.path(), "link".into(), false).unwrap();
        assert_eq!(d, exp.path().join("link-2"));
    }
}
