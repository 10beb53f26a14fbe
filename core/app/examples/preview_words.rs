//! Writes a PNG of generated synthetic word images, one per row, to look at:
//! `cargo run -p workbench --example preview_words -- OUT.png [COUNT] [SEED] [SPEC]`.
//! With SPEC (an experiment whose dataset is `synthetic-words`), the words
//! are that dataset's training words (its fonts, text and degradations),
//! COUNT of them, with the seed SEED; without, the default dataset's.

use std::path::Path;
use workbench::datasets::{DatasetSpec, Split};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).map(String::as_str).unwrap_or("words.png");
    let count: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(12);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let set = match args.get(4) {
        None => workbench::data::synthetic_words::generate(&Default::default(), count, seed),
        Some(spec) => {
            let text = std::fs::read_to_string(spec).unwrap();
            let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            let dataset = &doc["dataset"];
            assert_eq!(dataset["kind"].as_str(), Some("synthetic-words"));
            let mut params = dataset["params"].as_mapping().cloned().unwrap_or_default();
            for (key, n) in [
                ("train", count as u64),
                ("val", 0),
                ("test", 1),
                ("seed", seed),
            ] {
                params.insert(key.into(), n.into());
            }
            let base = Path::new(spec).parent().unwrap_or(Path::new("."));
            let d = DatasetSpec::from_parts("synthetic-words", &params, base)
                .unwrap_or_else(|e| panic!("{spec}: {e:?}"));
            match d.load().unwrap().train {
                Split::Words(w) => w,
                _ => panic!("word split expected"),
            }
        }
    };
    let rows: Vec<Vec<workbench_api::Image>> =
        set.images.iter().map(|i| vec![i.as_image()]).collect();
    workbench::artifacts::save_png(Path::new(out), &workbench::artifacts::grid(&rows)).unwrap();
    for t in &set.texts {
        println!("{t}");
    }
}
