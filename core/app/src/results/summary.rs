//! `summary.json` per run and `summary.csv` per experiment.

use super::{experiment_dir, io_err, write_atomic, ExperimentDir, ResultsError, RunDir};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Planned, not started.
    Queued,
    /// Its worker is alive.
    Running,
    /// Finished and scored.
    Done,
    /// The plugin returned an error, panicked or crashed.
    Failed,
    /// Stopped by the user.
    Cancelled,
    /// Stopped because a loss became NaN or infinite.
    Diverged,
    /// Stopped by the cluster at its time limit (Slurm `TIMEOUT`).
    Timeout,
}

impl RunStatus {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Diverged => "diverged",
            RunStatus::Timeout => "timeout",
        }
    }

    /// Whether the run has ended.
    pub fn is_final(self) -> bool {
        !matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Versions of everything that produced a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    /// The workbench.
    pub workbench: String,
    /// The plugin ABI.
    pub abi: u32,
    /// The plugin.
    pub plugin: String,
}

/// `summary.json`: final metrics, status, timings, versions, device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run id (its directory name).
    pub run_id: String,
    /// The experiment's name.
    pub experiment: String,
    /// The run's display name.
    pub name: String,
    /// Plugin name.
    pub plugin: String,
    /// Variant name.
    pub variant: String,
    /// Parameters that distinguish this run (from the spec, not defaults).
    pub key_params: BTreeMap<String, String>,
    /// The run's seed.
    pub seed: u64,
    /// Status.
    pub status: Option<RunStatus>,
    /// Why it failed, with the tail of its stderr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Final test metrics.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// Facts the plugin recorded (`device`, `parameters`, ...).
    #[serde(default)]
    pub info: BTreeMap<String, String>,
    /// RFC 3339 start time.
    #[serde(default)]
    pub started_at: Option<String>,
    /// RFC 3339 end time.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// Wall time of the whole run.
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    /// The saved model, relative to the run directory.
    #[serde(default)]
    pub checkpoint: Option<String>,
    /// Versions.
    #[serde(default)]
    pub versions: Versions,
    /// The command that made the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation: Option<Invocation>,
    /// Where the run executed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
}

/// Where a run executed: locally, or as a task of a Slurm job array.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// `local` or `slurm`.
    pub executor: String,
    /// The Slurm job (the array's job id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm_job_id: Option<String>,
    /// The array task that ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm_array_task_id: Option<usize>,
    /// The machine (Slurm node) it ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// RFC 3339 time of the submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
}

impl Placement {
    /// `slurm 12_3` or `local`.
    pub fn label(&self) -> String {
        match (&self.slurm_job_id, self.slurm_array_task_id) {
            (Some(job), Some(task)) => format!("{} {job}_{task}", self.executor),
            (Some(job), None) => format!("{} {job}", self.executor),
            _ => self.executor.clone(),
        }
    }
}

/// The `workbench` command that made a run: runs of one invocation share
/// its `id`, so a re-run is never mistaken for a seed replicate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    /// Unique per invocation: its start time (RFC 3339) and process id.
    pub id: String,
    /// The command line, arguments as given.
    pub command: Vec<String>,
    /// The working directory it ran in.
    pub cwd: String,
    /// The machine it ran on.
    #[serde(default)]
    pub host: String,
    /// The workbench's git commit at build time (`-dirty` with local
    /// changes; `unknown` when built outside a checkout).
    #[serde(default)]
    pub commit: String,
}

impl Invocation {
    /// This process's invocation (the same value every call).
    pub fn current() -> Invocation {
        static CURRENT: std::sync::OnceLock<Invocation> = std::sync::OnceLock::new();
        CURRENT
            .get_or_init(|| Invocation {
                id: format!(
                    "{}-{}",
                    humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
                    std::process::id()
                ),
                command: std::env::args().collect(),
                cwd: std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
                host: std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .or_else(|_| std::fs::read_to_string("/etc/hostname"))
                    .map(|h| h.trim().to_string())
                    .unwrap_or_else(|_| std::env::var("HOSTNAME").unwrap_or_default()),
                commit: env!("WORKBENCH_GIT").to_string(),
            })
            .clone()
    }
}

