//! The parent side of an experiment: prepare run directories, start one
//! worker process per run (N at a time), turn their event streams into state
//! updates, decide final statuses, and keep `summary.json` / `summary.csv`
//! current. A worker that panics, aborts or segfaults fails its own run only.

use crate::events::Event;
use crate::results::{
    experiment_dir, new_run_id, write_experiment_summary, ResultsError, RunStatus, RunSummary,
    Versions,
};
use crate::spec::resolve::Experiment;
use crate::spec::RunPlan;
use crate::state::{ExperimentState, RunRow, Update};
use crate::worker::WorkerJob;
use anyhow::Context as _;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How long workers get to stop after a cancel before they are killed.
const GRACE: Duration = Duration::from_secs(10);

/// Counts cancel requests (Ctrl-C presses): one asks runs to stop, two kill.
#[derive(Clone, Default)]
pub struct Cancel(Arc<AtomicUsize>);

impl Cancel {
    /// Records one request.
    pub fn request(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    /// Requests so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Sees the state after every update (the headless display, the TUI).
pub trait Observer {
    /// Run `index` changed.
    fn update(&mut self, state: &ExperimentState, index: usize);
    /// `update` is about to be applied to run `index` at time `at` (a view
    /// that keeps its own copy of the state applies it there too).
    fn applied(&mut self, _index: usize, _update: &Update, _at: Instant) {}
    /// A run was added at the end (a re-run).
    fn added(&mut self, _row: &RunRow) {}
    /// Called about ten times a second while runs are active.
    fn tick(&mut self, _state: &ExperimentState) {}
}

/// A request to the scheduler while it runs (from the terminal UI).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// Stop run `index`: a queued run is cancelled at once, a running one is
    /// sent `stop` and ends as its worker reports (cancelled).
    Cancel(usize),
    /// Run run `index`'s plan again in a fresh run directory, queued last.
    Rerun(usize),
}

/// The resolved spec of one run, as its `spec.yaml` records it.
#[derive(Serialize)]
struct ResolvedRunSpec<'a> {
    experiment: &'a str,
    description: &'a str,
    run_id: &'a str,
    #[serde(flatten)]
    plan: &'a RunPlan,
}

/// One prepared run.
pub struct PreparedRun {
    /// The plan.
    pub plan: RunPlan,
    /// Its id.
    pub run_id: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Its summary as the parent keeps it.
    pub summary: RunSummary,
    /// Already done in an earlier invocation (`--resume`): not run again.
    pub skip: bool,
}

/// Earlier runs of an experiment with a readable job, oldest first.
fn earlier_runs(exp_dir: &Path) -> Vec<(PathBuf, WorkerJob)> {
    let mut out: Vec<(PathBuf, WorkerJob)> = std::fs::read_dir(exp_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let dir = e.path();
            let job: WorkerJob =
                serde_json::from_slice(&std::fs::read(dir.join("run.json")).ok()?).ok()?;
            Some((dir, job))
        })
        .collect();
    out.sort_by(|a, b| a.1.run_id.cmp(&b.1.run_id));
    out
}

/// Whether two plans describe the same run (ignoring where the plugin file
/// is and the `resume` switch).
fn same_run(a: &RunPlan, b: &RunPlan) -> bool {
    let params = |p: &RunPlan| {
        let mut m = p.params.clone();
        m.remove("resume");
        m
    };
    a.name == b.name
        && a.plugin == b.plugin
        && a.variant == b.variant
        && params(a) == params(b)
        && a.train == b.train
        && a.dataset == b.dataset
        && a.evaluation == b.evaluation
}

