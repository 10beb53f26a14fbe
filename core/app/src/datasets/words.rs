//! Word datasets, word images of any width with their texts for
//! recognizers (or cut into fixed-size tiles for autoencoders): `words`
//! (a `labels.csv` directory) and `synthetic-words` (rendered from the
//! embedded fonts and word list).

use super::{
    default_height, default_test, default_test_fraction, default_train, default_val,
    default_val_fraction, default_word_noise, fraction, height_ok,
};
use super::{DatasetSpecError, Splits};
use crate::data::corrupt::Noise;
use crate::data::words::{read_words_dir, WordSet};
use crate::data::{synthetic_words, tiles, DataError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Parameters of `words`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordsParams {
    /// Directory with `labels.csv` and the images (relative to the spec file).
    pub dir: PathBuf,
    /// A separate directory for the test split; without it the last `test`
    /// fraction of `dir` is the test split.
    #[serde(default)]
    pub test_dir: Option<PathBuf>,
    /// Fraction of the training words held out for validation.
    #[serde(default = "default_val_fraction")]
    pub val: f64,
    /// Fraction of `dir` used as the test split when there is no `test_dir`.
    #[serde(default = "default_test_fraction")]
    pub test: f64,
    /// Images are scaled to this height, keeping their aspect ratio.
    #[serde(default = "default_height")]
    pub height: usize,
    /// Cut every word into `height × tile_width` tiles: the dataset then
    /// feeds autoencoders (see `data::tiles`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_width: Option<usize>,
    /// Columns between tile starts (default: half of `tile_width`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_stride: Option<usize>,
    /// Corrupts the test words only, after loading: `gaussian:σ` or
    /// `masking:p` (`data::corrupt`), seeded by the dataset, so every run
    /// of an experiment reads the same noisy words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_noise: Option<String>,
}

impl WordsParams {
    /// Checks the values and resolves the directories, which must hold a
    /// `labels.csv`. The number of words is only known once they are read:
    /// a directory naming a missing image fails its run (with the line), not
    /// the spec, so the split sizes are checked when the words are loaded.
    pub(super) fn check(mut self, base_dir: &Path) -> Result<Self, DatasetSpecError> {
        fraction("val", self.val)?;
        fraction("test", self.test)?;
        height_ok(self.height)?;
        check_word_options(
            self.tile_width,
            self.tile_stride,
            self.test_noise.as_deref(),
        )?;
        self.dir = base_dir.join(&self.dir);
        self.test_dir = self.test_dir.map(|d| base_dir.join(d));
        for (key, dir) in [
            ("dir", Some(&self.dir)),
            ("test_dir", self.test_dir.as_ref()),
        ] {
            if let Some(dir) = dir {
                if !dir.join("labels.csv").is_file() {
                    return Err(DatasetSpecError::at(
                        key,
                        format!("{} has no labels.csv", dir.display()),
                        Some("a word directory holds labels.csv (`filename,text`) and the images it names".into()),
                    ));
                }
            }
        }
        Ok(self)
    }

    pub(super) fn load(&self, tile: Option<(usize, usize)>) -> Result<Splits, DataError> {
        let mut train = read_words_dir(&self.dir, self.height)?;
        let test = match &self.test_dir {
            Some(dir) => read_words_dir(dir, self.height)?,
            None => {
                let n = ((train.len() as f64) * self.test).round() as usize;
                train.split_off_tail(n)
            }
        };
        let n_val = ((train.len() as f64) * self.val).round() as usize;
        let val = train.split_off_tail(n_val);
        let mut test = test;
        corrupt_words(&mut test, self.test_noise.as_deref(), TEST_NOISE_SEED)?;
        if train.is_empty() || test.is_empty() {
            return Err(DataError::InvalidParam {
                name: "test".into(),
                reason: format!(
                    "{} words leave an empty training or test split",
                    train.len() + val.len() + test.len()
                ),
            });
        }
        Ok(word_splits(train, val, test, self.height, tile))
    }
}

/// Parameters of `synthetic-words`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticWordsParams {
    /// Training words.
    #[serde(default = "default_train")]
    pub train: usize,
    /// Validation words.
    #[serde(default = "default_val")]
    pub val: usize,
    /// Test words.
    #[serde(default = "default_test")]
    pub test: usize,
    /// Generator seed.
    #[serde(default)]
    pub seed: u64,
    /// Image height.
    #[serde(default = "default_height")]
    pub height: usize,
    /// Standard deviation of the added pixel noise.
    #[serde(default = "default_word_noise")]
    pub noise: f32,
    /// Cut every word into `height × tile_width` tiles: the dataset then
    /// feeds autoencoders (see `data::tiles`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_width: Option<usize>,
    /// Columns between tile starts (default: half of `tile_width`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_stride: Option<usize>,
    /// Corrupts the test words only, after loading: `gaussian:σ` or
    /// `masking:p` (`data::corrupt`), seeded by the dataset, so every run
    /// of an experiment reads the same noisy words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_noise: Option<String>,
}

