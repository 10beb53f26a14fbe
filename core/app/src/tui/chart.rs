//! The detail chart as data: which runs it overlays (the open run, the
//! marked runs, the pinned baseline), which metric, and each series' points
//! after the chart controls (x axis, smoothing, log-y, full or recent
//! history). Pure: the view draws what [`plot`] returns.

use crate::state::{MetricPoint, RunRow};

/// What the x axis measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XAxis {
    /// Optimisation step.
    #[default]
    Step,
    /// Epoch.
    Epoch,
    /// Seconds since the worker started (live runs only: `metrics.csv`
    /// records no time).
    Wall,
}

impl XAxis {
    /// The next choice, in the order step → epoch → wall time.
    pub fn next(self) -> XAxis {
        match self {
            XAxis::Step => XAxis::Epoch,
            XAxis::Epoch => XAxis::Wall,
            XAxis::Wall => XAxis::Step,
        }
    }

    /// Its name in titles.
    pub fn name(self) -> &'static str {
        match self {
            XAxis::Step => "step",
            XAxis::Epoch => "epoch",
            XAxis::Wall => "wall time (s)",
        }
    }

    /// A point's x, if the point records it.
    pub fn of(self, p: &MetricPoint) -> Option<f64> {
        match self {
            XAxis::Step => Some(p.step as f64),
            XAxis::Epoch => Some(p.epoch as f64),
            XAxis::Wall => p.wall,
        }
    }
}

/// The smoothing weights `a` cycles through (0: none).
pub const SMOOTHING: [f64; 3] = [0.0, 0.6, 0.9];

/// The chart controls.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChartOptions {
    /// Index into [`SMOOTHING`].
    pub smoothing: usize,
    /// Logarithmic y axis (non-positive values are left out).
    pub log_y: bool,
    /// What the x axis measures.
    pub x: XAxis,
    /// 0: the full history; k > 0: only the last 1/2^k of the x range.
    pub recent: u32,
}

impl ChartOptions {
    /// The smoothing weight in use.
    pub fn weight(&self) -> f64 {
        SMOOTHING[self.smoothing % SMOOTHING.len()]
    }

    /// The recent window as a percentage of the x range (100: full).
    pub fn recent_percent(&self) -> f64 {
        100.0 / 2f64.powi(self.recent.min(30) as i32)
    }
}

/// TensorBoard's smoothing: an exponential moving average with weight `w`,
/// debiased so the first values are not pulled towards zero. Non-finite
/// values are passed through and left out of the average.
pub fn ema(values: &[f64], w: f64) -> Vec<f64> {
    if w <= 0.0 {
        return values.to_vec();
    }
    let mut last = 0.0;
    let mut n = 0;
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                return v;
            }
            last = last * w + (1.0 - w) * v;
            n += 1;
            last / (1.0 - w.powi(n))
        })
        .collect()
}

/// What a series stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A run's series (the open run first, then the marked runs); the
    /// palette index.
    Run(usize),
    /// The pinned baseline run.
    Baseline,
}

/// One line of the chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// How it is drawn.
    pub role: Role,
    /// Its points after the controls, in x order.
    pub points: Vec<(f64, f64)>,
}

/// The chart to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The metric plotted.
    pub metric: String,
    /// The lines, baseline last.
    pub series: Vec<Series>,
    /// X bounds.
    pub x: [f64; 2],
    /// Y bounds (log10 of the values when `log_y`).
    pub y: [f64; 2],
    /// Why some points are not shown (non-positive under log-y, no wall
    /// time), for the title.
    pub notes: Vec<String>,
}

/// Whether a run has at least two finite points of `key`: a curve, not a
/// single number.
fn is_series(run: &RunRow, key: &str) -> bool {
    run.history
        .get(key)
        .is_some_and(|ps| ps.iter().filter(|p| p.value.is_finite()).count() >= 2)
}

