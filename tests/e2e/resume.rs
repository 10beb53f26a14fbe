//! `workbench run --resume` and `workbench reconstruct` on finished runs.

use crate::harness::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn resume_keeps_done_runs_and_continues_interrupted_ones_from_their_checkpoint() {
    let (dir, spec) = spec_dir(&format!(
        "name: resumable\n{SMALL_DIGITS}parallel: 2\nruns:\n\
         - {{name: quick, plugin: faulty, variant: ok}}\n\
         - {{name: long, plugin: faulty, variant: slow, params: {{steps: 400, sleep_ms: 10}}}}\n\
         evaluation: {{probe_baselines: false}}\n"
    ));
    // (Without the probe's baselines the quick run stays quick: in a debug
    // build they add seconds of scoring, and the test needs it done well
    // before the long one.)
    let results = dir.path().join("results");
    let args = [
        "run",
        spec.to_str().unwrap(),
        "--headless",
        "--results",
        results.to_str().unwrap(),
    ];
    let mut first = Command::new(workbench())
        .current_dir(dir.path())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Interrupt once the long run has made some progress and the quick one is done.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let dirs = if results.join("resumable").is_dir() {
            run_dirs(&results, "resumable")
        } else {
            vec![]
        };
        let long_lines = dirs
            .iter()
            .find(|d| d.to_string_lossy().ends_with("long"))
            .and_then(|d| std::fs::read_to_string(d.join("metrics.csv")).ok())
            .map(|t| t.lines().count())
            .unwrap_or(0);
        // A run directory exists a moment before its first summary.json.
        let quick_done = dirs.iter().any(|d| {
            d.to_string_lossy().ends_with("quick")
                && std::fs::read_to_string(d.join("summary.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .is_some_and(|s| s["status"] == "done")
        });
        if quick_done && long_lines > 20 {
            break;
        }
        assert!(Instant::now() < deadline, "runs made no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(first.wait().unwrap().code(), Some(130));
    let quick = summary_named(&results, "resumable", "quick");
    let long = summary_named(&results, "resumable", "long");
    assert_eq!(quick["status"], "done");
    assert_eq!(long["status"], "cancelled");

    let out = run(
        dir.path(),
        &args.iter().copied().chain(["--resume"]).collect::<Vec<_>>(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let dirs = run_dirs(&results, "resumable");
    assert_eq!(dirs.len(), 2, "runs reuse their directories");
    let quick_again = summary_named(&results, "resumable", "quick");
    assert_eq!(
        quick_again["finished_at"], quick["finished_at"],
        "the done run was not run again"
    );
    let long_dir = dirs
        .iter()
        .find(|d| d.to_string_lossy().ends_with("long"))
        .unwrap();
    assert_eq!(summary(long_dir)["status"], "done");
    // metrics.csv kept the first attempt's lines and the second attempt went
    // on from the checkpoint: every step from 1 to 400 exactly once.
    let text = std::fs::read_to_string(long_dir.join("metrics.csv")).unwrap();
    let steps: Vec<u64> = text
        .lines()
        .skip(1)
        .filter(|l| l.contains(",train,loss,"))
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let mut unique = steps.clone();
    unique.dedup();
    assert!(
        steps.len() <= 401,
        "{} lines: the run started over",
        steps.len()
    );
    assert_eq!(*steps.last().unwrap(), 400);
    assert!(
        unique.windows(2).all(|w| w[1] == w[0] + 1 || w[1] == w[0]),
        "steps continue"
    );
    let log = std::fs::read_to_string(long_dir.join("log.txt")).unwrap();
    assert!(log.contains("resuming after step"), "{log}");
}

#[test]
fn reconstruct_uses_a_trained_run_and_refuses_bad_images() {
    let (dir, spec) = spec_dir(&format!(
        "name: rec\n{SMALL_DIGITS}runs:\n  - {{plugin: pca, variant: pca, params: {{components: 8}}}}\n"
    ));
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    let run_dir = run_dirs(&results, "rec").remove(0);
    let input = run_dir.join("artifacts/reconstructions.png");
    let out_dir = dir.path().join("out");
    let out = run(
        dir.path(),
        &[
            "reconstruct",
            "--run",
            run_dir.to_str().unwrap(),
            input.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("file,reconstruction,mse,psnr,inverted\n"),
        "{stdout}"
    );
    assert!(out_dir.join("reconstructions.png").is_file());

    let bad = dir.path().join("bad.png");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let out = run(
        dir.path(),
        &[
            "reconstruct",
            "--run",
            run_dir.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.png: not a readable image"),
        "{}",
        text(&out)
    );
}
