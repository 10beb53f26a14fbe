//! The live state of an experiment's runs, updated by run events. The
//! headless display and the terminal UI are both views over this state.

use crate::events::Event;
use crate::results::RunStatus;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How many log lines a run keeps in memory.
const LOG_TAIL: usize = 200;

/// One point of a metric's history.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricPoint {
    /// Step.
    pub step: u64,
    /// Epoch.
    pub epoch: u32,
    /// Value.
    pub value: f64,
    /// Seconds since the worker started, when the point arrived live
    /// (`metrics.csv` records no time, so a past run's points have none).
    pub wall: Option<f64>,
}

/// One run as the views see it.
#[derive(Clone, Debug)]
pub struct RunRow {
    /// Run id (directory name).
    pub run_id: String,
    /// Run directory.
    pub dir: PathBuf,
    /// Display name.
    pub name: String,
    /// Plugin.
    pub plugin: String,
    /// Variant.
    pub variant: String,
    /// Parameters the spec set.
    pub key_params: BTreeMap<String, String>,
    /// Status.
    pub status: RunStatus,
    /// What the worker is doing.
    pub phase: String,
    /// (done, total) steps.
    pub progress: Option<(u64, u64)>,
    /// Latest epoch.
    pub epoch: u32,
    /// Latest step.
    pub step: u64,
    /// Latest value per metric: `loss` (train), `val_loss`, test metrics by name.
    pub latest: BTreeMap<String, f64>,
    /// History per metric (same keys as `latest`).
    pub history: BTreeMap<String, Vec<MetricPoint>>,
    /// Last log lines.
    pub log: VecDeque<String>,
    /// Previews: name → path inside the run directory.
    pub previews: BTreeMap<String, PathBuf>,
    /// When its worker started.
    pub started: Option<Instant>,
    /// When it ended.
    pub finished: Option<Instant>,
    /// Why it failed.
    pub error: Option<String>,
    /// The status to show instead of `status`'s name: a past run's
    /// `interrupted` (recorded as running, its worker gone) or
    /// `unreadable` (its summary cannot be read).
    pub shown: Option<&'static str>,
    /// The worker's process id, as its `started` event reported it.
    pub pid: Option<u32>,
}

impl RunRow {
    /// The status as shown: [`shown`](Self::shown), or `status`'s name.
    pub fn status_label(&self) -> &'static str {
        self.shown.unwrap_or(self.status.name())
    }

    /// A queued run.
    pub fn queued(
        run_id: &str,
        dir: PathBuf,
        name: &str,
        plugin: &str,
        variant: &str,
        key_params: BTreeMap<String, String>,
    ) -> RunRow {
        RunRow {
            run_id: run_id.to_string(),
            dir,
            name: name.to_string(),
            plugin: plugin.to_string(),
            variant: variant.to_string(),
            key_params,
            status: RunStatus::Queued,
            phase: String::new(),
            progress: None,
            epoch: 0,
            step: 0,
            latest: BTreeMap::new(),
            history: BTreeMap::new(),
            log: VecDeque::new(),
            previews: BTreeMap::new(),
            started: None,
            finished: None,
            error: None,
            shown: None,
            pid: None,
        }
    }

    /// Time since start (to the end when finished).
    pub fn elapsed(&self, now: Instant) -> Option<Duration> {
        let start = self.started?;
        Some(
            self.finished
                .unwrap_or(now)
                .saturating_duration_since(start),
        )
    }

    /// Estimated time left, from progress so far.
    pub fn eta(&self, now: Instant) -> Option<Duration> {
        let (done, total) = self.progress?;
        if self.status != RunStatus::Running || done == 0 || total <= done {
            return None;
        }
        let elapsed = self.elapsed(now)?.as_secs_f64();
        Some(Duration::from_secs_f64(
            elapsed / done as f64 * (total - done) as f64,
        ))
    }

    /// Fraction done in [0, 1].
    pub fn fraction(&self) -> f64 {
        match (self.status, self.progress) {
            (RunStatus::Done, _) => 1.0,
            (_, Some((done, total))) if total > 0 => (done as f64 / total as f64).min(1.0),
            _ => 0.0,
        }
    }

    fn push_log(&mut self, line: String) {
        if self.log.len() == LOG_TAIL {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }
}

/// What happened to a run.
#[derive(Clone, Debug)]
pub enum Update {
    /// The worker process was started.
    Launched,
    /// The worker sent an event.
    Event(Event),
    /// A line of the worker's output that was not an event.
    Output(String),
    /// The run ended.
    Ended {
        /// Final status.
        status: RunStatus,
        /// Why it failed.
        error: Option<String>,
    },
}

/// All runs of an experiment.
#[derive(Clone, Debug, Default)]
pub struct ExperimentState {
    /// Experiment name.
    pub name: String,
    /// Metrics the tables show.
    pub metrics: Vec<String>,
    /// Runs in order.
    pub runs: Vec<RunRow>,
}

