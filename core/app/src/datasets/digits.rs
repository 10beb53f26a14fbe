//! Digit datasets, 28×28 labelled images for autoencoders:
//! `synthetic-digits` (rendered from the embedded fonts) and `mnist` (the
//! four IDX files).

use super::{default_noise, default_test, default_train, default_val};
use super::{DatasetSpecError, Splits};
use crate::data::{idx, synthetic_digits, DataError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

fn default_mnist_val() -> usize {
    500
}

/// Parameters of `synthetic-digits`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticDigitsParams {
    /// Training images.
    #[serde(default = "default_train")]
    pub train: usize,
    /// Validation images.
    #[serde(default = "default_val")]
    pub val: usize,
    /// Test images.
    #[serde(default = "default_test")]
    pub test: usize,
    /// Generator seed (the data stay the same whatever the run's seed).
    #[serde(default)]
    pub seed: u64,
    /// Standard deviation of the added pixel noise.
    #[serde(default = "default_noise")]
    pub noise: f32,
}

impl SyntheticDigitsParams {
    pub(super) fn check(self) -> Result<Self, DatasetSpecError> {
        super::generated_splits((self.train, self.val, self.test), 1_000_000, "digit images")?;
        if !(0.0..=1.0).contains(&self.noise) {
            return Err(DatasetSpecError::at(
                "noise",
                format!("must be in [0, 1], not {}", self.noise),
                None,
            ));
        }
        Ok(self)
    }

    pub(super) fn load(&self) -> Result<Splits, DataError> {
        let cfg = synthetic_digits::DigitsConfig {
            noise_sigma: self.noise,
            ..Default::default()
        };
        let (mut train, test) =
            synthetic_digits::generate_splits(&cfg, self.train + self.val, self.test, self.seed);
        let val = train.split_off_tail(self.val);
        Ok(Splits::images(train, val, test))
    }
}

/// Parameters of `mnist`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MnistParams {
    /// Directory with the four IDX files (relative to the spec file).
    pub dir: PathBuf,
    /// Use at most this many training images (all when absent).
    #[serde(default)]
    pub train: Option<usize>,
    /// Validation images carved from the end of the training files.
    #[serde(default = "default_mnist_val")]
    pub val: usize,
    /// Use at most this many test images (all when absent).
    #[serde(default)]
    pub test: Option<usize>,
}

/// `val` validation images leave none of `train` for training.
fn too_many_val(val: usize, train: usize) -> String {
    format!("{val} validation images leave none of the {train} for training")
}

impl MnistParams {
    /// Resolves `dir` and checks it holds the four files, with enough
    /// training images for `val` (from the IDX headers only).
    pub(super) fn check(mut self, base_dir: &Path) -> Result<Self, DatasetSpecError> {
        self.dir = base_dir.join(&self.dir);
        if !self.dir.is_dir() {
            return Err(DatasetSpecError::at(
                "dir",
                format!("{} is not a directory", self.dir.display()),
                Some("`workbench data fetch mnist --dir DIR` downloads the files".into()),
            ));
        }
        let (train, _test) = idx::mnist_counts(&self.dir).map_err(|e| {
            DatasetSpecError::at(
                "dir",
                e.to_string(),
                Some("`workbench data fetch mnist --dir DIR` downloads the files".into()),
            )
        })?;
        if self.val >= train {
            return Err(DatasetSpecError::at(
                "val",
                too_many_val(self.val, train),
                None,
            ));
        }
        Ok(self)
    }

    pub(super) fn load(&self) -> Result<Splits, DataError> {
        // Only the images used are held: the first `train`, the last
        // `val` (validation) and the first `test`.
        let (mut train, mut test) =
            idx::load_mnist_dir_limited(&self.dir, self.train, self.val, self.test)?;
        if self.val >= train.len() {
            return Err(DataError::InvalidParam {
                name: "val".into(),
                reason: too_many_val(self.val, train.len()),
            });
        }
        let val = train.split_off_tail(self.val);
        if let Some(n) = self.train {
            train = train.subset(&(0..n.min(train.len())).collect::<Vec<_>>());
        }
        if let Some(n) = self.test {
            test = test.subset(&(0..n.min(test.len())).collect::<Vec<_>>());
        }
        Ok(Splits::images(train, val, test))
    }
}
