//! Recognizer runs on word datasets: scoring by CER/WER/word accuracy and
//! `workbench recognize`, with the majority-text fixture recognizer.

use crate::harness::*;
use std::path::Path;

fn write_word(path: &Path, width: u32) {
    let img = image::GrayImage::from_fn(width, 20, |x, y| {
        image::Luma([if (x / 3 + y / 4) % 2 == 0 { 30 } else { 220 }])
    });
    img.save(path).unwrap();
}

#[test]
fn a_recognizer_is_trained_scored_and_reused_on_a_word_directory() {
    let dir = tempfile::tempdir().unwrap();
    let words = dir.path().join("words");
    std::fs::create_dir(&words).unwrap();
    // Train (7): cat ×5, dog ×2; validation (1): dog; test (last 2): cat, dog.
    let texts = [
        "cat", "dog", "cat", "cat", "dog", "cat", "cat", "dog", "cat", "dog",
    ];
    let mut labels = String::from("filename,text\n");
    for (i, t) in texts.iter().enumerate() {
        write_word(&words.join(format!("w{i}.png")), 30 + 4 * i as u32);
        labels.push_str(&format!("w{i}.png,{t}\n"));
    }
    std::fs::write(words.join("labels.csv"), labels).unwrap();
    let spec = dir.path().join("spec.yaml");
    std::fs::write(
        &spec,
        "name: words\ndataset:\n  kind: words\n  params: {dir: words, val: 0.125, test: 0.2}\nruns:\n  - {plugin: majority, variant: majority}\n",
    )
    .unwrap();
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    let run_dir = run_dirs(&results, "words").remove(0);
    let s = summary(&run_dir);
    // Predictions "cat", "cat" for references "cat", "dog".
    assert_eq!(s["metrics"]["word_accuracy"].as_f64(), Some(0.5), "{s}");
    assert_eq!(s["metrics"]["cer"].as_f64(), Some(0.5), "{s}");
    assert_eq!(s["metrics"]["wer"].as_f64(), Some(0.5), "{s}");
    let worst = std::fs::read_to_string(run_dir.join("artifacts/worst_errors.csv")).unwrap();
    assert_eq!(
        worst,
        "name,text,prediction,confidence,distance\nw9.png,dog,cat,0.5,3\n"
    );

    let out = run(
        dir.path(),
        &[
            "recognize",
            "--run",
            run_dir.to_str().unwrap(),
            words.join("w1.png").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "filename,text,confidence",
            &format!("{},cat,0.5", words.join("w1.png").display())
        ]
    );

    // A labels.csv naming a missing file fails the run with the line and file.
    std::fs::write(
        words.join("labels.csv"),
        "filename,text\nw0.png,cat\nnope.png,dog\n",
    )
    .unwrap();
    let out = run_headless(dir.path(), &spec, &results);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let failed = run_dirs(&results, "words")
        .into_iter()
        .map(|d| summary(&d))
        .find(|s| s["status"] == "failed")
        .unwrap();
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("line 3") && error.contains("nope.png") && error.contains("does not exist"),
        "{error}"
    );
}

#[test]
fn synthetic_words_feed_recognizers() {
    let (dir, spec) = spec_dir(
        "name: synth-words\ndataset:\n  kind: synthetic-words\n  params: {train: 40, val: 5, test: 20}\nruns:\n  - {plugin: majority, variant: majority}\nmetrics: [cer, wer, word_accuracy]\n",
    );
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    let s = summary(&run_dirs(&results, "synth-words")[0]);
    let cer = s["metrics"]["cer"].as_f64().unwrap();
    assert!(
        cer > 0.5,
        "a constant guess reads most characters wrong: {s}"
    );
    assert!(s["metrics"]["words_per_sec"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_recognizers_plugin_trains_through_the_worker() {
    let (dir, spec) = spec_dir(
        "name: crnn-smoke\ndataset:\n  kind: synthetic-words\n  params: {train: 24, val: 4, test: 8}\ntrain: {epochs: 1, batch_size: 8}\nruns:\n  - {plugin: recognizers, variant: conv-ctc, params: {channels: [4, 8, 8], hidden: 8, layers: 1}}\nmetrics: [cer, parameters]\n",
    );
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    let run_dir = run_dirs(&results, "crnn-smoke").remove(0);
    let s = summary(&run_dir);
    assert!(s["metrics"]["cer"].as_f64().unwrap() >= 0.0, "{s}");
    assert!(s["metrics"]["parameters"].as_f64().unwrap() > 0.0, "{s}");
    let metrics = std::fs::read_to_string(run_dir.join("metrics.csv")).unwrap();
    assert!(
        metrics.contains(",train,loss,") && metrics.contains(",val,"),
        "{metrics}"
    );
    // The trained run reads images through `workbench recognize`.
    let img = dir.path().join("w.png");
    write_word(&img, 60);
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
}
