//! The system panel's data: CPU and memory of every running worker process
//! and of the host. The event loop samples them with `sysinfo` (at most once
//! a second, only while the panel is shown); the view draws the last sample.

use crate::results::RunStatus;
use crate::state::ExperimentState;
use std::time::{Duration, Instant};
use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// The shortest time between two samples.
pub const EVERY: Duration = Duration::from_secs(1);

/// One worker's load.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerLoad {
    /// The run (index into the state's runs).
    pub run: usize,
    /// Its worker's process id.
    pub pid: u32,
    /// CPU use in percent of one core, and resident memory in bytes;
    /// `None` when no workbench process has this id here (a Slurm task on
    /// another node, or a worker that just ended).
    pub usage: Option<(f32, u64)>,
}

/// One sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SystemInfo {
    /// Logical CPUs.
    pub cpus: usize,
    /// The host's CPU use in percent of all CPUs.
    pub cpu: f32,
    /// Memory in use and in all, bytes.
    pub memory: (u64, u64),
    /// The running runs' workers, in run order.
    pub workers: Vec<WorkerLoad>,
}

/// Takes samples; keeps what CPU use is measured against (the previous
/// sample).
pub struct Sampler {
    sys: System,
    last: Option<Instant>,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler {
            sys: System::new(),
            last: None,
        }
    }
}

impl Sampler {
    /// Whether a new sample is due at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.last
            .is_none_or(|t| now.saturating_duration_since(t) >= EVERY)
    }

    /// Samples the host and the workers of the running runs of `state`.
    pub fn sample(&mut self, state: &ExperimentState, now: Instant) -> SystemInfo {
        self.last = Some(now);
        let running: Vec<(usize, u32)> = state
            .runs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == RunStatus::Running)
            .filter_map(|(i, r)| r.pid.map(|p| (i, p)))
            .collect();
        let pids: Vec<Pid> = running.iter().map(|&(_, p)| Pid::from_u32(p)).collect();
        self.sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&pids),
            true,
            ProcessRefreshKind::nothing().with_cpu().with_memory(),
        );
        self.sys.refresh_cpu_usage();
        self.sys
            .refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        let workers = running
            .into_iter()
            .map(|(run, pid)| WorkerLoad {
                run,
                pid,
                usage: self
                    .sys
                    .process(Pid::from_u32(pid))
                    // A pid reported by a worker on another node may name an
                    // unrelated process here.
                    .filter(|p| p.name().to_string_lossy().contains("workbench"))
                    .map(|p| (p.cpu_usage(), p.memory())),
            })
            .collect();
        SystemInfo {
            cpus: self.sys.cpus().len(),
            cpu: self.sys.global_cpu_usage(),
            memory: (self.sys.used_memory(), self.sys.total_memory()),
            workers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::RunRow;
    use std::path::PathBuf;

    #[test]
    fn samples_the_running_workers_by_pid() {
        let mut state = ExperimentState::default();
        for (name, status, pid) in [
            // This test binary is named workbench-<hash>: a workbench process.
            ("here", RunStatus::Running, Some(std::process::id())),
            ("done", RunStatus::Done, Some(std::process::id())),
            ("no-pid", RunStatus::Running, None),
            ("elsewhere", RunStatus::Running, Some(u32::MAX - 1)),
        ] {
            let mut r = RunRow::queued(name, PathBuf::new(), name, "p", "v", Default::default());
            r.status = status;
            r.pid = pid;
            state.runs.push(r);
        }
        let mut s = Sampler::default();
        let now = Instant::now();
        assert!(s.due(now));
        let info = s.sample(&state, now);
        assert!(!s.due(now));
        assert!(s.due(now + EVERY));
        let runs: Vec<usize> = info.workers.iter().map(|w| w.run).collect();
        assert_eq!(runs, [0, 3]);
        let (_, memory) = info.workers[0].usage.expect("this process is sampled");
        assert!(memory > 0);
        assert_eq!(info.workers[1].usage, None);
        assert!(info.memory.1 >= info.memory.0 && info.memory.1 > 0);
        assert!(info.cpus > 0);
    }
}
