//! The autoencoders plugin through the real binary: training in a worker,
//! checkpoints per epoch, the VAE's prior-sample preview, the saved model.

use crate::harness::*;

#[test]
fn autoencoder_variants_train_checkpoint_and_save_through_the_worker() {
    let (dir, spec) = spec_dir(&format!(
        "name: ae\n{SMALL_DIGITS}train: {{epochs: 2, batch_size: 32, device: cpu}}\nparallel: 2\nruns:\n\
         - {{name: vae, plugin: autoencoders, variant: vae, params: {{code_size: 4, hidden: [32]}}}}\n\
         - {{name: denoising, plugin: autoencoders, variant: denoising, params: {{code_size: 8, hidden: [32]}}}}\n\
         - {{name: conv, plugin: autoencoders, variant: convolutional}}\n"
    ));
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    for name in ["vae", "denoising", "conv"] {
        let s = summary_named(&results, "ae", name);
        assert_eq!(s["status"], "done", "{name}: {s}");
        let mse = s["metrics"]["mse"].as_f64().unwrap();
        assert!(mse > 0.0 && mse < 0.3, "{name}: {s}");
    }
    for run_dir in run_dirs(&results, "ae") {
        let art = run_dir.join("artifacts");
        assert!(art.join("model/autoencoder.safetensors").is_file());
        assert!(art.join("checkpoints/epoch-2.safetensors").is_file());
        assert!(art.join("checkpoints/last.safetensors").is_file());
        let metrics = std::fs::read_to_string(run_dir.join("metrics.csv")).unwrap();
        assert!(metrics.contains(",val,loss,"), "{metrics}");
        assert!(metrics.contains(",train,epoch_loss,"));
        if metrics.contains(",train,elbo,") {
            assert!(art.join("previews/prior_samples.png").is_file());
        }
    }
}

/// `evaluation: {protocol: one-class}`: one run per normal class, each
/// trained on that class and scored on the whole test split; `report`
/// pivots them into the literature's table with the quoted Deep SVDD row;
/// the probe's raw-pixel and PCA baselines are measured beside the codes.
#[test]
fn one_class_runs_report_auroc_per_normal_class_beside_deep_svdd() {
    let (dir, spec) = spec_dir(&format!(
        "name: oc\n{SMALL_DIGITS}parallel: 2\nruns:\n  - {{name: pca, plugin: pca, variant: pca, params: {{components: 4}}}}\n\
         evaluation: {{protocol: one-class, classes: [0, 1, 7]}}\nmetrics: [anomaly_auroc, probe_accuracy]\n"
    ));
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    for class in [0, 1, 7] {
        let s = summary_named(&results, "oc", &format!("pca normal_class={class}"));
        assert_eq!(s["status"], "done", "{s}");
        assert_eq!(s["key_params"]["normal_class"], class.to_string(), "{s}");
        let auroc = s["metrics"]["anomaly_auroc"].as_f64().unwrap();
        assert!(auroc > 0.0 && auroc <= 1.0, "{s}");
        for m in [
            "probe_accuracy",
            "probe_raw_accuracy",
            "probe_raw_recall",
            "probe_pca_accuracy",
            "probe_pca_precision",
        ] {
            let v = s["metrics"][m].as_f64().unwrap_or(f64::NAN);
            assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{m}: {s}");
        }
        assert_eq!(s["metrics"]["probe_pca_components"].as_f64(), Some(4.0));
    }
    let r = results.to_str().unwrap();
    let md = run(&root(), &["report", "oc", "--results", r]);
    assert!(md.status.success(), "{}", text(&md));
    let md = String::from_utf8_lossy(&md.stdout).to_string();
    assert!(md.starts_with("| name | n | 0 | 1 | 7 | mean |\n"), "{md}");
    assert!(md.contains("\n| pca | 1 | "), "{md}");
    // The quoted row, over the same classes: (98.0 + 99.7 + 94.6) / 3.
    assert!(
        md.contains("| Deep SVDD (Ruff et al. 2018)† | – | 98.0 | 99.7 | 94.6 | 97.4 |"),
        "{md}"
    );
    assert!(md.contains("not measured here"), "{md}");
    // `--layout runs`: the ordinary table, one row per run, with the probe
    // baselines.
    let runs = run(
        &root(),
        &["report", "oc", "--layout", "runs", "--results", r],
    );
    let runs = String::from_utf8_lossy(&runs.stdout).to_string();
    assert!(runs.contains("\n| pca | 7 | 1 | "), "{runs}");
    assert!(runs.contains("| raw pixels |"), "{runs}");
    assert!(runs.contains("| PCA, 4 components |"), "{runs}");
    for format in ["csv", "latex"] {
        let out = run(
            &root(),
            &["report", "oc", "--format", format, "--results", r],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Deep SVDD"));
    }
}

#[test]
fn incompatible_one_class_settings_are_refused_before_anything_runs() {
    let (dir, spec) = spec_dir(&format!(
        "name: oc\n{SMALL_DIGITS}runs:\n  - {{plugin: pca, variant: pca}}\n\
         evaluation: {{protocol: one-class, holdout_class: 3, classes: [12]}}\n"
    ));
    let out = run(dir.path(), &["validate", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("evaluation.holdout_class: cannot be used with `protocol: one-class`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("evaluation.classes[0]: there is no class 12"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
