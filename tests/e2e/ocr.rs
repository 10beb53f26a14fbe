//! The page pipeline end to end: `workbench ocr` on a generated page (every
//! output format; the XML ones checked with xmllint and hocr-check), and a
//! segmenter experiment scored through a trained recognizer run.

use crate::harness::*;

#[test]
fn ocr_turns_a_page_into_json_text_hocr_alto_and_page_xml() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let reader = majority_reader(dir.path(), &results);
    let page = synthetic_page(dir.path(), 5);
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
    // Only the formats asked for: ALTO and PAGE XML, valid against their
    // schemas (core/app/tests/fixtures/schemas), and nothing else.
    let xml = dir.path().join("xml");
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
            xml.to_str().unwrap(),
            "--format",
            "alto",
            "--format",
            "page",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let mut written: Vec<String> = std::fs::read_dir(&xml)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["page-0000.alto.xml", "page-0000.page.xml"]);
    let alto = std::fs::read_to_string(xml.join("page-0000.alto.xml")).unwrap();
    assert_eq!(
        alto.matches("<String ").count(),
        words.len(),
        "every word of the JSON is a String"
    );
    let schemas = root().join("core/app/tests/fixtures/schemas");
    if tool("xmllint", "apt install libxml2-utils") {
        for (file, schema) in [
            ("page-0000.alto.xml", "alto-4-4.xsd"),
            ("page-0000.page.xml", "pagecontent-2019-07-15.xsd"),
        ] {
            let out = std::process::Command::new("xmllint")
                .args(["--noout", "--nonet", "--schema"])
                .arg(schemas.join(schema))
                .arg(xml.join(file))
                .output()
                .unwrap();
            assert!(out.status.success(), "{file}: {}", text(&out));
        }
    }
    if tool("hocr-check", "pip install hocr-tools") {
        let out = std::process::Command::new("hocr-check")
            .arg(ocr.join("page-0000.hocr"))
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && said.contains("ok 1 - ") && !said.contains("not ok"),
            "hocr-check: {said}"
        );
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
    majority_reader(dir.path(), &results);
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

/// Whether `name` can be run; under `CI` it must be, elsewhere a missing
/// tool skips its check with a message.
fn tool(name: &str, install: &str) -> bool {
    if std::process::Command::new(name)
        .arg("--help")
        .output()
        .is_ok()
    {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{name} not installed ({install}), and CI must run this check"
    );
    eprintln!("skipped: {name} not installed ({install})");
    false
}
