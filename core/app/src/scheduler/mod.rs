//! The parent side of an experiment: prepare run directories, start one
//! worker process per run (N at a time), turn their event streams into state
//! updates, decide final statuses, and keep `summary.json` / `summary.csv`
//! current. A worker that panics, aborts or segfaults fails its own run only.

use crate::events::Event;
use crate::results::{update_experiment_summary, RunStatus, RunSummary};
use crate::spec::executor::Executor;
use crate::state::{ExperimentState, RunRow, Update};
use anyhow::Context as _;

mod prepare;
pub mod slurm;

use prepare::{fresh_run_id, now_rfc3339, prepare_run};
pub use prepare::{prepare, PreparedRun};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// The spec's plugin directories, passed to every worker.
    pub plugin_dirs: Vec<PathBuf>,
    /// Where the runs execute.
    pub executor: Executor,
    /// Runs of an earlier Slurm submission to follow instead of submitting
    /// (`workbench watch`).
    pub attached: Option<BTreeMap<usize, slurm::Tracked>>,
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
        if let Executor::Slurm(options) = self.executor.clone() {
            let tracked = match self.attached.take() {
                Some(tracked) => tracked,
                None => self.submit(exe)?.1,
            };
            return self.follow_slurm(tracked, exe, &options, observer, cancel, control);
        }
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
                        let new = self.add_rerun(i, observer)?;
                        queue.push_back(new);
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
                        self.runs[i].summary.placement = Some(crate::results::Placement {
                            executor: "local".into(),
                            node: Some(crate::results::Invocation::current().host),
                            ..Default::default()
                        });
                        self.runs[i].summary.status = Some(RunStatus::Running);
                        self.runs[i].summary.started_at = Some(now_rfc3339());
                        self.runs[i].summary.write(self.runs[i].dir.path())?;
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
                                let log = tail(&self.runs[i].dir.log(), 15);
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

    /// Submits the runs not kept from earlier (`--resume`) to Slurm, as
    /// one job array; returns the job id and the runs to follow. An error
    /// for the local executor, which has nothing to submit.
    pub fn submit(
        &mut self,
        exe: &Path,
    ) -> anyhow::Result<(String, BTreeMap<usize, slurm::Tracked>)> {
        let Executor::Slurm(options) = self.executor.clone() else {
            anyhow::bail!("only the slurm executor submits runs");
        };
        let indices: Vec<usize> = (0..self.runs.len())
            .filter(|&i| !self.runs[i].skip)
            .collect();
        self.submit_slurm(&indices, exe, &options)
    }

    /// Prepares run `i`'s plan again in a fresh run directory, appended
    /// as a queued run the views are told about; returns its index.
    fn add_rerun(&mut self, i: usize, observer: &mut dyn Observer) -> anyhow::Result<usize> {
        let plan = self.runs[i].job.plan.clone();
        let run = prepare_run(
            &self.state.name,
            &self.description,
            &self.exp_dir,
            &plan,
            fresh_run_id(&self.exp_dir, &plan),
            false,
        )?;
        let row = run.row();
        self.runs.push(run);
        observer.added(&row);
        self.state.runs.push(row);
        let all: Vec<RunSummary> = self.runs.iter().map(|r| r.summary.clone()).collect();
        update_experiment_summary(&self.exp_dir, &all)?;
        Ok(self.runs.len() - 1)
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
                let _ = s.write(run.dir.path());
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
            run.summary.write(run.dir.path())?;
        }
        let all: Vec<RunSummary> = self.runs.iter().map(|r| r.summary.clone()).collect();
        update_experiment_summary(&self.exp_dir, &all)?;
        self.apply(i, Update::Ended { status, error }, observer);
        Ok(())
    }

    fn launch(&self, i: usize, exe: &Path, tx: mpsc::Sender<Msg>) -> anyhow::Result<Active> {
        let dir = &self.runs[i].dir;
        let log_path = dir.log();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&log_path)
            .with_context(|| format!("cannot open {}", log_path.display()))?;
        let mut child = Command::new(exe)
            .arg("worker")
            .arg(dir.path())
            .args(
                self.plugin_dirs
                    .iter()
                    .flat_map(|d| [OsStr::new("--plugins"), d.as_os_str()]),
            )
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
