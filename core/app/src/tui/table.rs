//! The runs table as data: which columns exist, the text of every cell,
//! which rows pass the filter and in what order, and the best value per
//! metric column. Pure functions of [`ExperimentState`]; the view draws it.

use crate::metrics::{direction, Direction};
use crate::report::fmt_num;
use crate::results::RunStatus;
use crate::state::{ExperimentState, RunRow};
use std::cmp::Ordering;
use std::time::{Duration, Instant};

/// What a column shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// Run name.
    Name,
    /// `plugin/variant`.
    Model,
    /// Key parameters.
    Params,
    /// Status.
    Status,
    /// Gauge with epoch/step.
    Progress,
    /// Time since start.
    Elapsed,
    /// Estimated time left.
    Eta,
    /// The latest value of a metric.
    Metric(String),
}

/// One column of the runs table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// What it shows.
    pub kind: ColumnKind,
    /// Header text.
    pub title: String,
    /// Lower is kept longer when the terminal is narrow.
    pub priority: u8,
    /// Width it needs.
    pub width: u16,
}

/// The metric columns: the spec's metrics, then `loss` and `val_loss`.
pub fn metric_names(state: &ExperimentState) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for m in state
        .metrics
        .iter()
        .map(String::as_str)
        .chain(["loss", "val_loss"])
    {
        if !names.iter().any(|n| n == m) {
            names.push(m.to_string());
        }
    }
    names
}

/// Every column, in display order.
pub fn columns(state: &ExperimentState) -> Vec<Column> {
    let col = |kind, title: &str, priority, width| Column {
        kind,
        title: title.to_string(),
        priority,
        width,
    };
    let name_w = state
        .runs
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 28) as u16;
    let model_w = state
        .runs
        .iter()
        .map(|r| r.plugin.chars().count() + r.variant.chars().count() + 1)
        .max()
        .unwrap_or(5)
        .clamp(14, 24) as u16;
    let params_w = state
        .runs
        .iter()
        .map(|r| params_text(r).chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 28) as u16;
    let mut cols = vec![
        col(ColumnKind::Name, "name", 0, name_w),
        col(ColumnKind::Model, "plugin/variant", 6, model_w),
        col(ColumnKind::Params, "params", 7, params_w),
        col(ColumnKind::Status, "status", 0, 9),
        col(ColumnKind::Progress, "progress", 1, 20),
        col(ColumnKind::Elapsed, "elapsed", 4, 7),
        col(ColumnKind::Eta, "eta", 5, 7),
    ];
    for (i, m) in metric_names(state).into_iter().enumerate() {
        let width = (m.chars().count() as u16 + 1).max(9);
        // The spec's first metrics and the losses matter most.
        let priority = if i < 2 { 2 } else { 3 };
        cols.push(col(ColumnKind::Metric(m.clone()), &m, priority, width));
    }
    cols
}

/// The columns that fit in `width` (one space between columns), dropping
/// the lowest priority (highest number) first, rightmost first on ties.
pub fn fit(columns: &[Column], width: u16) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..columns.len()).collect();
    let total = |keep: &[usize]| -> u32 {
        keep.iter()
            .map(|&i| columns[i].width as u32 + 1)
            .sum::<u32>()
    };
    while total(&keep) > width as u32 + 1 && keep.len() > 1 {
        let (pos, _) = keep
            .iter()
            .enumerate()
            .rev()
            .max_by_key(|(_, &i)| columns[i].priority)
            .expect("non-empty");
        if columns[keep[pos]].priority == 0 {
            break;
        }
        keep.remove(pos);
    }
    keep
}

