//! The UI's I/O, done in the event loop and never while drawing: reading a
//! run's spec and previews, past runs, experiment files and plugins, the
//! compare table, and writing the exports.

use super::app::{CompareCache, DetailCache, PluginInfo, PluginsInfo, UiState, View};
use super::images;
use crate::report::record;
use crate::report::{build_table, render, Format, RenderOptions, RunRecord};
use crate::results::{list_runs, list_runs_checked, write_atomic, MetricsLog};
use crate::state::{ExperimentState, MetricPoint, RunRow};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Past runs under `root` as rows (status and final metrics from their
/// summaries; history is read when a run is opened).
pub fn past_runs(root: &Path, now: Instant) -> ExperimentState {
    let mut state = ExperimentState::default();
    let Ok((runs, unreadable)) = list_runs_checked(root, None) else {
        return state;
    };
    let mut metrics: Vec<String> = Vec::new();
    for (dir, s) in runs {
        let interrupted = s.shown_status() == "interrupted";
        let mut row = RunRow::queued(&s.run_id, dir, &s.name, &s.plugin, &s.variant, s.key_params);
        row.status = s.status.unwrap_or(crate::results::RunStatus::Failed);
        if interrupted {
            // Recorded as running, its worker gone: not running any more.
            row.status = crate::results::RunStatus::Failed;
            row.shown = Some("interrupted");
            row.error = Some(
                "interrupted: its worker is gone (the parent was killed or the machine stopped); `workbench run SPEC --resume` runs it again".into(),
            );
        }
        if let Some(d) = s.duration_seconds {
            let d = Duration::from_secs_f64(d.max(0.0));
            row.started = now.checked_sub(d);
            row.finished = Some(now);
        }
        for k in s.metrics.keys() {
            if !metrics.contains(k) {
                metrics.push(k.clone());
            }
        }
        row.latest = s.metrics;
        if row.shown.is_none() {
            row.error = s.error;
        }
        row.name = format!("{}/{}", s.experiment, s.name);
        state.runs.push(row);
    }
    // Runs whose summary cannot be read are listed, not dropped.
    for (dir, why) in unreadable {
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let experiment = dir
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut row = RunRow::queued(
            &id,
            dir,
            &format!("{experiment}/{id}"),
            "?",
            "?",
            Default::default(),
        );
        row.status = crate::results::RunStatus::Failed;
        row.shown = Some("unreadable");
        row.error = Some(why);
        state.runs.push(row);
    }
    metrics.truncate(8);
    state.metrics = metrics;
    state
}

/// `*.yaml` / `*.yml` files in `dir`, sorted.
pub fn experiment_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml") | Some("yml")
            )
        })
        .collect();
    out.sort();
    out
}

/// What plugin discovery finds from here.
pub fn plugins() -> PluginsInfo {
    use crate::host::{discover, search_dirs};
    match discover(&search_dirs(&[])) {
        Ok(d) => PluginsInfo {
            plugins: d
                .plugins
                .iter()
                .map(|p| PluginInfo {
                    name: p.entry.name.clone(),
                    version: p.entry.version.clone(),
                    kind: p.entry.kind.to_string(),
                    file: p.entry.file.display().to_string(),
                    variants: p
                        .entry
                        .variants
                        .iter()
                        .map(|v| (v.name.clone(), v.description.clone()))
                        .collect(),
                })
                .collect(),
            refused: d
                .refused
                .iter()
                .map(|r| (r.file.display().to_string(), r.reason.clone()))
                .collect(),
            searched: d.searched_list(),
        },
        Err(e) => PluginsInfo {
            searched: format!("error: {e}"),
            ..Default::default()
        },
    }
}

/// The experiment the compare view shows: the selected run's.
fn experiment_of(ui: &UiState) -> Option<String> {
    let i = ui
        .selected_run()
        .or_else(|| ui.state.runs.len().checked_sub(1))?;
    let dir = &ui.state.runs.get(i)?.dir;
    dir.parent()?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}

