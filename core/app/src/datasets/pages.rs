//! Page datasets, pages of any size with ground-truth regions for
//! segmenters, or their words cut as the page pipeline cuts them for
//! recognizers (`serve: words`): `pages` (a directory in the pages format)
//! and `synthetic-pages` (generated with exact ground truth).

use super::{default_height, height_ok};
use super::{DatasetSpecError, Split, Splits};
use crate::data::pages::{self, Page};
use crate::data::words::WordSet;
use crate::data::{synthetic_pages, DataError};
use crate::metrics::BBox;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a pages dataset gives its runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Serve {
    /// Whole pages with their regions, for segmenters.
    #[default]
    Pages,
    /// The ground-truth words cut from the pages as the page pipeline cuts
    /// them (`layout::word_images`), with their texts, for recognizers.
    Words,
}

/// Parameters of `pages`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagesParams {
    /// Directory of `NAME.png` + `NAME.json` (relative to the spec file).
    pub dir: PathBuf,
    /// Pages (from the start, by name) given to `fit`; the rest are the
    /// test split. With `test_dir`, every page of `dir` trains instead.
    #[serde(default)]
    pub train: usize,
    /// Validation pages in their own directory (a corpus split by
    /// document); without it, serving words holds out the last tenth of
    /// the training words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_dir: Option<PathBuf>,
    /// Test pages in their own directory; `dir` is then the training split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_dir: Option<PathBuf>,
    /// `pages` or `words` (every word box must then have a text).
    #[serde(default)]
    pub serve: Serve,
    /// Word image height when serving words.
    #[serde(default = "default_height")]
    pub height: usize,
}

fn default_pages_test() -> usize {
    6
}
fn default_dpi() -> f32 {
    100.0
}
fn default_columns() -> usize {
    2
}
fn default_images() -> usize {
    2
}
fn default_one() -> f32 {
    1.0
}

/// Parameters of `synthetic-pages` (see `data::synthetic_pages`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticPagesParams {
    /// Pages given to `fit` (segmenters mostly ignore them).
    #[serde(default)]
    pub train: usize,
    /// Validation pages.
    #[serde(default)]
    pub val: usize,
    /// Test pages, the ones scored.
    #[serde(default = "default_pages_test")]
    pub test: usize,
    /// Generator seed.
    #[serde(default)]
    pub seed: u64,
    /// Resolution (A4 is 8.27 × 11.69 inches).
    #[serde(default = "default_dpi")]
    pub dpi: f32,
    /// Most text columns per page.
    #[serde(default = "default_columns")]
    pub columns: usize,
    /// Most image regions per page.
    #[serde(default = "default_images")]
    pub images: usize,
    /// Standard deviation of Gaussian noise.
    #[serde(default)]
    pub noise: f32,
    /// Share of salt-and-pepper pixels.
    #[serde(default)]
    pub salt_pepper: f32,
    /// Gaussian blur sigma in pixels.
    #[serde(default)]
    pub blur: f32,
    /// Ink-to-paper contrast (1 = black on white).
    #[serde(default = "default_one")]
    pub contrast: f32,
    /// Uneven light: how much the dim side darkens (0 = even).
    #[serde(default)]
    pub illumination: f32,
    /// Largest skew in degrees.
    #[serde(default)]
    pub skew: f32,
    /// `pages` or `words` (the pages' words with their texts, for recognizers).
    #[serde(default)]
    pub serve: Serve,
    /// Word image height when serving words.
    #[serde(default = "default_height")]
    pub height: usize,
}

/// `train` training pages leave none of `total` for testing.
fn too_many_train(train: usize, total: usize) -> String {
    format!("{train} training pages leave none of the {total} for testing")
}

impl PagesParams {
    /// Checks the values, resolves `dir`, and checks it holds more pages
    /// than `train` (by listing it; the pages are read when loaded).
    pub(super) fn check(mut self, base_dir: &Path) -> Result<Self, DatasetSpecError> {
        height_ok(self.height)?;
        if self.test_dir.is_some() && self.train > 0 {
            return Err(DatasetSpecError::at(
                "train",
                "with `test_dir`, every page of `dir` is a training page",
                Some("leave `train` out".into()),
            ));
        }
        if self.serve == Serve::Words && self.train == 0 && self.test_dir.is_none() {
            return Err(DatasetSpecError::at(
                "train",
                "serving words needs at least 1 training page",
                Some("recognizers train on the words of the first `train` pages (or of every page of `dir` with `test_dir`)".into()),
            ));
        }
        self.dir = base_dir.join(&self.dir);
        self.val_dir = self.val_dir.map(|d| base_dir.join(d));
        self.test_dir = self.test_dir.map(|d| base_dir.join(d));
        let mut total = 0;
        for (key, dir) in [
            ("dir", Some(&self.dir)),
            ("val_dir", self.val_dir.as_ref()),
            ("test_dir", self.test_dir.as_ref()),
        ] {
            if let Some(dir) = dir {
                let n = count_pages(key, dir)?;
                if key == "dir" {
                    total = n;
                }
            }
        }
        if self.test_dir.is_none() && self.train > 0 && self.train >= total {
            return Err(DatasetSpecError::at(
                "train",
                too_many_train(self.train, total),
                None,
            ));
        }
        Ok(self)
    }

    pub(super) fn load(&self) -> Result<Splits, DataError> {
        let val = match &self.val_dir {
            Some(dir) => pages::load_dir(dir)?,
            None => Vec::new(),
        };
        if let Some(test_dir) = &self.test_dir {
            let train = pages::load_dir(&self.dir)?;
            let test = pages::load_dir(test_dir)?;
            return serve(self.serve, self.height, train, val, test);
        }
        let mut test = pages::load_dir(&self.dir)?;
        if self.train >= test.len() && self.train > 0 {
            return Err(DataError::InvalidParam {
                name: "train".into(),
                reason: too_many_train(self.train, test.len()),
            });
        }
        let train: Vec<Page> = test.drain(..self.train).collect();
        serve(self.serve, self.height, train, val, test)
    }
}

