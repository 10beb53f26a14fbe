//! The terminal UI's state and its key handling. Keys change this state
//! and may ask for an [`Action`] (cancel, re-run, export, ...) that the
//! event loop carries out; nothing here does I/O.

use super::chart::ChartOptions;
use super::images::Pixels;
use super::system::SystemInfo;
use super::table::{self, ColumnKind};
use crate::report::Table;
use crate::state::ExperimentState;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

/// The top-level views, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// All runs, live.
    Runs,
    /// One run.
    Detail,
    /// The report table of finished runs.
    Compare,
    /// Experiment files to run.
    Experiments,
    /// Discovered plugins.
    Plugins,
}

/// The tabs of the run detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailTab {
    /// Curves and the log tail.
    Overview,
    /// Every metric point.
    History,
    /// The resolved `spec.yaml`.
    Spec,
    /// Preview images.
    Images,
}

impl DetailTab {
    /// All tabs in order.
    pub const ALL: [DetailTab; 4] = [
        DetailTab::Overview,
        DetailTab::History,
        DetailTab::Spec,
        DetailTab::Images,
    ];
    /// Its title.
    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Overview => "curves & log",
            DetailTab::History => "history",
            DetailTab::Spec => "spec",
            DetailTab::Images => "images",
        }
    }
}

/// What a yes/no question is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirm {
    /// Cancel run `index`.
    Cancel(usize),
    /// Quit while runs are active.
    Quit,
}

/// Work the event loop does for a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Cancel run `index` (confirmed).
    Cancel(usize),
    /// Re-run run `index`.
    Rerun(usize),
    /// Write the compare table as CSV, Markdown and LaTeX.
    Export,
    /// Run this experiment file.
    RunExperiment(PathBuf),
    /// Leave (cancelling active runs).
    Quit,
}

/// A run's detail, read from disk when it was opened.
#[derive(Clone, Debug, Default)]
pub struct DetailCache {
    /// Which run (index into the state's runs).
    pub run: usize,
    /// Its `spec.yaml`.
    pub spec: String,
    /// Its preview images, decoded.
    pub images: Vec<(String, Pixels)>,
    /// How many previews were known when the images were loaded.
    pub images_seen: usize,
    /// The files have been read.
    pub loaded: bool,
    /// Where and how the run was made (summary.json): placement, host,
    /// workbench commit, the command line.
    pub provenance: Vec<String>,
    /// Previews encoded for the terminal's graphics protocol, each for the
    /// cells it fills (empty where the terminal has none).
    pub encoded: Vec<super::graphics::Encoded>,
}

/// The compare view's table, built from the results store.
#[derive(Clone, Debug)]
pub struct CompareCache {
    /// Experiment.
    pub experiment: String,
    /// The table.
    pub table: Table,
    /// It rendered as Markdown (what `workbench report` prints).
    pub text: String,
    /// Its cells with only the columns that differ (what `report` prints).
    pub differing: crate::report::TextTable,
    /// Its cells with every column.
    pub all: crate::report::TextTable,
}

/// The metric picker (`m` in the detail): a filter typed into it and the
/// highlighted choice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricPicker {
    /// Typed text; the choices are the metrics containing it.
    pub filter: String,
    /// Highlighted choice (position in the filtered list).
    pub selected: usize,
}

/// The configuration diff between two runs (`D`): their resolved specs
/// side by side, only the settings that differ.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigDiff {
    /// The highlighted run (index into the state's runs).
    pub left: usize,
    /// The run it is compared with: the baseline, or a marked run.
    pub right: usize,
    /// Setting, left value, right value (`None`: not set in that run);
    /// `None` until the loader has read both specs.
    pub rows: Option<Vec<super::config_diff::Row>>,
    /// Why the specs could not be read, if they could not.
    pub error: Option<String>,
}

/// One plugin for the plugins view.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginInfo {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Library file.
    pub file: String,
    /// Variants: name and description.
    pub variants: Vec<(String, String)>,
}

