//! Property tests of every parser of user-facing input: random bytes and
//! mutated valid inputs (bytes flipped, inserted, deleted, ranges
//! duplicated) never panic and always come back with a value or an error.
//! The inputs are at most a few KB, so a parser that allocated by what a
//! header claims, or looped on malformed input, would be caught by the
//! limits the parsers already have (the IDX and image readers' bounds) and
//! by the test not finishing.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use workbench::data::{idx, image_file, pages, words};
use workbench::results::{read_summary, MetricsLog};
use workbench::spec::{Override, Spec};

/// One edit of a seed: `(kind, position, byte, length)`.
type Edit = (u8, usize, u8, usize);

/// `seed` with `edits` applied, positions taken modulo the current length.
fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for &(kind, pos, byte, len) in edits {
        let at = if out.is_empty() { 0 } else { pos % out.len() };
        match kind % 4 {
            0 if !out.is_empty() => out[at] ^= byte | 1,
            1 => out.insert(at, byte),
            2 if !out.is_empty() => {
                let end = (at + len % 16 + 1).min(out.len());
                out.drain(at..end);
            }
            _ => {
                let end = (at + len % 64 + 1).min(out.len());
                let copy = out[at..end].to_vec();
                let to = at.min(out.len());
                out.splice(to..to, copy);
            }
        }
    }
    out
}

/// Random bytes, or a seed with up to 8 edits.
fn inputs(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        prop::collection::vec(
            (any::<u8>(), any::<usize>(), any::<u8>(), any::<usize>()),
            1..8
        )
        .prop_map(move |edits| mutate(&seed, &edits)),
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A file holding `bytes` in a fresh directory (kept alive by the guard).
fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

const SPEC: &str = "name: quickstart\ndescription: d\ndataset:\n  kind: synthetic-digits\n  params: {train: 100, val: 20, test: 50, seed: 1}\ntrain:\n  epochs: 2\n  batch_size: 32\n  lr: 0.001\nruns:\n  - name: pca\n    plugin: pca\n    variant: pca\n    params: {components: 16}\n    train: {epochs: 1}\nsweep:\n  params.components: [2, 16]\nseeds: [1, 2]\nmetrics: [mse, psnr]\n";

fn idx_seed() -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3];
    b.extend(0..18u8);
    b
}

/// A small gray image encoded as `format`.
fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let img = image::GrayImage::from_fn(12, 5, |x, y| image::Luma([(x * 20 + y * 7) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn png_seed() -> Vec<u8> {
    encoded(image::ImageFormat::Png)
}

const PAGE_JSON: &str = r#"{"width": 40, "height": 30, "words": [{"text": "a", "x": 1, "y": 2, "w": 5, "h": 6}], "images": [{"x": 10, "y": 10, "w": 8, "h": 8}]}"#;

const SUMMARY: &str = r#"{"run_id": "20260101T000000-000-pca", "experiment": "q", "name": "pca", "plugin": "pca", "variant": "pca", "key_params": {"components": "16"}, "seed": 0, "status": "done", "metrics": {"mse": 0.5}, "info": {"worker_pid": "1"}}"#;

proptest! {
    #![proptest_config(config())]

    #[test]
    fn spec_yaml(bytes in inputs(SPEC.as_bytes().to_vec())) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Spec::parse(Path::new("spec.yaml"), &text, &[]);
    }

    #[test]
    fn set_overrides(bytes in inputs(b"train.lr=[0.1, {a: 2}]".to_vec())) {
        let arg = String::from_utf8_lossy(&bytes);
        if let Ok(o) = Override::parse(&arg) {
            let _ = Spec::parse(Path::new("spec.yaml"), SPEC, &[o]);
        }
    }

    #[test]
    fn idx_files(bytes in inputs(idx_seed())) {
        let (_d, path) = file("x-idx3-ubyte", &bytes);
        if let Ok(a) = idx::read_idx(&path) {
            prop_assert_eq!(a.data.len(), a.dims.iter().product::<usize>());
        }
        let _ = idx::read_idx_dims(&path);
    }

    #[test]
    fn images(
        bytes in prop_oneof![inputs(png_seed()), inputs(encoded(image::ImageFormat::Jpeg))]
    ) {
        let _ = image_file::decode(Path::new("x.png"), &bytes);
    }

    #[test]
    fn pages_json(bytes in inputs(PAGE_JSON.as_bytes().to_vec())) {
        let (_d, path) = file("page.json", &bytes);
        let _ = pages::read_regions(&path);
    }

    #[test]
    fn labels_csv(bytes in inputs(b"filename,text\nw.png,hello\n\"q.png\",\"a,b\"\n".to_vec())) {
        let (dir, path) = file("labels.csv", &bytes);
        std::fs::write(dir.path().join("w.png"), png_seed()).unwrap();
        let _ = words::read_labels(&path, 16);
    }

    #[test]
    fn run_json(bytes in inputs(SUMMARY.as_bytes().to_vec())) {
        let _ = serde_json::from_slice::<workbench::plan::WorkerJob>(&bytes);
    }

    #[test]
    fn summary_json(bytes in inputs(SUMMARY.as_bytes().to_vec())) {
        let (dir, _) = file("summary.json", &bytes);
        if let Ok(s) = read_summary(dir.path()) {
            let _ = s.shown_status();
        }
    }

    #[test]
    fn metrics_csv(bytes in inputs(b"step,epoch,split,name,value\n1,1,train,loss,0.5\n".to_vec())) {
        let (_d, path) = file("metrics.csv", &bytes);
        let _ = MetricsLog::read(&path);
    }
}
