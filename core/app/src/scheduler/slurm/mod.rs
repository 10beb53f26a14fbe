//! The Slurm executor: an experiment's runs submitted as one job array
//! (`sbatch --parsable --array=0-N%K`), each task running `workbench worker
//! --events-file` on its run directories on a node that shares the results
//! directory, and followed from that shared directory: the worker appends its
//! events to `events.jsonl`, and Slurm (`scontrol`, `sacct` where accounting
//! exists) says which tasks are pending, running or ended and why. The
//! parent, the terminal UI and `workbench watch` all follow runs this way,
//! so a submission can be left (`--detach`) and watched again later.

pub mod query;
pub mod script;

use super::{now_rfc3339, Cancel, Control, Observer, Prepared, GRACE};
use crate::events::Event;
use crate::results::{read_summary, ExperimentDir, Placement, RunDir, RunStatus, RunSummary};
use crate::spec::executor::SlurmOptions;
use crate::state::Update;
use anyhow::{bail, Context as _};
use query::{JobStates, TaskState};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long an ended task may take to show its run's last events (a shared
/// filesystem's attribute cache) before the run is ended from Slurm's word.
const SETTLE: Duration = Duration::from_secs(3);

/// The most bytes of `events.jsonl` read per run and pass.
const READ_CHUNK: u64 = 4 << 20;

/// One run followed through its array task.
#[derive(Clone, Debug)]
pub struct Tracked {
    /// The array's job id.
    pub job: String,
    /// The array task.
    pub task: usize,
    /// The task holds no other run (cancelling it is `scancel JOB_TASK`).
    pub alone: bool,
    offset: u64,
    partial: Vec<u8>,
    launched: bool,
    finished: Option<Event>,
    started: Option<Instant>,
    pending_shown: String,
    gone_since: Option<Instant>,
    final_since: Option<Instant>,
}

impl Tracked {
    fn new(job: &str, task: usize, alone: bool) -> Tracked {
        Tracked {
            job: job.to_string(),
            task,
            alone,
            offset: 0,
            partial: Vec::new(),
            launched: false,
            finished: None,
            started: None,
            pending_shown: String::new(),
            gone_since: None,
            final_since: None,
        }
    }

    /// `JOB_TASK`, as `scancel` and `squeue` name an array task.
    pub fn task_id(&self) -> String {
        format!("{}_{}", self.job, self.task)
    }
}