/// The report table of an experiment from the results store.
pub fn compare(root: &Path, experiment: &str, metrics: &[String]) -> CompareCache {
    let records: Vec<RunRecord> = list_runs(root, Some(experiment))
        .unwrap_or_default()
        .iter()
        .map(|(dir, s)| record(s, dir))
        .collect();
    let metrics = if metrics.is_empty() {
        list_runs(root, Some(experiment))
            .ok()
            .and_then(|r| r.last().and_then(|(d, _)| crate::results::spec_metrics(d)))
            .unwrap_or_default()
    } else {
        metrics.to_vec()
    };
    let table = build_table(&records, &metrics);
    let text = render(&table, Format::Markdown);
    let differing = crate::report::text_table(&table, &RenderOptions::default())
        .expect("the default columns always exist");
    let all = crate::report::text_table(
        &table,
        &RenderOptions {
            columns: Some(crate::report::all_columns(&table)),
            ..RenderOptions::default()
        },
    )
    .expect("these columns exist");
    CompareCache {
        experiment: experiment.to_string(),
        table,
        text,
        differing,
        all,
    }
}

/// Writes `report.csv`, `report.md` and `report.tex` under
/// `results/<experiment>/`; returns the directory.
pub fn export(root: &Path, c: &CompareCache) -> Result<PathBuf, String> {
    let exp = crate::results::ExperimentDir::new(root, &c.experiment);
    for (extension, format) in [
        ("csv", Format::Csv),
        ("md", Format::Markdown),
        ("tex", Format::Latex),
    ] {
        write_atomic(&exp.report(extension), render(&c.table, format).as_bytes())
            .map_err(|e| e.to_string())?;
    }
    Ok(exp.path().to_path_buf())
}

/// Loads what the current view needs and is not cached yet. `refresh`
/// reloads the compare table (after runs ended).
pub fn ensure(ui: &mut UiState, root: &Path, refresh: bool) {
    config_diff(ui);
    match ui.view {
        View::Detail => detail(ui),
        View::Compare => {
            let Some(exp) = experiment_of(ui) else { return };
            let stale = ui.compare.as_ref().is_none_or(|c| c.experiment != exp);
            if stale || refresh {
                let metrics = if ui.live {
                    ui.state.metrics.clone()
                } else {
                    Vec::new()
                };
                ui.compare = Some(compare(root, &exp, &metrics));
            }
        }
        View::Plugins if ui.plugins.is_none() => ui.plugins = Some(plugins()),
        _ => {}
    }
}

/// A run's provenance as lines for the detail view.
pub fn provenance(s: &crate::results::RunSummary) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &s.placement {
        let node = p
            .node
            .as_deref()
            .map(|n| format!(" on {n}"))
            .unwrap_or_default();
        out.push(format!("ran: {}{node}", p.label()));
    }
    if let Some(inv) = &s.invocation {
        out.push(format!(
            "workbench {} · commit {} · host {}",
            s.versions.workbench, inv.commit, inv.host
        ));
        out.push(format!(
            "command: {} (in {})",
            inv.command.join(" "),
            inv.cwd
        ));
    }
    out
}

/// An ended run's history from its `metrics.csv`, read once: a past run's
/// (the live ones get theirs from events).
fn history(ui: &mut UiState, i: usize) {
    let Some(run) = ui.state.runs.get_mut(i) else {
        return;
    };
    if !run.history.is_empty() || !run.status.is_final() || !ui.histories_read.insert(i) {
        return;
    }
    if let Ok(rows) = MetricsLog::read(&crate::results::RunDir::new(&run.dir).metrics()) {
        for r in rows {
            let key = match r.split.as_str() {
                "train" => r.name,
                other => format!("{other}_{}", r.name),
            };
            run.history.entry(key).or_default().push(MetricPoint {
                step: r.step,
                epoch: r.epoch,
                value: r.value,
                wall: r.seconds,
            });
        }
    }
}

