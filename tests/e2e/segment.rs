//! Page segmentation end to end: the real binary and the `segmenters`
//! plugin, on pages made here (as outside data would come) and on synthetic
//! pages through an experiment.

use crate::harness::*;
use std::path::Path;

/// Writes a white page with black word-like bars and a dark block, in the
/// pages format (`NAME.png` + `NAME.json`), as a tool other than the
/// workbench would. Returns the word boxes.
fn write_page(dir: &Path, name: &str) -> Vec<(u32, u32, u32, u32)> {
    let (w, h) = (400u32, 300u32);
    let mut img = image::GrayImage::from_pixel(w, h, image::Luma([245]));
    let mut words = Vec::new();
    for line in 0..4u32 {
        let y = 30 + line * 30;
        let mut x = 20;
        for word in 0..4u32 {
            // A word: letters 6 px wide, 2 px apart, 14 px tall.
            let letters = 2 + (line + word) % 4;
            for l in 0..letters {
                for yy in y..y + 14 {
                    for xx in x + l * 8..x + l * 8 + 6 {
                        img.put_pixel(xx, yy, image::Luma([20]));
                    }
                }
            }
            let ww = letters * 8 - 2;
            words.push((x, y, ww, 14));
            x += ww + 16;
        }
    }
    for yy in 180..280 {
        for xx in 60..300 {
            img.put_pixel(xx, yy, image::Luma([60]));
        }
    }
    img.save(dir.join(format!("{name}.png"))).unwrap();
    let json = serde_json::json!({
        "width": w, "height": h,
        "words": words.iter().map(|&(x, y, w, h)| serde_json::json!({"x": x, "y": y, "w": w, "h": h})).collect::<Vec<_>>(),
        "images": [{"x": 60, "y": 180, "w": 240, "h": 100}],
    });
    std::fs::write(dir.join(format!("{name}.json")), json.to_string()).unwrap();
    words
}

#[test]
fn segment_writes_one_json_per_page_with_overlays_and_scores() {
    let pages = tempfile::tempdir().unwrap();
    let words = write_page(pages.path(), "outside");
    let out = tempfile::tempdir().unwrap();
    let o = run(
        pages.path(),
        &[
            "segment",
            "--plugin",
            "segmenters",
            "--variant",
            "cca",
            "--set",
            "word_gap=0.6",
            pages.path().to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
            "--overlay",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("outside.json")).unwrap())
            .unwrap();
    assert_eq!(json["width"], 400);
    let mut got: Vec<(u64, u64, u64, u64)> = json["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let g = |k: &str| b[k].as_f64().unwrap() as u64;
            (g("x"), g("y"), g("w"), g("h"))
        })
        .collect();
    got.sort_by_key(|b| (b.1, b.0));
    let want: Vec<(u64, u64, u64, u64)> = words
        .iter()
        .map(|&(x, y, w, h)| (x as u64, y as u64, w as u64, h as u64))
        .collect();
    assert_eq!(got, want, "{}", text(&o));
    let images = json["images"].as_array().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["w"], 240.0);
    assert!(out.path().join("outside.overlay.png").is_file());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("word P/R/F1 1.000/1.000/1.000"),
        "{}",
        text(&o)
    );
}

#[test]
fn segment_refuses_bad_params_and_bad_files_clearly() {
    let pages = tempfile::tempdir().unwrap();
    write_page(pages.path(), "p");
    let out = tempfile::tempdir().unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec!["segment", "--plugin", "segmenters", "--variant", "cca"];
        a.extend_from_slice(extra);
        a.extend(["--out", out.path().to_str().unwrap()]);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let call = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
        run(pages.path(), &refs)
    };
    let o = call(args(&["--set", "word_gapp=1", "p.png"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("unknown parameter `word_gapp`"),
        "{}",
        text(&o)
    );
    let o = call(args(&["--set", "word_gap=99", "p.png"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    std::fs::write(pages.path().join("bad.png"), b"\x89PNG\r\n\x1a\ntruncated").unwrap();
    let o = call(args(&["bad.png"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("bad.png: not a readable image"),
        "{}",
        text(&o)
    );

    std::fs::write(
        pages.path().join("p.json"),
        r#"{"width": 400, "words": []}"#,
    )
    .unwrap();
    let o = call(args(&["p.png"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("p.json: missing field `height`"),
        "{}",
        text(&o)
    );
}

#[test]
fn experiment_on_synthetic_pages_scores_every_variant() {
    let results = tempfile::tempdir().unwrap();
    let (_dir, spec) = spec_dir(
        "name: seg\ndataset:\n  kind: synthetic-pages\n  params: {test: 2, dpi: 60, seed: 3}\n\
         runs:\n  - {name: cca, plugin: segmenters, variant: cca}\n  - {name: dilate, plugin: segmenters, variant: cca-dilate}\n  - {name: xy, plugin: segmenters, variant: xy-cut}\n\
         metrics: [word_f1, image_f1, pages_per_sec]\n",
    );
    let o = run(
        &root(),
        &[
            "run",
            spec.to_str().unwrap(),
            "--headless",
            "--results",
            results.path().to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("3 done, 0 failed"),
        "{}",
        text(&o)
    );
    for name in ["cca", "dilate", "xy"] {
        let s = summary_named(results.path(), "seg", name);
        let f1 = s["metrics"]["word_f1"].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&f1), "{name}: {s}");
    }
    let cca = summary_named(results.path(), "seg", "cca");
    assert!(cca["metrics"]["word_f1"].as_f64().unwrap() > 0.8, "{cca}");
}

/// `workbench new segmenter` makes a crate that builds on its own and whose
/// library the workbench loads and runs.
#[test]
fn scaffolded_segmenter_builds_and_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let crate_dir = tmp.path().join("my-seg");
    let o = run(
        tmp.path(),
        &[
            "new",
            "segmenter",
            "my-seg",
            "--dir",
            crate_dir.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    for f in ["Cargo.toml", "src/lib.rs", "tests/segment.rs", "README.md"] {
        assert!(crate_dir.join(f).is_file(), "no {f}");
    }
    // Refuses to overwrite.
    let again = run(
        tmp.path(),
        &[
            "new",
            "segmenter",
            "my-seg",
            "--dir",
            crate_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = tmp.path().join("target");
    let status = std::process::Command::new(&cargo)
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &target)
        .args(["test", "-q"])
        .status()
        .unwrap();
    assert!(status.success(), "the scaffold's own test fails");
    let status = std::process::Command::new(&cargo)
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "-q"])
        .status()
        .unwrap();
    assert!(status.success(), "the scaffold does not build");

    let pages = tempfile::tempdir().unwrap();
    write_page(pages.path(), "p");
    let out = tmp.path().join("out");
    let o = run(
        tmp.path(),
        &[
            "segment",
            "--plugins",
            target.join("debug").to_str().unwrap(),
            "--plugin",
            "my-seg",
            "--variant",
            "basic",
            "--set",
            "gap=10",
            pages.path().join("p.png").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("p.json")).unwrap()).unwrap();
    // Four lines of four words, and the block as one more band.
    assert_eq!(json["words"].as_array().unwrap().len(), 17, "{json}");
}
