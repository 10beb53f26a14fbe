//! The headless view of a running experiment: one progress bar per active
//! run on a terminal (indicatif), or one line per start and end when output
//! is not a terminal (CI logs, pipes).

use crate::results::RunStatus;
use crate::scheduler::Observer;
use crate::state::{ExperimentState, RunRow};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;

/// Progress bars or plain lines.
pub struct Headless {
    bars: Option<MultiProgress>,
    active: BTreeMap<usize, ProgressBar>,
    announced: BTreeMap<usize, RunStatus>,
    total: usize,
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
        }
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
                    println!("{}", self.line(index, run, state));
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
}
