//! Born-digital PDFs into pages (`workbench data pdf`), then segmented: a
//! page made here with PostScript (Ghostscript's `ps2pdf` path) holding
//! justified serif text, monospace code on a grey background, a ruled
//! table, a diagram with labels and a raster image.

use crate::harness::*;
use std::path::Path;
use std::process::Command;

fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool).arg(arg).output().is_ok()
}

/// Whether poppler-utils and Ghostscript are installed (CI installs them).
fn pdf_tools() -> bool {
    let ok = have("pdftoppm", "-v") && have("pdftotext", "-v") && have("gs", "--version");
    if !ok {
        eprintln!("skipped: needs poppler-utils and ghostscript (apt-get install poppler-utils ghostscript)");
    }
    ok
}

/// The test page as PostScript (US letter, points, origin bottom-left).
const PAGE: &str = r#"%!PS
<< /PageSize [612 792] >> setpagedevice
/Times-Roman findfont 11 scalefont setfont
72 720 moveto (The segmenter finds every word of this tightly set line of text.) show
72 706 moveto (A second line follows it, set in the same face and size again.) show
0.85 setgray 66 640 300 36 rectfill 0 setgray
/Courier findfont 10 scalefont setfont
72 662 moveto (cp manpage.xml.ex debian/) show
72 648 moveto (dh_make --native -p foo_1.0) show
/Helvetica findfont 10 scalefont setfont
0.8 setlinewidth
72 520 moveto 372 520 lineto stroke
72 545 moveto 372 545 lineto stroke
72 570 moveto 372 570 lineto stroke
72 595 moveto 372 595 lineto stroke
72 520 moveto 72 595 lineto stroke
172 520 moveto 172 595 lineto stroke
272 520 moveto 272 595 lineto stroke
372 520 moveto 372 595 lineto stroke
80 578 moveto (Name) show 180 578 moveto (Size) show 280 578 moveto (Kind) show
80 553 moveto (alpha) show 180 553 moveto (12) show 280 553 moveto (file) show
80 528 moveto (beta) show 180 528 moveto (340) show 280 528 moveto (link) show
1.5 setlinewidth
100 300 moveto 200 420 lineto 310 360 lineto stroke
newpath 350 360 40 0 360 arc stroke
110 420 moveto (input) show
330 300 moveto (output) show
gsave 430 120 translate 120 90 scale
8 8 8 [8 0 0 -8 0 8] {<00ff00ff00ff00ff 0f0f0f0f0f0f0f0f 00ff00ff00ff00ff 0f0f0f0f0f0f0f0f 00ff00ff00ff00ff 0f0f0f0f0f0f0f0f 00ff00ff00ff00ff 0f0f0f0f0f0f0f0f>} image
grestore
showpage
"#;

fn make_pdf(dir: &Path) -> std::path::PathBuf {
    let ps = dir.join("manual.ps");
    let pdf = dir.join("manual.pdf");
    std::fs::write(&ps, PAGE).unwrap();
    let st = Command::new("gs")
        .args(["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite"])
        .arg(format!("-sOutputFile={}", pdf.display()))
        .arg(&ps)
        .status()
        .unwrap();
    assert!(st.success());
    pdf
}

