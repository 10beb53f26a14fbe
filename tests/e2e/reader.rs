//! The bundled reader (models/reader): `recognize` and `ocr` work on a
//! fresh clone without training, read real word crops, and score a labelled
//! set with an error report; `EXPERIMENT/NAME` names a trained run.

use crate::harness::*;

/// The bundled reader's CER on the 42 real crops of
/// tests/fixtures/real-words must stay at or below this (measured: see
/// models/reader/README.md; the bound leaves room for platform float
/// differences, not for a worse model).
const MAX_CER: f64 = 0.035;

/// The value of `| name | x % |` in a Markdown report, as a fraction.
fn percent(report: &str, name: &str) -> f64 {
    let line = report
        .lines()
        .find(|l| l.starts_with(&format!("| {name} |")))
        .unwrap_or_else(|| panic!("no `{name}` row in\n{report}"));
    let value = line
        .split('|')
        .nth(2)
        .unwrap()
        .trim()
        .trim_end_matches(" %");
    value.parse::<f64>().unwrap() / 100.0
}

#[test]
fn bundled_reader_reads_real_crops() {
    let labels = root().join("tests/fixtures/real-words/labels.csv");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("read.csv");
    let out = run(
        dir.path(),
        &[
            "recognize",
            "--labels",
            labels.to_str().unwrap(),
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    let cer = percent(&report, "CER");
    assert!(cer <= MAX_CER, "CER {cer} on the real crops:\n{report}");
    assert!(
        report.contains("| class | characters | errors | error rate |"),
        "{report}"
    );
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(
        rows.starts_with("filename,text,confidence,truth\n"),
        "{rows}"
    );
    assert_eq!(rows.lines().count(), 43);
}

#[test]
fn recognize_and_ocr_default_to_the_bundled_reader() {
    let dir = tempfile::tempdir().unwrap();
    let any_word = root().join(
        "tests/fixtures/real-words/beamer-lecture-beamerexample-lecture-beamer-version-p005-47.png",
    );
    let out = run(dir.path(), &["recognize", any_word.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let row = stdout.lines().nth(1).expect("one row");
    assert!(
        row.split(',').nth(1).is_some_and(|t| !t.is_empty()),
        "{stdout}"
    );

    // `ocr` with no segmenter and no recognizer named: cca and the bundled reader.
    let page = synthetic_page(dir.path(), 3);
    let ocr = dir.path().join("ocr");
    let out = run(
        dir.path(),
        &[
            "ocr",
            page.to_str().unwrap(),
            "--out",
            ocr.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ocr.join("page-0000.json")).unwrap())
            .unwrap();
    let words = json["words"].as_array().unwrap();
    let read = words
        .iter()
        .filter(|w| w["text"].as_str().is_some_and(|t| !t.is_empty()))
        .count();
    assert!(words.len() > 20 && read * 10 >= words.len() * 9, "{json}");
}

#[test]
fn a_reader_is_named_by_experiment_and_name_and_bad_labels_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    majority_reader(dir.path(), &results);
    let word = dir.path().join("w.png");
    image::GrayImage::from_fn(40, 20, |x, y| {
        image::Luma([if (5..35).contains(&x) && (6..14).contains(&y) {
            0
        } else {
            255
        }])
    })
    .save(&word)
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "recognize",
            "--run",
            "reader/majority",
            "--results",
            results.to_str().unwrap(),
            word.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    // A name with no run, and a labels file that does not exist: usage errors.
    let out = run(
        dir.path(),
        &[
            "recognize",
            "--run",
            "reader/nope",
            "--results",
            results.to_str().unwrap(),
            word.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no finished recognizer run `reader/nope`"),
        "{}",
        text(&out)
    );
    let out = run(dir.path(), &["recognize", "--labels", "missing.csv"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("missing.csv"), "{}", text(&out));
}

/// `init_from:` starts a run from a trained model: with a learning rate too
/// small to move the weights, the bundled reader fine-tuned for one epoch on
/// the real crops still reads them; the same run from fresh weights reads
/// nothing.
#[test]
fn a_run_fine_tunes_the_bundled_reader() {
    let words = root().join("tests/fixtures/real-words");
    let reader = root().join("models/reader");
    let spec = |init: &str| {
        format!(
            "name: tune\ndataset:\n  kind: words\n  params: {{dir: {}, height: 48, val: 0.1, test: 0.3}}\ntrain: {{epochs: 1, batch_size: 8, lr: 0.0000001}}\nruns:\n  - {{name: run, plugin: recognizers, variant: crnn{init}}}\nmetrics: [cer]\n",
            words.display()
        )
    };
    let cer = |body: String| {
        let (dir, path) = spec_dir(&body);
        let results = dir.path().join("results");
        let out = run_headless(dir.path(), &path, &results);
        assert!(out.status.success(), "{}", text(&out));
        let s = summary_named(&results, "tune", "run");
        (s["metrics"]["cer"].as_f64().unwrap(), s)
    };
    let (tuned, s) = cer(spec(&format!(", init_from: {}", reader.display())));
    assert!(tuned <= 0.1, "fine-tuned CER {tuned}: {s}");
    assert_eq!(s["key_params"]["init_from"], reader.display().to_string());
    let (fresh, _) = cer(spec(""));
    assert!(fresh >= 0.5, "fresh CER {fresh}");
}
