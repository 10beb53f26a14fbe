//! `workbench report --format latex` drops into a paper: the table it
//! writes compiles with `pdflatex` in a plain `article` (with the packages
//! its first line names) and fits the page, however many columns it has.
//! Needs `pdflatex` (Debian's `texlive-latex-base` and
//! `texlive-latex-recommended`, which CI installs), and for `--siunitx`
//! tables `siunitx.sty` (`texlive-science`); without them the tests fail
//! where `CI` is set and otherwise say they were skipped.

use std::collections::BTreeMap;
use std::process::Command;
use workbench::report::{
    build_one_class_table, build_table, render_with, Format, RenderOptions, RunRecord,
    NORMAL_CLASS, ONE_CLASS_METRIC,
};

fn have_pdflatex() -> bool {
    let ok = Command::new("pdflatex")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("pdflatex not installed (apt-get install texlive-latex-base texlive-latex-recommended), and CI must run this test");
        }
        eprintln!("SKIPPED: pdflatex is not installed (apt-get install texlive-latex-base texlive-latex-recommended)");
    }
    ok
}

/// Twelve configurations of a wide sweep, three seeds each: many
/// parameter and metric columns, long names, characters LaTeX escapes.
fn wide_records() -> Vec<RunRecord> {
    let mut out = Vec::new();
    for i in 0..12 {
        for seed in 0..3u64 {
            let params: BTreeMap<String, String> = [
                ("train.lr", format!("{}e-3", i % 3 + 1)),
                ("code_size", format!("{}", 16 << (i % 4))),
                ("sparsity_weight", format!("0.{i}")),
                (
                    "noise_kind",
                    ["gaussian", "masking", "salt_pepper"][i % 3].to_string(),
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            let metrics: BTreeMap<String, f64> = [
                "mse",
                "rmse",
                "psnr",
                "bce",
                "ssim",
                "probe_accuracy",
                "anomaly_auroc",
                "train_seconds",
            ]
            .iter()
            .enumerate()
            .map(|(k, m)| {
                (
                    m.to_string(),
                    0.01 * (k + 1) as f64 + 0.001 * i as f64 + 1e-4 * seed as f64,
                )
            })
            .collect();
            out.push(RunRecord {
                run_id: format!("20261201T000000-{:03}-run_{i}", i * 3 + seed as usize),
                name: format!("autoencoder_variant_{i} & co #{i}"),
                plugin: "autoencoders".into(),
                variant: ["undercomplete", "sparse-kl", "denoising"][i % 3].into(),
                params,
                seed,
                status: "done".into(),
                checkpoint: Some(format!(
                    "/very/long/absolute/path/to/results/run_{i}/artifacts/model"
                )),
                metrics,
                invocation: "i".into(),
            });
        }
    }
    out
}

fn have_siunitx() -> bool {
    let ok = Command::new("kpsewhich")
        .arg("siunitx.sty")
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("siunitx.sty not installed (apt-get install texlive-science), and CI must run this test");
        }
        eprintln!("SKIPPED: siunitx.sty is not installed (apt-get install texlive-science)");
    }
    ok
}

/// One-class runs: two configurations, classes 0-9, two seeds.
fn one_class_records() -> Vec<RunRecord> {
    let mut out = Vec::new();
    for (i, name) in ["convolutional", "undercomplete_49"].iter().enumerate() {
        for seed in 0..2u64 {
            for class in 0..10u8 {
                let auroc = 0.85 + 0.01 * class as f64 + 0.003 * seed as f64 - 0.05 * i as f64;
                out.push(RunRecord {
                    run_id: format!("2026-{i}-{seed}-{class:02}"),
                    name: format!("{name} normal_class={class}"),
                    plugin: "autoencoders".into(),
                    variant: (*name).into(),
                    params: [(NORMAL_CLASS.to_string(), class.to_string())]
                        .into_iter()
                        .collect(),
                    seed,
                    status: "done".into(),
                    checkpoint: None,
                    metrics: [(ONE_CLASS_METRIC.to_string(), auroc)]
                        .into_iter()
                        .collect(),
                    invocation: "i".into(),
                });
            }
        }
    }
    out
}

