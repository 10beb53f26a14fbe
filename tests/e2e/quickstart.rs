//! The README's main command: the quickstart, headless, end to end.

use crate::harness::*;

#[test]
fn quickstart_runs_three_pca_runs_and_writes_results_as_designed() {
    let results = tempfile::tempdir().unwrap();
    let spec = root().join("experiments/quickstart.yaml");
    let out = run(
        &root(),
        &[
            "run",
            spec.to_str().unwrap(),
            "--headless",
            "--results",
            results.path().to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The final table: a header and one row per configuration.
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("pca"))
        .collect();
    assert_eq!(rows.len(), 3, "{}", text(&out));
    assert!(stdout.contains("3 done, 0 failed"), "{}", text(&out));

    let dirs = run_dirs(results.path(), "quickstart");
    assert_eq!(dirs.len(), 3);
    let mut mse_by_k = Vec::new();
    let mut invocations = std::collections::BTreeSet::new();
    for dir in &dirs {
        for file in [
            "spec.yaml",
            "metrics.csv",
            "summary.json",
            "log.txt",
            "run.json",
        ] {
            assert!(dir.join(file).is_file(), "{} lacks {file}", dir.display());
        }
        assert!(dir.join("artifacts/reconstructions.png").is_file());
        for artifact in [
            "model/pca.safetensors",
            "codes_2d.png",
            "loss_curve.csv",
            "loss_curve.png",
            "probe_confusion.csv",
        ] {
            assert!(
                dir.join("artifacts").join(artifact).is_file(),
                "{} lacks {artifact}",
                dir.display()
            );
        }
        let s = summary(dir);
        assert_eq!(s["status"], "done", "{s}");
        // Every run records the command that made it; one invocation's
        // runs share its id.
        let invocation = &s["invocation"];
        assert!(
            invocation["command"]
                .as_array()
                .is_some_and(|c| c.iter().any(|a| a == "run")),
            "{s}"
        );
        invocations.insert(invocation["id"].as_str().unwrap().to_string());
        // ... and the code and machine: the workbench's commit (when built
        // in a git checkout) and the host.
        let commit = invocation["commit"].as_str().unwrap();
        let in_checkout = root().join(".git").exists()
            && std::process::Command::new("git")
                .arg("--version")
                .output()
                .is_ok();
        assert!(
            !in_checkout || (commit.len() >= 12 && commit != "unknown"),
            "{s}"
        );
        assert!(!commit.is_empty(), "{s}");
        assert!(!invocation["host"].as_str().unwrap().is_empty(), "{s}");
        let mse = s["metrics"]["mse"].as_f64().unwrap();
        let psnr = s["metrics"]["psnr"].as_f64().unwrap();
        assert!(mse > 0.0 && mse < 0.2, "{s}");
        assert!(psnr > 5.0, "{s}");
        // Accuracy, precision and recall two ways: anomaly detection on the
        // held-out digit 0, and a linear probe on the codes.
        for m in [
            "anomaly_precision",
            "anomaly_recall",
            "anomaly_accuracy",
            "anomaly_auroc",
            "probe_accuracy",
            "probe_precision",
            "probe_recall",
        ] {
            let v = s["metrics"][m]
                .as_f64()
                .unwrap_or_else(|| panic!("no {m}: {s}"));
            assert!((0.0..=1.0).contains(&v), "{m}={v}");
        }
        // Ten balanced classes: a probe on 16+ components beats chance by far.
        if s["key_params"]["components"] != "2" {
            assert!(
                s["metrics"]["probe_accuracy"].as_f64().unwrap() > 0.5,
                "{s}"
            );
        }
        let k: u32 = s["key_params"]["components"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        mse_by_k.push((k, mse));
        // The resolved spec records the seed and the filled-in defaults.
        let resolved = std::fs::read_to_string(dir.join("spec.yaml")).unwrap();
        assert!(
            resolved.contains("seed: 0") && resolved.contains("whiten: false"),
            "{resolved}"
        );
        // metrics.csv has its header and the test metrics.
        let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
        assert!(metrics.starts_with("step,epoch,split,name,value,seconds\n"));
        assert!(
            metrics.lines().any(|l| l.contains(",test,mse,")),
            "{metrics}"
        );
        // Every line records its wall time since the worker started.
        assert!(
            metrics.lines().skip(1).all(|l| l
                .rsplit(',')
                .next()
                .is_some_and(|t| t.parse::<f64>().is_ok_and(|t| t >= 0.0))),
            "{metrics}"
        );
    }
    assert_eq!(invocations.len(), 1, "{invocations:?}");
    // More components reconstruct better.
    mse_by_k.sort_by_key(|(k, _)| *k);
    assert_eq!(
        mse_by_k.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        [2, 16, 49]
    );
    assert!(
        mse_by_k[0].1 > mse_by_k[1].1 && mse_by_k[1].1 > mse_by_k[2].1,
        "{mse_by_k:?}"
    );

    let summary_csv =
        std::fs::read_to_string(results.path().join("quickstart/summary.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(summary_csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert!(
        headers.iter().any(|h| h == "mse") && headers.iter().any(|h| h == "psnr"),
        "{headers:?}"
    );
    assert_eq!(reader.records().count(), 3);

    // The report renders the same runs in every format.
    let r = results.path().to_str().unwrap();
    let md = run(&root(), &["report", "quickstart", "--results", r]);
    assert!(md.status.success(), "{}", text(&md));
    let md = String::from_utf8_lossy(&md.stdout);
    assert_eq!(
        md.lines()
            .filter(|l| l.starts_with("| ") && l.contains("pca"))
            .count(),
        3,
        "{md}"
    );
    assert!(md.contains("**"), "best values are marked: {md}");
    let latex = run(
        &root(),
        &[
            "report",
            "quickstart",
            "--format",
            "latex",
            "--metrics",
            "mse,psnr",
            "--results",
            r,
        ],
    );
    let latex = String::from_utf8_lossy(&latex.stdout);
    assert!(
        latex.contains("\\toprule") && latex.contains("\\textbf{"),
        "{latex}"
    );
    // A metric no run recorded is refused, with the nearest one suggested.
    let bad = run(
        &root(),
        &[
            "report",
            "quickstart",
            "--metrics",
            "mse,psnrr",
            "--results",
            r,
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(
        text(&bad).contains("recorded the metric `psnrr`") && text(&bad).contains("`psnr`"),
        "{}",
        text(&bad)
    );
    let html = run(
        &root(),
        &["report", "quickstart", "--format", "html", "--results", r],
    );
    assert_eq!(html.status.code(), Some(2), "{}", text(&html));
    assert!(
        text(&html).contains("unknown report format `html` (md, csv or latex)"),
        "{}",
        text(&html)
    );
    let runs = run(&root(), &["runs", "quickstart", "--results", r]);
    assert_eq!(
        String::from_utf8_lossy(&runs.stdout)
            .lines()
            .filter(|l| l.contains("done"))
            .count(),
        3
    );
}

/// `workbench plot`: one metric of every run in one figure, seeds pooled
/// into mean ± std; mistakes are clear errors.
#[test]
fn plot_draws_runs_with_seed_bands_and_refuses_mistakes() {
    let (dir, spec) = spec_dir(&format!(
        "name: plotted\n{SMALL_DIGITS}seeds: [1, 2]\nparallel: 2\nruns:\n\
         - {{name: short, plugin: faulty, variant: ok, params: {{steps: 20}}}}\n\
         - {{name: long, plugin: faulty, variant: ok, params: {{steps: 40}}}}\n"
    ));
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    let r = results.to_str().unwrap();
    let svg = dir.path().join("loss.svg");
    let out = run(
        dir.path(),
        &[
            "plot",
            "plotted",
            "--metric",
            "loss",
            "--smooth",
            "0.5",
            "--log-y",
            "--out",
            svg.to_str().unwrap(),
            "--results",
            r,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let text_svg = std::fs::read_to_string(&svg).unwrap();
    for label in [
        "short (mean ± std, n=2)",
        "long (mean ± std, n=2)",
        "plotted: loss, smoothed 0.5",
        "step",
        "loss (log scale)",
    ] {
        assert!(text_svg.contains(label), "{label} missing");
    }
    let png = dir.path().join("loss.png");
    let out = run(
        dir.path(),
        &[
            "plot",
            "plotted",
            "--runs",
            "long",
            "--x",
            "epoch",
            "--out",
            png.to_str().unwrap(),
            "--results",
            r,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(image::image_dimensions(&png).unwrap(), (900, 560));

    let bad = run(
        dir.path(),
        &[
            "plot",
            "plotted",
            "--metric",
            "los",
            "--out",
            "x.png",
            "--results",
            r,
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("recorded: loss"), "{}", text(&bad));
    let bad = run(
        dir.path(),
        &[
            "plot",
            "plotted",
            "--runs",
            "medium",
            "--out",
            "x.png",
            "--results",
            r,
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("runs: long, short"), "{}", text(&bad));
    let bad = run(
        dir.path(),
        &["plot", "plotted", "--out", "x.pdf", "--results", r],
    );
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(text(&bad).contains(".png or .svg"), "{}", text(&bad));
    assert!(!dir.path().join("x.pdf").exists());
}
