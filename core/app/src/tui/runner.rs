//! The event loop: one channel into the UI thread carries terminal events
//! (read on their own thread) and run updates (from the scheduler's
//! thread); the loop applies them, carries out actions, and redraws when
//! something changed, at most 30 times a second. It blocks on the channel
//! when idle, so an idle UI uses no CPU.

use super::app::{Action, UiState, View};
use super::graphics::Graphics;
use super::loader;
use super::system::{self, Sampler};
use super::terminal;
use super::theme::Theme;
use super::view::runs::rows_in;
use crate::results::RunSummary;
use crate::scheduler::{prepare, Cancel, Control, Observer, Prepared};
use crate::spec::resolve::Experiment;
use crate::state::{ExperimentState, RunRow, Update};
use crossterm::event::{self, Event as TermEvent, KeyEventKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The shortest time between two frames.
const FRAME: Duration = Duration::from_millis(33);

/// Messages to the UI thread.
pub enum ToUi {
    /// A key, mouse or resize event.
    Term(TermEvent),
    /// The scheduler applied `update` to run `index` (of the live experiment).
    Update(usize, Update, Instant),
    /// The scheduler added a run (a re-run).
    Added(Box<RunRow>),
    /// The scheduler finished.
    Done(Result<Vec<RunSummary>, String>),
}

/// Forwards scheduler updates to the UI thread.
struct Forward(Sender<ToUi>);

impl Observer for Forward {
    fn update(&mut self, _state: &ExperimentState, _index: usize) {}
    fn applied(&mut self, index: usize, update: &Update, at: Instant) {
        let _ = self.0.send(ToUi::Update(index, update.clone(), at));
    }
    fn added(&mut self, row: &RunRow) {
        let _ = self.0.send(ToUi::Added(Box::new(row.clone())));
    }
}

/// A running experiment seen from the UI.
struct Live {
    control: Sender<Control>,
    cancel: Cancel,
    thread: Option<JoinHandle<()>>,
    done: Option<Result<Vec<RunSummary>, String>>,
}

fn start(prepared: Prepared, exe: PathBuf, tx: Sender<ToUi>) -> Live {
    let (control_tx, control_rx) = mpsc::channel();
    let cancel = Cancel::default();
    let c = cancel.clone();
    let thread = std::thread::spawn(move || {
        let mut fwd = Forward(tx.clone());
        let result = prepared
            .execute_with(&exe, &mut fwd, &c, Some(&control_rx))
            .map_err(|e| format!("{e:#}"));
        let _ = tx.send(ToUi::Done(result));
    });
    Live {
        control: control_tx,
        cancel,
        thread: Some(thread),
        done: None,
    }
}

fn input_thread(tx: Sender<ToUi>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match event::poll(Duration::from_millis(250)) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if tx.send(ToUi::Term(ev)).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                Ok(false) => {}
                Err(_) => return,
            }
        }
    });
}

/// How the UI ended.
pub struct Outcome {
    /// The live experiment's final summaries, if one ran to its end.
    pub summaries: Option<Vec<RunSummary>>,
    /// The user quit while runs were active.
    pub cancelled: bool,
}

/// `workbench run SPEC` in a terminal: the UI over one experiment.
pub fn run_experiment(
    exp: &Experiment,
    prepared: Prepared,
    exe: &Path,
    results_root: &Path,
) -> anyhow::Result<Outcome> {
    let now = Instant::now();
    let mut ui = UiState::new(prepared.state.clone(), now);
    ui.live = true;
    ui.experiments = loader::experiment_files(Path::new("experiments"));
    let _ = exp;
    event_loop(ui, Some(prepared), exe, results_root)
}

/// `workbench` alone: past runs in `results/`, experiments in `experiments/`.
pub fn browse(exe: &Path, results_root: &Path, experiments_dir: &Path) -> anyhow::Result<Outcome> {
    let now = Instant::now();
    let mut ui = UiState::new(loader::past_runs(results_root, now), now);
    ui.experiments = loader::experiment_files(experiments_dir);
    if ui.state.runs.is_empty() {
        ui.view = View::Experiments;
    }
    event_loop(ui, None, exe, results_root)
}