/// An experiment whose run directories exist.
pub struct Prepared {
    /// `results/<experiment>`.
    pub exp_dir: PathBuf,
    /// The runs.
    pub runs: Vec<PreparedRun>,
    /// Runs at once.
    pub parallel: usize,
    /// Views' state.
    pub state: ExperimentState,
    /// The experiment's description (for re-runs' `spec.yaml`).
    pub description: String,
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Creates `results/<experiment>/<run-id>/` for every run with its resolved
/// `spec.yaml`, `run.json` (the worker's job) and a queued `summary.json`.
///
/// With `resume`, a run whose plan matches an earlier run of the experiment
/// reuses that run's directory: a finished (`done`) run is kept as it is and
/// not run again; any other is run again in place, appending to its
/// `metrics.csv`, and a variant that declares a `resume` parameter gets it set
/// so it continues from its last per-epoch checkpoint.
pub fn prepare(
    exp: &Experiment,
    results_root: &Path,
    resume: bool,
) -> Result<Prepared, ResultsError> {
    let exp_dir = experiment_dir(results_root, &exp.name);
    let earlier = if resume {
        earlier_runs(&exp_dir)
    } else {
        Vec::new()
    };
    let started = SystemTime::now();
    let mut runs = Vec::new();
    let mut state = ExperimentState {
        name: exp.name.clone(),
        metrics: exp.metrics.clone(),
        runs: Vec::new(),
    };
    for plan in &exp.runs {
        let previous = earlier
            .iter()
            .rev()
            .find(|(_, job)| same_run(&job.plan, plan));
        if let Some((dir, job)) = previous {
            if let Ok(summary) = crate::results::read_summary(dir) {
                if summary.status == Some(RunStatus::Done) {
                    let mut row = RunRow::queued(
                        &job.run_id,
                        dir.clone(),
                        &plan.name,
                        &plan.plugin,
                        &plan.variant,
                        plan.key_params.clone(),
                    );
                    row.status = RunStatus::Done;
                    row.latest = summary.metrics.clone();
                    state.runs.push(row);
                    runs.push(PreparedRun {
                        plan: plan.clone(),
                        run_id: job.run_id.clone(),
                        dir: dir.clone(),
                        summary,
                        skip: true,
                    });
                    continue;
                }
            }
        }
        let mut plan = plan.clone();
        let resuming = previous.is_some() && plan.params.contains_key("resume");
        if resuming {
            plan.params
                .insert("resume".into(), serde_json::Value::Bool(true));
        }
        let plan = &plan;
        let run_id = previous
            .map(|(_, job)| job.run_id.clone())
            .unwrap_or_else(|| new_run_id(started, plan.index, &plan.name));
        let run = prepare_run(&exp.name, &exp.description, &exp_dir, plan, run_id)?;
        state.runs.push(run.row());
        runs.push(run);
    }
    Ok(Prepared {
        exp_dir,
        runs,
        parallel: exp.parallel,
        state,
        description: exp.description.clone(),
    })
}

/// A run id for a re-run: a suffix when the original started in the same second.
fn fresh_run_id(exp_dir: &Path, plan: &RunPlan) -> String {
    let base = new_run_id(SystemTime::now(), plan.index, &plan.name);
    let mut run_id = base.clone();
    let mut n = 1;
    while exp_dir.join(&run_id).exists() {
        n += 1;
        run_id = format!("{base}-{n}");
    }
    run_id
}

/// Creates one run's directory with `spec.yaml`, `run.json` and a queued
/// `summary.json`.
fn prepare_run(
    experiment: &str,
    description: &str,
    exp_dir: &Path,
    plan: &RunPlan,
    run_id: String,
) -> Result<PreparedRun, ResultsError> {
    let dir = exp_dir.join(&run_id);
    std::fs::create_dir_all(&dir).map_err(crate::results::io_err(&dir))?;
    let resolved = ResolvedRunSpec {
        experiment,
        description,
        run_id: &run_id,
        plan,
    };
    let yaml = serde_yaml::to_string(&resolved).expect("resolved specs serialize");
    crate::results::write_atomic(&dir.join("spec.yaml"), yaml.as_bytes())?;
    let job = WorkerJob {
        run_id: run_id.clone(),
        experiment: experiment.to_string(),
        plan: plan.clone(),
    };
    crate::results::write_atomic(
        &dir.join("run.json"),
        &serde_json::to_vec_pretty(&job).expect("jobs serialize"),
    )?;
    let summary = RunSummary {
        run_id: run_id.clone(),
        experiment: experiment.to_string(),
        name: plan.name.clone(),
        plugin: plan.plugin.clone(),
        variant: plan.variant.clone(),
        key_params: plan.key_params.clone(),
        seed: plan.train.seed,
        status: Some(RunStatus::Queued),
        versions: Versions {
            workbench: env!("CARGO_PKG_VERSION").to_string(),
            abi: workbench_api::ABI_VERSION,
            plugin: plan.plugin_version.clone(),
        },
        ..Default::default()
    };
    summary.write(&dir)?;
    Ok(PreparedRun {
        plan: plan.clone(),
        run_id,
        dir,
        summary,
        skip: false,
    })
}

impl PreparedRun {
    /// The run as the views first see it (queued).
    pub fn row(&self) -> RunRow {
        RunRow::queued(
            &self.run_id,
            self.dir.clone(),
            &self.plan.name,
            &self.plan.plugin,
            &self.plan.variant,
            self.plan.key_params.clone(),
        )
    }
}

enum Msg {
    Line(usize, String),
    Eof(usize),
}

struct Active {
    child: Child,
    stdin: Option<ChildStdin>,
    finished: Option<Event>,
    started: Instant,
    stop_sent: Option<Instant>,
}

impl Active {
    /// Asks the worker to stop (once).
    fn stop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"stop\n");
        }
        self.stop_sent.get_or_insert_with(Instant::now);
    }
}

