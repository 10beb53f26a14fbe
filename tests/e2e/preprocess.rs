//! `preprocess:` end to end: a denoising autoencoder trained on word tiles
//! cleans the word images of a recognizer run, through the real binary.

use crate::harness::*;

#[test]
fn a_recognizer_run_reads_words_cleaned_by_a_trained_autoencoder_run() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");

    // A tiny denoising autoencoder on 16-pixel-wide tiles of word images.
    let ae = dir.path().join("ae.yaml");
    std::fs::write(
        &ae,
        "name: ae\ndataset:\n  kind: synthetic-words\n  params: {train: 12, val: 2, test: 3, seed: 2, tile_width: 16}\ntrain: {epochs: 1, batch_size: 16}\nruns:\n  - {name: dae, plugin: autoencoders, variant: denoising, params: {code_size: 8, hidden: [16], noise: gaussian, noise_level: 0.2}}\nevaluation: {holdout_class: null, probe: false}\nmetrics: [mse, psnr_gain]\n",
    )
    .unwrap();
    let out = run_headless(dir.path(), &ae, &results);
    assert!(out.status.success(), "{}", text(&out));
    let s = summary_named(&results, "ae", "dae");
    assert!(s["metrics"]["psnr_gain"].is_number(), "{s}");

    // A tiny recognizer on clean words, tested on noisy ones: read directly
    // and read after cleaning.
    let rec = dir.path().join("rec.yaml");
    let body = "name: rec\ndataset:\n  kind: synthetic-words\n  params: {train: 16, val: 4, test: 6, test_noise: gaussian:0.2}\ntrain: {epochs: 1, batch_size: 8}\nruns:\n  - {name: direct, plugin: recognizers, variant: conv-ctc, params: {channels: [4, 8, 8], hidden: 8, layers: 1}}\n  - {name: denoised, plugin: recognizers, variant: conv-ctc, params: {channels: [4, 8, 8], hidden: 8, layers: 1}, preprocess: ae/dae}\nmetrics: [cer, preprocess_seconds]\n";
    std::fs::write(&rec, body).unwrap();
    let out = run_headless(dir.path(), &rec, &results);
    assert!(out.status.success(), "{}", text(&out));
    let direct = summary_named(&results, "rec", "direct");
    let denoised = summary_named(&results, "rec", "denoised");
    assert!(direct["metrics"]["cer"].is_number(), "{direct}");
    assert!(
        direct["metrics"].get("preprocess_seconds").is_none(),
        "{direct}"
    );
    assert!(denoised["metrics"]["cer"].is_number(), "{denoised}");
    assert!(
        denoised["metrics"]["preprocess_seconds"].as_f64().unwrap() > 0.0,
        "{denoised}"
    );
    assert_eq!(denoised["key_params"]["preprocess"], "ae/dae", "{denoised}");
    let run_dir = run_dirs(&results, "rec")
        .into_iter()
        .find(|d| summary(d)["name"] == "denoised")
        .unwrap();
    assert!(run_dir.join("artifacts/preprocess.png").is_file());
    let job: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("run.json")).unwrap()).unwrap();
    let ae_dir = run_dirs(&results, "ae").remove(0);
    assert_eq!(job["plan"]["preprocess"], ae_dir.to_str().unwrap(), "{job}");
    let resolved = std::fs::read_to_string(run_dir.join("spec.yaml")).unwrap();
    assert!(resolved.contains("preprocess"), "{resolved}");

    // The trained run reads image files through the same cleaning.
    let img = dir.path().join("w.png");
    image::GrayImage::from_fn(50, 20, |x, _| {
        image::Luma([if x % 7 < 2 { 20 } else { 230 }])
    })
    .save(&img)
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "recognize",
            "--run",
            run_dir.to_str().unwrap(),
            img.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));

    // A reference to a run that is not there, or not an autoencoder on
    // word tiles, is refused before anything runs, at its position.
    for (reference, message) in [
        ("ae/nobody", "no finished autoencoder run `ae/nobody`"),
        ("rec/direct", "is a recognizer run, not an autoencoder run"),
    ] {
        std::fs::write(&rec, body.replace("ae/dae", reference)).unwrap();
        let out = run(
            dir.path(),
            &[
                "validate",
                rec.to_str().unwrap(),
                "--results",
                results.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("rec.yaml:8:")
                && err.contains("runs[1].preprocess")
                && err.contains(message),
            "{err}"
        );
    }
}
