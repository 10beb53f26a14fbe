//! The headless view of a running experiment, on stderr (stdout keeps the
//! final table alone): one progress bar per active run on a terminal
//! (indicatif), or, when stderr is not a terminal (CI logs, pipes), one line
//! per start and end and a heartbeat line per running run at least every
//! [`HEARTBEAT`], so a long run never looks hung.

use crate::results::RunStatus;
use crate::scheduler::Observer;
use crate::state::{ExperimentState, RunRow};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The longest a running run goes without a line when stderr is not a terminal.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// Progress bars or plain lines.
pub struct Headless {
    bars: Option<MultiProgress>,
    active: BTreeMap<usize, ProgressBar>,
    announced: BTreeMap<usize, RunStatus>,
    total: usize,
    /// Where plain lines go (stderr).
    out: Box<dyn Write + Send>,
    /// When each running run last had a line.
    last_line: BTreeMap<usize, Instant>,
    heartbeat: Duration,
}

impl Headless {
    /// Bars when stderr is a terminal, lines otherwise.
    pub fn new(total: usize) -> Headless {
        let bars = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)));
        Headless {
            bars,
            active: BTreeMap::new(),
            announced: BTreeMap::new(),
            total,
            out: Box::new(std::io::stderr()),
            last_line: BTreeMap::new(),
            heartbeat: HEARTBEAT,
        }
    }

    /// Plain lines into `out`, a heartbeat every `heartbeat` (tests).
    pub fn lines_to(total: usize, out: Box<dyn Write + Send>, heartbeat: Duration) -> Headless {
        Headless {
            bars: None,
            active: BTreeMap::new(),
            announced: BTreeMap::new(),
            total,
            out,
            last_line: BTreeMap::new(),
            heartbeat,
        }
    }

    fn print(&mut self, line: &str) {
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }

    /// What a running run is doing now: phase, epoch, step and progress.
    fn doing(run: &RunRow) -> String {
        let mut parts = Vec::new();
        if !run.phase.is_empty() {
            parts.push(run.phase.clone());
        }
        if run.epoch > 0 {
            parts.push(format!("epoch {}", run.epoch));
        }
        match run.progress {
            Some((done, total)) if total > 0 => parts.push(format!("step {done}/{total}")),
            _ if run.step > 0 => parts.push(format!("step {}", run.step)),
            _ => {}
        }
        parts.join(", ")
    }

    fn headline(run: &RunRow, metrics: &[String]) -> String {
        let mut parts = Vec::new();
        for m in metrics.iter().take(3) {
            if let Some(v) = run.latest.get(m) {
                parts.push(format!("{m}={}", crate::report::fmt_num(*v)));
            }
        }
        if parts.is_empty() {
            if let Some(v) = run.latest.get("loss") {
                parts.push(format!("loss={}", crate::report::fmt_num(*v)));
            }
        }
        parts.join(" ")
    }

    fn line(&self, index: usize, run: &RunRow, state: &ExperimentState) -> String {
        let secs = run
            .elapsed(std::time::Instant::now())
            .map(|d| format!(" ({:.1}s)", d.as_secs_f64()))
            .unwrap_or_default();
        let mut line = format!(
            "[{}/{}] {:<9} {} ({}/{}){secs} {}",
            index + 1,
            self.total,
            run.status.name(),
            run.name,
            run.plugin,
            run.variant,
            Self::headline(run, &state.metrics)
        );
        if let Some(e) = &run.error {
            if run.status != RunStatus::Done {
                line.push_str(&format!("\n      {}", e.replace('\n', "\n      ")));
            }
        }
        line.trim_end().to_string()
    }
}

impl Observer for Headless {
    fn update(&mut self, state: &ExperimentState, index: usize) {
        let run = &state.runs[index];
        let changed = self.announced.get(&index) != Some(&run.status);
        if changed {
            self.announced.insert(index, run.status);
        }
        match &self.bars {
            None => {
                if changed && run.status != RunStatus::Queued {
                    let line = self.line(index, run, state);
                    self.print(&line);
                    self.last_line.insert(index, Instant::now());
                }
                if run.status.is_final() {
                    self.last_line.remove(&index);
                }
            }
            Some(multi) => {
                if run.status == RunStatus::Running && !self.active.contains_key(&index) {
                    let bar = multi.add(ProgressBar::new(1));
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{prefix:30!} [{bar:30}] {pos}/{len} {elapsed} eta {eta} {msg}",
                        )
                        .expect("valid template")
                        .progress_chars("=> "),
                    );
                    bar.set_prefix(run.name.clone());
                    self.active.insert(index, bar);
                }
                if let Some(bar) = self.active.get(&index) {
                    if let Some((done, total)) = run.progress {
                        bar.set_length(total.max(1));
                        bar.set_position(done);
                    }
                    bar.set_message(format!(
                        "{} {}",
                        run.phase,
                        Self::headline(run, &state.metrics)
                    ));
                }
                if run.status.is_final() && changed {
                    if let Some(bar) = self.active.remove(&index) {
                        bar.finish_and_clear();
                        multi.remove(&bar);
                    }
                    let line = self.line(index, run, state);
                    let _ = multi.println(line);
                }
            }
        }
    }

    fn tick(&mut self, state: &ExperimentState) {
        if self.bars.is_some() {
            return;
        }
        let now = Instant::now();
        let due: Vec<usize> = self
            .last_line
            .iter()
            .filter(|(i, at)| {
                state
                    .runs
                    .get(**i)
                    .is_some_and(|r| r.status == RunStatus::Running)
                    && now.duration_since(**at) >= self.heartbeat
            })
            .map(|(i, _)| *i)
            .collect();
        for i in due {
            let run = &state.runs[i];
            let mut line = self.line(i, run, state);
            let doing = Self::doing(run);
            if !doing.is_empty() {
                line.push_str(&format!(" [{doing}]"));
            }
            self.print(&line);
            self.last_line.insert(i, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_running_run_gets_heartbeat_lines_and_an_ended_one_none() {
        let out = Shared::default();
        let mut view = Headless::lines_to(2, Box::new(out.clone()), Duration::ZERO);
        let mut state = ExperimentState {
            name: "x".into(),
            metrics: vec!["mse".into()],
            runs: vec![
                RunRow::queued(
                    "r0",
                    "d0".into(),
                    "slow",
                    "faulty",
                    "slow",
                    Default::default(),
                ),
                RunRow::queued("r1", "d1".into(), "quick", "pca", "pca", Default::default()),
            ],
        };
        let now = Instant::now();
        state.apply(0, crate::state::Update::Launched, now);
        state.runs[0].phase = "training".into();
        state.runs[0].epoch = 2;
        state.runs[0].progress = Some((120, 400));
        view.update(&state, 0);
        view.update(&state, 1); // queued: no line
        view.tick(&state);
        view.tick(&state);
        state.apply(
            0,
            crate::state::Update::Ended {
                status: RunStatus::Done,
                error: None,
            },
            now,
        );
        view.update(&state, 0);
        view.tick(&state);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[0].starts_with("[1/2] running   slow (faulty/slow)"),
            "{text}"
        );
        assert!(
            lines[1].ends_with("[training, epoch 2, step 120/400]"),
            "{text}"
        );
        assert_eq!(lines[1], lines[2]);
        assert!(lines[3].starts_with("[1/2] done      slow"), "{text}");
        assert!(!text.contains("quick"), "{text}");
    }
}
