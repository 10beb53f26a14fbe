//! `workbench run`: run an experiment and print its table.

use super::{failure, load, Exit, EXIT_CANCELLED, EXIT_FAILURE};
use crate::headless::Headless;
use crate::report::{build_table, record, render, Format, RunRecord};
use crate::results::RunStatus;
use crate::scheduler::{prepare, Cancel};
use anyhow::Context as _;
use std::io::IsTerminal;
use std::path::Path;

pub(crate) fn cmd_run(
    spec_path: &Path,
    set: &[String],
    resume: bool,
    results_root: &Path,
    headless: bool,
) -> Result<i32, Exit> {
    let (_spec, _discovery, exp) = load(spec_path, set, results_root)?;
    let prepared = prepare(&exp, results_root, resume).map_err(failure)?;
    let exp_dir = prepared.exp_dir.clone();
    let exe = std::env::current_exe()
        .context("cannot find the workbench binary")
        .map_err(failure)?;
    if !headless && std::io::stdout().is_terminal() {
        let outcome =
            crate::tui::run_experiment(&exp, prepared, &exe, results_root).map_err(failure)?;
        let Some(summaries) = outcome.summaries else {
            return Ok(EXIT_FAILURE);
        };
        return Ok(finish(&exp, &exp_dir, &summaries, outcome.cancelled));
    }
    let cancel = Cancel::default();
    {
        let cancel = cancel.clone();
        ctrlc::set_handler(move || cancel.request()).map_err(failure)?;
    }
    let mut view = Headless::new(exp.runs.len());
    let summaries = prepared
        .execute(&exe, &mut view, &cancel)
        .map_err(failure)?;
    Ok(finish(&exp, &exp_dir, &summaries, cancel.count() > 0))
}

/// Prints the experiment's table and counts; returns the exit code.
fn finish(
    exp: &crate::spec::resolve::Experiment,
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
    println!(
        "{done} done, {} failed, {} diverged, {cancelled} cancelled",
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
