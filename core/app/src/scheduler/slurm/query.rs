//! What Slurm says about a job array: `scontrol show job -o JOB` (and
//! `sacct` where accounting exists) parsed into one state per array task.

use std::collections::BTreeMap;
use std::process::Command;

/// One array task as Slurm reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskState {
    /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `TIMEOUT`, ...
    pub state: String,
    /// Slurm's reason (`Resources`, `Priority`, `NonZeroExitCode`, ...), or empty.
    pub reason: String,
    /// `ExitCode=code:signal`, or empty.
    pub exit_code: String,
    /// The node(s), or empty while pending.
    pub node: String,
}

impl TaskState {
    /// Whether Slurm will not run the task any more.
    pub fn is_final(&self) -> bool {
        !matches!(
            self.state.as_str(),
            "PENDING"
                | "RUNNING"
                | "CONFIGURING"
                | "COMPLETING"
                | "SUSPENDED"
                | "REQUEUED"
                | "REQUEUE_HOLD"
                | "REQUEUE_FED"
                | "RESIZING"
                | "SIGNALING"
                | "STAGE_OUT"
                | "STOPPED"
                | "RESV_DEL_HOLD"
        )
    }
}

/// The tasks of one array job, by task id.
pub type JobStates = BTreeMap<usize, TaskState>;

/// Expands an `ArrayTaskId` value: `3`, `2-5`, `2-5%2`, `1,3-4`, `0-9:2`.
pub fn expand_task_ids(spec: &str) -> Vec<usize> {
    let spec = spec.split('%').next().unwrap_or("");
    let mut out = Vec::new();
    for part in spec.split(',') {
        let (range, step) = match part.split_once(':') {
            Some((r, s)) => (r, s.parse::<usize>().unwrap_or(1).max(1)),
            None => (part, 1),
        };
        match range.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
                    // A bound keeps a hostile answer from allocating without limit.
                    out.extend((a..=b.min(a + 1_000_000)).step_by(step));
                }
            }
            None => {
                if let Ok(a) = range.trim().parse() {
                    out.push(a);
                }
            }
        }
    }
    out
}

/// Parses `scontrol show job -o` output (one record per line; pending
/// tasks of an array share one record whose `ArrayTaskId` is a range).
pub fn parse_scontrol(text: &str, job: &str) -> JobStates {
    let mut out = JobStates::new();
    for line in text.lines() {
        let fields: BTreeMap<&str, &str> = line
            .split_whitespace()
            .filter_map(|f| f.split_once('='))
            .collect();
        let array_job = fields.get("ArrayJobId").copied();
        let job_id = fields.get("JobId").copied();
        if array_job.or(job_id) != Some(job) {
            continue;
        }
        let Some(state) = fields.get("JobState") else {
            continue;
        };
        let reason = fields.get("Reason").copied().unwrap_or("");
        let task = TaskState {
            state: state.to_string(),
            reason: if reason == "None" {
                String::new()
            } else {
                reason.to_string()
            },
            exit_code: fields.get("ExitCode").copied().unwrap_or("").to_string(),
            node: fields
                .get("NodeList")
                .copied()
                .filter(|n| *n != "(null)")
                .unwrap_or("")
                .to_string(),
        };
        let ids = match fields.get("ArrayTaskId") {
            Some(spec) => expand_task_ids(spec),
            // Not an array (a single job): task 0.
            None => vec![0],
        };
        for id in ids {
            out.insert(id, task.clone());
        }
    }
    out
}

/// Parses `sacct -n -P -X -j JOB -o JobID,State,ExitCode,NodeList,Reason`.
pub fn parse_sacct(text: &str, job: &str) -> JobStates {
    let mut out = JobStates::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split('|').collect();
        if cols.len() < 4 {
            continue;
        }
        let Some((j, tasks)) = cols[0].split_once('_') else {
            continue;
        };
        if j != job {
            continue;
        }
        // `CANCELLED by 0` → `CANCELLED`.
        let state = cols[1].split_whitespace().next().unwrap_or("").to_string();
        let task = TaskState {
            state,
            reason: cols.get(4).copied().unwrap_or("").replace("None", ""),
            exit_code: cols[2].to_string(),
            node: cols[3].replace("None assigned", ""),
        };
        for id in expand_task_ids(tasks.trim_matches(|c| c == '[' || c == ']')) {
            out.insert(id, task.clone());
        }
    }
    out
}