/// Runs a Slurm command, its failure in words.
fn slurm_command(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program).args(args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!(
                "`{program}` was not found: the slurm executor runs where Slurm's commands \
                 (sbatch, scontrol, scancel) are on PATH, e.g. a cluster's login node"
            )
        } else {
            anyhow::anyhow!("cannot run {program}: {e}")
        }
    })?;
    if !out.status.success() {
        bail!(
            "{program} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The job id in `sbatch --parsable` output (`12345` or `12345;cluster`).
pub fn parse_job_id(out: &str) -> Option<String> {
    let id = out.trim().split(';').next()?.trim();
    (!id.is_empty() && id.len() <= 20 && id.chars().all(|c| c.is_ascii_digit()))
        .then(|| id.to_string())
}

fn absolute(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

impl Prepared {
    /// Submits runs `indices` as one job array; records the job and task in
    /// each run's `summary.json`. Returns the job id and the runs to follow.
    pub(super) fn submit_slurm(
        &mut self,
        indices: &[usize],
        exe: &Path,
        options: &SlurmOptions,
    ) -> anyhow::Result<(String, BTreeMap<usize, Tracked>)> {
        if indices.is_empty() {
            return Ok((String::new(), BTreeMap::new()));
        }
        let exp = ExperimentDir::at(absolute(&self.exp_dir));
        let out_dir = exp.slurm();
        std::fs::create_dir_all(&out_dir)
            .with_context(|| format!("cannot create {}", out_dir.display()))?;
        let runs: Vec<PathBuf> = indices
            .iter()
            .map(|&i| absolute(self.runs[i].dir.path()))
            .collect();
        let plugin_dirs: Vec<PathBuf> = self.plugin_dirs.iter().map(|d| absolute(d)).collect();
        let exe = absolute(exe);
        let text = script::Batch {
            experiment: &self.state.name,
            exe: &exe,
            runs: &runs,
            plugin_dirs: &plugin_dirs,
            options,
        }
        .render();
        let stamp = crate::results::new_run_id(std::time::SystemTime::now(), 0, "submit");
        let script_path = out_dir.join(format!("{stamp}-{}.sh", std::process::id()));
        crate::results::write_atomic(&script_path, text.as_bytes())?;
        let pack = options.pack.max(1);
        let tasks = script::task_count(runs.len(), pack);
        let array = format!("--array={}", script::array_spec(tasks, options.throttle));
        let output = format!(
            "--output={}",
            script::output_pattern(&out_dir).to_string_lossy()
        );
        let out = slurm_command(
            "sbatch",
            &[
                "--parsable",
                &array,
                &output,
                &script_path.to_string_lossy(),
            ],
        )?;
        let Some(job) = parse_job_id(&out) else {
            bail!("sbatch did not answer with a job id: {:?}", out.trim());
        };
        let submitted = now_rfc3339();
        let mut tracked = BTreeMap::new();
        for (pos, &i) in indices.iter().enumerate() {
            let task = pos / pack;
            let alone = (task * pack..(task + 1) * pack)
                .filter(|p| *p < indices.len())
                .count()
                == 1;
            let run = &mut self.runs[i];
            run.summary.placement = Some(Placement {
                executor: "slurm".into(),
                slurm_job_id: Some(job.clone()),
                slurm_array_task_id: Some(task),
                node: None,
                submitted_at: Some(submitted.clone()),
            });
            run.summary.write(run.dir.path())?;
            tracked.insert(i, Tracked::new(&job, task, alone));
        }
        Ok((job, tracked))
    }

    /// Reads what run `i`'s worker appended to `events.jsonl` since the last
    /// read and applies it.
    fn read_events(&mut self, i: usize, t: &mut Tracked, observer: &mut dyn Observer) {
        let path = self.runs[i].dir.events();
        let Ok(mut file) = std::fs::File::open(&path) else {
            return;
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < t.offset {
            // Truncated or replaced: start again.
            t.offset = 0;
            t.partial.clear();
        }
        if len == t.offset || file.seek(SeekFrom::Start(t.offset)).is_err() {
            return;
        }
        let mut buf = Vec::new();
        let Ok(n) = file.take(READ_CHUNK).read_to_end(&mut buf) else {
            return;
        };
        t.offset += n as u64;
        t.partial.extend_from_slice(&buf);
        let Some(last_newline) = t.partial.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let complete: Vec<u8> = t.partial.drain(..=last_newline).collect();
        for line in complete.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let line = String::from_utf8_lossy(line).into_owned();
            let Some(ev) = Event::from_line(&line) else {
                self.apply(i, Update::Output(line), observer);
                continue;
            };
            if matches!(ev, Event::Started { .. }) && !t.launched {
                t.launched = true;
                t.started = Some(Instant::now());
                let run = &mut self.runs[i];
                run.summary.status = Some(RunStatus::Running);
                // Re-attached (`watch`): keep the start the summary recorded.
                if run.summary.started_at.is_none() {
                    run.summary.started_at = Some(now_rfc3339());
                }
                let _ = run.summary.write(run.dir.path());
                self.apply(i, Update::Launched, observer);
            }
            if let Event::Info { key, value } = &ev {
                if key == "node" {
                    if let Some(p) = self.runs[i].summary.placement.as_mut() {
                        p.node = Some(value.clone());
                    }
                }
            }
            self.record(i, &ev);
            if matches!(ev, Event::Finished { .. }) {
                t.finished = Some(ev.clone());
            }
            self.apply(i, Update::Event(ev), observer);
        }
    }

    /// Follows runs `tracked` until each has ended (and, with a control
    /// channel, until it closes), as [`Prepared::execute_with`] does for
    /// local runs.
    pub(super) fn follow_slurm(
        mut self,
        mut tracked: BTreeMap<usize, Tracked>,
        exe: &Path,
        options: &SlurmOptions,
        observer: &mut dyn Observer,
        cancel: &Cancel,
        control: Option<&mpsc::Receiver<Control>>,
    ) -> anyhow::Result<Vec<RunSummary>> {
        let poll = Duration::from_secs_f64(options.poll_seconds);
        let mut last_poll: Option<Instant> = None;
        let mut states: BTreeMap<String, Option<JobStates>> = BTreeMap::new();
        let mut user_cancelled: BTreeSet<usize> = BTreeSet::new();
        let mut control_open = control.is_some();
        let mut scancel_sent: Option<Instant> = None;
        let mut last_tick = Instant::now();
        // Runs already ended (kept, or ended in an earlier watch) show as they are.
        for (i, run) in self.runs.iter().enumerate() {
            if run.skip || !tracked.contains_key(&i) {
                observer.update(&self.state, i);
            }
        }
        loop {
            while let Some(rx) = control.filter(|_| control_open) {
                let request = match rx.try_recv() {
                    Ok(r) => r,
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        control_open = false;
                        break;
                    }
                };
                match request {
                    Control::Cancel(i) => {
                        let Some(t) = tracked.get(&i) else { continue };
                        if self.state.runs[i].status.is_final() {
                            continue;
                        }
                        user_cancelled.insert(i);
                        if t.alone {
                            if let Err(e) = slurm_command("scancel", &[&t.task_id()]) {
                                self.apply(i, Update::Output(format!("{e:#}")), observer);
                            }
                        } else {
                            // Other runs share the task: ask this one to stop
                            // (created empty, never through a planted link).
                            use std::os::unix::fs::OpenOptionsExt;
                            let _ = std::fs::OpenOptions::new()
                                .create(true)
                                .append(true)
                                .custom_flags(libc::O_NOFOLLOW)
                                .open(self.runs[i].dir.stop_request());
                            if !t.launched {
                                self.end(
                                    i,
                                    RunStatus::Cancelled,
                                    Some("cancelled before it started".into()),
                                    observer,
                                )?;
                            }
                        }
                    }
                    Control::Rerun(i) if i < self.runs.len() && scancel_sent.is_none() => {
                        let new = self.add_rerun(i, observer)?;
                        let single = SlurmOptions {
                            pack: 1,
                            ..options.clone()
                        };
                        match self.submit_slurm(&[new], exe, &single) {
                            Ok((_, more)) => tracked.extend(more),
                            Err(e) => self.end(
                                new,
                                RunStatus::Failed,
                                Some(format!("cannot submit: {e:#}")),
                                observer,
                            )?,
                        }
                    }
                    Control::Rerun(_) => {}
                }
            }
            // Ctrl-C: cancel the jobs; a second one stops waiting for Slurm.
            let cancels = cancel.count();
            let open: Vec<usize> = tracked
                .keys()
                .copied()
                .filter(|&i| !self.state.runs[i].status.is_final())
                .collect();
            if cancels > 0 && scancel_sent.is_none() {
                scancel_sent = Some(Instant::now());
                let jobs: BTreeSet<String> = open.iter().map(|i| tracked[i].job.clone()).collect();
                for job in jobs {
                    if let Err(e) = slurm_command("scancel", &[&job]) {
                        eprintln!("{e:#}");
                    }
                }
                user_cancelled.extend(open.iter().copied());
            }
            let give_up = cancels > 1 || scancel_sent.is_some_and(|at| at.elapsed() > GRACE * 3);
            if give_up {
                for &i in &open {
                    self.end(
                        i,
                        RunStatus::Cancelled,
                        Some(format!(
                            "cancelled (scancel {} sent; Slurm had not confirmed)",
                            tracked[&i].task_id()
                        )),
                        observer,
                    )?;
                }
            }
            // Events from the shared directory.
            for &i in &open {
                let mut t = tracked.remove(&i).expect("tracked");
                self.read_events(i, &mut t, observer);
                tracked.insert(i, t);
            }
            // Slurm's view, every `poll`.
            if last_poll.is_none_or(|at| at.elapsed() >= poll) {
                last_poll = Some(Instant::now());
                let jobs: BTreeSet<String> = open.iter().map(|i| tracked[i].job.clone()).collect();
                states = jobs
                    .into_iter()
                    .map(|j| (j.clone(), query::query(&j)))
                    .collect();
            }
            for &i in &open {
                if self.state.runs[i].status.is_final() {
                    continue;
                }
                let t = tracked.get_mut(&i).expect("tracked");
                if let Some(Event::Finished { status, error, .. }) = t.finished.clone() {
                    if let Some(started) = t.started {
                        self.runs[i].summary.duration_seconds =
                            Some(started.elapsed().as_secs_f64());
                    }
                    self.end(i, status, error, observer)?;
                    continue;
                }
                let Some(Some(job_states)) = states.get(&t.job) else {
                    continue;
                };
                match job_states.get(&t.task) {
                    Some(ts) if ts.is_final() => {
                        let since = *t.final_since.get_or_insert_with(Instant::now);
                        if since.elapsed() < SETTLE {
                            continue;
                        }
                        let (status, error) =
                            outcome(ts, t, user_cancelled.contains(&i), &self.runs[i].dir);
                        if let Some(started) = t.started {
                            self.runs[i].summary.duration_seconds =
                                Some(started.elapsed().as_secs_f64());
                        }
                        self.end(i, status, Some(error), observer)?;
                    }
                    Some(ts) => {
                        t.gone_since = None;
                        let shown = if ts.state == "PENDING" {
                            match ts.reason.as_str() {
                                "" => "pending".to_string(),
                                r => format!("pending ({r})"),
                            }
                        } else if !t.launched {
                            format!("{} on {}", ts.state.to_lowercase(), ts.node)
                        } else {
                            String::new()
                        };
                        if !shown.is_empty() && shown != t.pending_shown {
                            t.pending_shown = shown.clone();
                            self.apply(i, Update::Event(Event::Phase { phase: shown }), observer);
                        }
                    }
                    None => {
                        // Slurm no longer lists the task: cancelled while
                        // pending (it leaves no record), or purged.
                        let since = *t.gone_since.get_or_insert_with(Instant::now);
                        if since.elapsed() < SETTLE {
                            continue;
                        }
                        let (status, error) = if !t.launched || user_cancelled.contains(&i) {
                            (
                                RunStatus::Cancelled,
                                format!(
                                    "array task {} left Slurm's queue before the run started (scancel)",
                                    t.task_id()
                                ),
                            )
                        } else {
                            (
                                RunStatus::Failed,
                                format!(
                                    "Slurm no longer knows array task {} and the run reported no result",
                                    t.task_id()
                                ),
                            )
                        };
                        self.end(i, status, Some(error), observer)?;
                    }
                }
            }
            let all_ended = tracked
                .keys()
                .all(|&i| self.state.runs[i].status.is_final());
            if all_ended && (!control_open || cancels > 0) {
                break;
            }
            if last_tick.elapsed() >= Duration::from_millis(100) {
                last_tick = Instant::now();
                observer.tick(&self.state);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(self.runs.into_iter().map(|r| r.summary).collect())
    }
}

/// A run's final status and reason when its task ended without the run
/// reporting a result.
fn outcome(ts: &TaskState, t: &Tracked, cancelled: bool, dir: &RunDir) -> (RunStatus, String) {
    let task = t.task_id();
    let node = if ts.node.is_empty() {
        String::new()
    } else {
        format!(" on {}", ts.node)
    };
    let before = if t.launched {
        ""
    } else {
        ", before the run started"
    };
    if cancelled || ts.state == "CANCELLED" {
        return (
            RunStatus::Cancelled,
            format!("cancelled (Slurm: array task {task} CANCELLED{before})"),
        );
    }
    match ts.state.as_str() {
        "TIMEOUT" | "DEADLINE" => (
            RunStatus::Timeout,
            format!(
                "stopped at the time limit (Slurm: array task {task} {}{node}{before}); raise executor.time, and `workbench run --resume` continues from the last checkpoint",
                ts.state
            ),
        ),
        "OUT_OF_MEMORY" => (
            RunStatus::Failed,
            format!(
                "out of memory (Slurm: array task {task} OUT_OF_MEMORY{node}{before}); raise executor.mem"
            ),
        ),
        "NODE_FAIL" | "BOOT_FAIL" | "PREEMPTED" => (
            RunStatus::Failed,
            format!(
                "{} (Slurm: array task {task}{node}{before}); `requeue: true` runs it again from its last checkpoint",
                match ts.state.as_str() {
                    "NODE_FAIL" => "its node failed",
                    "BOOT_FAIL" => "its node did not boot",
                    _ => "preempted",
                }
            ),
        ),
        state => {
            let mut msg = format!(
                "array task {task} ended ({state}, exit code {}{node}){before} without a result from the run",
                if ts.exit_code.is_empty() { "?" } else { &ts.exit_code }
            );
            let log = super::tail(&dir.log(), 15);
            if !log.trim().is_empty() {
                msg.push_str("; last lines of log.txt:\n");
                msg.push_str(&log);
            }
            (RunStatus::Failed, msg)
        }
    }
}

/// The runs of an experiment directory that a Slurm submission left
/// unfinished, with every other run of their jobs (to show how those
/// ended), in run-id order (`workbench watch`). With nothing unfinished,
/// the newest submission's runs.
pub fn submitted_runs(exp_dir: &Path) -> Vec<(PathBuf, RunSummary)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(exp_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let job_of = |s: &RunSummary| {
        s.placement
            .as_ref()
            .filter(|p| p.executor == "slurm")
            .and_then(|p| p.slurm_job_id.clone())
    };
    let slurm: Vec<(PathBuf, RunSummary, String)> = dirs
        .into_iter()
        .filter_map(|d| {
            let s = read_summary(&d).ok()?;
            let job = job_of(&s)?;
            Some((d, s, job))
        })
        .collect();
    let mut jobs: BTreeSet<&str> = slurm
        .iter()
        .filter(|(_, s, _)| !s.status.is_some_and(|st| st.is_final()))
        .map(|(_, _, j)| j.as_str())
        .collect();
    if jobs.is_empty() {
        if let Some((_, _, latest)) = slurm
            .iter()
            .max_by_key(|(_, _, j)| j.parse::<u64>().unwrap_or(0))
        {
            jobs.insert(latest);
        }
    }
    let jobs: BTreeSet<String> = jobs.into_iter().map(str::to_string).collect();
    let mut out: Vec<(PathBuf, RunSummary)> = slurm
        .into_iter()
        .filter(|(_, _, j)| jobs.contains(j))
        .map(|(d, s, _)| (d, s))
        .collect();
    out.sort_by(|a, b| a.1.run_id.cmp(&b.1.run_id));
    out
}

/// Which of `summaries` (runs of Slurm submissions) Slurm still runs or
/// holds in its queue: a new submission of them would run them twice.
pub fn still_queued(summaries: &[RunSummary]) -> Vec<String> {
    let mut by_job: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for s in summaries {
        if s.status.is_some_and(|st| st.is_final()) {
            continue;
        }
        if let Some(Placement {
            slurm_job_id: Some(job),
            slurm_array_task_id: Some(task),
            ..
        }) = &s.placement
        {
            by_job.entry(job.clone()).or_default().push(*task);
        }
    }
    let mut out = Vec::new();
    for (job, tasks) in by_job {
        if let Some(states) = query::query(&job) {
            for task in tasks {
                if states.get(&task).is_some_and(|t| !t.is_final()) {
                    out.push(format!("{job}_{task}"));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Rebuilds the follow state of runs read back from their directories
/// (`workbench watch`): job, task, and whether the task holds them alone.
pub fn tracked_from_summaries(summaries: &[(usize, &RunSummary)]) -> BTreeMap<usize, Tracked> {
    let mut per_task: BTreeMap<(String, usize), usize> = BTreeMap::new();
    for (_, s) in summaries {
        if let Some(p) = &s.placement {
            if let (Some(job), Some(task)) = (&p.slurm_job_id, p.slurm_array_task_id) {
                *per_task.entry((job.clone(), task)).or_default() += 1;
            }
        }
    }
    summaries
        .iter()
        .filter_map(|(i, s)| {
            let p = s.placement.as_ref()?;
            let (job, task) = (p.slurm_job_id.clone()?, p.slurm_array_task_id?);
            let alone = per_task.get(&(job.clone(), task)) == Some(&1);
            Some((*i, Tracked::new(&job, task, alone)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbatch_answers_parse() {
        assert_eq!(parse_job_id("12345\n").as_deref(), Some("12345"));
        assert_eq!(parse_job_id("77;cluster\n").as_deref(), Some("77"));
        assert_eq!(parse_job_id("Submitted batch job 5"), None);
        assert_eq!(parse_job_id(""), None);
    }

    fn task(state: &str) -> TaskState {
        TaskState {
            state: state.into(),
            reason: String::new(),
            exit_code: "0:15".into(),
            node: "n1".into(),
        }
    }

    #[test]
    fn slurm_endings_become_clear_statuses() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::new(dir.path());
        let mut t = Tracked::new("12", 3, true);
        t.launched = true;
        let (s, e) = outcome(&task("TIMEOUT"), &t, false, &run);
        assert_eq!(s, RunStatus::Timeout);
        assert!(e.contains("12_3") && e.contains("time limit"), "{e}");
        let (s, e) = outcome(&task("OUT_OF_MEMORY"), &t, false, &run);
        assert_eq!(s, RunStatus::Failed);
        assert!(
            e.contains("out of memory") && e.contains("executor.mem"),
            "{e}"
        );
        let (s, e) = outcome(&task("NODE_FAIL"), &t, false, &run);
        assert_eq!(s, RunStatus::Failed);
        assert!(e.contains("node failed") && e.contains("n1"), "{e}");
        let (s, _) = outcome(&task("CANCELLED"), &t, false, &run);
        assert_eq!(s, RunStatus::Cancelled);
        // Ended without a result: the log's last lines say why.
        std::fs::write(run.log(), "thread panicked at x\n").unwrap();
        let (s, e) = outcome(&task("FAILED"), &t, false, &run);
        assert_eq!(s, RunStatus::Failed);
        assert!(e.contains("panicked"), "{e}");
        t.launched = false;
        let (_, e) = outcome(&task("TIMEOUT"), &t, false, &run);
        assert!(e.contains("before the run started"), "{e}");
    }
}