impl RunSummary {
    /// Writes `summary.json` into `run_dir`, atomically.
    pub fn write(&self, run_dir: &Path) -> Result<(), ResultsError> {
        let json = serde_json::to_vec_pretty(self).expect("summaries serialize");
        write_atomic(&RunDir::new(run_dir).summary(), &json)
    }
}

/// Reads a run's `summary.json`.
pub fn read_summary(run_dir: &Path) -> Result<RunSummary, ResultsError> {
    const MAX_SUMMARY_BYTES: u64 = 16 << 20;
    let path = RunDir::new(run_dir).summary();
    // Only a regular file of bounded size: a FIFO would block, a device
    // never end.
    let meta = std::fs::symlink_metadata(&path).map_err(io_err(&path))?;
    if !meta.is_file() || meta.len() > MAX_SUMMARY_BYTES {
        return Err(ResultsError::Invalid {
            path,
            reason: format!(
                "not a regular file of at most {} MB",
                MAX_SUMMARY_BYTES >> 20
            ),
        });
    }
    let bytes = std::fs::read(&path).map_err(io_err(&path))?;
    serde_json::from_slice(&bytes).map_err(|e| ResultsError::Invalid {
        path,
        reason: e.to_string(),
    })
}

impl RunSummary {
    /// The status to show: a run recorded as `running` whose worker
    /// process no longer exists was interrupted (its parent was killed, or
    /// the machine went down) and is shown as `interrupted`; `--resume`
    /// runs it again.
    pub fn shown_status(&self) -> &'static str {
        match self.status {
            Some(RunStatus::Running) if !self.worker_alive() => "interrupted",
            Some(s) => s.name(),
            None => "unknown",
        }
    }

    /// Whether the worker this summary names is still a live process
    /// (Linux: `/proc/<pid>`; elsewhere assumed alive).
    fn worker_alive(&self) -> bool {
        let Some(pid) = self.info.get("worker_pid") else {
            return true;
        };
        if self
            .placement
            .as_ref()
            .is_some_and(|p| p.executor == "slurm")
        {
            // Its worker's process lives on a node: `workbench watch` asks Slurm.
            return true;
        }
        if !Path::new("/proc/self").exists() {
            return true;
        }
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains("worker"))
    }
}

/// Every run with a readable `summary.json` under `root`, or under one
/// experiment, sorted by run id (start time). Unreadable summaries are skipped.
pub fn list_runs(
    root: &Path,
    experiment: Option<&str>,
) -> Result<Vec<(PathBuf, RunSummary)>, ResultsError> {
    list_runs_checked(root, experiment).map(|(runs, _)| runs)
}

/// A run directory whose summary cannot be read, and why.
pub type Unreadable = (PathBuf, String);

/// Runs with their summaries, and the run directories left out.
pub type CheckedRuns = (Vec<(PathBuf, RunSummary)>, Vec<Unreadable>);