/// What discovery found, for the plugins view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PluginsInfo {
    /// Accepted plugins.
    pub plugins: Vec<PluginInfo>,
    /// Refused files and why.
    pub refused: Vec<(String, String)>,
    /// Where it looked.
    pub searched: String,
}

/// Everything the UI shows.
pub struct UiState {
    /// The runs (same state type as the headless view).
    pub state: ExperimentState,
    /// The current view.
    pub view: View,
    /// The view Esc returns to from the detail.
    pub back: View,
    /// Selected row (position among visible rows).
    pub selected: usize,
    /// The run the user selected (index into `state.runs`): the selection
    /// follows it when rows reorder (a live sort, a re-run added).
    pub pinned: Option<usize>,
    /// First row shown.
    pub offset: usize,
    /// Sort: column index into [`table::columns`], descending.
    pub sort: Option<(usize, bool)>,
    /// Filter text.
    pub filter: String,
    /// Typing the filter.
    pub editing_filter: bool,
    /// A question on screen.
    pub confirm: Option<Confirm>,
    /// The help overlay is open.
    pub help: bool,
    /// A status-line message.
    pub message: Option<String>,
    /// The time views measure elapsed and ETA against.
    pub now: Instant,
    /// Detail tab.
    pub detail_tab: DetailTab,
    /// Detail: the chart controls (smoothing, log-y, x axis, recent).
    pub chart: ChartOptions,
    /// Detail: the metric the chart plots (`None`: `loss`, or the first).
    pub chart_metric: Option<String>,
    /// Detail, images: 0 shows every preview; k shows the k-th alone.
    pub image_focus: usize,
    /// Detail: the metric picker, when open.
    pub picker: Option<MetricPicker>,
    /// Runs marked for the detail chart (indices into `state.runs`, so a
    /// mark stays on its run whatever the order of the rows).
    pub marks: BTreeSet<usize>,
    /// The pinned baseline run (index into `state.runs`).
    pub baseline: Option<usize>,
    /// The configuration diff, when open.
    pub diff: Option<ConfigDiff>,
    /// Runs view: the system panel (CPU and memory per worker) is shown.
    pub system_panel: bool,
    /// The latest system sample (taken by the event loop, at most once a
    /// second, while the panel is shown).
    pub system: Option<SystemInfo>,
    /// The terminal's graphics protocol for previews (`None`: half blocks).
    pub graphics: Option<&'static str>,
    /// Runs whose `metrics.csv` the loader has read (past runs' history).
    pub histories_read: BTreeSet<usize>,
    /// Detail/compare/spec scroll.
    pub scroll: u16,
    /// Compare view: horizontal scroll.
    pub hscroll: u16,
    /// The open run's files.
    pub detail: Option<DetailCache>,
    /// The compare table.
    pub compare: Option<CompareCache>,
    /// Compare view: sorted by this column (descending when true).
    pub compare_sort: Option<(usize, bool)>,
    /// Compare view: every column instead of only those that differ.
    pub compare_all: bool,
    /// Experiment files.
    pub experiments: Vec<PathBuf>,
    /// Selected experiment file.
    pub exp_selected: usize,
    /// Plugins.
    pub plugins: Option<PluginsInfo>,
    /// Runs can be cancelled and re-run (an experiment is live).
    pub live: bool,
    /// Runs from this index on belong to the live experiment.
    pub live_offset: usize,
    /// Colours on (off with `NO_COLOR`).
    pub color: bool,
    /// Quitting: waiting for runs to stop.
    pub quitting: bool,
    /// Where the table rows start on screen (for mouse clicks), set by the loop.
    pub table_top: u16,
}

impl UiState {
    /// A UI over `state`.
    pub fn new(state: ExperimentState, now: Instant) -> UiState {
        UiState {
            state,
            view: View::Runs,
            back: View::Runs,
            selected: 0,
            pinned: None,
            offset: 0,
            sort: None,
            filter: String::new(),
            editing_filter: false,
            confirm: None,
            help: false,
            message: None,
            now,
            detail_tab: DetailTab::Overview,
            chart: ChartOptions::default(),
            chart_metric: None,
            image_focus: 0,
            picker: None,
            marks: BTreeSet::new(),
            baseline: None,
            diff: None,
            system_panel: false,
            system: None,
            graphics: None,
            histories_read: BTreeSet::new(),
            scroll: 0,
            hscroll: 0,
            detail: None,
            compare: None,
            compare_sort: None,
            compare_all: false,
            experiments: Vec::new(),
            exp_selected: 0,
            plugins: None,
            live: false,
            live_offset: 0,
            color: true,
            quitting: false,
            table_top: 2,
        }
    }