/// Human words for how a process ended.
pub fn describe_exit(status: ExitStatus) -> String {
    if let Some(sig) = status.signal() {
        let name = match sig {
            libc::SIGABRT => "SIGABRT, the process aborted",
            libc::SIGSEGV => "SIGSEGV, a segmentation fault",
            libc::SIGKILL => "SIGKILL, killed",
            libc::SIGTERM => "SIGTERM, terminated",
            libc::SIGBUS => "SIGBUS, a bus error",
            libc::SIGILL => "SIGILL, an illegal instruction",
            libc::SIGFPE => "SIGFPE, an arithmetic fault",
            _ => "a signal",
        };
        format!("worker died from signal {sig} ({name})")
    } else {
        match status.code() {
            Some(code) => format!("worker exited with code {code} without reporting a result"),
            None => "worker ended without reporting a result".to_string(),
        }
    }
}

/// The last `n` lines of a file (for failure messages).
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl Prepared {
    /// Runs every prepared run with `exe worker RUN_DIR` processes, at most
    /// `parallel` at once, until all end or `cancel` stops them. Returns the
    /// final summaries.
    pub fn execute(
        self,
        exe: &Path,
        observer: &mut dyn Observer,
        cancel: &Cancel,
    ) -> anyhow::Result<Vec<RunSummary>> {
        self.execute_with(exe, observer, cancel, None)
    }

    /// Like [`Prepared::execute`], also taking [`Control`] requests from
    /// `control`. With a control channel it keeps waiting for requests
    /// after every run ended, until the sender is dropped or `cancel` is
    /// requested.
    pub fn execute_with(
        mut self,
        exe: &Path,
        observer: &mut dyn Observer,
        cancel: &Cancel,
        control: Option<&mpsc::Receiver<Control>>,
    ) -> anyhow::Result<Vec<RunSummary>> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let mut active: BTreeMap<usize, Active> = BTreeMap::new();
        let mut queue: VecDeque<usize> = (0..self.runs.len()).collect();
        let mut user_cancelled: BTreeSet<usize> = BTreeSet::new();
        let mut control_open = control.is_some();
        let mut stop_sent_at: Option<Instant> = None;
        let mut last_tick = Instant::now();
        loop {
            // Requests from the UI.
            while let Some(rx_control) = control.filter(|_| control_open) {
                let request = match rx_control.try_recv() {
                    Ok(r) => r,
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        control_open = false;
                        break;
                    }
                };
                match request {
                    Control::Cancel(i) => {
                        if let Some(pos) = queue.iter().position(|&q| q == i) {
                            queue.remove(pos);
                            self.end(
                                i,
                                RunStatus::Cancelled,
                                Some("cancelled before it started".into()),
                                observer,
                            )?;
                        } else if let Some(a) = active.get_mut(&i) {
                            user_cancelled.insert(i);
                            a.stop();
                        }
                    }
                    Control::Rerun(i) if i < self.runs.len() && stop_sent_at.is_none() => {
                        let plan = self.runs[i].plan.clone();
                        let run = prepare_run(
                            &self.state.name,
                            &self.description,
                            &self.exp_dir,
                            &plan,
                            fresh_run_id(&self.exp_dir, &plan),
                        )?;
                        let row = run.row();
                        self.runs.push(run);
                        observer.added(&row);
                        self.state.runs.push(row);
                        queue.push_back(self.runs.len() - 1);
                        let all: Vec<RunSummary> =
                            self.runs.iter().map(|r| r.summary.clone()).collect();
                        write_experiment_summary(&self.exp_dir, &all)?;
                    }
                    Control::Rerun(_) => {}
                }
            }
            // Cancel: stop workers, and queue no more.
            let cancels = cancel.count();
            if cancels > 0 && stop_sent_at.is_none() {
                stop_sent_at = Some(Instant::now());
                for a in active.values_mut() {
                    a.stop();
                }
                while let Some(i) = queue.pop_front() {
                    self.end(
                        i,
                        RunStatus::Cancelled,
                        Some("cancelled before it started".into()),
                        observer,
                    )?;
                }
            }
            for a in active.values_mut() {
                let overdue = a.stop_sent.is_some_and(|at| at.elapsed() > GRACE);
                if cancels > 1 || overdue {
                    let _ = a.child.kill();
                }
            }
            // Start runs while there is room.
            while cancels == 0 && active.len() < self.parallel {
                let Some(i) = queue.pop_front() else { break };
                if self.runs[i].skip {
                    observer.update(&self.state, i);
                    continue;
                }
                match self.launch(i, exe, tx.clone()) {
                    Ok(a) => {
                        active.insert(i, a);
                        self.runs[i].summary.status = Some(RunStatus::Running);
                        self.runs[i].summary.started_at = Some(now_rfc3339());
                        self.runs[i].summary.write(&self.runs[i].dir)?;
                        self.apply(i, Update::Launched, observer);
                    }
                    Err(e) => self.end(
                        i,
                        RunStatus::Failed,
                        Some(format!("cannot start worker: {e:#}")),
                        observer,
                    )?,
                }
            }
            if active.is_empty() && queue.is_empty() && (!control_open || cancels > 0) {
                break;
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Msg::Line(i, line)) => {
                    let update = match Event::from_line(&line) {
                        Some(ev) => {
                            self.record(i, &ev);
                            if matches!(ev, Event::Finished { .. }) {
                                if let Some(a) = active.get_mut(&i) {
                                    a.finished = Some(ev.clone());
                                }
                            }
                            Update::Event(ev)
                        }
                        None => Update::Output(line),
                    };
                    self.apply(i, update, observer);
                }
                Ok(Msg::Eof(i)) => {
                    if let Some(mut a) = active.remove(&i) {
                        drop(a.stdin.take());
                        let status = a.child.wait().context("waiting for a worker")?;
                        let (final_status, error) = match a.finished {
                            Some(Event::Finished { status, error, .. }) => (status, error),
                            _ if stop_sent_at.is_some() || user_cancelled.contains(&i) => (
                                RunStatus::Cancelled,
                                Some(format!("cancelled ({})", describe_exit(status))),
                            ),
                            _ => {
                                let log = tail(&self.runs[i].dir.join("log.txt"), 15);
                                let mut msg = describe_exit(status);
                                if !log.trim().is_empty() {
                                    msg.push_str("; last lines of log.txt:\n");
                                    msg.push_str(&log);
                                }
                                (RunStatus::Failed, Some(msg))
                            }
                        };
                        self.runs[i].summary.duration_seconds =
                            Some(a.started.elapsed().as_secs_f64());
                        self.end(i, final_status, error, observer)?;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {}
            }
            if last_tick.elapsed() >= Duration::from_millis(100) {
                last_tick = Instant::now();
                observer.tick(&self.state);
            }
        }
        Ok(self.runs.into_iter().map(|r| r.summary).collect())
    }

    /// Applies `update` to run `i` and tells the observer.
    fn apply(&mut self, i: usize, update: Update, observer: &mut dyn Observer) {
        let now = Instant::now();
        observer.applied(i, &update, now);
        self.state.apply(i, update, now);
        observer.update(&self.state, i);
    }

    /// Folds a worker event into the run's summary.
    fn record(&mut self, i: usize, ev: &Event) {
        let run = &mut self.runs[i];
        let s = &mut run.summary;
        match ev {
            Event::Started { pid } => {
                s.info.insert("worker_pid".into(), pid.to_string());
                let _ = s.write(&run.dir);
            }
            Event::Info { key, value } => {
                s.info.insert(key.clone(), value.clone());
            }
            Event::Finished {
                metrics,
                checkpoint,
                ..
            } => {
                s.metrics = metrics.clone();
                s.checkpoint = checkpoint.clone();
            }
            _ => {}
        }
    }

    fn end(
        &mut self,
        i: usize,
        status: RunStatus,
        error: Option<String>,
        observer: &mut dyn Observer,
    ) -> anyhow::Result<()> {
        {
            let run = &mut self.runs[i];
            run.summary.status = Some(status);
            run.summary.error = error.clone();
            run.summary.finished_at = Some(now_rfc3339());
            run.summary.write(&run.dir)?;
        }
        let all: Vec<RunSummary> = self.runs.iter().map(|r| r.summary.clone()).collect();
        write_experiment_summary(&self.exp_dir, &all)?;
        self.apply(i, Update::Ended { status, error }, observer);
        Ok(())
    }

    fn launch(&self, i: usize, exe: &Path, tx: mpsc::Sender<Msg>) -> anyhow::Result<Active> {
        let dir = &self.runs[i].dir;
        let log_path = dir.join("log.txt");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("cannot open {}", log_path.display()))?;
        let mut child = Command::new(exe)
            .arg("worker")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            // Its own process group: Ctrl-C reaches the parent only, which
            // then stops the workers cleanly.
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot run {}", exe.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let stdin = child.stdin.take();
        std::thread::spawn(move || {
            let reader = BufReader::new(stdout);
            for line in reader.split(b'\n') {
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line).into_owned();
                if tx.send(Msg::Line(i, line)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Msg::Eof(i));
        });
        Ok(Active {
            child,
            stdin,
            finished: None,
            started: Instant::now(),
            stop_sent: None,
        })
    }
}
