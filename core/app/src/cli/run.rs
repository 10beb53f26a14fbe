//! `workbench run`: run an experiment and print its table.

use super::{failure, load, usage, ExecutorArg, Exit, EXIT_CANCELLED, EXIT_FAILURE};
use crate::headless::Headless;
use crate::report::{build_table, record, render, Format, RunRecord};
use crate::results::RunStatus;
use crate::scheduler::{prepare, Cancel};
use crate::spec::executor::Executor;
use crate::spec::resolve::Experiment;
use anyhow::Context as _;
use std::io::IsTerminal;
use std::path::Path;

/// `workbench run`'s switches.
pub(crate) struct RunOptions {
    /// `--resume`.
    pub resume: bool,
    /// `--headless`.
    pub headless: bool,
    /// `--executor` (over the spec's `executor:`).
    pub executor: Option<ExecutorArg>,
    /// `--detach`.
    pub detach: bool,
}

pub(crate) fn cmd_run(
    spec_path: &Path,
    set: &[String],
    options: RunOptions,
    results_root: &Path,
) -> Result<i32, Exit> {
    let (_spec, _discovery, mut exp) = load(spec_path, set, results_root)?;
    match options.executor {
        Some(ExecutorArg::Local) => exp.executor = Executor::Local,
        Some(ExecutorArg::Slurm) if !matches!(exp.executor, Executor::Slurm(_)) => {
            exp.executor = Executor::Slurm(Box::default())
        }
        _ => {}
    }
    let slurm = matches!(exp.executor, Executor::Slurm(_));
    if options.detach && !slurm {
        return Err(usage(anyhow::anyhow!(
            "--detach needs the slurm executor (--executor slurm, or `executor: {{kind: slurm}}` in the spec)"
        )));
    }
    if slurm && options.resume {
        let exp_dir = crate::results::experiment_dir(results_root, &exp.name);
        let earlier: Vec<_> = slurm_runs(&exp_dir).into_iter().map(|(_, s)| s).collect();
        let alive = crate::scheduler::slurm::still_queued(&earlier);
        if !alive.is_empty() {
            return Err(failure(anyhow::anyhow!(
                "Slurm still runs or holds {} of this experiment's array tasks ({}): `workbench watch {}` follows them; cancel them with scancel before --resume submits again",
                alive.len(),
                alive.join(", "),
                exp.name
            )));
        }
    }
    let mut prepared = prepare(&exp, results_root, options.resume).map_err(failure)?;
    let exp_dir = prepared.exp_dir.clone();
    let exe = std::env::current_exe()
        .context("cannot find the workbench binary")
        .map_err(failure)?;
    if options.detach {
        let (job, tracked) = prepared.submit(&exe).map_err(failure)?;
        if tracked.is_empty() {
            println!(
                "nothing to submit: every run is done (results: {})",
                exp_dir.display()
            );
        } else {
            println!(
                "submitted job {job}: {} run(s) of {} as array tasks\nwatch: workbench watch {} --results {}\ncancel: scancel {job}",
                tracked.len(),
                exp.name,
                shell_word(&exp.name),
                shell_word(&results_root.to_string_lossy())
            );
        }
        return Ok(0);
    }
    follow(
        &exp,
        prepared,
        &exe,
        results_root,
        options.headless,
        &exp_dir,
    )
}

/// A word as a shell would need it on a command line.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '+'))
    {
        s.to_string()
    } else {
        crate::scheduler::slurm::script::shell_quote(s)
    }
}

/// Runs (or follows) `prepared` in the terminal UI or headless; prints the
/// table; the exit code.
fn follow(
    exp: &Experiment,
    prepared: crate::scheduler::Prepared,
    exe: &Path,
    results_root: &Path,
    headless: bool,
    exp_dir: &Path,
) -> Result<i32, Exit> {
    if !headless && std::io::stdout().is_terminal() {
        let outcome =
            crate::tui::run_experiment(exp, prepared, exe, results_root).map_err(failure)?;
        let Some(summaries) = outcome.summaries else {
            return Ok(EXIT_FAILURE);
        };
        return Ok(finish(exp, exp_dir, &summaries, outcome.cancelled));
    }
    let cancel = Cancel::default();
    {
        let cancel = cancel.clone();
        ctrlc::set_handler(move || cancel.request()).map_err(failure)?;
    }
    let mut view = Headless::new(prepared.runs.len());
    let summaries = prepared.execute(exe, &mut view, &cancel).map_err(failure)?;
    Ok(finish(exp, exp_dir, &summaries, cancel.count() > 0))
}

