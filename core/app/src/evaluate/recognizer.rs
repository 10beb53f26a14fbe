//! Scoring recognizers: CER, WER and word accuracy over the test split (as
//! docs/CONTRACTS.md defines them), recognition speed, the worst errors,
//! and the error report (`errors.md`, `errors.json`: confusions and errors
//! by character class, `metrics::TextReport`).

use super::{EvalError, BATCH};
use crate::data::words::WordSet;
use crate::host::Instance;
use crate::metrics::{levenshtein, text_metrics, TextReport};
use crate::results::write_atomic;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// How many of the worst errors `worst_errors.csv` keeps.
const WORST: usize = 50;
/// How many confusions `errors.md` lists (`errors.json` has them all).
const CONFUSIONS: usize = 40;

pub(super) fn evaluate(
    instance: &mut Instance,
    test: &WordSet,
    run_dir: &Path,
) -> Result<BTreeMap<String, f64>, EvalError> {
    let images: Vec<_> = test.images.iter().map(|i| i.as_image()).collect();
    let t0 = Instant::now();
    let mut preds: Vec<(String, f32)> = Vec::with_capacity(images.len());
    for chunk in images.chunks(BATCH) {
        preds.extend(instance.recognize(chunk)?);
    }
    let seconds = t0.elapsed().as_secs_f64();
    let pred_texts: Vec<&str> = preds.iter().map(|(t, _)| t.as_str()).collect();
    let refs: Vec<&str> = test.texts.iter().map(String::as_str).collect();
    let m = text_metrics(&pred_texts, &refs)?;
    let mut out = BTreeMap::new();
    out.insert("cer".to_string(), m.cer);
    out.insert("wer".to_string(), m.wer);
    out.insert("word_accuracy".to_string(), m.word_accuracy);
    if seconds > 0.0 {
        out.insert("words_per_sec".to_string(), images.len() as f64 / seconds);
    }
    let dir = crate::results::RunDir::new(run_dir);
    write_atomic(
        &dir.artifact("worst_errors.csv"),
        worst_errors(test, &preds).as_bytes(),
    )?;
    let report = TextReport::of(&pred_texts, &refs)?;
    write_atomic(
        &dir.artifact("errors.md"),
        report.markdown(CONFUSIONS).as_bytes(),
    )?;
    write_atomic(
        &dir.artifact("errors.json"),
        serde_json::to_string_pretty(&report)
            .expect("a report serialises")
            .as_bytes(),
    )?;
    Ok(out)
}

/// `name,text,prediction,confidence,distance` for the words read worst
/// (largest edit distance first).
pub fn worst_errors(test: &WordSet, preds: &[(String, f32)]) -> String {
    let mut rows: Vec<(usize, usize)> = preds
        .iter()
        .zip(&test.texts)
        .enumerate()
        .map(|(i, ((p, _), t))| {
            let (p, t): (Vec<char>, Vec<char>) = (p.chars().collect(), t.chars().collect());
            (i, levenshtein(&p, &t))
        })
        .filter(|(_, d)| *d > 0)
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["name", "text", "prediction", "confidence", "distance"]);
    for (i, d) in rows.into_iter().take(WORST) {
        let _ = w.write_record([
            test.names[i].as_str(),
            test.texts[i].as_str(),
            preds[i].0.as_str(),
            &preds[i].1.to_string(),
            &d.to_string(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use workbench_api::OwnedImage;

    #[test]
    fn worst_errors_are_sorted_by_distance_and_skip_correct_words() {
        let img = OwnedImage {
            height: 1,
            width: 1,
            channels: 1,
            data: vec![0.0],
        };
        let test = WordSet {
            images: vec![img.clone(), img.clone(), img],
            texts: vec!["cat".into(), "house".into(), "a,b".into()],
            names: vec!["w0".into(), "w1".into(), "w2".into()],
        };
        let preds = vec![
            ("cat".to_string(), 0.9),
            ("hose".to_string(), 0.5),
            ("".to_string(), 0.1),
        ];
        let csv = worst_errors(&test, &preds);
        assert_eq!(
            csv,
            "name,text,prediction,confidence,distance\nw2,\"a,b\",,0.1,3\nw1,house,hose,0.5,1\n"
        );
    }
}
