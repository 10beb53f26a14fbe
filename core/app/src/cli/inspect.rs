//! `workbench plugins`, `runs` and `report`: looking at what exists.

use super::{failure, usage, Exit};
use crate::host::{discover, search_dirs};
use crate::report::{build_table, record, Format, RunRecord};
use crate::results::{list_runs_checked, spec_metrics, Unreadable};
use anyhow::anyhow;
use std::path::{Path, PathBuf};

pub(crate) fn cmd_plugins(dirs: &[PathBuf]) -> Result<i32, Exit> {
    let configured: Vec<(PathBuf, String)> = dirs
        .iter()
        .map(|d| (d.clone(), "--dir".to_string()))
        .collect();
    let discovery = discover(&search_dirs(&configured)).map_err(usage)?;
    println!("searched: {}", discovery.searched_list());
    if discovery.plugins.is_empty() {
        println!("no plugins found");
    }
    for p in &discovery.plugins {
        let e = &p.entry;
        println!(
            "\n{} {}  ({}, ABI {}, workbench-api {})\n  file: {}",
            e.name,
            e.version,
            e.kind,
            e.abi_version,
            e.api_version,
            e.file.display()
        );
        for v in &e.variants {
            println!("  variant {:<16} {}", v.name, v.description);
            for param in &v.params {
                let kind = match &param.kind {
                    workbench_api::ParamKind::Int { min, max } => format!("int {min}..={max}"),
                    workbench_api::ParamKind::Float { min, max } => format!("number {min}..={max}"),
                    workbench_api::ParamKind::Bool => "bool".into(),
                    workbench_api::ParamKind::Str { choices } if choices.is_empty() => {
                        "string".into()
                    }
                    workbench_api::ParamKind::Str { choices } => choices.join("|"),
                    workbench_api::ParamKind::IntList { min, max } => {
                        format!("list of int {min}..={max}")
                    }
                };
                println!(
                    "      {} ({kind}, default {}): {}",
                    param.name, param.default, param.doc
                );
            }
        }
    }
    if !discovery.refused.is_empty() {
        println!("\nrefused:");
        for r in &discovery.refused {
            println!("  {}: {}", r.file.display(), r.reason);
        }
    }
    Ok(0)
}

/// Says on stderr which run directories are left out and why.
pub(crate) fn warn_unreadable(unreadable: &[Unreadable]) {
    for (dir, why) in unreadable {
        eprintln!("warning: left out {}: {why}", dir.display());
    }
}

pub(crate) fn cmd_runs(experiment: Option<&str>, root: &Path) -> Result<i32, Exit> {
    if !root.is_dir() {
        println!("no runs yet ({} does not exist)", root.display());
        return Ok(0);
    }
    let (runs, unreadable) = list_runs_checked(root, experiment).map_err(usage)?;
    warn_unreadable(&unreadable);
    if runs.is_empty() {
        println!("no runs under {}", root.display());
        return Ok(0);
    }
    for (_dir, s) in runs {
        let status = s.shown_status();
        let headline: Vec<String> = ["mse", "psnr", "cer", "word_f1", "accuracy"]
            .iter()
            .filter_map(|m| {
                s.metrics
                    .get(*m)
                    .map(|v| format!("{m}={}", crate::report::fmt_num(*v)))
            })
            .take(3)
            .collect();
        println!(
            "{:<48} {:<10} {:<20} {:<28} {}",
            s.run_id,
            status,
            format!("{}/{}", s.plugin, s.variant),
            s.experiment,
            headline.join(" ")
        );
    }
    Ok(0)
}

/// `report`'s choices beyond format, metrics and output.
pub(crate) struct ReportChoices {
    /// `--where`.
    pub placement: bool,
    /// `--columns`.
    pub columns: Vec<String>,
    /// `--invocations`.
    pub invocations: String,
    /// `--caption`.
    pub caption: Option<String>,
    /// `--label`.
    pub label: Option<String>,
    /// `--layout`: `auto`, `runs` or `one-class`.
    pub layout: String,
    /// `--siunitx`.
    pub siunitx: bool,
}

