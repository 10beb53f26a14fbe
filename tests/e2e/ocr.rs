//! The page pipeline end to end: `workbench ocr` on a generated page, and a
//! segmenter experiment scored through a trained recognizer run.

use crate::harness::*;
use std::path::Path;

/// Trains the majority-text recognizer on synthetic words; returns its run dir.
fn recognizer_run(dir: &Path, results: &Path) -> std::path::PathBuf {
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

#[test]
fn ocr_turns_a_page_into_json_text_and_hocr() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let reader = recognizer_run(dir.path(), &results);
    let pages = dir.path().join("pages");
    let out = run(
        dir.path(),
        &[
            "data",
            "pages",
            "--out",
            pages.to_str().unwrap(),
            "--count",
            "1",
            "--seed",
            "5",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let page = pages.join("page-0000.png");
    let ocr = dir.path().join("ocr");
    let out = run(
        dir.path(),
        &[
            "ocr",
            "--segmenter",
            "cca",
            "--recognizer",
            reader.to_str().unwrap(),
            page.to_str().unwrap(),
            "--out",
            ocr.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ocr.join("page-0000.json")).unwrap())
            .unwrap();
    let words = json["words"].as_array().unwrap();
    assert!(words.len() > 20, "{json}");
    assert!(words
        .iter()
        .all(|w| w["text"].is_string() && w["w"].as_f64().unwrap() > 0.0));
    assert_eq!(json["width"], 827);
    let txt = std::fs::read_to_string(ocr.join("page-0000.txt")).unwrap();
    assert!(txt.lines().count() > 3, "{txt}");
    let hocr = std::fs::read_to_string(ocr.join("page-0000.hocr")).unwrap();
    assert!(
        hocr.contains("class=\"ocrx_word\"") && hocr.contains("bbox "),
        "{hocr}"
    );
    // The hOCR is well-formed XML (checked with Python's parser where there is one).
    if let Ok(status) = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])",
            ocr.join("page-0000.hocr").to_str().unwrap(),
        ])
        .status()
    {
        assert!(status.success(), "hOCR does not parse as XML");
    }
    // Bad input: a file that is not an image.
    let bad = dir.path().join("bad.png");
    std::fs::write(&bad, b"nope").unwrap();
    let out = run(
        dir.path(),
        &[
            "ocr",
            "--segmenter",
            "cca",
            "--recognizer",
            reader.to_str().unwrap(),
            bad.to_str().unwrap(),
            "--out",
            ocr.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_segmenter_run_with_a_recognizer_scores_the_page_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    recognizer_run(dir.path(), &results);
    let spec = dir.path().join("pipeline.yaml");
    std::fs::write(
        &spec,
        "name: pipeline\ndataset:\n  kind: synthetic-pages\n  params: {test: 1}\nruns:\n  - {plugin: segmenters, variant: cca, recognizer: reader/majority}\nmetrics: [word_f1, ocr_cer, ocr_word_f1]\n",
    )
    .unwrap();
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    let s = summary(&run_dirs(&results, "pipeline")[0]);
    let cer = s["metrics"]["ocr_cer"].as_f64().unwrap();
    assert!(
        cer > 0.5 && cer <= 1.5,
        "a constant reader gets most characters wrong: {s}"
    );
    assert!(s["metrics"]["ocr_word_f1"].as_f64().unwrap() < 0.5, "{s}");
    assert!(s["metrics"]["word_f1"].as_f64().unwrap() > 0.5, "{s}");

    // A reference to a run that does not exist is refused before running.
    std::fs::write(
        &spec,
        std::fs::read_to_string(&spec)
            .unwrap()
            .replace("reader/majority", "reader/nobody"),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "validate",
            spec.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("runs[0].recognizer: no finished recognizer run `reader/nobody`"),
        "{}",
        text(&out)
    );
}