/// Key parameters as `k=v k=v`.
pub fn params_text(run: &RunRow) -> String {
    run.key_params
        .iter()
        .map(|(k, v)| {
            let k = k.strip_prefix("params.").unwrap_or(k);
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1m05s`, `2h03m`, `42s`.
pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// `e3 s120/500` under the gauge.
pub fn progress_label(run: &RunRow) -> String {
    match run.progress {
        Some((done, total)) => format!("e{} {done}/{total}", run.epoch),
        None if run.step > 0 => format!("e{} s{}", run.epoch, run.step),
        None => String::new(),
    }
}

/// The text of a (non-gauge) cell.
pub fn cell_text(run: &RunRow, kind: &ColumnKind, now: Instant) -> String {
    match kind {
        ColumnKind::Name => run.name.clone(),
        ColumnKind::Model => format!("{}/{}", run.plugin, run.variant),
        ColumnKind::Params => params_text(run),
        ColumnKind::Status => run.status_label().to_string(),
        ColumnKind::Progress => progress_label(run),
        ColumnKind::Elapsed => run.elapsed(now).map(fmt_duration).unwrap_or_default(),
        ColumnKind::Eta => run.eta(now).map(fmt_duration).unwrap_or_default(),
        ColumnKind::Metric(m) => run.latest.get(m).map(|v| fmt_num(*v)).unwrap_or_default(),
    }
}

fn status_rank(s: RunStatus) -> u8 {
    match s {
        RunStatus::Running => 0,
        RunStatus::Queued => 1,
        RunStatus::Done => 2,
        RunStatus::Diverged => 3,
        RunStatus::Failed => 4,
        RunStatus::Timeout => 5,
        RunStatus::Cancelled => 6,
    }
}

fn cmp_f64(a: Option<f64>, b: Option<f64>) -> Ordering {
    // Missing and NaN values sort last.
    match (a.filter(|v| !v.is_nan()), b.filter(|v| !v.is_nan())) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Compares two runs by a column.
pub fn compare(a: &RunRow, b: &RunRow, kind: &ColumnKind, now: Instant) -> Ordering {
    match kind {
        ColumnKind::Name => a.name.cmp(&b.name),
        ColumnKind::Model => (&a.plugin, &a.variant).cmp(&(&b.plugin, &b.variant)),
        ColumnKind::Params => params_text(a).cmp(&params_text(b)),
        ColumnKind::Status => status_rank(a.status).cmp(&status_rank(b.status)),
        ColumnKind::Progress => a.fraction().total_cmp(&b.fraction()),
        ColumnKind::Elapsed => a.elapsed(now).cmp(&b.elapsed(now)),
        ColumnKind::Eta => a.eta(now).cmp(&b.eta(now)),
        ColumnKind::Metric(m) => cmp_f64(a.latest.get(m).copied(), b.latest.get(m).copied()),
    }
}

/// Whether a run matches a filter: every space-separated word appears
/// (ignoring case) in its name, id, plugin/variant, params or status.
pub fn matches(run: &RunRow, filter: &str) -> bool {
    if filter.trim().is_empty() {
        return true;
    }
    let hay = format!(
        "{} {} {}/{} {} {}",
        run.name,
        run.run_id,
        run.plugin,
        run.variant,
        params_text(run),
        run.status_label()
    )
    .to_lowercase();
    filter
        .to_lowercase()
        .split_whitespace()
        .all(|w| hay.contains(w))
}

/// The order of rows: indices into `state.runs` that pass `filter`, sorted
/// by `sort` (column kind, descending) with ties in run order.
pub fn visible(
    state: &ExperimentState,
    filter: &str,
    sort: Option<(&ColumnKind, bool)>,
    now: Instant,
) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..state.runs.len())
        .filter(|&i| matches(&state.runs[i], filter))
        .collect();
    if let Some((kind, descending)) = sort {
        rows.sort_by(|&a, &b| {
            let ord = compare(&state.runs[a], &state.runs[b], kind, now);
            if descending {
                ord.reverse()
            } else {
                ord
            }
        });
    }
    rows
}

/// The run with the best latest value of `metric` (by its direction), if
/// the metric has one and some run has a number for it.
pub fn best(state: &ExperimentState, metric: &str) -> Option<usize> {
    let dir = direction(metric);
    if dir == Direction::Neutral {
        return None;
    }
    let mut best: Option<(usize, f64)> = None;
    for (i, run) in state.runs.iter().enumerate() {
        let Some(v) = run.latest.get(metric).copied().filter(|v| !v.is_nan()) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((_, b)) => match dir {
                Direction::Higher => v > b,
                _ => v < b,
            },
        };
        if better {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}
