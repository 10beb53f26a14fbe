//! A plugin that panics, aborts, segfaults or diverges fails its own run
//! only; a killed run keeps its metrics; Ctrl-C cancels cleanly.

use crate::harness::*;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn faulty_plugins_fail_only_their_own_runs() {
    let (dir, spec) = spec_dir(&format!(
        "name: faults\n{SMALL_DIGITS}train: {{epochs: 1}}\nparallel: 3\nruns:\n\
         - {{name: panics, plugin: faulty, variant: panic}}\n\
         - {{name: aborts, plugin: faulty, variant: abort}}\n\
         - {{name: segfaults, plugin: faulty, variant: segfault}}\n\
         - {{name: errors, plugin: faulty, variant: error}}\n\
         - {{name: diverges, plugin: faulty, variant: nan}}\n\
         - {{name: fine, plugin: faulty, variant: ok}}\n\
         - {{name: baseline, plugin: pca, variant: pca, params: {{components: 4}}}}\n"
    ));
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let s = |name| summary_named(&results, "faults", name);
    let panics = s("panics");
    assert_eq!(panics["status"], "failed");
    assert!(
        panics["error"]
            .as_str()
            .unwrap()
            .contains("panic in fit: the faulty plugin panics on purpose"),
        "{panics}"
    );
    let aborts = s("aborts");
    assert_eq!(aborts["status"], "failed");
    assert!(
        aborts["error"].as_str().unwrap().contains("SIGABRT"),
        "{aborts}"
    );
    let segfaults = s("segfaults");
    assert_eq!(segfaults["status"], "failed");
    assert!(
        segfaults["error"].as_str().unwrap().contains("SIGSEGV"),
        "{segfaults}"
    );
    let errors = s("errors");
    assert_eq!(errors["status"], "failed");
    assert!(
        errors["error"]
            .as_str()
            .unwrap()
            .contains("fails on purpose"),
        "{errors}"
    );
    let diverges = s("diverges");
    assert_eq!(diverges["status"], "diverged", "{diverges}");
    assert!(
        diverges["error"]
            .as_str()
            .unwrap()
            .contains("loss became NaN"),
        "{diverges}"
    );
    for name in ["fine", "baseline"] {
        let ok = s(name);
        assert_eq!(ok["status"], "done", "{ok}");
        assert!(ok["metrics"]["mse"].as_f64().is_some(), "{ok}");
    }
    // The identity reconstructs perfectly.
    assert_eq!(s("fine")["metrics"]["mse"].as_f64(), Some(0.0));
    // The panic message is in the failed run's log, too.
    let panics_dir = run_dirs(&results, "faults")
        .into_iter()
        .find(|d| d.to_string_lossy().ends_with("panics"))
        .unwrap();
    let log = std::fs::read_to_string(panics_dir.join("log.txt")).unwrap();
    assert!(log.contains("panics on purpose"), "{log}");
}

fn slow_spec(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    spec_dir(&format!(
        "name: {name}\n{SMALL_DIGITS}runs:\n  - {{name: slow, plugin: faulty, variant: slow, params: {{steps: 100000, sleep_ms: 5}}}}\n"
    ))
}

fn wait_for_lines(metrics: &std::path::Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lines = std::fs::read_to_string(metrics)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines > n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no metrics written to {}",
            metrics.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn metrics_rows(path: &std::path::Path) -> Vec<(u64, String, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "no torn last line");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["step", "epoch", "split", "name", "value", "seconds"]
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("every line is a complete record");
            (
                r[0].parse().unwrap(),
                r[3].to_string(),
                r[4].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_killed_run_keeps_its_metrics_up_to_the_kill() {
    let (dir, spec) = slow_spec("killed");
    let results = dir.path().join("results");
    let mut parent = spawn_headless(dir.path(), &spec, &results);
    let run_dir = wait_for_run_dir(&results, "killed");
    wait_for_lines(&run_dir.join("metrics.csv"), 20);
    let pid = summary(&run_dir)["info"]["worker_pid"]
        .as_str()
        .unwrap()
        .parse::<i32>()
        .unwrap();
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = parent.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let rows = metrics_rows(&run_dir.join("metrics.csv"));
    assert!(rows.len() >= 20, "{} rows", rows.len());
    // Steps are consecutive: nothing lost or torn before the kill.
    for (i, (step, name, value)) in rows.iter().enumerate() {
        assert_eq!(*step, i as u64 + 1);
        assert_eq!(name, "loss");
        assert!((value - 1.0 / *step as f64).abs() < 1e-12);
    }
    let s = summary(&run_dir);
    assert_eq!(s["status"], "failed");
    assert!(s["error"].as_str().unwrap().contains("SIGKILL"), "{s}");
}

#[test]
fn ctrl_c_cancels_runs_cleanly() {
    cancels_cleanly_on("INT", "cancelled");
}

#[test]
fn a_terminate_signal_cancels_runs_cleanly_too() {
    cancels_cleanly_on("TERM", "terminated");
}

/// Sends `signal` to a headless run mid-training: the run ends `cancelled`
/// with its metrics and the experiment's summary written, exit code 130.
fn cancels_cleanly_on(signal: &str, experiment: &str) {
    let (dir, spec) = slow_spec(experiment);
    let results = dir.path().join("results");
    let mut parent = spawn_headless(dir.path(), &spec, &results);
    let run_dir = wait_for_run_dir(&results, experiment);
    wait_for_lines(&run_dir.join("metrics.csv"), 10);
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &parent.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = parent.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let s = summary(&run_dir);
    assert_eq!(s["status"], "cancelled", "{s}");
    assert!(metrics_rows(&run_dir.join("metrics.csv")).len() >= 10);
    let csv = std::fs::read_to_string(results.join(format!("{experiment}/summary.csv"))).unwrap();
    assert!(csv.contains(",cancelled,"), "{csv}");
}

/// Headless with both streams piped: stdout holds the table and counts
/// only; progress lines go to stderr, with a heartbeat while a run trains
/// for longer than ten seconds.
#[test]
fn headless_progress_goes_to_stderr_with_heartbeats() {
    let (dir, spec) = spec_dir(&format!(
        "name: heartbeat\n{SMALL_DIGITS}runs:\n  - {{name: slow, plugin: faulty, variant: slow, params: {{steps: 1300, sleep_ms: 10}}}}\n"
    ));
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("[1/1]"), "progress on stdout: {stdout}");
    assert!(stdout.contains("1 done, 0 failed"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("| slow")), "{stdout}");
    assert!(stderr.contains("[1/1] running   slow"), "{stderr}");
    assert!(stderr.contains("[1/1] done      slow"), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("[1/1] running") && l.contains("step ") && l.ends_with(']')),
        "no heartbeat while it trained: {stderr}"
    );
}