/// [`list_runs`], plus the run directories (those with a `run.json` or a
/// `summary.json`) whose summary is missing or unreadable, so commands can
/// say which runs they leave out instead of dropping them silently.
pub fn list_runs_checked(
    root: &Path,
    experiment: Option<&str>,
) -> Result<CheckedRuns, ResultsError> {
    let experiments: Vec<PathBuf> = match experiment {
        Some(name) => {
            let dir = experiment_dir(root, name);
            if !dir.is_dir() {
                let existing = subdirs(root)
                    .iter()
                    .filter_map(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .collect::<Vec<_>>();
                return Err(ResultsError::NoExperiment {
                    name: name.to_string(),
                    root: root.to_path_buf(),
                    existing: if existing.is_empty() {
                        "none".into()
                    } else {
                        existing.join(", ")
                    },
                });
            }
            vec![dir]
        }
        None => subdirs(root),
    };
    let mut runs = Vec::new();
    let mut unreadable = Vec::new();
    for exp in experiments {
        for run_dir in subdirs(&exp) {
            match read_summary(&run_dir) {
                Ok(summary) => runs.push((run_dir, summary)),
                Err(e) => {
                    let dir = super::RunDir::new(&run_dir);
                    if dir.is_run() || dir.summary().exists() {
                        unreadable.push((run_dir, e.to_string()));
                    }
                }
            }
        }
    }
    runs.sort_by(|a, b| a.1.run_id.cmp(&b.1.run_id));
    unreadable.sort();
    Ok((runs, unreadable))
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// Rewrites `<experiment dir>/summary.csv` with `runs` and every other run
/// recorded in the directory (earlier or concurrent invocations' runs,
/// as their `summary.json` says), sorted by run id: a re-run never drops
/// the rows of the runs before it.
pub fn update_experiment_summary(exp_dir: &Path, runs: &[RunSummary]) -> Result<(), ResultsError> {
    let mine: std::collections::HashSet<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    let mut all: Vec<RunSummary> = subdirs(exp_dir)
        .iter()
        .filter_map(|d| read_summary(d).ok())
        .filter(|s| !mine.contains(s.run_id.as_str()))
        .collect();
    all.extend(runs.iter().cloned());
    all.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    write_experiment_summary(exp_dir, &all)
}

/// Rewrites `<experiment dir>/summary.csv`: one row per run, one column per
/// metric (the union over runs, sorted), atomically.
pub fn write_experiment_summary(exp_dir: &Path, runs: &[RunSummary]) -> Result<(), ResultsError> {
    let mut metric_names: Vec<&String> = runs.iter().flat_map(|r| r.metrics.keys()).collect();
    metric_names.sort();
    metric_names.dedup();
    let mut param_names: Vec<&String> = runs.iter().flat_map(|r| r.key_params.keys()).collect();
    param_names.sort();
    param_names.dedup();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["run_id", "name", "plugin", "variant", "seed", "status"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(param_names.iter().map(|p| format!("param.{p}")));
    header.extend(metric_names.iter().map(|m| m.to_string()));
    header.push("duration_seconds".into());
    header.push("checkpoint".into());
    let csv_err = |e: csv::Error| ResultsError::Invalid {
        path: ExperimentDir::at(exp_dir).summary_csv(),
        reason: e.to_string(),
    };
    w.write_record(&header).map_err(csv_err)?;
    for r in runs {
        let mut row = vec![
            r.run_id.clone(),
            r.name.clone(),
            r.plugin.clone(),
            r.variant.clone(),
            r.seed.to_string(),
            r.status.map(|s| s.name()).unwrap_or("unknown").to_string(),
        ];
        row.extend(
            param_names
                .iter()
                .map(|p| r.key_params.get(*p).cloned().unwrap_or_default()),
        );
        row.extend(
            metric_names
                .iter()
                .map(|m| r.metrics.get(*m).map(|v| v.to_string()).unwrap_or_default()),
        );
        row.push(
            r.duration_seconds
                .map(|d| format!("{d:.3}"))
                .unwrap_or_default(),
        );
        row.push(r.checkpoint.clone().unwrap_or_default());
        w.write_record(&row).map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| ResultsError::Invalid {
        path: ExperimentDir::at(exp_dir).summary_csv(),
        reason: e.to_string(),
    })?;
    write_atomic(&ExperimentDir::at(exp_dir).summary_csv(), &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, mse: f64) -> RunSummary {
        RunSummary {
            run_id: id.into(),
            experiment: "exp".into(),
            name: id.into(),
            plugin: "pca".into(),
            variant: "pca".into(),
            key_params: [("components".to_string(), "2".to_string())].into(),
            status: Some(RunStatus::Done),
            metrics: [("mse".to_string(), mse)].into(),
            ..Default::default()
        }
    }

    #[test]
    fn summaries_round_trip_and_list_sorted() {
        let root = tempfile::tempdir().unwrap();
        let exp = experiment_dir(root.path(), "exp");
        for id in ["b-run", "a-run"] {
            let dir = exp.join(id);
            std::fs::create_dir_all(&dir).unwrap();
            summary(id, 0.5).write(&dir).unwrap();
        }
        let runs = list_runs(root.path(), Some("exp")).unwrap();
        assert_eq!(
            runs.iter().map(|r| r.1.run_id.as_str()).collect::<Vec<_>>(),
            ["a-run", "b-run"]
        );
        assert_eq!(runs[0].1, summary("a-run", 0.5));
        let err = list_runs(root.path(), Some("nope"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no experiment `nope`") && err.contains("exp"),
            "{err}"
        );
    }

    #[test]
    fn runs_with_unreadable_summaries_are_named_not_dropped() {
        let root = tempfile::tempdir().unwrap();
        let exp = experiment_dir(root.path(), "exp");
        let good = exp.join("a-run");
        std::fs::create_dir_all(&good).unwrap();
        summary("a-run", 0.5).write(&good).unwrap();
        let corrupt = exp.join("b-run");
        std::fs::create_dir_all(&corrupt).unwrap();
        std::fs::write(corrupt.join("summary.json"), b"{ not json").unwrap();
        // A FIFO as summary.json is named, not read (reading would block).
        let fifo = exp.join("d-run");
        std::fs::create_dir_all(&fifo).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(fifo.join("summary.json"))
            .status()
            .is_ok_and(|s| s.success());
        let started = exp.join("c-run");
        std::fs::create_dir_all(&started).unwrap();
        std::fs::write(started.join("run.json"), b"{}").unwrap();
        // Not a run at all: no run.json, no summary.json.
        std::fs::create_dir_all(exp.join("notes")).unwrap();
        let (runs, unreadable) = list_runs_checked(root.path(), Some("exp")).unwrap();
        assert_eq!(runs.len(), 1);
        let dirs: Vec<&PathBuf> = unreadable.iter().map(|u| &u.0).collect();
        if made {
            assert_eq!(dirs, [&corrupt, &started, &fifo]);
        } else {
            assert_eq!(dirs, [&corrupt, &started]);
        }
        assert!(unreadable.iter().all(|u| !u.1.is_empty()));
    }

    #[test]
    fn a_running_run_without_its_worker_is_shown_as_interrupted() {
        let mut s = summary("r", 0.5);
        s.status = Some(RunStatus::Running);
        // No pid recorded yet: it may be starting.
        assert_eq!(s.shown_status(), "running");
        if Path::new("/proc/self").exists() {
            // A pid no process has (pid_max is at most 2^22).
            s.info.insert("worker_pid".into(), "99999999".into());
            assert_eq!(s.shown_status(), "interrupted");
        }
        s.status = Some(RunStatus::Done);
        assert_eq!(s.shown_status(), "done");
    }

    #[test]
    fn experiment_summary_has_one_column_per_metric() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = summary("b", 0.25);
        b.metrics.insert("psnr".into(), 6.0);
        write_experiment_summary(dir.path(), &[summary("a", 0.5), b]).unwrap();
        let text = std::fs::read_to_string(ExperimentDir::at(dir.path()).summary_csv()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "run_id,name,plugin,variant,seed,status,param.components,mse,psnr,duration_seconds,checkpoint"
        );
        assert_eq!(lines[1], "a,a,pca,pca,0,done,2,0.5,,,");
        assert_eq!(lines[2], "b,b,pca,pca,0,done,2,0.25,6,,");
    }

    #[test]
    fn a_rerun_keeps_the_rows_of_the_runs_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let earlier = summary("a", 0.5);
        let run_dir = dir.path().join("a");
        std::fs::create_dir(&run_dir).unwrap();
        earlier.write(&run_dir).unwrap();
        // This invocation's own run `a` (now failed) replaces the recorded
        // one; the other recorded run `c` stays.
        let other = dir.path().join("c");
        std::fs::create_dir(&other).unwrap();
        summary("c", 0.1).write(&other).unwrap();
        let mut mine = summary("a", 0.5);
        mine.status = Some(RunStatus::Failed);
        update_experiment_summary(dir.path(), &[summary("b", 0.25), mine]).unwrap();
        let text = std::fs::read_to_string(ExperimentDir::at(dir.path()).summary_csv()).unwrap();
        let ids: Vec<(&str, &str)> = text
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0], f[5])
            })
            .collect();
        assert_eq!(ids, vec![("a", "failed"), ("b", "done"), ("c", "done")]);
    }
}