pub(crate) fn cmd_report(
    experiment: &str,
    format: &str,
    metrics: &[String],
    out: Option<&Path>,
    choices: ReportChoices,
    root: &Path,
) -> Result<i32, Exit> {
    let placement = choices.placement;
    let format: Format = format
        .parse()
        .map_err(|e: crate::report::ParseFormatError| {
            usage(anyhow!(
                "unknown report format `{}` (md, csv or latex)",
                e.0
            ))
        })?;
    let (runs, unreadable) = list_runs_checked(root, Some(experiment)).map_err(usage)?;
    warn_unreadable(&unreadable);
    if runs.is_empty() {
        return Err(usage(anyhow!(
            "experiment `{experiment}` has no runs under {}",
            root.display()
        )));
    }
    if placement {
        let summaries: Vec<crate::results::RunSummary> =
            runs.iter().map(|(_, s)| s.clone()).collect();
        let text = crate::report::render_placement(&summaries, format);
        match out {
            Some(path) => crate::results::write_atomic(path, text.as_bytes()).map_err(failure)?,
            None => print!("{text}"),
        }
        return Ok(0);
    }
    let chosen_metrics = metrics.to_vec();
    let metrics: Vec<String> = if metrics.is_empty() {
        spec_metrics(&runs[runs.len() - 1].0).unwrap_or_default()
    } else {
        // A metric no run recorded would be a column of dashes: say so.
        let recorded: std::collections::BTreeSet<String> = runs
            .iter()
            .flat_map(|(_, s)| s.metrics.keys().cloned())
            .collect();
        let recorded: Vec<String> = recorded.into_iter().collect();
        if let Some(unknown) = metrics.iter().find(|m| !recorded.contains(m)) {
            return Err(usage(anyhow!(
                "no run of `{experiment}` recorded the metric `{unknown}`; {}",
                crate::hint::nearest_hint(unknown, &recorded)
            )));
        }
        metrics.to_vec()
    };
    let records: Vec<RunRecord> = runs.iter().map(|(dir, s)| record(s, dir)).collect();
    let which = crate::report::Invocations::from(choices.invocations.as_str());
    let records = crate::report::select_invocations(&records, &which);
    if records.is_empty() {
        return Err(usage(anyhow!(
            "no run of `{experiment}` belongs to invocation `{}` (summary.json's invocation.id)",
            choices.invocations
        )));
    }
    let one_class = match choices.layout.trim() {
        "auto" => crate::report::is_one_class(&records),
        "runs" => false,
        "one-class" if crate::report::is_one_class(&records) => true,
        "one-class" => {
            return Err(usage(anyhow!(
            "no run of `{experiment}` is a one-class run (`evaluation: {{protocol: one-class}}`)"
        )))
        }
        other => {
            return Err(usage(anyhow!(
                "unknown layout `{other}` (auto, runs or one-class)"
            )))
        }
    };
    let (table, default_caption) = if one_class {
        let metric = match chosen_metrics.as_slice() {
            [] => crate::report::ONE_CLASS_METRIC.to_string(),
            [one] => one.clone(),
            _ => {
                return Err(usage(anyhow!(
                    "the one-class table shows one metric per normal class; give one with --metrics, or --layout runs"
                )))
            }
        };
        (
            crate::report::build_one_class_table(&records, &metric),
            format!("One-class anomaly detection, experiment {experiment}."),
        )
    } else {
        (
            build_table(&records, &metrics),
            format!("Results of the experiment {experiment}."),
        )
    };
    let options = crate::report::RenderOptions {
        columns: (!choices.columns.is_empty()).then_some(choices.columns),
        siunitx: choices.siunitx,
        caption: Some(choices.caption.unwrap_or(default_caption)),
        label: Some(
            choices
                .label
                .unwrap_or_else(|| format!("tab:{}", crate::results::slug(experiment))),
        ),
    };
    let text = crate::report::render_with(&table, format, &options).map_err(usage)?;
    match out {
        Some(path) => crate::results::write_atomic(path, text.as_bytes()).map_err(failure)?,
        None => print!("{text}"),
    }
    Ok(0)
}