fn event_loop(
    mut ui: UiState,
    prepared: Option<Prepared>,
    exe: &Path,
    results_root: &Path,
) -> anyhow::Result<Outcome> {
    ui.color = Theme::color_from_env();
    let (tx, rx): (Sender<ToUi>, Receiver<ToUi>) = mpsc::channel();
    let mut guard = terminal::enter()?;
    // Ask the terminal for its graphics before anything else reads keys.
    let graphics = Graphics::detect();
    ui.graphics = graphics.as_ref().map(|g| g.name());
    let stop_input = Arc::new(AtomicBool::new(false));
    input_thread(tx.clone(), stop_input.clone());
    let mut live = prepared.map(|p| start(p, exe.to_path_buf(), tx.clone()));
    let mut dirty = true;
    let mut refresh = false;
    let mut last_draw = Instant::now() - FRAME;
    let mut cancelled = false;
    let mut sampler = Sampler::default();
    let result = loop {
        // Draw when something changed, at most every FRAME.
        if dirty && last_draw.elapsed() >= FRAME {
            ui.now = Instant::now();
            loader::ensure(&mut ui, results_root, refresh);
            refresh = false;
            // The system panel's sample, at most once a second.
            if ui.system_panel && ui.view == View::Runs && sampler.due(ui.now) {
                ui.system = Some(sampler.sample(&ui.state, ui.now));
            }
            let size = guard.terminal.size()?;
            ui.clamp(rows_in(&ui, size.height));
            if let Some(g) = &graphics {
                let screen = ratatui::layout::Rect::new(0, 0, size.width, size.height);
                let areas = super::view::preview_areas(&ui, screen);
                loader::encode_previews(&mut ui, g, &areas);
            }
            guard.terminal.draw(|f| f.render_widget(&ui, f.area()))?;
            last_draw = Instant::now();
            dirty = false;
        }
        if ui.quitting && live.as_ref().is_none_or(|l| l.done.is_some()) {
            break Ok(());
        }
        let timeout = if dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else if ui.active() > 0 || ui.system_panel {
            // Elapsed times, ETAs and the system panel tick.
            system::EVERY
        } else {
            Duration::from_secs(3600)
        };
        let first = match rx.recv_timeout(timeout) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => {
                if ui.active() > 0 || ui.system_panel {
                    dirty = true;
                }
                None
            }
            Err(RecvTimeoutError::Disconnected) => break Ok(()),
        };
        // Take everything waiting, then draw once.
        let mut action = None;
        for msg in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            dirty = true;
            match msg {
                ToUi::Term(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                    if let Some(a) = ui.on_key(k) {
                        action = Some(a);
                        break;
                    }
                }
                ToUi::Term(TermEvent::Mouse(m)) => ui.on_mouse(m),
                ToUi::Term(_) => {}
                ToUi::Update(i, update, at) => {
                    let ended = matches!(update, Update::Ended { .. });
                    ui.state.apply(ui.live_offset + i, update, at);
                    refresh |= ended;
                }
                ToUi::Added(row) => ui.state.runs.push(*row),
                ToUi::Done(r) => {
                    if let Some(l) = live.as_mut() {
                        l.done = Some(r);
                    }
                }
            }
        }
        let Some(action) = action else { continue };
        match action {
            Action::Quit => {
                ui.quitting = true;
                match live.as_ref() {
                    Some(l) if l.done.is_none() => {
                        if ui.active() > 0 {
                            cancelled = true;
                        }
                        l.cancel.request();
                    }
                    _ => break Ok(()),
                }
            }
            Action::Cancel(i) => {
                if let Some(l) = live.as_ref() {
                    // The user stopped a run: the exit code says so (130), as
                    // Ctrl-C does headless.
                    cancelled = true;
                    let _ = l.control.send(Control::Cancel(i - ui.live_offset));
                    ui.message = Some(format!("cancelling {}", ui.state.runs[i].name));
                }
            }
            Action::Rerun(i) => {
                if let Some(l) = live.as_ref() {
                    let _ = l.control.send(Control::Rerun(i - ui.live_offset));
                    ui.message = Some(format!("re-running {}", ui.state.runs[i].name));
                }
            }
            Action::Export => {
                let saved = ui.view;
                ui.view = View::Compare;
                loader::ensure(&mut ui, results_root, true);
                ui.view = saved;
                ui.message = Some(match &ui.compare {
                    Some(c) => match loader::export(results_root, c) {
                        Ok(dir) => format!(
                            "exported report.csv, report.md, report.tex to {}",
                            dir.display()
                        ),
                        Err(e) => format!("export failed: {e}"),
                    },
                    None => "nothing to export: no experiment".into(),
                });
            }
            Action::RunExperiment(path) => {
                if ui.active() > 0 {
                    ui.message = Some("runs are still active; wait or cancel them first".into());
                    continue;
                }
                match load_and_prepare(&path, results_root) {
                    Ok(p) => {
                        if let Some(mut old) = live.take() {
                            drop(old.control);
                            if let Some(t) = old.thread.take() {
                                let _ = t.join();
                            }
                        }
                        ui.live = true;
                        ui.live_offset = ui.state.runs.len();
                        ui.state.name = p.state.name.clone();
                        for m in &p.state.metrics {
                            if !ui.state.metrics.contains(m) {
                                ui.state.metrics.push(m.clone());
                            }
                        }
                        ui.state.runs.extend(p.state.runs.iter().cloned());
                        ui.view = View::Runs;
                        ui.filter.clear();
                        ui.selected = ui
                            .rows()
                            .iter()
                            .position(|&r| r == ui.live_offset)
                            .unwrap_or(0);
                        ui.message = Some(format!("started {}", path.display()));
                        live = Some(start(p, exe.to_path_buf(), tx.clone()));
                    }
                    Err(e) => ui.message = Some(format!("cannot run {}: {e}", path.display())),
                }
            }
        }
    };
    stop_input.store(true, Ordering::SeqCst);
    drop(guard);
    let mut summaries = None;
    if let Some(mut l) = live {
        drop(l.control);
        l.cancel.request();
        if let Some(t) = l.thread.take() {
            let _ = t.join();
        }
        // The thread's last message may still be in the channel.
        while let Ok(msg) = rx.try_recv() {
            if let ToUi::Done(r) = msg {
                l.done = Some(r);
            }
        }
        match l.done {
            Some(Ok(s)) => summaries = Some(s),
            Some(Err(e)) => anyhow::bail!(e),
            None => {}
        }
    }
    result.map(|()| Outcome {
        summaries,
        cancelled,
    })
}

fn load_and_prepare(path: &Path, results_root: &Path) -> Result<Prepared, String> {
    let (_spec, _discovery, exp) = crate::spec::load_experiment(path, &[], results_root)
        .map_err(|e| format!("{:#}", e.error()))?;
    prepare(&exp, results_root, false).map_err(|e| e.to_string())
}
