//! The OCR output formats against their specifications: ALTO v4 and PAGE
//! XML 2019-07-15 validated with `xmllint` against the official schemas in
//! `tests/fixtures/schemas/` (see the README there), and hOCR checked with
//! `hocr-check` from hocr-tools.
//!
//! The tools are outside Rust: `apt install libxml2-utils` for xmllint, and
//! `pip install hocr-tools` (in a virtualenv) for hocr-check; `.ci/run`
//! installs both. Without one, a test fails where `CI` is set and otherwise
//! says it was skipped and passes.

use std::path::{Path, PathBuf};
use std::process::Command;
use workbench::layout::{OcrPage, OcrWord};
use workbench::metrics::BBox;
use workbench::ocr_formats::{alto, hocr, page_xml};

const WHEN: &str = "2024-05-01T12:00:00Z";

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas")
}

/// Whether `tool` can be run; panics under CI when it cannot.
fn have(tool: &str, install: &str) -> bool {
    if Command::new(tool).arg("--help").output().is_ok() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{tool} not installed ({install}), and CI must run this test");
    }
    eprintln!("skipped: {tool} not installed ({install})");
    false
}

fn xmllint() -> bool {
    have("xmllint", "apt install libxml2-utils")
}

/// `xmllint --noout --schema` on a document: Ok, or Err with its output.
fn validate(schema: &str, name: &str, xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(schemas().join(schema))
        .arg(&file)
        .output()
        .expect("xmllint runs");
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(())
    } else {
        Err(said)
    }
}

fn word(text: &str, x: f64, y: f64, confidence: f32) -> OcrWord {
    OcrWord {
        text: text.into(),
        confidence,
        bbox: BBox {
            x,
            y,
            w: 12.0 * text.chars().count() as f64,
            h: 14.0,
        },
    }
}

fn bbox(x: f64, y: f64, w: f64, h: f64) -> BBox {
    BBox { x, y, w, h }
}

/// Pages covering what the writers do: a heading over two columns of
/// several lines, words with `< & " '` and non-ASCII letters, image
/// regions (one running off the page), confidences out of range; a page
/// of images only; an empty page.
fn pages() -> Vec<(&'static str, OcrPage)> {
    let words = vec![
        word("Chapter", 40.0, 20.0, 0.99),
        word("\"One\"", 140.0, 20.0, 0.97),
        word("a<b", 40.0, 80.0, 0.5),
        word("&", 90.0, 80.0, 0.1),
        word("c'd", 110.0, 80.0, 0.8),
        word("Grüße", 40.0, 100.0, 0.7),
        word("naïve", 120.0, 100.0, 1.7),
        word("right", 400.0, 80.0, f32::NAN),
        word("column", 470.0, 80.0, -0.2),
        word("ends", 400.0, 100.0, 0.6),
        word("here.", 460.0, 100.0, 0.6),
    ];
    let images = vec![
        bbox(40.0, 200.0, 200.0, 150.0),
        bbox(550.0, 500.0, 200.0, 300.0),
    ];
    vec![
        ("full", OcrPage::new(600, 600, words, images.clone())),
        ("images", OcrPage::new(600, 600, vec![], images)),
        ("empty", OcrPage::new(600, 600, vec![], vec![])),
    ]
}

#[test]
fn alto_is_valid_alto_4() {
    if !xmllint() {
        return;
    }
    for (what, page) in pages() {
        let xml = alto(&page, "scan <1> & \"2\".png", WHEN);
        if let Err(e) = validate("alto-4-4.xsd", "page.alto.xml", &xml) {
            panic!("{what}: ALTO does not validate:\n{e}\n{xml}");
        }
    }
}

#[test]
fn page_xml_is_valid_page_2019() {
    if !xmllint() {
        return;
    }
    for (what, page) in pages() {
        let xml = page_xml(&page, "scan <1> & \"2\".png", WHEN);
        if let Err(e) = validate("pagecontent-2019-07-15.xsd", "page.page.xml", &xml) {
            panic!("{what}: PAGE XML does not validate:\n{e}\n{xml}");
        }
    }
}

#[test]
fn the_schemas_catch_a_broken_file() {
    // The validation has teeth: a String without CONTENT, a Word id that
    // is not an xsd:ID, and a confidence above 1 are each refused.
    if !xmllint() {
        return;
    }
    let (_, page) = pages().remove(0);
    let xml = alto(&page, "p.png", WHEN);
    let broken = xml.replacen(" CONTENT=\"Chapter\"", "", 1);
    assert!(validate("alto-4-4.xsd", "a.xml", &broken).is_err());
    let broken = xml.replacen("WC=\"0.99\"", "WC=\"1.5\"", 1);
    assert!(validate("alto-4-4.xsd", "a.xml", &broken).is_err());
    let xml = page_xml(&page, "p.png", WHEN);
    let broken = xml.replacen("id=\"r_1\"", "id=\"1\"", 1);
    assert!(validate("pagecontent-2019-07-15.xsd", "p.xml", &broken).is_err());
}

#[test]
fn hocr_passes_hocr_check() {
    if !have(
        "hocr-check",
        "python3 -m venv /tmp/hocr-venv && /tmp/hocr-venv/bin/pip install hocr-tools, then put /tmp/hocr-venv/bin on PATH",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (what, page) in pages() {
        let file = dir.path().join(format!("{what}.hocr"));
        std::fs::write(&file, hocr(&page, "scan <1> & \"2\".png")).unwrap();
        let out = Command::new("hocr-check")
            .arg(&file)
            .output()
            .expect("hocr-check runs");
        // hocr-check reports TAP lines ("ok N - ..." / "not ok N - ...") on
        // stderr and exits 0 either way unless it crashes.
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what}: hocr-check failed:\n{said}");
        assert!(said.contains("ok 1 - "), "{what}: no checks ran:\n{said}");
        assert!(
            !said.contains("not ok"),
            "{what}: hocr-check reports problems:\n{said}"
        );
    }
}
