//! Building the binaries once, running the workbench, reading results.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The target directory cargo builds into.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

/// `target/debug`, where the binary and the plugins are.
pub fn bin_dir() -> PathBuf {
    target_dir().join("debug")
}

/// Builds the workbench and every plugin the tests use (once per test run).
pub fn build() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(root())
            .args([
                "build",
                "-p",
                "workbench",
                "-p",
                "workbench-pca",
                "-p",
                "workbench-segmenters",
                "-p",
                "workbench-autoencoders",
                "-p",
                "workbench-recognizers",
                "-p",
                "fixture-faulty",
                "-p",
                "fixture-wrong-abi",
                "-p",
                "fixture-not-a-plugin",
                "-p",
                "fixture-majority",
            ])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the binaries failed");
        bin_dir()
    })
}

/// The workbench binary.
pub fn workbench() -> PathBuf {
    build().join("workbench")
}

/// A plugin library file in the build directory, by crate name.
pub fn plugin_lib(crate_name: &str) -> PathBuf {
    build().join(format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        crate_name.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    ))
}

/// Runs `workbench ARGS` in `cwd` and returns its output.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(workbench())
        .current_dir(cwd)
        .args(args)
        .env_remove("WORKBENCH_PLUGIN_PATH")
        .env_remove("WORKBENCH_RESULTS")
        .output()
        .expect("workbench runs")
}

/// Trains the majority-text recognizer (fixture plugin) on synthetic words
/// as experiment `reader`, run `majority`; returns its run directory.
pub fn majority_reader(dir: &Path, results: &Path) -> PathBuf {
    let spec = dir.join("words.yaml");
    std::fs::write(
        &spec,
        "name: reader\ndataset:\n  kind: synthetic-words\n  params: {train: 30, val: 5, test: 10}\nruns:\n  - {name: majority, plugin: majority, variant: majority}\n",
    )
    .unwrap();
    let out = run_headless(dir, &spec, results);
    assert!(out.status.success(), "{}", text(&out));
    run_dirs(results, "reader").remove(0)
}

/// Generates one synthetic page (`data pages --seed SEED`) under `dir`;
/// returns its PNG.
pub fn synthetic_page(dir: &Path, seed: u64) -> PathBuf {
    let pages = dir.join("pages");
    let out = run(
        dir,
        &[
            "data",
            "pages",
            "--out",
            pages.to_str().unwrap(),
            "--count",
            "1",
            "--seed",
            &seed.to_string(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    pages.join("page-0000.png")
}

/// Runs `workbench run SPEC --headless --results RESULTS` in `cwd`.
pub fn run_headless(cwd: &Path, spec: &Path, results: &Path) -> Output {
    run(
        cwd,
        &[
            "run",
            spec.to_str().unwrap(),
            "--headless",
            "--results",
            results.to_str().unwrap(),
        ],
    )
}

/// stdout + stderr as text, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A temporary directory holding `spec.yaml` with `body`.
pub fn spec_dir(body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.yaml");
    std::fs::write(&path, body).unwrap();
    (dir, path)
}

/// Every run directory of an experiment, sorted by run id.
pub fn run_dirs(results: &Path, experiment: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(results.join(experiment))
        .unwrap_or_else(|e| panic!("{}: {e}", results.join(experiment).display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A run's `summary.json`.
pub fn summary(run_dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(run_dir.join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The summary of the run named `name` (the run id ends with it).
pub fn summary_named(results: &Path, experiment: &str, name: &str) -> serde_json::Value {
    run_dirs(results, experiment)
        .iter()
        .map(|d| summary(d))
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no run named {name}"))
}

/// A small synthetic-digits dataset block for specs.
pub const SMALL_DIGITS: &str =
    "dataset:\n  kind: synthetic-digits\n  params: {train: 200, val: 20, test: 50}\n";

/// Starts `workbench run SPEC --headless --results RESULTS` in the background.
pub fn spawn_headless(cwd: &Path, spec: &Path, results: &Path) -> std::process::Child {
    headless_command(cwd, spec, results)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// `workbench run SPEC --headless --results RESULTS` in `cwd`, not started.
pub fn headless_command(cwd: &Path, spec: &Path, results: &Path) -> Command {
    let mut cmd = Command::new(workbench());
    cmd.current_dir(cwd).args([
        "run",
        spec.to_str().unwrap(),
        "--headless",
        "--results",
        results.to_str().unwrap(),
    ]);
    cmd
}

/// Waits (up to a minute) for the first run directory of an experiment.
pub fn wait_for_run_dir(results: &Path, experiment: &str) -> PathBuf {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(entry) = results
            .join(experiment)
            .read_dir()
            .ok()
            .and_then(|mut r| r.next())
            .and_then(|e| e.ok())
        {
            return entry.path();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no run directory for {experiment}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Whether a Slurm cluster answers here with a usable node (`.ci/slurm-up.sh`
/// starts a one-node one). Without one, says the test is skipped, unless
/// `WORKBENCH_REQUIRE_SLURM` is set (CI): then the test fails.
pub fn slurm_up() -> bool {
    let ok = Command::new("sinfo")
        .args(["-h", "-o", "%T"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .is_some_and(|s| s.contains("idle") || s.contains("mix") || s.contains("alloc"));
    if !ok {
        assert!(
            std::env::var_os("WORKBENCH_REQUIRE_SLURM").is_none(),
            "WORKBENCH_REQUIRE_SLURM is set but no Slurm cluster answers (`.ci/slurm-up.sh` starts one)"
        );
        eprintln!(
            "SKIPPED: no Slurm cluster answers here (`.ci/slurm-up.sh` starts a one-node one)"
        );
    }
    ok
}