impl ExperimentState {
    /// Applies an update to run `index`, at time `now`.
    pub fn apply(&mut self, index: usize, update: Update, now: Instant) {
        let Some(run) = self.runs.get_mut(index) else {
            return;
        };
        match update {
            Update::Launched => {
                run.status = RunStatus::Running;
                run.started = Some(now);
            }
            Update::Output(line) => run.push_log(line),
            Update::Ended { status, error } => {
                run.status = status;
                run.finished = Some(now);
                if let Some(e) = &error {
                    run.push_log(format!("error: {e}"));
                }
                run.error = error;
            }
            Update::Event(ev) => match ev {
                Event::Started { pid } => run.pid = Some(pid),
                Event::Phase { phase } => run.phase = phase,
                Event::Metric {
                    step,
                    epoch,
                    split,
                    name,
                    value,
                } => {
                    let key = match split.as_str() {
                        "train" => name,
                        other => format!("{other}_{name}"),
                    };
                    run.step = run.step.max(step);
                    run.epoch = run.epoch.max(epoch);
                    run.latest.insert(key.clone(), value);
                    let wall = run
                        .started
                        .map(|s| now.saturating_duration_since(s).as_secs_f64());
                    run.history.entry(key).or_default().push(MetricPoint {
                        step,
                        epoch,
                        value,
                        wall,
                    });
                }
                Event::Log { level, message } => run.push_log(format!("[{level}] {message}")),
                Event::Progress { done, total } => run.progress = Some((done, total)),
                Event::Preview { name, path } => {
                    run.previews.insert(name, path);
                }
                Event::Info { key, value } => run.push_log(format!("{key}: {value}")),
                Event::Finished { metrics, .. } => {
                    for (k, v) in metrics {
                        run.latest.insert(k, v);
                    }
                }
            },
        }
    }

    /// Runs not yet ended.
    pub fn active(&self) -> usize {
        self.runs.iter().filter(|r| !r.status.is_final()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_drive_status_metrics_and_progress() {
        let mut s = ExperimentState::default();
        s.runs.push(RunRow::queued(
            "id",
            PathBuf::from("d"),
            "a",
            "pca",
            "pca",
            BTreeMap::new(),
        ));
        let t0 = Instant::now();
        s.apply(0, Update::Launched, t0);
        assert_eq!(s.runs[0].status, RunStatus::Running);
        let metric = |split: &str, name: &str, step, value| {
            Update::Event(Event::Metric {
                step,
                epoch: 1,
                split: split.into(),
                name: name.into(),
                value,
            })
        };
        s.apply(0, metric("train", "loss", 1, 0.5), t0);
        s.apply(0, metric("train", "loss", 2, 0.25), t0);
        s.apply(0, metric("val", "loss", 2, 0.3), t0);
        s.apply(0, Update::Event(Event::Progress { done: 2, total: 4 }), t0);
        let r = &s.runs[0];
        assert_eq!(r.latest["loss"], 0.25);
        assert_eq!(r.latest["val_loss"], 0.3);
        assert_eq!(r.history["loss"].len(), 2);
        assert_eq!(r.fraction(), 0.5);
        assert_eq!(
            r.eta(t0 + Duration::from_secs(10)),
            Some(Duration::from_secs(10))
        );
        s.apply(
            0,
            Update::Ended {
                status: RunStatus::Failed,
                error: Some("boom".into()),
            },
            t0,
        );
        assert_eq!(s.runs[0].status, RunStatus::Failed);
        assert_eq!(s.runs[0].log.back().unwrap(), "error: boom");
        assert_eq!(s.active(), 0);
    }

    /// The worker's pid comes from its `started` event; each point records
    /// when it arrived, in seconds since the worker was launched (none
    /// before the launch is known).
    #[test]
    fn started_gives_the_pid_and_points_their_wall_time() {
        let mut s = ExperimentState::default();
        s.runs.push(RunRow::queued(
            "id",
            PathBuf::from("d"),
            "a",
            "pca",
            "pca",
            BTreeMap::new(),
        ));
        let t0 = Instant::now();
        let loss = |step| {
            Update::Event(Event::Metric {
                step,
                epoch: 1,
                split: "train".into(),
                name: "loss".into(),
                value: 1.0,
            })
        };
        s.apply(0, loss(1), t0);
        s.apply(0, Update::Launched, t0);
        s.apply(0, Update::Event(Event::Started { pid: 4242 }), t0);
        s.apply(0, loss(2), t0 + Duration::from_millis(2500));
        let r = &s.runs[0];
        assert_eq!(r.pid, Some(4242));
        let walls: Vec<Option<f64>> = r.history["loss"].iter().map(|p| p.wall).collect();
        assert_eq!(walls, [None, Some(2.5)]);
    }
}