    /// Visible run indices in display order.
    pub fn rows(&self) -> Vec<usize> {
        let cols = table::columns(&self.state);
        let sort = self
            .sort
            .and_then(|(c, d)| cols.get(c).map(|col| (col.kind.clone(), d)));
        table::visible(
            &self.state,
            &self.filter,
            sort.as_ref().map(|(k, d)| (k, *d)),
            self.now,
        )
    }

    /// The selected run's index into `state.runs`: the run the user picked,
    /// wherever reordering has moved it since.
    pub fn selected_run(&self) -> Option<usize> {
        if self.view == View::Detail {
            return self.detail.as_ref().map(|d| d.run);
        }
        let rows = self.rows();
        match self.pinned {
            Some(i) if rows.contains(&i) => Some(i),
            _ => rows.get(self.selected).copied(),
        }
    }

    /// Pins the run at the selected position.
    fn pin(&mut self) {
        self.pinned = self.rows().get(self.selected).copied();
    }

    /// The compare view's cells as shown (only differing columns, or all).
    pub fn compare_table(&self) -> Option<&crate::report::TextTable> {
        self.compare.as_ref().map(|c| {
            if self.compare_all {
                &c.all
            } else {
                &c.differing
            }
        })
    }

    /// The compare view's rows in display order (indices into its table).
    pub fn compare_rows(&self) -> Vec<usize> {
        let Some(t) = self.compare_table() else {
            return Vec::new();
        };
        let mut order: Vec<usize> = (0..t.rows.len()).collect();
        if let Some((c, desc)) = self.compare_sort {
            order.sort_by(|&a, &b| {
                let ord = match (t.sort_keys[a][c], t.sort_keys[b][c]) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => t.rows[a][c].cmp(&t.rows[b][c]),
                };
                if desc {
                    ord.reverse()
                } else {
                    ord
                }
            });
        }
        order
    }

    /// The column sorted by, if any.
    pub fn sort_kind(&self) -> Option<ColumnKind> {
        let (c, _) = self.sort?;
        table::columns(&self.state).get(c).map(|c| c.kind.clone())
    }

    /// Runs not yet ended.
    pub fn active(&self) -> usize {
        self.state.active()
    }

    /// Whether run `index` is controllable (belongs to the live experiment).
    pub fn controllable(&self, index: usize) -> bool {
        self.live && index >= self.live_offset && index < self.state.runs.len()
    }

    fn move_selection(&mut self, delta: isize) {
        let n = match self.view {
            View::Experiments => self.experiments.len(),
            _ => self.rows().len(),
        };
        let cur = match self.view {
            View::Experiments => &mut self.exp_selected,
            _ => &mut self.selected,
        };
        if n == 0 {
            *cur = 0;
            return;
        }
        let next = (*cur as isize + delta).clamp(0, n as isize - 1);
        *cur = next as usize;
        if self.view != View::Experiments {
            self.pin();
        }
    }

    fn next_view(&mut self, forward: bool) {
        let order = [View::Runs, View::Compare, View::Experiments, View::Plugins];
        let from = if self.view == View::Detail {
            self.back
        } else {
            self.view
        };
        let pos = order.iter().position(|v| *v == from).unwrap_or(0);
        let next = if forward {
            (pos + 1) % order.len()
        } else {
            (pos + order.len() - 1) % order.len()
        };
        self.view = order[next];
        self.scroll = 0;
    }

    /// Handles a key; returns work for the event loop.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Action> {
        self.message = None;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return self.ask_quit();
        }
        if let Some(confirm) = self.confirm.clone() {
            self.confirm = None;
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => match confirm {
                    Confirm::Cancel(i) => Some(Action::Cancel(i)),
                    Confirm::Quit => Some(Action::Quit),
                },
                _ => {
                    self.message = Some("nothing done".into());
                    None
                }
            };
        }
        if self.help {
            self.help = false;
            return None;
        }
        if self.picker.is_some() {
            self.picker_key(key);
            return None;
        }
        if self.diff.is_some() {
            match key.code {
                KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => self.scroll = self.scroll.saturating_add(1),
                _ => {
                    self.diff = None;
                    self.scroll = 0;
                }
            }
            return None;
        }
        if self.editing_filter {
            match key.code {
                KeyCode::Enter => self.editing_filter = false,
                KeyCode::Esc => {
                    self.editing_filter = false;
                    self.filter.clear();
                }
                KeyCode::Backspace => {
                    self.filter.pop();
                }
                KeyCode::Char(c) => self.filter.push(c),
                _ => {}
            }
            self.selected = 0;
            self.offset = 0;
            return None;
        }
        match key.code {
            KeyCode::Char('q') => return self.ask_quit(),
            KeyCode::Char('?') => self.help = true,
            KeyCode::Tab => {
                if self.view == View::Detail {
                    let i = DetailTab::ALL
                        .iter()
                        .position(|t| *t == self.detail_tab)
                        .unwrap_or(0);
                    self.detail_tab = DetailTab::ALL[(i + 1) % DetailTab::ALL.len()];
                    self.scroll = 0;
                } else {
                    self.next_view(true);
                }
            }
            KeyCode::BackTab => {
                if self.view == View::Detail {
                    let i = DetailTab::ALL
                        .iter()
                        .position(|t| *t == self.detail_tab)
                        .unwrap_or(0);
                    self.detail_tab =
                        DetailTab::ALL[(i + DetailTab::ALL.len() - 1) % DetailTab::ALL.len()];
                    self.scroll = 0;
                } else {
                    self.next_view(false);
                }
            }
            KeyCode::Char('1') => self.view = View::Runs,
            KeyCode::Char('2') => self.view = View::Compare,
            KeyCode::Char('3') => self.view = View::Experiments,
            KeyCode::Char('4') => self.view = View::Plugins,
            KeyCode::Esc | KeyCode::Backspace | KeyCode::Char('h') | KeyCode::Left
                if self.view == View::Detail =>
            {
                self.view = self.back;
                self.scroll = 0;
            }
            KeyCode::Esc if !self.filter.is_empty() => self.filter.clear(),
            KeyCode::Left | KeyCode::Char('h') if self.view == View::Compare => {
                self.hscroll = self.hscroll.saturating_sub(1)
            }
            KeyCode::Right | KeyCode::Char('l') if self.view == View::Compare => {
                self.hscroll = self.hscroll.saturating_add(1)
            }
            KeyCode::Up | KeyCode::Char('k') => self.up(1),
            KeyCode::Down | KeyCode::Char('j') => self.down(1),
            KeyCode::PageUp => self.up(10),
            KeyCode::PageDown => self.down(10),
            KeyCode::Home | KeyCode::Char('g') => self.up(usize::MAX / 2),
            KeyCode::End | KeyCode::Char('G') => self.down(usize::MAX / 2),
            KeyCode::Enter | KeyCode::Char('l') | KeyCode::Right => match self.view {
                View::Runs => self.open_detail(),
                View::Experiments => {
                    return self
                        .experiments
                        .get(self.exp_selected)
                        .cloned()
                        .map(Action::RunExperiment)
                }
                _ => {}
            },
            KeyCode::Char('/') if matches!(self.view, View::Runs) => {
                self.editing_filter = true;
            }
            KeyCode::Char('s') if matches!(self.view, View::Runs) => self.cycle_sort(),
            KeyCode::Char('s') if matches!(self.view, View::Compare) => {
                let n = self.compare_table().map_or(0, |t| t.header.len());
                self.compare_sort = match self.compare_sort {
                    None if n > 0 => Some((0, false)),
                    Some((c, _)) if c + 1 < n => Some((c + 1, false)),
                    _ => None,
                };
                self.message = Some(match (self.compare_sort, self.compare_table()) {
                    (Some((c, _)), Some(t)) => format!("sorted by {} (S reverses)", t.header[c]),
                    _ => "report order".into(),
                });
            }
            KeyCode::Char('S') if matches!(self.view, View::Compare) => {
                if let Some((c, d)) = self.compare_sort {
                    self.compare_sort = Some((c, !d));
                }
            }
            KeyCode::Char('d') if matches!(self.view, View::Compare) => {
                self.compare_all = !self.compare_all;
                self.compare_sort = None;
                self.hscroll = 0;
                self.message = Some(if self.compare_all {
                    "every column".into()
                } else {
                    "only the columns that differ".into()
                });
            }
            KeyCode::Char('S') if matches!(self.view, View::Runs) => {
                if let Some((c, d)) = self.sort {
                    self.sort = Some((c, !d));
                }
            }
            KeyCode::Char('c') => {
                if let Some(i) = self.selected_run() {
                    if !self.controllable(i) {
                        self.message = Some(
                            "only runs of the experiment running here can be cancelled".into(),
                        );
                    } else if self.state.runs[i].status.is_final() {
                        self.message =
                            Some(format!("{} has already ended", self.state.runs[i].name));
                    } else {
                        self.confirm = Some(Confirm::Cancel(i));
                    }
                }
            }
            KeyCode::Char('r') => {
                if let Some(i) = self.selected_run() {
                    if self.controllable(i) {
                        return Some(Action::Rerun(i));
                    }
                    self.message =
                        Some("only runs of the experiment running here can be re-run".into());
                }
            }
            KeyCode::Char('e') => return Some(Action::Export),
            KeyCode::Char(' ') if matches!(self.view, View::Runs | View::Detail) => {
                self.toggle_mark()
            }
            KeyCode::Char('b') if matches!(self.view, View::Runs | View::Detail) => {
                self.toggle_baseline()
            }
            KeyCode::Char('u') if matches!(self.view, View::Runs | View::Detail) => {
                self.marks.clear();
                self.baseline = None;
                self.message = Some("no run marked, no baseline".into());
            }
            KeyCode::Char('D') if matches!(self.view, View::Runs | View::Detail) => {
                self.open_diff()
            }
            KeyCode::Char('p') if self.view == View::Runs => {
                self.system_panel = !self.system_panel;
            }
            KeyCode::Char('m') if self.view == View::Detail => {
                self.picker = Some(MetricPicker::default());
            }
            KeyCode::Char('n') if self.view == View::Detail => {
                // Every preview, then each alone, then every one again.
                let n = self.detail.as_ref().map_or(0, |d| d.images.len());
                self.detail_tab = DetailTab::Images;
                self.image_focus = if self.image_focus >= n {
                    0
                } else {
                    self.image_focus + 1
                };
            }
            KeyCode::Char('a') if self.view == View::Detail => {
                self.chart.smoothing = (self.chart.smoothing + 1) % super::chart::SMOOTHING.len();
            }
            KeyCode::Char('y') if self.view == View::Detail => {
                self.chart.log_y = !self.chart.log_y;
            }
            KeyCode::Char('x') if self.view == View::Detail => {
                self.chart.x = self.chart.x.next();
            }
            KeyCode::Char('f') if self.view == View::Detail => {
                self.chart.recent = if self.chart.recent == 0 { 2 } else { 0 };
            }
            KeyCode::Char('+') | KeyCode::Char('=') if self.view == View::Detail => {
                self.chart.recent = (self.chart.recent + 1).min(8)
            }
            KeyCode::Char('-') if self.view == View::Detail => {
                self.chart.recent = self.chart.recent.saturating_sub(1)
            }
            _ => {}
        }
        None
    }

    /// The runs the detail chart overlays: the open run, the marked runs
    /// (in run order, without the open run and the baseline) and the
    /// baseline; indices into `state.runs`.
    pub fn chart_runs(&self) -> Option<(usize, Vec<usize>, Option<usize>)> {
        let focus = self.selected_run()?;
        let n = self.state.runs.len();
        let baseline = self.baseline.filter(|&b| b < n);
        let marked = self
            .marks
            .iter()
            .copied()
            .filter(|&m| m < n && m != focus && Some(m) != baseline)
            .collect();
        Some((focus, marked, baseline))
    }

    /// The metrics the picker offers now (its filter applied).
    pub fn picker_choices(&self) -> Vec<String> {
        let Some((focus, marked, baseline)) = self.chart_runs() else {
            return Vec::new();
        };
        let runs: Vec<&crate::state::RunRow> = std::iter::once(focus)
            .chain(marked)
            .chain(baseline)
            .map(|i| &self.state.runs[i])
            .collect();
        let filter = self.picker.as_ref().map_or("", |p| p.filter.as_str());
        super::chart::choices(&runs, filter)
    }

    fn picker_key(&mut self, key: KeyEvent) {
        let choices = self.picker_choices();
        let Some(p) = self.picker.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.picker = None,
            KeyCode::Enter => {
                if let Some(m) = choices.get(p.selected) {
                    self.chart_metric = Some(m.clone());
                }
                self.picker = None;
            }
            KeyCode::Up => p.selected = p.selected.saturating_sub(1),
            KeyCode::Down => p.selected = (p.selected + 1).min(choices.len().saturating_sub(1)),
            KeyCode::Backspace => {
                p.filter.pop();
                p.selected = 0;
            }
            KeyCode::Char(c) => {
                p.filter.push(c);
                p.selected = 0;
            }
            _ => {}
        }
    }

    /// Marks or unmarks the highlighted run for the detail chart.
    fn toggle_mark(&mut self) {
        let Some(i) = self.selected_run() else { return };
        let name = &self.state.runs[i].name;
        self.message = Some(if self.marks.remove(&i) {
            format!("unmarked {name}")
        } else {
            self.marks.insert(i);
            format!(
                "marked {name}: the detail chart overlays {} marked run(s)",
                self.marks.len()
            )
        });
    }

    /// Pins the highlighted run as the baseline, or unpins it.
    fn toggle_baseline(&mut self) {
        let Some(i) = self.selected_run() else { return };
        let name = &self.state.runs[i].name;
        self.message = Some(if self.baseline == Some(i) {
            self.baseline = None;
            format!("{name} is no longer the baseline")
        } else {
            self.baseline = Some(i);
            format!("baseline: {name} (b on it again unpins)")
        });
    }

    /// Opens the configuration diff of the highlighted run against the
    /// baseline, or else against the first marked run.
    fn open_diff(&mut self) {
        let Some(left) = self.selected_run() else {
            return;
        };
        let right = self
            .baseline
            .filter(|&b| b != left)
            .or_else(|| self.marks.iter().copied().find(|&m| m != left))
            .filter(|&r| r < self.state.runs.len());
        match right {
            Some(right) => {
                self.diff = Some(ConfigDiff {
                    left,
                    right,
                    rows: None,
                    error: None,
                });
                self.scroll = 0;
            }
            None => {
                self.message = Some(
                    "D compares with the baseline (b) or a marked run (space): pin or mark another run first"
                        .into(),
                )
            }
        }
    }

    fn up(&mut self, n: usize) {
        match self.view {
            View::Detail | View::Compare | View::Plugins => {
                self.scroll = self.scroll.saturating_sub(n.min(u16::MAX as usize) as u16)
            }
            _ => self.move_selection(-(n.min(isize::MAX as usize) as isize)),
        }
    }

    fn down(&mut self, n: usize) {
        match self.view {
            View::Detail | View::Compare | View::Plugins => {
                self.scroll = self.scroll.saturating_add(n.min(10_000) as u16)
            }
            _ => self.move_selection(n.min(isize::MAX as usize) as isize),
        }
    }

    fn open_detail(&mut self) {
        if let Some(run) = self.selected_run() {
            self.detail = Some(DetailCache {
                run,
                images_seen: usize::MAX,
                ..Default::default()
            });
            self.back = self.view;
            self.view = View::Detail;
            self.detail_tab = DetailTab::Overview;
            self.scroll = 0;
            self.picker = None;
            self.image_focus = 0;
        }
    }

    fn cycle_sort(&mut self) {
        let n = table::columns(&self.state).len();
        self.sort = match self.sort {
            None => Some((0, false)),
            Some((c, _)) if c + 1 < n => Some((c + 1, false)),
            Some(_) => None,
        };
        self.selected = 0;
        self.offset = 0;
        if let Some(pos) = self
            .pinned
            .and_then(|i| self.rows().iter().position(|&r| r == i))
        {
            self.selected = pos;
        }
        self.message = Some(match self.sort_kind() {
            Some(_) => {
                let cols = table::columns(&self.state);
                format!(
                    "sorted by {} (S reverses)",
                    cols[self.sort.unwrap().0].title
                )
            }
            None => "run order".into(),
        });
    }

    fn ask_quit(&mut self) -> Option<Action> {
        if self.live && self.active() > 0 {
            self.confirm = Some(Confirm::Quit);
            None
        } else {
            Some(Action::Quit)
        }
    }

    /// Handles a mouse event: click selects a row, double use opens it,
    /// the wheel scrolls.
    pub fn on_mouse(&mut self, ev: MouseEvent) {
        match ev.kind {
            MouseEventKind::ScrollDown => self.down(3),
            MouseEventKind::ScrollUp => self.up(3),
            MouseEventKind::Down(MouseButton::Left)
                if self.view == View::Runs && ev.row >= self.table_top =>
            {
                let pos = self.offset + (ev.row - self.table_top) as usize;
                if pos == self.selected {
                    self.open_detail();
                } else if pos < self.rows().len() {
                    self.selected = pos;
                    self.pin();
                }
            }
            MouseEventKind::Down(MouseButton::Left)
                if self.view == View::Experiments && ev.row >= self.table_top =>
            {
                let pos = (ev.row - self.table_top) as usize;
                if pos < self.experiments.len() {
                    self.exp_selected = pos;
                }
            }
            _ => {}
        }
    }

    /// Keeps the selection inside the rows and the window of `height` rows.
    pub fn clamp(&mut self, height: usize) {
        let rows = self.rows();
        let n = rows.len();
        if let Some(pos) = self.pinned.and_then(|i| rows.iter().position(|&r| r == i)) {
            self.selected = pos;
        }
        if n == 0 {
            self.selected = 0;
            self.offset = 0;
            return;
        }
        self.selected = self.selected.min(n - 1);
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if height > 0 && self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(n.saturating_sub(height.max(1)));
    }
}

