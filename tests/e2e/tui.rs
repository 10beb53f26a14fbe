//! The terminal UI in a real terminal: tmux runs `workbench run` in a
//! pane, the test reads the screen (capture-pane) and types keys
//! (send-keys). Skipped, with a message, where tmux is not installed.

use crate::harness::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: tmux is not installed; the terminal UI end-to-end tests need it (apt-get install tmux)");
    }
    ok
}

/// A tmux server of its own (so it inherits this process's environment)
/// with one session running a command.
struct Pane {
    socket: String,
    exit_file: PathBuf,
}

impl Pane {
    fn start(cwd: &Path, args: &[&str]) -> Pane {
        static N: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "wb-e2e-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let exit_file = cwd.join("tui-exit-code");
        let mut cmd = format!("'{}'", workbench().display());
        for a in args {
            cmd.push_str(&format!(" '{a}'"));
        }
        let script = format!("{cmd}; echo $? > '{}'", exit_file.display());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "160",
                "-y",
                "40",
            ])
            .arg("-c")
            .arg(cwd)
            .args(["sh", "-c", &script])
            .env_remove("WORKBENCH_PLUGIN_PATH")
            .env_remove("WORKBENCH_RESULTS")
            .env_remove("NO_COLOR")
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        Pane { socket, exit_file }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        Command::new("tmux")
            .args(["-L", &self.socket, "send-keys"])
            .args(keys)
            .status()
            .expect("tmux runs");
    }

    /// Waits until the screen shows `text`; returns the screen.
    fn wait_for(&self, text: &str, secs: u64) -> String {
        self.wait_until(|s| s.contains(text), &format!("`{text}`"), secs)
    }

    /// Waits until the screen satisfies `ready` (described by `what`);
    /// returns the screen.
    fn wait_until(&self, ready: impl Fn(&str) -> bool, what: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the command to exit; returns its exit code.
    fn wait_exit(&self, secs: u64) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Ok(t) = std::fs::read_to_string(&self.exit_file) {
                if t.ends_with('\n') {
                    return t.trim().parse().unwrap();
                }
            }
            assert!(
                Instant::now() < deadline,
                "the workbench did not exit; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn tui_runs_the_quickstart_shows_a_run_exports_and_quits() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let spec = root().join("experiments/quickstart.yaml");
    let pane = Pane::start(
        dir.path(),
        &[
            "run",
            spec.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
    );
    pane.wait_for("quickstart · 3 runs", 60);
    pane.wait_for("3 done", 240);
    let screen = pane.screen();
    assert!(screen.contains("pca components=49"), "{screen}");
    assert!(screen.contains("mse"), "{screen}");
    // The detail view of the first run.
    pane.keys(&["Enter"]);
    let detail = pane.wait_for("curves & log", 20);
    assert!(detail.contains("pca/pca"), "{detail}");
    pane.keys(&["Tab", "Tab"]);
    pane.wait_for("spec.yaml", 20);
    pane.keys(&["Escape"]);
    pane.wait_for("train_seconds", 20);
    // Export the compare table.
    pane.keys(&["e"]);
    pane.wait_for("exported report.csv", 20);
    for f in ["report.csv", "report.md", "report.tex"] {
        let path = results.join("quickstart").join(f);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(text.contains("pca"), "{f}: {text}");
    }
    // Quit: nothing active, so no question.
    pane.keys(&["q"]);
    assert_eq!(pane.wait_exit(30), 0);
}

#[test]
fn tui_cancels_a_running_run_and_keeps_its_metrics() {
    if !have_tmux() {
        return;
    }
    let (dir, spec) = spec_dir(&format!(
        "name: tui-cancel\n{SMALL_DIGITS}runs:\n  - {{name: slow, plugin: faulty, variant: slow, params: {{steps: 100000, sleep_ms: 5}}}}\n"
    ));
    let results = dir.path().join("results");
    let pane = Pane::start(
        dir.path(),
        &[
            "run",
            spec.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
    );
    pane.wait_for("1 running", 60);
    let run_dir = run_dirs(&results, "tui-cancel").remove(0);
    let metrics = run_dir.join("metrics.csv");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&metrics)
        .map(|t| t.lines().count())
        .unwrap_or(0)
        < 21
    {
        assert!(Instant::now() < deadline, "no metrics written");
        std::thread::sleep(Duration::from_millis(50));
    }
    pane.keys(&["c"]);
    pane.wait_for("Cancel run slow?", 20);
    pane.keys(&["y"]);
    let screen = pane.wait_for("cancelled", 60);
    assert!(screen.contains("slow"), "{screen}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while summary(&run_dir)["status"] != "cancelled" {
        assert!(Instant::now() < deadline, "{}", summary(&run_dir));
        std::thread::sleep(Duration::from_millis(50));
    }
    // The partial metrics.csv is intact: complete lines, consecutive steps.
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(text.ends_with('\n'), "no torn last line");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let steps: Vec<u64> = reader
        .records()
        .map(|r| r.expect("complete record")[0].parse().unwrap())
        .collect();
    assert!(steps.len() >= 20, "{} rows", steps.len());
    assert!(steps.len() < 100_000, "the run was not stopped");
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(*s, i as u64 + 1);
    }
    pane.keys(&["q"]);
    // The user cancelled a run: 130, as Ctrl-C headless.
    assert_eq!(pane.wait_exit(30), 130);
}

/// The terminal UI follows runs on Slurm as it follows local ones: the
/// quickstart's three array tasks end `done`, and `c` on a run that is
/// training cancels its array task (`scancel JOB_TASK`). Needs tmux and a
/// Slurm cluster (`.ci/slurm-up.sh`); skipped without either unless
/// `WORKBENCH_REQUIRE_SLURM` is set.
#[test]
fn tui_follows_slurm_runs_live_and_cancels_one() {
    if !have_tmux() {
        return;
    }
    if !slurm_up() {
        return;
    }
    let (dir, spec) = spec_dir(&format!(
        "name: tui-slurm\n{SMALL_DIGITS}executor: {{kind: slurm, poll_seconds: 0.5}}\nruns:\n\
         - {{name: quick, plugin: pca, variant: pca, params: {{components: 4}}}}\n\
         - {{name: slow, plugin: faulty, variant: slow, params: {{steps: 100000, sleep_ms: 5}}}}\n"
    ));
    let results = dir.path().join("results");
    let pane = Pane::start(
        dir.path(),
        &[
            "run",
            spec.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
    );
    pane.wait_for("tui-slurm · 2 runs", 60);
    pane.wait_for("1 done", 120);
    // The slow run trains on a node; its metrics reach the UI live.
    let deadline = Instant::now() + Duration::from_secs(120);
    let slow = loop {
        let found = run_dirs(&results, "tui-slurm")
            .into_iter()
            .filter(|d| d.join("summary.json").exists())
            .find(|d| summary(d)["name"] == "slow");
        if let Some(d) = found {
            let lines = std::fs::read_to_string(d.join("metrics.csv"))
                .map(|t| t.lines().count())
                .unwrap_or(0);
            if lines > 20 {
                break d;
            }
        }
        assert!(Instant::now() < deadline, "the slow run never trained");
        std::thread::sleep(Duration::from_millis(100));
    };
    pane.wait_for("1 running", 30);
    // Select the slow run (the second row) and cancel it.
    pane.keys(&["Down"]);
    pane.keys(&["c"]);
    pane.wait_for("Cancel run slow?", 20);
    pane.keys(&["y"]);
    let deadline = Instant::now() + Duration::from_secs(90);
    while summary(&slow)["status"] != "cancelled" {
        assert!(Instant::now() < deadline, "{}", summary(&slow));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(summary(&slow)["placement"]["executor"], "slurm");
    pane.wait_for("cancelled", 30);
    pane.keys(&["q"]);
    assert_eq!(pane.wait_exit(30), 130);
}

/// The detail chart's overlay in a real terminal: runs marked with `space`
/// and a baseline pinned with `b` in the runs list are drawn in the open
/// run's chart with a legend; `m` picks a metric through the filter, `D`
/// shows the config diff, `p` the system panel.
#[test]
fn tui_overlays_marked_runs_and_a_baseline() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let spec = root().join("experiments/quickstart.yaml");
    let pane = Pane::start(
        dir.path(),
        &[
            "run",
            spec.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
    );
    pane.wait_for("3 done", 240);
    let names: Vec<String> = run_dirs(&results, "quickstart")
        .iter()
        .map(|d| summary(d)["name"].as_str().unwrap().to_string())
        .collect();
    // Mark the first row, pin the second as the baseline, open the third.
    pane.keys(&["Space"]);
    pane.wait_for("●", 20);
    pane.keys(&["Down", "b"]);
    pane.wait_for("◆", 20);
    pane.keys(&["Down", "Enter"]);
    // The chart's frame is drawn before the runs' curves are loaded: wait
    // for the legend itself.
    pane.wait_for("(m metric)", 20);
    pane.wait_until(
        |s| names.iter().any(|n| s.contains(&format!("baseline {n}"))),
        &format!("the baseline in the legend ({names:?})"),
        30,
    );
    // The picker: type a filter, Enter picks the metric.
    pane.keys(&["m"]);
    pane.wait_for("Enter picks", 20);
    pane.keys(&["v", "a", "l"]);
    pane.wait_for("filter: val", 20);
    pane.keys(&["Enter"]);
    pane.wait_for("val_loss by step", 20);
    // Smoothing and log y are named in the title.
    pane.keys(&["a", "y"]);
    pane.wait_for("smoothed 0.6 · log y", 20);
    // The config diff against the baseline: the swept parameter differs.
    pane.keys(&["D"]);
    let diff = pane.wait_for("config diff", 20);
    assert!(diff.contains("params.components"), "{diff}");
    pane.keys(&["Escape"]);
    pane.keys(&["Escape"]);
    // The system panel in the runs view.
    pane.keys(&["p"]);
    pane.wait_for("no worker running", 20);
    pane.keys(&["q"]);
    assert_eq!(pane.wait_exit(30), 0);
}