/// The configuration diff's rows, from both runs' `spec.yaml`, once.
fn config_diff(ui: &mut UiState) {
    let Some(d) = ui.diff.as_mut() else { return };
    if d.rows.is_some() || d.error.is_some() {
        return;
    }
    let spec = |i: usize| -> Result<String, String> {
        let run = ui.state.runs.get(i).ok_or("no such run")?;
        let path = crate::results::RunDir::new(&run.dir).spec();
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    match spec(d.left)
        .and_then(|a| spec(d.right).map(|b| (a, b)))
        .and_then(|(a, b)| super::config_diff::diff(&a, &b))
    {
        Ok(rows) => d.rows = Some(rows),
        Err(e) => d.error = Some(format!("cannot compare the specs: {e}")),
    }
}

/// Encodes the previews shown at `areas` for the terminal's graphics
/// protocol, keeping those already encoded for the same cells.
pub fn encode_previews(
    ui: &mut UiState,
    graphics: &super::graphics::Graphics,
    areas: &[(usize, ratatui::layout::Rect)],
) {
    let Some(cache) = ui.detail.as_mut() else {
        return;
    };
    let mut encoded = Vec::new();
    for &(i, area) in areas {
        let kept = cache
            .encoded
            .iter()
            .find(|e| e.image == i && e.area == area)
            .cloned();
        let fresh = || {
            cache
                .images
                .get(i)
                .and_then(|(_, px)| graphics.encode(i, px, area))
        };
        if let Some(e) = kept.or_else(fresh) {
            encoded.push(e);
        }
    }
    cache.encoded = encoded;
}

fn detail(ui: &mut UiState) {
    let Some(i) = ui
        .detail
        .as_ref()
        .map(|d| d.run)
        .or_else(|| ui.selected_run())
    else {
        return;
    };
    let Some(run) = ui.state.runs.get(i) else {
        return;
    };
    let fresh = ui.detail.as_ref().is_none_or(|d| d.run != i || !d.loaded);
    if fresh {
        let spec = std::fs::read_to_string(crate::results::RunDir::new(&run.dir).spec())
            .unwrap_or_else(|e| format!("cannot read spec.yaml: {e}"));
        let provenance = crate::results::read_summary(&run.dir)
            .map(|s| provenance(&s))
            .unwrap_or_default();
        ui.detail = Some(DetailCache {
            run: i,
            spec,
            images: Vec::new(),
            images_seen: usize::MAX,
            loaded: true,
            provenance,
            encoded: Vec::new(),
        });
    }
    // The history of the open run and of the runs its chart overlays.
    if let Some((focus, marked, baseline)) = ui.chart_runs() {
        for r in std::iter::once(focus).chain(marked).chain(baseline) {
            history(ui, r);
        }
    }
    // Previews: the run's reported ones and artifacts/*.png, reloaded when
    // new ones appear.
    let run = &ui.state.runs[i];
    let mut paths: Vec<(String, PathBuf)> = run
        .previews
        .iter()
        .map(|(n, p)| {
            (
                n.clone(),
                if p.is_absolute() {
                    p.clone()
                } else {
                    run.dir.join(p)
                },
            )
        })
        .collect();
    let mut pngs: Vec<PathBuf> =
        std::fs::read_dir(crate::results::RunDir::new(&run.dir).artifacts())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("png"))
            .collect();
    pngs.sort();
    for p in pngs {
        if !paths.iter().any(|(_, q)| *q == p) {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            paths.push((name, p));
        }
    }
    let cache = ui.detail.as_mut().expect("set above");
    if cache.images_seen != paths.len() && ui.detail_tab == super::app::DetailTab::Images {
        cache.images = paths
            .iter()
            .filter_map(|(n, p)| images::load(p).ok().map(|px| (n.clone(), px)))
            .collect();
        cache.encoded.clear();
        cache.images_seen = paths.len();
    }
}