/// The metrics the picker offers for these runs: those with at least two
/// points in some run (curves), in name order with `loss` first; when no
/// metric has two points, every metric. `filter` keeps the names that
/// contain it (ignoring case).
pub fn choices(runs: &[&RunRow], filter: &str) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for r in runs {
        for k in r.history.keys() {
            if !all.contains(k) {
                all.push(k.clone());
            }
        }
    }
    let curves: Vec<String> = all
        .iter()
        .filter(|k| runs.iter().any(|r| is_series(r, k)))
        .cloned()
        .collect();
    let mut out = if curves.is_empty() { all } else { curves };
    out.sort_by_key(|k| (k != "loss", k.clone()));
    let f = filter.to_lowercase();
    out.retain(|k| k.to_lowercase().contains(&f));
    out
}

/// The metric `key` belongs with: its name without a `val_`/`test_` prefix.
pub fn family(key: &str) -> &str {
    key.strip_prefix("val_")
        .or_else(|| key.strip_prefix("test_"))
        .unwrap_or(key)
}

/// A run's points of `key` after the x axis and smoothing (over the whole
/// history, so the recent window shows the same curve), then log-y.
/// Returns the points and how many were left out for log-y.
fn points(run: &RunRow, key: &str, opts: &ChartOptions) -> (Vec<(f64, f64)>, usize) {
    let Some(history) = run.history.get(key) else {
        return (Vec::new(), 0);
    };
    let mut raw: Vec<(f64, f64)> = history
        .iter()
        .filter(|p| p.value.is_finite())
        .filter_map(|p| opts.x.of(p).map(|x| (x, p.value)))
        .collect();
    raw.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ys: Vec<f64> = raw.iter().map(|p| p.1).collect();
    let smooth = ema(&ys, opts.weight());
    let mut hidden = 0;
    let pts = raw
        .iter()
        .zip(smooth)
        .filter_map(|(&(x, _), y)| {
            if !opts.log_y {
                return Some((x, y));
            }
            if y > 0.0 {
                Some((x, y.log10()))
            } else {
                hidden += 1;
                None
            }
        })
        .collect();
    (pts, hidden)
}