#[test]
fn data_pdf_writes_words_with_ink_boxes_images_graphics_and_crops() {
    if !pdf_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = make_pdf(dir.path());
    let out = dir.path().join("pages");
    let o = run(
        dir.path(),
        &[
            "data",
            "pdf",
            pdf.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--words",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let page: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manual-p001.json")).unwrap())
            .unwrap();
    assert_eq!(
        (page["width"].as_u64(), page["height"].as_u64()),
        (Some(1275), Some(1650))
    );
    let words = page["words"].as_array().unwrap();
    let texts: Vec<&str> = words.iter().map(|w| w["text"].as_str().unwrap()).collect();
    for t in [
        "tightly",
        "manpage.xml.ex",
        "dh_make",
        "alpha",
        "340",
        "input",
        "output",
    ] {
        assert!(texts.contains(&t), "{t} missing from {texts:?}");
    }
    assert_eq!(texts.len(), 12 + 13 + 7 + 9 + 2, "{texts:?}");
    // The ink box lies inside the font box, and is tighter for most words
    // (those without both ascenders and descenders).
    let mut tighter = 0;
    for w in words {
        let f: Vec<f64> = w["font_box"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let (x, y, ww, hh) = (
            w["x"].as_f64().unwrap(),
            w["y"].as_f64().unwrap(),
            w["w"].as_f64().unwrap(),
            w["h"].as_f64().unwrap(),
        );
        assert!(x >= f[0] - 2.5 && y >= f[1] - 1.5, "{w}");
        assert!(
            x + ww <= f[0] + f[2] + 2.5 && y + hh <= f[1] + f[3] + 1.5,
            "{w}"
        );
        tighter += usize::from(hh < f[3] - 2.0);
        assert!(w["line"].is_u64() && w["block"].is_u64());
    }
    assert!(tighter * 2 > words.len(), "{tighter} of {}", words.len());
    // One raster image; one drawing (the table and the grey box are not).
    let images = page["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{page}");
    let img = &images[0];
    let near = |v: &serde_json::Value, want: f64| (v.as_f64().unwrap() - want).abs() <= 3.0;
    assert!(
        near(&img["x"], 430.0 * 150.0 / 72.0) && near(&img["w"], 120.0 * 150.0 / 72.0),
        "{img}"
    );
    let graphics = page["graphics"].as_array().unwrap();
    assert_eq!(graphics.len(), 1, "{page}");
    assert!(
        near(&graphics[0]["x"], 100.0 * 150.0 / 72.0),
        "{}",
        graphics[0]
    );
    // Word crops with their labels.
    let labels = std::fs::read_to_string(out.join("words/labels.csv")).unwrap();
    assert!(labels.starts_with("filename,text\n"));
    assert_eq!(labels.lines().count(), 1 + texts.len());
    assert!(labels.contains("manual-p001-w0000.png,The\n"), "{labels}");
    assert!(out.join("words/manual-p001-w0000.png").is_file());

    // The segmenter finds the table's, the code's and the drawing's words.
    let seg = dir.path().join("seg");
    let o = run(
        dir.path(),
        &[
            "segment",
            "--plugin",
            "segmenters",
            "--variant",
            "cca",
            out.to_str().unwrap(),
            "--out",
            seg.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let found: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(seg.join("manual-p001.json")).unwrap())
            .unwrap();
    let boxes: Vec<(f64, f64, f64, f64)> = found["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["x"].as_f64().unwrap(),
                w["y"].as_f64().unwrap(),
                w["w"].as_f64().unwrap(),
                w["h"].as_f64().unwrap(),
            )
        })
        .collect();
    let iou = |a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)| {
        let ix = (a.0 + a.2).min(b.0 + b.2) - a.0.max(b.0);
        let iy = (a.1 + a.3).min(b.1 + b.3) - a.1.max(b.1);
        if ix <= 0.0 || iy <= 0.0 {
            return 0.0;
        }
        ix * iy / (a.2 * a.3 + b.2 * b.3 - ix * iy)
    };
    let mut missed = Vec::new();
    for w in words {
        let t = (
            w["x"].as_f64().unwrap(),
            w["y"].as_f64().unwrap(),
            w["w"].as_f64().unwrap(),
            w["h"].as_f64().unwrap(),
        );
        if !boxes.iter().any(|&b| iou(b, t) >= 0.5) {
            missed.push(w["text"].as_str().unwrap());
        }
    }
    assert!(missed.is_empty(), "words not found: {missed:?}");
}

#[test]
fn data_pdf_refuses_bad_input_clearly() {
    if !pdf_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = run(
        dir.path(),
        &["data", "pdf", "missing.pdf", "--out", out.to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("missing.pdf"), "{}", text(&o));
    std::fs::write(dir.path().join("fake.pdf"), "not a pdf").unwrap();
    let o = run(
        dir.path(),
        &["data", "pdf", "fake.pdf", "--out", out.to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("pdfinfo failed on fake.pdf"),
        "{}",
        text(&o)
    );
    let pdf = make_pdf(dir.path());
    let o = run(
        dir.path(),
        &[
            "data",
            "pdf",
            pdf.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--pages",
            "2-3",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("past the last page (1)"), "{}", text(&o));
}

#[test]
fn data_pdf_names_the_missing_tool_and_its_package() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("bin");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(dir.path().join("x.pdf"), "%PDF-1.4").unwrap();
    let o = Command::new(workbench())
        .current_dir(dir.path())
        .env("PATH", &empty)
        .args(["data", "pdf", "x.pdf", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("`pdfinfo` was not found: install Debian's `poppler-utils`"),
        "{}",
        text(&o)
    );
    assert!(!dir.path().join("out").exists());
}