#[test]
fn the_latex_table_compiles_and_fits_the_page() {
    if !have_pdflatex() {
        return;
    }
    let table = build_table(&wide_records(), &[]);
    let options = RenderOptions {
        caption: Some("Autoencoders on MNIST: mean ± std over 3 seeds (best in bold)".into()),
        label: Some("tab:autoencoders-mnist".into()),
        ..RenderOptions::default()
    };
    let tex = render_with(&table, Format::Latex, &options).unwrap();
    assert!(tex.starts_with("% generated by workbench report; needs \\usepackage{booktabs}"));
    compile(&tex, "");
    // The one-class table with its quoted row and note.
    let tex = render_with(
        &build_one_class_table(&one_class_records(), ONE_CLASS_METRIC),
        Format::Latex,
        &options,
    )
    .unwrap();
    compile(&tex, "");
}

#[test]
fn siunitx_tables_compile_and_fit_the_page() {
    if !have_pdflatex() || !have_siunitx() {
        return;
    }
    let options = RenderOptions {
        caption: Some("Autoencoders on MNIST: mean ± std over 3 seeds (best in bold)".into()),
        label: Some("tab:autoencoders-mnist".into()),
        siunitx: true,
        ..RenderOptions::default()
    };
    let mut records = wide_records();
    // Cells siunitx cannot read as numbers: exponent form, NaN, a cell
    // with fewer runs than its row, negative values.
    records[0].metrics.insert("mse".into(), 1.5e-7);
    records[1].metrics.insert("psnr".into(), f64::NAN);
    records[3].metrics.remove("bce");
    for r in records.iter_mut().skip(6) {
        r.metrics.insert("ssim".into(), -0.25);
    }
    // A zero std (the same value from every seed) is kept, not dropped.
    for r in records.iter_mut().filter(|r| r.name.contains("variant_2 ")) {
        r.metrics.insert("rmse".into(), 0.5);
    }
    let tex = render_with(&build_table(&records, &[]), Format::Latex, &options).unwrap();
    assert!(tex.contains("\\usepackage{siunitx}"), "{tex}");
    assert!(tex.contains("S[table-format="), "{tex}");
    assert!(tex.contains(" 0.5000 \\pm 0.0000 "), "{tex}");
    compile(&tex, "\\usepackage{siunitx}\n");
    let tex = render_with(
        &build_one_class_table(&one_class_records(), ONE_CLASS_METRIC),
        Format::Latex,
        &options,
    )
    .unwrap();
    assert!(tex.contains("S[table-format=2.1(1)]"), "{tex}");
    compile(&tex, "\\usepackage{siunitx}\n");
}

/// Compiles `tex` in a plain article with booktabs, graphicx and `extra`
/// packages, twice (for the reference); fails on an error, an overfull box
/// or an undefined reference.
fn compile(tex: &str, extra: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("table.tex"), tex).unwrap();
    std::fs::write(
        dir.path().join("paper.tex"),
        format!("\\documentclass{{article}}\n\\usepackage[utf8]{{inputenc}}\n\\usepackage{{booktabs}}\n\\usepackage{{graphicx}}\n{extra}\\begin{{document}}\nAs Table~\\ref{{tab:autoencoders-mnist}} shows.\n\\input{{table}}\n\\end{{document}}\n"),
    )
    .unwrap();
    for _ in 0..2 {
        let out = Command::new("pdflatex")
            .args(["-interaction=nonstopmode", "-halt-on-error", "paper.tex"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let log = std::fs::read_to_string(dir.path().join("paper.log")).unwrap_or_default();
        assert!(out.status.success(), "pdflatex failed:\n{tex}\n{log}");
    }
    let log = std::fs::read_to_string(dir.path().join("paper.log")).unwrap();
    assert!(
        !log.contains("Overfull \\hbox"),
        "the table overflows the page:\n{log}"
    );
    assert!(
        !log.contains("undefined"),
        "a reference is undefined:\n{log}"
    );
    assert!(
        !log.contains("Package siunitx Warning"),
        "siunitx could not read a cell:\n{tex}\n{log}"
    );
    assert!(dir.path().join("paper.pdf").is_file());
    if let Ok(keep) = std::env::var("WORKBENCH_KEEP_LATEX") {
        let name = format!("{}.pdf", tex.len());
        std::fs::copy(
            dir.path().join("paper.pdf"),
            std::path::Path::new(&keep).join(name),
        )
        .unwrap();
    }
}