impl SyntheticWordsParams {
    pub(super) fn check(self) -> Result<Self, DatasetSpecError> {
        height_ok(self.height)?;
        check_word_options(
            self.tile_width,
            self.tile_stride,
            self.test_noise.as_deref(),
        )?;
        super::generated_splits((self.train, self.val, self.test), 1_000_000, "word images")?;
        Ok(self)
    }

    pub(super) fn load(&self, tile: Option<(usize, usize)>) -> Result<Splits, DataError> {
        let cfg = synthetic_words::WordsConfig {
            height: self.height,
            noise: self.noise,
            ..Default::default()
        };
        let mut train = synthetic_words::generate(&cfg, self.train + self.val, self.seed);
        let mut test = synthetic_words::generate(&cfg, self.test, self.seed ^ 0x5eed_7e57);
        let val = train.split_off_tail(self.val);
        corrupt_words(
            &mut test,
            self.test_noise.as_deref(),
            self.seed ^ TEST_NOISE_SEED,
        )?;
        Ok(word_splits(train, val, test, self.height, tile))
    }
}

/// Checks the options word kinds share: tiles and test noise.
fn check_word_options(
    tile_width: Option<usize>,
    tile_stride: Option<usize>,
    test_noise: Option<&str>,
) -> Result<(), DatasetSpecError> {
    let bad = |key: &str, message: String, hint: Option<String>| DatasetSpecError {
        path: vec!["params".into(), key.into()],
        message,
        hint,
    };
    if let Some(t) = tile_width {
        if !(4..=1024).contains(&t) {
            return Err(bad(
                "tile_width",
                format!("must be between 4 and 1024 pixels, not {t}"),
                None,
            ));
        }
    }
    if let Some(s) = tile_stride {
        match tile_width {
            None => {
                return Err(bad(
                    "tile_stride",
                    "needs `tile_width`".into(),
                    Some("tiles are cut only when `tile_width` is set".into()),
                ))
            }
            Some(t) if s == 0 || s > t => {
                return Err(bad(
                    "tile_stride",
                    format!("must be between 1 and tile_width ({t}), not {s}"),
                    None,
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(noise) = test_noise {
        if let Err(e) = noise.parse::<Noise>() {
            return Err(bad(
                "test_noise",
                e,
                Some("e.g. `test_noise: gaussian:0.25` or `masking:0.1`".into()),
            ));
        }
        if tile_width.is_some() {
            return Err(bad(
                "test_noise",
                "does not apply to tiles".into(),
                Some("tiles feed autoencoders, whose test inputs are corrupted by their own `noise` and `noise_level` parameters".into()),
            ));
        }
    }
    Ok(())
}

/// Corrupts every test word with `noise` (`KIND:LEVEL`), image `i` from
/// the stream `seed + i`.
fn corrupt_words(words: &mut WordSet, noise: Option<&str>, seed: u64) -> Result<(), DataError> {
    let Some(noise) = noise else { return Ok(()) };
    let noise: Noise = noise.parse().map_err(|reason| DataError::InvalidParam {
        name: "test_noise".into(),
        reason,
    })?;
    for (i, image) in words.images.iter_mut().enumerate() {
        noise.apply(&mut image.data, seed.wrapping_add(i as u64));
    }
    Ok(())
}

/// Word splits, or their tiles when `tile` is `(width, stride)`.
fn word_splits(
    train: WordSet,
    val: WordSet,
    test: WordSet,
    height: usize,
    tile: Option<(usize, usize)>,
) -> Splits {
    match tile {
        None => Splits::words(train, val, test),
        Some((t, s)) => Splits::images(
            tiles::tiles_of(&train, height, t, s),
            tiles::tiles_of(&val, height, t, s),
            tiles::tiles_of(&test, height, t, s),
        ),
    }
}

/// Salt of the test-noise streams (with the dataset's seed, if any).
const TEST_NOISE_SEED: u64 = 0x7e57_0015e;
