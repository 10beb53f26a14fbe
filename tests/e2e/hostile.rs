//! Hostile inputs (issue 11): run directories, datasets and specs written
//! by someone else must not make the binary run their code, read outside
//! their directory, or mix runs; they fail with a clear message instead.

use crate::harness::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Copies the directory `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Builds, with `cc`, a shared library whose constructor creates `marker`.
/// `None` (and a message) where there is no C compiler.
fn marker_library(dir: &Path, marker: &Path) -> Option<PathBuf> {
    let source = dir.join("evil.c");
    std::fs::write(
        &source,
        format!(
            "#include <stdio.h>\n\
             __attribute__((constructor)) static void evil(void) {{\n\
               FILE *f = fopen(\"{}\", \"w\");\n\
               if (f) {{ fputs(\"ran\", f); fclose(f); }}\n\
             }}\n",
            marker.display()
        ),
    )
    .unwrap();
    let lib = dir.join(format!("libevil{}", std::env::consts::DLL_SUFFIX));
    match Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&source)
        .status()
    {
        Ok(s) if s.success() => Some(lib),
        _ => {
            eprintln!("skipped: no working `cc` to build the marker library");
            None
        }
    }
}

/// Rewrites `run.json` of `run_dir` with `change` applied to its plan.
fn edit_plan(run_dir: &Path, change: impl FnOnce(&mut serde_json::Value)) {
    let path = run_dir.join("run.json");
    let mut job: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    change(&mut job["plan"]);
    std::fs::write(&path, serde_json::to_vec_pretty(&job).unwrap()).unwrap();
}

#[test]
fn a_run_directory_never_names_code_to_load() {
    let (dir, spec) = spec_dir(&format!(
        "name: hostile\n{SMALL_DIGITS}runs:\n  - {{plugin: pca, variant: pca, params: {{components: 4}}}}\n"
    ));
    let marker = dir.path().join("constructor-ran");
    let Some(evil) = marker_library(dir.path(), &marker) else {
        return;
    };
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    let run_dir = run_dirs(&results, "hostile").remove(0);
    let input = run_dir.join("artifacts/reconstructions.png");

    // A copy of the finished run whose job names the marker library.
    let copy = dir.path().join("copy");
    copy_dir(&run_dir, &copy);
    edit_plan(&copy, |plan| {
        plan["plugin_file"] = evil.to_str().unwrap().into();
    });
    let out_dir = dir.path().join("out");
    let out = run(
        dir.path(),
        &[
            "reconstruct",
            "--run",
            copy.to_str().unwrap(),
            input.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    assert!(!marker.exists(), "the run directory's library was loaded");
    // The plugin is found by its name among the configured plugins.
    assert!(out.status.success(), "{}", text(&out));
    assert!(out_dir.join("reconstructions.png").is_file());

    // A name no configured library has: a clear error, nothing loaded.
    edit_plan(&copy, |plan| {
        plan["plugin"] = "evil".into();
    });
    let out = run(
        dir.path(),
        &[
            "reconstruct",
            "--run",
            copy.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
    );
    assert!(!marker.exists(), "the run directory's library was loaded");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plugin `evil` not found") && !stderr.contains("panicked"),
        "{}",
        text(&out)
    );

    // `ocr` and `recognize` open runs the same way.
    for args in [
        vec![
            "recognize",
            "--run",
            copy.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
        vec![
            "ocr",
            "--segmenter",
            "cca",
            "--recognizer",
            copy.to_str().unwrap(),
            input.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
    ] {
        let out = run(dir.path(), &args);
        assert!(
            !marker.exists(),
            "{args:?} loaded the run directory's library"
        );
        assert!(!out.status.success(), "{}", text(&out));
        assert!(!text(&out).contains("panicked"), "{}", text(&out));
    }
}

#[test]
fn dataset_file_names_never_leave_the_dataset_directory() {
    let dir = tempfile::tempdir().unwrap();
    let words = dir.path().join("words");
    std::fs::create_dir(&words).unwrap();
    let word = image::GrayImage::from_fn(40, 20, |x, _| image::Luma([(x * 6) as u8]));
    word.save(dir.path().join("outside.png")).unwrap();
    let spec = dir.path().join("spec.yaml");
    std::fs::write(
        &spec,
        "name: escape\ndataset:\n  kind: words\n  params: {dir: words, val: 0.125, test: 0.2}\nruns:\n  - {plugin: majority, variant: majority}\n",
    )
    .unwrap();
    let results = dir.path().join("results");
    let outside = dir.path().join("outside.png");
    for (n, bad) in ["../outside.png", outside.to_str().unwrap()]
        .into_iter()
        .enumerate()
    {
        let mut labels = String::from("filename,text\n");
        for i in 0..9 {
            word.save(words.join(format!("w{i}.png"))).unwrap();
            labels.push_str(&format!("w{i}.png,cat\n"));
            if i == 2 {
                labels.push_str(&format!("{bad},dog\n"));
            }
        }
        std::fs::write(words.join("labels.csv"), labels).unwrap();
        let out = run_headless(dir.path(), &spec, &results);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(!text(&out).contains("panicked"), "{}", text(&out));
        let dirs = run_dirs(&results, "escape");
        assert_eq!(dirs.len(), n + 1);
        let failed: Vec<_> = dirs
            .iter()
            .map(|d| summary(d))
            .filter(|s| s["status"] == "failed")
            .collect();
        assert_eq!(failed.len(), n + 1, "{failed:?}");
        for s in failed {
            let error = s["error"].as_str().unwrap();
            assert!(
                error.contains("line 5")
                    && error.contains("outside the dataset directory")
                    && error.contains("outside.png"),
                "{error}"
            );
        }
    }
}

#[test]
fn concurrent_invocations_never_share_a_run_directory() {
    let results = tempfile::tempdir().unwrap();
    let spec = root().join("experiments/quickstart.yaml");
    let start = || {
        Command::new(workbench())
            .current_dir(root())
            .args(["run", spec.to_str().unwrap(), "--headless", "--results"])
            .arg(results.path())
            .env_remove("WORKBENCH_PLUGIN_PATH")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Started together, both prepare their runs within the same second.
    let (a, b) = (start(), start());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let dirs = run_dirs(results.path(), "quickstart");
    assert_eq!(dirs.len(), 6, "{dirs:?}");
    let mut ids = std::collections::BTreeSet::new();
    for dir in &dirs {
        let s = summary(dir);
        assert_eq!(s["status"], "done", "{s}");
        assert!(ids.insert(s["run_id"].as_str().unwrap().to_string()), "{s}");
        assert_eq!(
            dir.file_name().unwrap().to_str(),
            s["run_id"].as_str(),
            "{s}"
        );
        // Its own metrics: one header, one run's lines.
        let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
        assert_eq!(
            metrics.matches("step,epoch,split,name,value").count(),
            1,
            "{metrics}"
        );
        let job: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
        assert_eq!(job["run_id"], s["run_id"]);
    }
}

#[test]
fn absurd_sizes_are_refused_when_the_spec_is_checked() {
    workbench(); // built before the clock starts
    let check = |body: &str, expect: &[&str]| {
        let (dir, spec) = spec_dir(body);
        let started = std::time::Instant::now();
        let out = run(dir.path(), &["validate", spec.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        for e in expect {
            assert!(stderr.contains(e), "no `{e}` in {}", text(&out));
        }
        assert!(!stderr.contains("panicked"), "{}", text(&out));
        assert!(
            started.elapsed().as_secs() < 30,
            "took {:?}",
            started.elapsed()
        );
    };
    for kind in ["synthetic-digits", "synthetic-words", "synthetic-pages"] {
        let plugin = match kind {
            "synthetic-digits" => "{plugin: pca, variant: pca}",
            "synthetic-words" => "{plugin: majority, variant: majority}",
            _ => "{plugin: segmenters, variant: cca}",
        };
        check(
            &format!(
                "name: big\ndataset:\n  kind: {kind}\n  params: {{train: 18446744073709551615, test: 5}}\nruns:\n  - {plugin}\n"
            ),
            &["spec.yaml:4", "train", "more than the"],
        );
    }
    // 10 × 10 × 10 × 10 × 10 = 100,000 runs.
    let values = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
    check(
        &format!(
            "name: sweep\n{SMALL_DIGITS}runs:\n  - {{plugin: pca, variant: pca}}\nsweep:\n  params.components: {values}\n  train.epochs: {values}\n  train.batch_size: {values}\n  train.seed: {values}\n  train.lr: {values}\n"
        ),
        &["100000 runs", "more than the limit of 10000"],
    );
}

#[test]
fn a_spec_is_read_only_from_a_regular_file_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let mut specs: Vec<PathBuf> = vec!["/dev/zero".into(), dir.path().to_path_buf()];
    if made.is_ok_and(|s| s.success()) {
        specs.push(fifo);
    } else {
        eprintln!("no mkfifo: the FIFO case is skipped");
    }
    let huge = dir.path().join("huge.yaml");
    std::fs::write(&huge, format!("name: huge\n# {}\n", "x".repeat(2 << 20))).unwrap();
    for spec in &specs {
        let out = run(dir.path(), &["validate", spec.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not a regular file"), "{}", text(&out));
    }
    let out = run(dir.path(), &["validate", huge.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("larger than 1 MiB"),
        "{}",
        text(&out)
    );
}

#[test]
fn deep_nesting_and_misplaced_errors_get_their_own_messages() {
    let dir = tempfile::tempdir().unwrap();
    let expect = |args: &[&str], needle: &str| {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{needle}:\n{}", text(&out));
    };
    // 200 KB of `[`: refused at the bracket that passes the limit, at
    // once (the YAML parser alone took minutes to reach its own limit).
    let deep = dir.path().join("deep.yaml");
    std::fs::write(&deep, format!("name: x\ndataset: {}", "[".repeat(200_000))).unwrap();
    expect(
        &["validate", deep.to_str().unwrap()],
        "deep.yaml:2:74: invalid YAML: nested deeper than 64 levels",
    );
    let spec = dir.path().join("spec.yaml");
    std::fs::write(
        &spec,
        format!("name: x\n{SMALL_DIGITS}runs: [{{plugin: pca, variant: pca}}]\n"),
    )
    .unwrap();
    let spec = spec.to_str().unwrap();
    let nested = format!("x={}", "[".repeat(100_000));
    expect(
        &["validate", spec, "--set", &nested],
        "nested deeper than 64 levels",
    );
    // A key only a `--set` made is blamed on it, not on the file's 1:1.
    expect(
        &["validate", spec, "--set", "nope.x=1"],
        "error: --set nope.x=1: nope: unknown key `nope`",
    );
    // A plugin "directory" that is a file says so.
    let file = dir.path().join("plain.yaml");
    std::fs::write(
        &file,
        format!(
            "name: x\nplugins: [spec.yaml]\n{SMALL_DIGITS}runs: [{{plugin: pca, variant: pca}}]\n"
        ),
    )
    .unwrap();
    expect(
        &["validate", file.to_str().unwrap()],
        "plugins[0]: plugin directory",
    );
    expect(
        &["validate", file.to_str().unwrap()],
        "spec.yaml is not a directory",
    );
}

/// Pids of `workbench worker` processes whose command line names `dir`.
fn workers_under(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|pid| {
                    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                        let line = String::from_utf8_lossy(&c).replace('\0', " ");
                        line.contains(" worker ") && line.contains(&needle)
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_worker_does_not_outlive_its_parent() {
    if !Path::new("/proc").is_dir() {
        eprintln!("skipped: no /proc to find the worker in");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    // Generating 3,000 pages keeps the worker busy long before training.
    let spec = dir.path().join("slow.yaml");
    std::fs::write(
        &spec,
        "name: slow\ndataset:\n  kind: synthetic-pages\n  params: {train: 3000, test: 1}\nruns:\n  - {plugin: segmenters, variant: cca}\n",
    )
    .unwrap();
    let mut parent = Command::new(workbench())
        .current_dir(dir.path())
        .args(["run", spec.to_str().unwrap(), "--headless", "--results"])
        .arg(&results)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut workers = Vec::new();
    while workers.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        workers = workers_under(&results);
    }
    assert!(!workers.is_empty(), "no worker started");
    std::thread::sleep(Duration::from_millis(500));
    parent.kill().unwrap(); // SIGKILL: no chance to stop the worker
    parent.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    while !workers_under(&results).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        workers_under(&results).is_empty(),
        "the worker outlived its parent by 40 s"
    );
}

#[test]
fn inputs_whose_outputs_share_a_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let page = |d: &Path| {
        image::GrayImage::from_pixel(60, 40, image::Luma([255]))
            .save(d.join("x.png"))
            .unwrap()
    };
    page(&a);
    page(&b);
    let out_dir = dir.path().join("out");
    let (ax, bx) = (a.join("x.png"), b.join("x.png"));
    for args in [
        vec!["segment", "--plugin", "segmenters", "--variant", "cca"],
        vec!["ocr"],
    ] {
        let mut all: Vec<&str> = args.clone();
        all.extend([
            ax.to_str().unwrap(),
            bx.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        let out = run(dir.path(), &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("would write outputs of the same names"),
            "{args:?}: {}",
            text(&out)
        );
        assert!(
            !out_dir.join("x.json").exists(),
            "{args:?}: nothing is written"
        );
    }
}

#[test]
fn images_are_read_only_from_regular_files_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("word.png");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let mut child = Command::new(workbench())
            .current_dir(dir.path())
            .args(["recognize", fifo.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let status = child.try_wait().unwrap();
        if status.is_none() {
            child.kill().unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(status.and_then(|s| s.code()), Some(2), "{}", text(&out));
        assert!(text(&out).contains("not a regular file"), "{}", text(&out));
    }
    // 20,000 × 1: wider than any page or word the workbench reads.
    let wide = dir.path().join("wide.png");
    image::GrayImage::new(20_000, 1).save(&wide).unwrap();
    for args in [vec!["recognize"], vec!["ocr", "--out", "o"]] {
        let mut all = args.clone();
        all.push(wide.to_str().unwrap());
        let out = run(dir.path(), &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("20000 × 1 pixels"),
            "{args:?}: {}",
            text(&out)
        );
    }
}