/// The chart of `metric` (or the default one when `None` or absent) for
/// the open run `focus`, the marked runs `marked` and the `baseline`.
/// With no other run shown, the open run's train, validation and test
/// series of the metric's family are drawn together instead.
pub fn plot(
    focus: &RunRow,
    marked: &[&RunRow],
    baseline: Option<&RunRow>,
    metric: Option<&str>,
    opts: &ChartOptions,
) -> Option<Plot> {
    let mut runs: Vec<&RunRow> = vec![focus];
    runs.extend(marked.iter().copied());
    runs.extend(baseline);
    let offered = choices(&runs, "");
    let metric = match metric {
        Some(m) if runs.iter().any(|r| r.history.contains_key(m)) => m.to_string(),
        _ => offered.first()?.clone(),
    };
    // (label, role, run, key)
    let mut wanted: Vec<(String, Role, &RunRow, String)> = Vec::new();
    let focus_is_baseline = baseline.is_some_and(|b| b.run_id == focus.run_id);
    if marked.is_empty() && (baseline.is_none() || focus_is_baseline) {
        let fam = family(&metric).to_string();
        let mut keys = vec![metric.clone()];
        for k in [fam.clone(), format!("val_{fam}"), format!("test_{fam}")] {
            if !keys.contains(&k) && focus.history.contains_key(&k) {
                keys.push(k);
            }
        }
        for (i, k) in keys.into_iter().enumerate() {
            let role = if focus_is_baseline {
                Role::Baseline
            } else {
                Role::Run(i)
            };
            wanted.push((k.clone(), role, focus, k));
        }
    } else {
        wanted.push((focus.name.clone(), Role::Run(0), focus, metric.clone()));
        for (i, r) in marked.iter().enumerate() {
            wanted.push((r.name.clone(), Role::Run(i + 1), r, metric.clone()));
        }
        if let Some(b) = baseline.filter(|_| !focus_is_baseline) {
            wanted.push((
                format!("baseline {}", b.name),
                Role::Baseline,
                b,
                metric.clone(),
            ));
        }
    }
    let mut notes = Vec::new();
    let mut hidden = 0;
    let mut no_time = 0;
    let mut series: Vec<Series> = wanted
        .into_iter()
        .map(|(label, role, run, key)| {
            let (pts, h) = points(run, &key, opts);
            hidden += h;
            if opts.x == XAxis::Wall
                && run
                    .history
                    .get(&key)
                    .is_some_and(|ps| ps.iter().any(|p| p.wall.is_none()))
            {
                no_time += 1;
            }
            Series {
                label,
                role,
                points: pts,
            }
        })
        .collect();
    if hidden > 0 {
        notes.push(format!("{hidden} non-positive hidden"));
    }
    if no_time > 0 {
        notes.push("no wall time in metrics.csv".into());
    }
    // The x range over every series, then the recent window.
    let (mut x0, mut x1) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in series.iter().flat_map(|s| &s.points) {
        x0 = x0.min(p.0);
        x1 = x1.max(p.0);
    }
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if opts.recent > 0 {
        x0 = x1 - (x1 - x0) * opts.recent_percent() / 100.0;
        for s in &mut series {
            s.points.retain(|p| p.0 >= x0);
        }
    }
    if x1 - x0 < 1e-12 {
        x1 = x0 + 1.0;
    }
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in series.iter().flat_map(|s| &s.points) {
        y0 = y0.min(p.1);
        y1 = y1.max(p.1);
    }
    if !y0.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    if y1 - y0 < 1e-12 {
        y1 = y0 + 1.0;
    }
    Some(Plot {
        metric,
        series,
        x: [x0, x1],
        y: [y0, y1],
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn run(name: &str, key: &str, values: &[f64]) -> RunRow {
        let mut r = RunRow::queued(
            name,
            PathBuf::from(name),
            name,
            "pca",
            "pca",
            BTreeMap::new(),
        );
        r.history.insert(
            key.into(),
            values
                .iter()
                .enumerate()
                .map(|(i, &value)| MetricPoint {
                    step: (i as u64 + 1) * 10,
                    epoch: i as u32 / 2 + 1,
                    value,
                    wall: Some(i as f64 * 1.5),
                })
                .collect(),
        );
        r
    }

    #[test]
    fn ema_matches_tensorboard_debiased_smoothing() {
        assert_eq!(ema(&[1.0, 2.0, 3.0], 0.0), vec![1.0, 2.0, 3.0]);
        let s = ema(&[1.0, 0.0], 0.5);
        // First value unbiased: exactly itself; second: (0.25 + 0)/(0.75).
        assert!((s[0] - 1.0).abs() < 1e-12);
        assert!((s[1] - 1.0 / 3.0).abs() < 1e-12, "{s:?}");
        let s = ema(&[2.0, f64::NAN, 2.0], 0.9);
        assert!(s[1].is_nan());
        assert!((s[2] - 2.0).abs() < 1e-12, "NaN stays out: {s:?}");
        assert!(ema(&[], 0.9).is_empty());
    }

    #[test]
    fn x_axis_cycles_and_reads_each_point() {
        let r = run("a", "loss", &[4.0, 3.0, 2.0]);
        let mut opts = ChartOptions::default();
        let xs = |opts: &ChartOptions| -> Vec<f64> {
            plot(&r, &[], None, None, opts).unwrap().series[0]
                .points
                .iter()
                .map(|p| p.0)
                .collect()
        };
        assert_eq!(xs(&opts), [10.0, 20.0, 30.0]);
        opts.x = opts.x.next();
        assert_eq!(xs(&opts), [1.0, 1.0, 2.0]);
        opts.x = opts.x.next();
        assert_eq!(xs(&opts), [0.0, 1.5, 3.0]);
        assert_eq!(opts.x.next(), XAxis::Step);
        // A past run has no wall time: nothing to draw, and the title says why.
        let mut past = r.clone();
        for p in past.history.get_mut("loss").unwrap() {
            p.wall = None;
        }
        let p = plot(&past, &[], None, None, &opts).unwrap();
        assert!(p.series[0].points.is_empty());
        assert_eq!(p.notes, ["no wall time in metrics.csv"]);
        assert_eq!((p.x, p.y), ([0.0, 1.0], [0.0, 1.0]));
    }

    #[test]
    fn log_y_leaves_out_non_positive_values_and_says_so() {
        let r = run("a", "loss", &[100.0, 0.0, -1.0, 10.0]);
        let opts = ChartOptions {
            log_y: true,
            ..Default::default()
        };
        let p = plot(&r, &[], None, None, &opts).unwrap();
        assert_eq!(p.series[0].points, [(10.0, 2.0), (40.0, 1.0)]);
        assert_eq!(p.y, [1.0, 2.0]);
        assert_eq!(p.notes, ["2 non-positive hidden"]);
        // Every value non-positive: an empty chart, no panic.
        let r = run("b", "loss", &[0.0, -2.0]);
        let p = plot(&r, &[], None, None, &opts).unwrap();
        assert!(p.series[0].points.is_empty());
    }

    #[test]
    fn recent_keeps_the_last_part_of_the_range_after_smoothing() {
        let r = run("a", "loss", &[1.0, 2.0, 3.0, 4.0, 5.0]);
        let opts = ChartOptions {
            recent: 1,
            smoothing: 1,
            ..Default::default()
        };
        let p = plot(&r, &[], None, None, &opts).unwrap();
        // Steps 10..50: the last half is 30..50.
        assert_eq!(p.x, [30.0, 50.0]);
        let xs: Vec<f64> = p.series[0].points.iter().map(|p| p.0).collect();
        assert_eq!(xs, [30.0, 40.0, 50.0]);
        // Smoothed over the whole history: the value at 30 is not 3.
        let full = ema(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.6);
        assert_eq!(p.series[0].points[0].1, full[2]);
        assert_eq!(opts.recent_percent(), 50.0);
    }

    #[test]
    fn marked_runs_and_the_baseline_are_overlaid_with_labels() {
        let a = run("a", "loss", &[3.0, 2.0]);
        let b = run("b", "loss", &[4.0, 1.0]);
        let c = run("c", "loss", &[5.0, 5.0]);
        let p = plot(&a, &[&b], Some(&c), None, &ChartOptions::default()).unwrap();
        let labels: Vec<(&str, Role)> = p
            .series
            .iter()
            .map(|s| (s.label.as_str(), s.role))
            .collect();
        assert_eq!(
            labels,
            [
                ("a", Role::Run(0)),
                ("b", Role::Run(1)),
                ("baseline c", Role::Baseline)
            ]
        );
        assert_eq!(p.y, [1.0, 5.0]);
        // The open run is the baseline: one series, drawn as the baseline.
        let p = plot(&c, &[], Some(&c), None, &ChartOptions::default()).unwrap();
        assert_eq!(p.series.len(), 1);
        assert_eq!(p.series[0].role, Role::Baseline);
    }

    #[test]
    fn one_run_alone_shows_its_train_validation_and_test_series() {
        let mut a = run("a", "loss", &[3.0, 2.0]);
        a.history.insert(
            "val_loss".into(),
            run("x", "v", &[3.5, 2.5]).history["v"].clone(),
        );
        a.history.insert(
            "test_mse".into(),
            run("x", "v", &[0.1]).history["v"].clone(),
        );
        let p = plot(&a, &[], None, Some("val_loss"), &ChartOptions::default()).unwrap();
        let labels: Vec<&str> = p.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["val_loss", "loss"]);
        // A metric with one point is offered only when nothing has two.
        assert_eq!(choices(&[&a], ""), ["loss", "val_loss"]);
        assert_eq!(choices(&[&a], "VAL"), ["val_loss"]);
        let single = run("s", "test_mse", &[0.1]);
        assert_eq!(choices(&[&single], ""), ["test_mse"]);
        // A single point still plots, with a non-empty range.
        let p = plot(&single, &[], None, None, &ChartOptions::default()).unwrap();
        assert_eq!(p.series[0].points.len(), 1);
        assert!(p.x[1] > p.x[0] && p.y[1] > p.y[0]);
    }

    #[test]
    fn no_history_gives_no_plot() {
        let mut r = run("a", "loss", &[]);
        r.history.clear();
        assert_eq!(plot(&r, &[], None, None, &ChartOptions::default()), None);
    }
}