/// Every key, for the help overlay.
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓ / k j", "move"),
    ("PgUp PgDn g G", "page, first, last"),
    ("Tab / Shift-Tab", "next/previous view (detail: next tab)"),
    ("1 2 3 4", "runs, compare, experiments, plugins"),
    ("Enter / l", "open run detail; run experiment"),
    ("Esc / h", "back from detail; clear filter"),
    ("← → / h l", "compare: scroll columns sideways"),
    (
        "s S / d",
        "compare: sort by a column, reverse / every column or what differs",
    ),
    ("s / S", "sort by next column / reverse"),
    ("/", "filter (Enter keeps, Esc clears)"),
    ("c / r", "cancel selected run (asks first) / re-run it"),
    ("e", "export report (csv, md, tex)"),
    (
        "space b u",
        "mark run for the chart, pin/unpin baseline, clear",
    ),
    ("m", "detail: pick the chart's metric (type to filter)"),
    (
        "a y x f + -",
        "chart: smoothing, log y, x axis, recent, window",
    ),
    ("n", "detail images: each preview alone (larger), then all"),
    ("D", "config diff: selected run vs baseline or mark"),
    ("p", "runs: system panel (CPU, memory per worker)"),
    ("mouse", "click selects, click again opens, wheel scrolls"),
    ("?", "this help"),
    ("q / Ctrl-C", "quit (asks if runs are active)"),
];