/// What Slurm knows about `job` now: `scontrol` first (it knows running
/// jobs and recently ended ones), then `sacct` for tasks it no longer
/// lists. `None` when neither command answers.
pub fn query(job: &str) -> Option<JobStates> {
    let scontrol = Command::new("scontrol")
        .args(["show", "job", "-o", job])
        .output()
        .ok();
    let mut states = match &scontrol {
        Some(out) if out.status.success() => {
            Some(parse_scontrol(&String::from_utf8_lossy(&out.stdout), job))
        }
        // "Invalid job id specified": purged; sacct may still know it.
        Some(_) => Some(JobStates::new()),
        None => None,
    };
    let sacct = Command::new("sacct")
        .args([
            "-n",
            "-P",
            "-X",
            "-j",
            job,
            "-o",
            "JobID,State,ExitCode,NodeList,Reason",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success());
    if let Some(out) = sacct {
        let from_sacct = parse_sacct(&String::from_utf8_lossy(&out.stdout), job);
        let known = states.get_or_insert_with(JobStates::new);
        for (id, task) in from_sacct {
            known.entry(id).or_insert(task);
        }
    }
    states
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `scontrol show job -o 10` on a one-node cluster: tasks 0 exit 0, 1
    /// exit 3, 2 and 4 past `--time=1`, 3 `scancel`led while running, 5
    /// and 6 running.
    const ENDED: &str = include_str!("testdata/scontrol-ended.txt");
    /// `scontrol show job -o 5` while tasks 2-5 waited (`%2` throttle).
    const PENDING: &str = include_str!("testdata/scontrol-pending.txt");

    #[test]
    fn task_id_ranges_expand() {
        assert_eq!(expand_task_ids("3"), vec![3]);
        assert_eq!(expand_task_ids("2-5%2"), vec![2, 3, 4, 5]);
        assert_eq!(expand_task_ids("1,3-4"), vec![1, 3, 4]);
        assert_eq!(expand_task_ids("0-6:3"), vec![0, 3, 6]);
        assert!(expand_task_ids("x").is_empty());
    }

    #[test]
    fn recorded_scontrol_output_gives_every_tasks_state() {
        let states = parse_scontrol(ENDED, "10");
        let state = |t: usize| states.get(&t).map(|s| s.state.as_str());
        assert_eq!(state(0), Some("COMPLETED"));
        assert_eq!(state(1), Some("FAILED"));
        assert_eq!(states[&1].exit_code, "3:0");
        assert_eq!(states[&1].reason, "NonZeroExitCode");
        assert_eq!(state(2), Some("TIMEOUT"));
        assert_eq!(state(3), Some("CANCELLED"));
        assert_eq!(state(4), Some("TIMEOUT"));
        assert_eq!(state(5), Some("RUNNING"));
        assert_eq!(states[&5].node, "vm");
        assert!(states[&2].is_final() && !states[&5].is_final());
        // Another job's records are not this job's.
        assert!(parse_scontrol(ENDED, "11").is_empty());

        let pending = parse_scontrol(PENDING, "5");
        for t in 2..=5 {
            assert_eq!(pending[&t].state, "PENDING", "task {t}");
            assert_eq!(pending[&t].reason, "Resources");
            assert_eq!(pending[&t].node, "");
        }
        assert_eq!(pending[&0].state, "COMPLETED");
        assert_eq!(pending.len(), 6);
    }

    #[test]
    fn sacct_lines_parse() {
        let text = "12_0|COMPLETED|0:0|node1|None\n12_1|CANCELLED by 0|0:15|node2|None\n12_[2-3]|PENDING|0:0|None assigned|Priority\n";
        let s = parse_sacct(text, "12");
        assert_eq!(s[&1].state, "CANCELLED");
        assert_eq!(s[&3].state, "PENDING");
        assert_eq!(s[&3].reason, "Priority");
        assert_eq!(s[&0].node, "node1");
    }
}