/// The number of pages in `dir` (the spec key `key`), which must be a
/// directory holding at least one.
fn count_pages(key: &str, dir: &Path) -> Result<usize, DatasetSpecError> {
    let hint = || Some("a pages directory holds NAME.png with NAME.json".to_string());
    if !dir.is_dir() {
        return Err(DatasetSpecError::at(
            key,
            format!("{} is not a directory", dir.display()),
            hint(),
        ));
    }
    let n = pages::page_files(dir)
        .map_err(|e| DatasetSpecError::at(key, e.to_string(), None))?
        .len();
    if n == 0 {
        return Err(DatasetSpecError::at(
            key,
            format!("{} holds no page image", dir.display()),
            hint(),
        ));
    }
    Ok(n)
}

impl SyntheticPagesParams {
    /// The generator configuration.
    pub fn config(&self) -> synthetic_pages::PagesConfig {
        synthetic_pages::PagesConfig {
            dpi: self.dpi,
            columns: self.columns,
            images: self.images,
            noise: self.noise,
            salt_pepper: self.salt_pepper,
            blur: self.blur,
            contrast: self.contrast,
            illumination: self.illumination,
            skew: self.skew,
        }
    }

    pub(super) fn check(self) -> Result<Self, DatasetSpecError> {
        let bad = |key: &str, message: String| DatasetSpecError::at(key, message, None);
        if self.test == 0 {
            return Err(bad("test", "must be at least 1".into()));
        }
        super::at_most(
            &[
                ("train", self.train),
                ("val", self.val),
                ("test", self.test),
            ],
            100_000,
            "pages",
        )?;
        height_ok(self.height)?;
        if self.serve == Serve::Words && self.train == 0 {
            return Err(bad(
                "train",
                "serving words needs at least 1 training page".into(),
            ));
        }
        if !(20.0..=600.0).contains(&self.dpi) {
            return Err(bad(
                "dpi",
                format!("must be in [20, 600], not {}", self.dpi),
            ));
        }
        for (key, v) in [
            ("noise", self.noise),
            ("salt_pepper", self.salt_pepper),
            ("illumination", self.illumination),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(bad(key, format!("must be in [0, 1], not {v}")));
            }
        }
        if !(0.05..=1.0).contains(&self.contrast) {
            return Err(bad(
                "contrast",
                format!("must be in [0.05, 1], not {}", self.contrast),
            ));
        }
        for (key, v, top) in [("blur", self.blur, 10.0), ("skew", self.skew, 15.0)] {
            if !(0.0..=top).contains(&v) {
                return Err(bad(key, format!("must be in [0, {top}], not {v}")));
            }
        }
        if self.columns == 0 {
            return Err(bad("columns", "must be at least 1".into()));
        }
        Ok(self)
    }

    pub(super) fn load(&self) -> Result<Splits, DataError> {
        let cfg = self.config();
        // Splits use disjoint seeds, so adding training pages never
        // changes the test pages.
        let gen = |n: usize, salt: u64| {
            synthetic_pages::generate(&cfg, n, self.seed.wrapping_mul(3).wrapping_add(salt))
        };
        serve(
            self.serve,
            self.height,
            gen(self.train, 1_000_003),
            gen(self.val, 2_000_003),
            gen(self.test, 0),
        )
    }
}

/// A pages dataset's splits as it serves them: the pages, or their words.
/// Serving words without validation pages holds out the last tenth of the
/// training words for validation.
fn serve(
    serve: Serve,
    height: usize,
    train: Vec<Page>,
    val: Vec<Page>,
    test: Vec<Page>,
) -> Result<Splits, DataError> {
    match serve {
        Serve::Pages => Ok(Splits {
            train: Split::Pages(train),
            val: Split::Pages(val),
            test: Split::Pages(test),
        }),
        Serve::Words => {
            let mut train_words = page_words(&train, height)?;
            let val_words = if val.is_empty() {
                let n = train_words.len() / 10;
                train_words.split_off_tail(n)
            } else {
                page_words(&val, height)?
            };
            Ok(Splits::words(
                train_words,
                val_words,
                page_words(&test, height)?,
            ))
        }
    }
}

/// Every ground-truth word of `pages`, cut as the page pipeline cuts words,
/// named `PAGE#INDEX`. A word without a text, or a page without ground
/// truth, is an error.
pub fn page_words(pages: &[Page], height: usize) -> Result<WordSet, DataError> {
    let mut set = WordSet::default();
    for page in pages {
        let truth = page.truth.as_ref().ok_or_else(|| DataError::Corrupt {
            path: PathBuf::from(&page.name),
            reason: "the page has no ground truth, so it has no words to serve".into(),
        })?;
        let boxes: Vec<BBox> = truth.words.iter().map(|w| w.bbox()).collect();
        for (i, w) in truth.words.iter().enumerate() {
            if w.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err(DataError::Corrupt {
                    path: PathBuf::from(&page.name),
                    reason: format!(
                        "word {i} has no text, so it cannot train or score a recognizer"
                    ),
                });
            }
        }
        let images = crate::layout::word_images(&page.image(), &boxes, height);
        for (i, (img, w)) in images.into_iter().zip(&truth.words).enumerate() {
            set.images.push(img);
            set.texts.push(w.text.clone().unwrap_or_default());
            set.names.push(format!("{}#{i}", page.name));
        }
    }
    Ok(set)
}
