//! The slurm executor against a real Slurm: a one-node cluster on this
//! machine (`.ci/slurm-up.sh`, which CI runs). Without one these tests say
//! so and pass, unless `WORKBENCH_REQUIRE_SLURM` is set (CI sets it): then
//! a missing cluster fails them.

use crate::harness::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The run directories of an experiment (not its `slurm/` directory).
fn runs_of(results: &Path, experiment: &str) -> Vec<PathBuf> {
    if !results.join(experiment).is_dir() {
        return Vec::new();
    }
    run_dirs(results, experiment)
        .into_iter()
        .filter(|d| d.join("run.json").exists() && d.join("summary.json").exists())
        .collect()
}

fn run_in(cwd: &Path, args: &[&str]) -> Output {
    run(cwd, args)
}

/// Starts `workbench run SPEC --headless --results RESULTS` with its output
/// captured for the assertion messages.
fn spawn_captured(cwd: &Path, spec: &Path, results: &Path) -> std::process::Child {
    headless_command(cwd, spec, results)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `done(run summaries)` or the deadline.
fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn quickstart_runs_as_array_tasks_of_one_job() {
    if !slurm_up() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let results = tmp.path().join("results");
    let out = run_in(
        &root(),
        &[
            "run",
            "experiments/quickstart.yaml",
            "--headless",
            "--executor",
            "slurm",
            "--results",
            results.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("3 done, 0 failed"), "{stdout}");
    let runs = runs_of(&results, "quickstart");
    assert_eq!(runs.len(), 3);
    let mut tasks = Vec::new();
    let mut jobs = std::collections::BTreeSet::new();
    for r in &runs {
        let s = summary(r);
        assert_eq!(s["status"], "done", "{s}");
        let p = &s["placement"];
        assert_eq!(p["executor"], "slurm", "{s}");
        jobs.insert(p["slurm_job_id"].as_str().unwrap().to_string());
        tasks.push(p["slurm_array_task_id"].as_u64().unwrap());
        assert!(!p["node"].as_str().unwrap_or("").is_empty(), "{s}");
        assert!(s["started_at"].is_string() && s["finished_at"].is_string());
        assert!(r.join("events.jsonl").is_file());
        // The worker's metrics arrive through the shared directory.
        assert!(s["metrics"]["mse"].as_f64().is_some(), "{s}");
    }
    tasks.sort();
    assert_eq!(tasks, vec![0, 1, 2]);
    assert_eq!(jobs.len(), 1, "one job array: {jobs:?}");
    // The batch script it submitted stays with the results.
    let scripts: Vec<_> = std::fs::read_dir(results.join("quickstart/slurm"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "sh"))
        .collect();
    assert_eq!(scripts.len(), 1);
}

#[test]
fn crashes_timeouts_and_scancel_end_only_their_own_runs() {
    if !slurm_up() {
        return;
    }
    // One job: a segfault, a run that finishes, one past the 1-minute
    // limit, and one cancelled with scancel while it runs.
    let (dir, spec) = spec_dir(&format!(
        "name: slurm-faults\n{SMALL_DIGITS}train: {{epochs: 1}}\n\
         executor: {{kind: slurm, time: '1', poll_seconds: 0.5}}\nruns:\n\
         - {{name: segfaults, plugin: faulty, variant: segfault}}\n\
         - {{name: fine, plugin: faulty, variant: ok}}\n\
         - {{name: overtime, plugin: faulty, variant: slow, params: {{steps: 100000, sleep_ms: 5}}}}\n\
         - {{name: cancelled, plugin: faulty, variant: slow, params: {{steps: 100000, sleep_ms: 5}}}}\n"
    ));
    let results = dir.path().join("results");
    let child = spawn_captured(dir.path(), &spec, &results);
    // scancel the `cancelled` run's task once it trains.
    let mut task = String::new();
    wait_until("the run to start", Duration::from_secs(120), || {
        let Some(s) = runs_of(&results, "slurm-faults")
            .iter()
            .map(|d| summary(d))
            .find(|s| s["name"] == "cancelled")
        else {
            return false;
        };
        let p = &s["placement"];
        task = format!(
            "{}_{}",
            p["slurm_job_id"].as_str().unwrap_or(""),
            p["slurm_array_task_id"]
        );
        s["status"] == "running"
    });
    let scancel = Command::new("scancel").arg(&task).status().unwrap();
    assert!(scancel.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let s = |name| summary_named(&results, "slurm-faults", name);
    let segfaults = s("segfaults");
    assert_eq!(segfaults["status"], "failed", "{segfaults}");
    assert!(
        segfaults["error"].as_str().unwrap().contains("SIGSEGV"),
        "{segfaults}"
    );
    assert_eq!(s("fine")["status"], "done");
    let overtime = s("overtime");
    assert_eq!(overtime["status"], "timeout", "{overtime}");
    assert!(
        overtime["error"].as_str().unwrap().contains("time limit"),
        "{overtime}"
    );
    let cancelled = s("cancelled");
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 timeout"), "{stdout}");
}

#[test]
fn detach_then_watch_packs_and_resume_submits_only_what_is_unfinished() {
    if !slurm_up() {
        return;
    }
    let (dir, spec) = spec_dir(&format!(
        "name: slurm-detach\n{SMALL_DIGITS}train: {{epochs: 1}}\n\
         executor: {{kind: slurm, pack: 2, poll_seconds: 0.5}}\nruns:\n\
         - {{name: a, plugin: pca, variant: pca, params: {{components: 2}}}}\n\
         - {{name: b, plugin: pca, variant: pca, params: {{components: 4}}}}\n\
         - {{name: broken, plugin: faulty, variant: error}}\n"
    ));
    let results = dir.path().join("results");
    let r = results.to_str().unwrap();
    let out = run_in(
        dir.path(),
        &["run", spec.to_str().unwrap(), "--detach", "--results", r],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("submitted job "), "{stdout}");
    assert!(stdout.contains("workbench watch slurm-detach"), "{stdout}");
    // Submitted, not waited for: every run has its job and task already.
    for r in runs_of(&results, "slurm-detach") {
        assert!(summary(&r)["placement"]["slurm_job_id"].is_string());
    }

    let out = run_in(
        dir.path(),
        &["watch", "slurm-detach", "--headless", "--results", r],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let watched = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(watched.contains("2 done, 1 failed"), "{watched}");
    let s = |name| summary_named(&results, "slurm-detach", name);
    // Three runs, two per task: tasks 0, 0, 1.
    let task = |name| {
        s(name)["placement"]["slurm_array_task_id"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((task("a"), task("b"), task("broken")), (0, 0, 1));
    let job = |name| {
        s(name)["placement"]["slurm_job_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first_job = job("a");
    assert!(s("broken")["error"]
        .as_str()
        .unwrap()
        .contains("fails on purpose"));

    // --resume: only the failed run is submitted again.
    let out = run_in(
        dir.path(),
        &[
            "run",
            spec.to_str().unwrap(),
            "--headless",
            "--resume",
            "--results",
            r,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(job("a"), first_job);
    assert_eq!(job("b"), first_job);
    assert_ne!(job("broken"), first_job);
    assert_eq!(runs_of(&results, "slurm-detach").len(), 3);

    // Nothing left to follow: watch shows how the newest submission ended.
    let out = run_in(
        dir.path(),
        &["watch", "slurm-detach", "--headless", "--results", r],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn watch_and_executor_mistakes_are_clear_errors() {
    // No Slurm needed: these fail before anything is submitted.
    let (dir, spec) = spec_dir(&format!(
        "name: x\n{SMALL_DIGITS}executor: {{kind: slurmm, time: 1h}}\nruns:\n  - {{plugin: pca, variant: pca}}\n"
    ));
    let out = run_in(dir.path(), &["validate", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown executor `slurmm`"), "{err}");

    let (dir, spec) = spec_dir(&format!(
        "name: x\n{SMALL_DIGITS}executor: {{kind: slurm, time: 1h, partition: 'a b'}}\nruns:\n  - {{plugin: pca, variant: pca}}\n"
    ));
    let out = run_in(dir.path(), &["validate", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a Slurm time limit"), "{err}");
    assert!(err.contains("not a single Slurm token"), "{err}");

    let (dir, spec) = spec_dir(&format!(
        "name: x\n{SMALL_DIGITS}runs:\n  - {{plugin: pca, variant: pca}}\n"
    ));
    let out = run_in(dir.path(), &["run", spec.to_str().unwrap(), "--detach"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--detach needs the slurm executor"));

    let out = run_in(dir.path(), &["watch", "nothing-here", "--results", "r"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no experiment"));

    // sbatch missing: a clear error, not a hang.
    let out = Command::new(workbench())
        .current_dir(dir.path())
        .env("PATH", "/nonexistent")
        .args([
            "run",
            spec.to_str().unwrap(),
            "--headless",
            "--executor",
            "slurm",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`sbatch` was not found"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_requeued_task_continues_from_its_last_checkpoint() {
    if !slurm_up() {
        return;
    }
    let (dir, spec) = spec_dir(&format!(
        "name: slurm-requeue\n{SMALL_DIGITS}\
         executor: {{kind: slurm, requeue: true, poll_seconds: 0.5}}\nruns:\n\
         - {{name: long, plugin: faulty, variant: slow, params: {{steps: 1500, sleep_ms: 10}}}}\n"
    ));
    let results = dir.path().join("results");
    let child = spawn_captured(dir.path(), &spec, &results);
    let mut run = PathBuf::new();
    wait_until("the run to train", Duration::from_secs(120), || {
        let Some(d) = runs_of(&results, "slurm-requeue").pop() else {
            return false;
        };
        run = d;
        std::fs::read_to_string(run.join("metrics.csv")).is_ok_and(|t| t.lines().count() > 100)
    });
    let p = summary(&run)["placement"].clone();
    let task = format!(
        "{}_{}",
        p["slurm_job_id"].as_str().unwrap(),
        p["slurm_array_task_id"]
    );
    // As a preemption would: the task goes back to the queue (Slurm holds
    // a requeued task for about two minutes) and runs again.
    let requeue = Command::new("scontrol")
        .args(["requeue", &task])
        .status()
        .unwrap();
    assert!(requeue.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = summary(&run);
    assert_eq!(s["status"], "done", "{s}");
    assert_eq!(s["info"]["slurm_restarts"], "1", "{s}");
    let events = std::fs::read_to_string(run.join("events.jsonl")).unwrap();
    assert!(events.contains("resuming after step"), "{events}");
    // Steps continue after the checkpoint instead of starting over.
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let steps: Vec<u64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(*steps.last().unwrap(), 1500);
    assert!(
        steps.len() < 1500 + 100,
        "started over: {} rows",
        steps.len()
    );
}
