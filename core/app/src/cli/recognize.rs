//! `workbench recognize`: read word images with a trained recognizer run.

use super::reconstruct::open_run;
use super::{failure, usage, Exit};
use crate::data::words::normalize;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use workbench_api::{Kind, OwnedImage};

/// Reads an image file as a word image of `height` rows.
pub fn read_word(path: &Path, height: usize) -> anyhow::Result<OwnedImage> {
    let img = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?
        .decode()
        .map_err(|e| anyhow!("{} is not a readable image: {e}", path.display()))?;
    Ok(normalize(&img, height))
}

pub(crate) fn cmd_recognize(
    run_dir: &Path,
    images: &[PathBuf],
    out: Option<&Path>,
) -> Result<i32, Exit> {
    let (job, mut instance) = open_run(run_dir, Kind::Recognizer)?;
    let height = job.plan.dataset.word_height_or_default();
    let mut words = images
        .iter()
        .map(|p| read_word(p, height))
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(usage)?;
    // A run trained on cleaned words reads cleaned words.
    if let Some(mut pre) =
        crate::preprocess::of_recognizer(&job, &super::reconstruct::plugin_dirs()).map_err(usage)?
    {
        pre.apply(&mut words).map_err(failure)?;
    }
    let borrowed: Vec<_> = words.iter().map(|w| w.as_image()).collect();
    let texts = instance.recognize(&borrowed).map_err(failure)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| failure(anyhow!(e));
    w.write_record(["filename", "text", "confidence"])
        .map_err(csv_err)?;
    for (path, (text, confidence)) in images.iter().zip(&texts) {
        w.write_record([
            path.display().to_string(),
            text.clone(),
            confidence.to_string(),
        ])
        .map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| failure(anyhow!(e.to_string())))?;
    match out {
        Some(path) => crate::results::write_atomic(path, &bytes).map_err(failure)?,
        None => print!("{}", String::from_utf8_lossy(&bytes)),
    }
    Ok(0)
}
