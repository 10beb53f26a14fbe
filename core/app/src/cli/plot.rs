//! `workbench plot`: one metric of an experiment's runs in one figure for
//! a paper, seeds pooled into mean ± std bands.

use super::inspect::warn_unreadable;
use super::{failure, usage, Exit};
use crate::plot::{curve, draw, metric_names, pool, smooth, Figure, XAxis};
use crate::report::{record, select_invocations, Invocations, RunRecord};
use crate::results::{list_runs_checked, MetricsLog, RunDir};
use anyhow::anyhow;
use std::collections::BTreeMap;
use std::path::Path;

/// `plot`'s choices.
pub(crate) struct PlotChoices {
    /// `--metric`.
    pub metric: String,
    /// `--runs`: run names to draw (default: every one).
    pub runs: Vec<String>,
    /// `--x`.
    pub x: XAxis,
    /// `--smooth`.
    pub smooth: f64,
    /// `--log-y`.
    pub log_y: bool,
    /// `--title`.
    pub title: Option<String>,
    /// `--invocations`.
    pub invocations: String,
    /// `--size WxH`.
    pub size: (u32, u32),
}

pub(crate) fn cmd_plot(
    experiment: &str,
    choices: PlotChoices,
    out: &Path,
    root: &Path,
) -> Result<i32, Exit> {
    if !(0.0..1.0).contains(&choices.smooth) {
        return Err(usage(anyhow!(
            "--smooth {} is out of range: 0 (none) up to, not including, 1",
            choices.smooth
        )));
    }
    let (runs, unreadable) = list_runs_checked(root, Some(experiment)).map_err(usage)?;
    warn_unreadable(&unreadable);
    let records: Vec<(RunRecord, std::path::PathBuf)> = runs
        .iter()
        .map(|(dir, s)| {
            let mut r = record(s, dir);
            // A run that did not finish still has a curve worth seeing.
            r.status = "done".into();
            (r, dir.clone())
        })
        .collect();
    let which = Invocations::from(choices.invocations.as_str());
    let plain: Vec<RunRecord> = records.iter().map(|(r, _)| r.clone()).collect();
    let kept: std::collections::BTreeSet<String> = select_invocations(&plain, &which)
        .into_iter()
        .map(|r| r.run_id)
        .collect();
    // One series per run name (seeds of a name pooled), in first-run order.
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
    let mut seen_metrics: Vec<String> = Vec::new();
    for (r, dir) in records.iter().filter(|(r, _)| kept.contains(&r.run_id)) {
        if !choices.runs.is_empty() && !choices.runs.contains(&r.name) {
            continue;
        }
        let label = r.name.clone();
        if !groups.contains_key(&label) {
            order.push(label.clone());
        }
        groups.entry(label).or_default().push(dir.clone());
    }
    if let Some(missing) = choices
        .runs
        .iter()
        .find(|n| !records.iter().any(|(r, _)| &r.name == *n))
    {
        let mut names: Vec<&str> = records.iter().map(|(r, _)| r.name.as_str()).collect();
        names.sort();
        names.dedup();
        return Err(usage(anyhow!(
            "`{experiment}` has no run named `{missing}`; runs: {}",
            names.join(", ")
        )));
    }
    let mut series = Vec::new();
    for label in &order {
        let mut curves = Vec::new();
        for dir in &groups[label] {
            let rows = MetricsLog::read(&RunDir::new(dir).metrics()).unwrap_or_default();
            seen_metrics.extend(metric_names(&rows));
            let c = curve(&rows, &choices.metric, choices.x);
            if !c.is_empty() {
                curves.push(smooth(&c, choices.smooth));
            }
        }
        if !curves.is_empty() {
            series.push(pool(label, &curves));
        }
    }
    if series.is_empty() {
        seen_metrics.sort();
        seen_metrics.dedup();
        return Err(usage(anyhow!(
            "no run of `{experiment}` recorded `{}` in its metrics.csv; {}",
            choices.metric,
            if seen_metrics.is_empty() {
                "they recorded nothing".to_string()
            } else {
                format!("recorded: {}", seen_metrics.join(", "))
            }
        )));
    }
    let figure = Figure {
        title: choices.title.unwrap_or_else(|| {
            let smoothed = if choices.smooth > 0.0 {
                format!(", smoothed {}", choices.smooth)
            } else {
                String::new()
            };
            format!("{experiment}: {}{smoothed}", choices.metric)
        }),
        x_label: match choices.x {
            XAxis::Step => "step".into(),
            XAxis::Epoch => "epoch".into(),
        },
        y_label: if choices.log_y {
            format!("{} (log scale)", choices.metric)
        } else {
            choices.metric.clone()
        },
        log_y: choices.log_y,
        series,
    };
    draw(&figure, out, choices.size.0, choices.size.1).map_err(failure)?;
    println!("wrote {}", out.display());
    Ok(0)
}

/// `--size WxH`.
pub(crate) fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("`{s}` is not WIDTHxHEIGHT, e.g. 900x560"))?;
    let n = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (100..=8000).contains(v))
            .ok_or_else(|| format!("`{v}` is not a size from 100 to 8000 pixels"))
    };
    Ok((n(w)?, n(h)?))
}
