//! `workbench recognize`: read word images with the bundled reader or a
//! trained recognizer run; with `--labels`, score them (`TextReport`).

use super::reconstruct::open_reader;
use super::{failure, usage, Exit};
use crate::data::words::normalize;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use workbench_api::OwnedImage;

/// Reads an image file as a word image of `height` rows.
pub fn read_word(path: &Path, height: usize) -> anyhow::Result<OwnedImage> {
    let img = crate::data::image_file::open(path).map_err(|e| anyhow!(e.to_string()))?;
    Ok(normalize(&img, height))
}

pub(crate) fn cmd_recognize(
    reference: Option<&str>,
    results: &Path,
    images: &[PathBuf],
    labels: Option<&Path>,
    out: Option<&Path>,
) -> Result<i32, Exit> {
    let (job, mut instance) = open_reader(reference, results)?;
    let height = job.plan.dataset.word_height_or_default();
    let (names, mut words, truth): (Vec<String>, Vec<OwnedImage>, Option<Vec<String>>) =
        match labels {
            Some(labels) => {
                let set = crate::data::words::read_labels(labels, height)
                    .map_err(|e| usage(anyhow!(e.to_string())))?;
                (set.names, set.images, Some(set.texts))
            }
            None => (
                images.iter().map(|p| p.display().to_string()).collect(),
                images
                    .iter()
                    .map(|p| read_word(p, height))
                    .collect::<anyhow::Result<Vec<_>>>()
                    .map_err(usage)?,
                None,
            ),
        };
    // A run trained on cleaned words reads cleaned words.
    if let Some(mut pre) =
        crate::preprocess::of_recognizer(&job, &super::reconstruct::plugin_dirs()).map_err(usage)?
    {
        pre.apply(&mut words).map_err(failure)?;
    }
    let borrowed: Vec<_> = words.iter().map(|w| w.as_image()).collect();
    let mut texts = Vec::with_capacity(borrowed.len());
    for chunk in borrowed.chunks(crate::host::BATCH) {
        texts.extend(instance.recognize(chunk).map_err(failure)?);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| failure(anyhow!(e));
    let mut header = vec!["filename", "text", "confidence"];
    if truth.is_some() {
        header.push("truth");
    }
    w.write_record(&header).map_err(csv_err)?;
    for (i, (name, (text, confidence))) in names.iter().zip(&texts).enumerate() {
        let mut row = vec![name.clone(), text.clone(), confidence.to_string()];
        if let Some(t) = &truth {
            row.push(t[i].clone());
        }
        w.write_record(&row).map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| failure(anyhow!(e.to_string())))?;
    match (out, &truth) {
        (Some(path), _) => crate::results::write_atomic(path, &bytes).map_err(failure)?,
        (None, None) => print!("{}", String::from_utf8_lossy(&bytes)),
        // With --labels and no --out, stdout holds the report only.
        (None, Some(_)) => {}
    }
    if let Some(truth) = &truth {
        let preds: Vec<&str> = texts.iter().map(|(t, _)| t.as_str()).collect();
        let refs: Vec<&str> = truth.iter().map(String::as_str).collect();
        let report = crate::metrics::TextReport::of(&preds, &refs).map_err(|e| {
            usage(anyhow!(
                "cannot score {}: {e}",
                labels.map(|l| l.display().to_string()).unwrap_or_default()
            ))
        })?;
        print!("{}", report.markdown(30));
    }
    Ok(0)
}
