//! Spec errors through the real binary, and what `validate` plans.

use crate::harness::*;

#[test]
fn a_typo_in_a_key_fails_with_line_column_and_hint() {
    let (dir, spec) = spec_dir(&format!(
        "name: x\n{SMALL_DIGITS}train:\n  epoch: 3\nruns:\n  - {{plugin: pca, variant: pca}}\n"
    ));
    let out = run(dir.path(), &["run", spec.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("spec.yaml:6:3: train.epoch: unknown key `epoch`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `epochs`?"), "{stderr}");
    assert!(
        !dir.path().join("results").exists(),
        "nothing runs before the spec is valid"
    );
}

#[test]
fn validate_prints_the_expanded_plan() {
    let (dir, spec) = spec_dir(&format!(
        "name: grid\n{SMALL_DIGITS}seeds: [1, 2]\nruns:\n  - {{plugin: pca, variant: pca}}\nsweep:\n  params.components: [2, 4, 8]\n"
    ));
    let out = run(
        dir.path(),
        &[
            "validate",
            spec.to_str().unwrap(),
            "--set",
            "train.epochs=2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("experiment `grid`: 6 run(s)"), "{stdout}");
    assert!(stdout.contains("pca components=8 seed=2"), "{stdout}");
    assert!(stdout.contains("epochs=2"), "{stdout}");
}

#[test]
fn seeds_aggregate_into_mean_and_std_and_names_stay_inside_results() {
    let (dir, spec) = spec_dir(&format!(
        "name: ../../escape\n{SMALL_DIGITS}seeds: [1, 2, 3]\nruns:\n  - {{name: ../../etc, plugin: faulty, variant: ok}}\n"
    ));
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    // Only `results/` was written, and the experiment and runs are inside it.
    let top: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(top.len(), 2, "{top:?}");
    let experiments: Vec<String> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // The name is not a slug: its directory is the slug plus a hash of it.
    assert_eq!(experiments.len(), 1);
    assert!(experiments[0].starts_with("escape-"), "{experiments:?}");
    let dirs = run_dirs(&results, &experiments[0]);
    assert_eq!(dirs.len(), 3);
    for d in &dirs {
        assert!(
            d.starts_with(&results)
                && d.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .contains("etc-seed=")
                || d.file_name().unwrap().to_string_lossy().contains("etc"),
            "{}",
            d.display()
        );
    }
    let report = run(
        dir.path(),
        &[
            "report",
            "../../escape",
            "--results",
            results.to_str().unwrap(),
            "--metrics",
            "mse,train_loss",
        ],
    );
    let md = String::from_utf8_lossy(&report.stdout);
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("../../etc"))
        .collect();
    assert_eq!(rows.len(), 1, "{md}");
    assert!(rows[0].contains("| 3 |"), "three seeds in one row: {md}");
    assert!(rows[0].contains(" ± "), "{md}");
}
