//! `preprocess:`: a trained autoencoder run that cleans word images before
//! a recognizer sees them.
//!
//! The autoencoder was trained on fixed-size tiles cut from word images
//! (a word dataset with `tile_width`, see [`crate::data::tiles`]); a word
//! of any width is cleaned by sliding the model along it with the same tile
//! width and stride and averaging the overlapping outputs per pixel. The
//! words must have the tiles' height: the recognizer run's dataset and the
//! autoencoder run's dataset name the same `height` (checked when the spec
//! is resolved).

use crate::data::tiles;
use crate::host::{HostError, Instance};
use crate::plan::WorkerJob;
use crate::trained::open_trained;
use std::path::{Path, PathBuf};
use workbench_api::{Kind, OwnedImage};

/// Why a preprocess run could not be opened or applied.
#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    /// The run could not be opened (not a run, not finished, no model).
    #[error("preprocess run {}: {reason}", run.display())]
    Open {
        /// The run directory.
        run: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The autoencoder failed.
    #[error("preprocess: {0}")]
    Host(#[from] HostError),
    /// Shapes do not fit.
    #[error("preprocess: {0}")]
    Shape(String),
}

impl From<String> for PreprocessError {
    fn from(message: String) -> Self {
        PreprocessError::Shape(message)
    }
}

/// Checks that a trained run can clean word images of `height` rows:
/// an autoencoder trained on word tiles of that height. Returns its
/// `(tile width, stride)`, or what is wrong.
pub fn check_job(job: &WorkerJob, height: Option<usize>) -> Result<(usize, usize), String> {
    if job.plan.kind != Kind::Autoencoder {
        return Err(format!(
            "run {} is a {} run, not an autoencoder run",
            job.run_id, job.plan.kind
        ));
    }
    let Some((tile, stride)) = job.plan.dataset.tiles() else {
        let shape = job
            .plan
            .dataset
            .image_shape()
            .map(|(h, w, c)| format!("{h}×{w}×{c} images"))
            .unwrap_or_else(|| "images of varying size".into());
        return Err(format!(
            "autoencoder run {} was trained on {shape}, not on word tiles",
            job.run_id
        ));
    };
    let tile_height = job.plan.dataset.word_height().unwrap_or(0);
    if let Some(h) = height {
        if h != tile_height {
            return Err(format!(
                "autoencoder run {} works on tiles {tile_height} pixels high, but these words are {h} pixels high",
                job.run_id
            ));
        }
    }
    Ok((tile, stride))
}

/// An opened preprocess run.
pub struct Preprocessor {
    instance: Instance,
    height: usize,
    tile: usize,
    stride: usize,
    /// The run directory.
    pub run_dir: PathBuf,
}

impl Preprocessor {
    /// Opens the finished autoencoder run in `run_dir` for words of
    /// `height` rows.
    /// The plugin is looked for in `dirs` only (see [`open_trained`]).
    pub fn open(
        run_dir: &Path,
        height: usize,
        dirs: &[crate::host::SearchDir],
    ) -> Result<Preprocessor, PreprocessError> {
        let open_err = |reason: String| PreprocessError::Open {
            run: run_dir.to_path_buf(),
            reason,
        };
        let (job, instance) = open_trained(run_dir, Kind::Autoencoder, dirs)
            .map_err(|e| open_err(format!("{e:#}")))?;
        let (tile, stride) = check_job(&job, Some(height)).map_err(open_err)?;
        Ok(Preprocessor {
            instance,
            height,
            tile,
            stride,
            run_dir: run_dir.to_path_buf(),
        })
    }

    /// Cleans `words` in place (gray, `height` rows, any width); values
    /// stay in [0, 1].
    pub fn apply(&mut self, words: &mut [OwnedImage]) -> Result<(), PreprocessError> {
        if let Some(w) = words
            .iter()
            .find(|w| w.height != self.height || w.channels != 1)
        {
            return Err(PreprocessError::Shape(format!(
                "a word image is {}×{}×{}, but the autoencoder cleans gray words {} pixels high",
                w.height, w.width, w.channels, self.height
            )));
        }
        let instance = &mut self.instance;
        tiles::slide(words, self.tile, self.stride, crate::host::BATCH, |batch| {
            instance.reconstruct(batch).map_err(PreprocessError::Host)
        })?;
        for w in words.iter_mut() {
            w.data.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
        }
        Ok(())
    }
}

/// Opens the preprocess run a recognizer run was trained with, if any.
pub fn of_recognizer(
    job: &WorkerJob,
    dirs: &[crate::host::SearchDir],
) -> Result<Option<Preprocessor>, PreprocessError> {
    match &job.plan.preprocess {
        None => Ok(None),
        Some(dir) => {
            let height = job.plan.dataset.word_height_or_default();
            Preprocessor::open(dir, height, dirs).map(Some)
        }
    }
}