/// The Slurm-submitted runs of an experiment directory `watch` follows.
fn slurm_runs(exp_dir: &Path) -> Vec<(std::path::PathBuf, crate::results::RunSummary)> {
    crate::scheduler::slurm::submitted_runs(exp_dir)
}

/// `workbench watch EXPERIMENT`: follows the runs of its Slurm submission.
pub(crate) fn cmd_watch(
    experiment: &str,
    headless: bool,
    results_root: &Path,
) -> Result<i32, Exit> {
    use crate::results::{RunDir, RunStatus};
    use crate::scheduler::{slurm, Prepared, PreparedRun};
    let exp_dir = crate::results::experiment_dir(results_root, experiment);
    if !exp_dir.is_dir() {
        return Err(failure(anyhow::anyhow!(
            "no experiment {experiment:?} in {}",
            results_root.display()
        )));
    }
    let found = slurm_runs(&exp_dir);
    if found.is_empty() {
        return Err(failure(anyhow::anyhow!(
            "{} holds no Slurm submission to watch (runs submitted with `workbench run --executor slurm`)",
            exp_dir.display()
        )));
    }
    let mut runs = Vec::new();
    let mut rows = Vec::new();
    let mut plans = Vec::new();
    for (dir, summary) in found {
        let job_path = RunDir::new(&dir).job();
        let job: crate::plan::WorkerJob = std::fs::read(&job_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| {
                failure(anyhow::anyhow!(
                    "{} is not a readable job",
                    job_path.display()
                ))
            })?;
        let ended = summary.status.is_some_and(|s| s.is_final());
        let run = PreparedRun {
            job,
            dir: RunDir::new(&dir),
            summary,
            skip: ended,
        };
        let mut row = run.row();
        if ended {
            row.status = run.summary.status.unwrap_or(RunStatus::Failed);
            row.latest = run.summary.metrics.clone();
            row.error = run.summary.error.clone();
        }
        plans.push(run.job.plan.clone());
        rows.push(row);
        runs.push(run);
    }
    let pairs: Vec<(usize, &crate::results::RunSummary)> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.skip)
        .map(|(i, r)| (i, &r.summary))
        .collect();
    let tracked = slurm::tracked_from_summaries(&pairs);
    let kind = plans[0].kind;
    let metrics: Vec<String> = crate::plan::default_metrics(kind)
        .iter()
        .map(|m| m.to_string())
        .collect();
    let exp = Experiment {
        name: runs[0].summary.experiment.clone(),
        description: String::new(),
        runs: plans,
        parallel: 1,
        metrics: metrics.clone(),
        plugin_dirs: Vec::new(),
        executor: Executor::Slurm(Box::default()),
    };
    let prepared = Prepared {
        exp_dir: exp_dir.clone(),
        runs,
        parallel: 1,
        state: crate::state::ExperimentState {
            name: exp.name.clone(),
            metrics,
            runs: rows,
        },
        description: String::new(),
        plugin_dirs: Vec::new(),
        executor: exp.executor.clone(),
        attached: Some(tracked),
    };
    let exe = std::env::current_exe()
        .context("cannot find the workbench binary")
        .map_err(failure)?;
    follow(&exp, prepared, &exe, results_root, headless, &exp_dir)
}

/// Prints the experiment's table and counts; returns the exit code.
fn finish(
    exp: &Experiment,
    exp_dir: &Path,
    summaries: &[crate::results::RunSummary],
    cancelled_by_user: bool,
) -> i32 {
    let records: Vec<RunRecord> = summaries
        .iter()
        .map(|s| record(s, &exp_dir.join(&s.run_id)))
        .collect();
    let table = build_table(&records, &exp.metrics);
    println!();
    println!("{}", render(&table, Format::Markdown));
    println!("results: {}", exp_dir.display());
    let count = |st: RunStatus| summaries.iter().filter(|s| s.status == Some(st)).count();
    let (done, cancelled) = (count(RunStatus::Done), count(RunStatus::Cancelled));
    let timeout = match count(RunStatus::Timeout) {
        0 => String::new(),
        n => format!(", {n} timeout"),
    };
    println!(
        "{done} done, {} failed, {} diverged{timeout}, {cancelled} cancelled",
        count(RunStatus::Failed),
        count(RunStatus::Diverged)
    );
    if cancelled_by_user {
        EXIT_CANCELLED
    } else if done == summaries.len() {
        0
    } else {
        EXIT_FAILURE
    }
}
