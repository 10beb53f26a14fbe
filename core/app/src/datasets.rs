//! Dataset kinds a spec can name, their parameters, and loading them into
//! train / validation / test splits. Shared by every plugin: plugins never
//! read data files themselves.

use crate::data::corrupt::Noise;
use crate::data::pages::{self, Page};
use crate::data::words::{read_words_dir, WordSet};
use crate::data::{
    idx, synthetic_digits, synthetic_pages, synthetic_words, tiles, DataError, ImageSet,
};
use crate::metrics::BBox;
use serde::{Deserialize, Serialize};
use serde_yaml::Mapping;
use std::path::{Path, PathBuf};
use workbench_api::{Image, Kind};

/// A dataset, as a resolved spec records it (paths absolute).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "params", rename_all = "kebab-case")]
pub enum DatasetSpec {
    /// MNIST-like digits rendered from embedded fonts: no download.
    SyntheticDigits(SyntheticDigitsParams),
    /// The four MNIST IDX files in a directory (gzipped or not).
    Mnist(MnistParams),
    /// Word images named by a `labels.csv` (`filename,text`).
    Words(WordsParams),
    /// Word images rendered from embedded fonts and an embedded word list.
    SyntheticWords(SyntheticWordsParams),
    /// Page images with ground-truth JSON in a directory (DESIGN.md format).
    Pages(PagesParams),
    /// Pages with exact ground truth generated from embedded fonts and words.
    SyntheticPages(SyntheticPagesParams),
}

fn default_height() -> usize {
    32
}
fn default_val_fraction() -> f64 {
    0.1
}
fn default_test_fraction() -> f64 {
    0.2
}
fn default_word_noise() -> f32 {
    0.03
}

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

fn default_train() -> usize {
    2000
}
fn default_val() -> usize {
    200
}
fn default_test() -> usize {
    500
}
fn default_noise() -> f32 {
    0.05
}
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

/// What a pages dataset gives its runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Serve {
    /// Whole pages with their regions, for segmenters.
    #[default]
    Pages,
    /// The ground-truth words cut from the pages as the page pipeline cuts
    /// them (`pipeline::word_images`), with their texts, for recognizers.
    Words,
}

/// Parameters of `pages`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagesParams {
    /// Directory of `NAME.png` + `NAME.json` (relative to the spec file).
    pub dir: PathBuf,
    /// Pages (from the start, by name) given to `fit`; the rest are the test split.
    #[serde(default)]
    pub train: usize,
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
}

/// One split of a dataset, in the form its kind has.
#[derive(Clone, Debug)]
pub enum Split {
    /// Equally sized, labelled images (digits).
    Images(ImageSet),
    /// Word images of varying width, with their texts.
    Words(WordSet),
    /// Pages of any size with ground-truth regions.
    Pages(Vec<Page>),
}

impl Split {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Split::Images(s) => s.len(),
            Split::Words(w) => w.len(),
            Split::Pages(p) => p.len(),
        }
    }

    /// Whether the split is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The images, borrowed, as plugins receive them.
    pub fn images(&self) -> Vec<Image<'_>> {
        match self {
            Split::Images(s) => crate::evaluate::images(s),
            Split::Words(w) => w.images.iter().map(|i| i.as_image()).collect(),
            Split::Pages(p) => p.iter().map(|p| p.image()).collect(),
        }
    }

    /// One text per image for word splits; empty otherwise.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Split::Images(_) | Split::Pages(_) => Vec::new(),
            Split::Words(w) => w.texts.iter().map(String::as_str).collect(),
        }
    }
}

/// The three splits of a loaded dataset.
#[derive(Clone, Debug)]
pub struct Splits {
    /// Training samples.
    pub train: Split,
    /// Validation samples.
    pub val: Split,
    /// Test samples.
    pub test: Split,
}

fn fraction(name: &str, v: f64) -> Result<(), DatasetSpecError> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(DatasetSpecError {
            path: vec!["params".into(), name.into()],
            message: format!("must be a fraction in [0, 1), not {v}"),
            hint: None,
        })
    }
}

fn height_ok(h: usize) -> Result<(), DatasetSpecError> {
    if (8..=256).contains(&h) {
        Ok(())
    } else {
        Err(DatasetSpecError {
            path: vec!["params".into(), "height".into()],
            message: format!("must be between 8 and 256 pixels, not {h}"),
            hint: None,
        })
    }
}

impl Splits {
    /// Image-set splits.
    pub fn images(train: ImageSet, val: ImageSet, test: ImageSet) -> Splits {
        Splits {
            train: Split::Images(train),
            val: Split::Images(val),
            test: Split::Images(test),
        }
    }

    /// Word splits.
    pub fn words(train: WordSet, val: WordSet, test: WordSet) -> Splits {
        Splits {
            train: Split::Words(train),
            val: Split::Words(val),
            test: Split::Words(test),
        }
    }

    /// Removes every image of `class` from the training and validation
    /// splits (the test split keeps them).
    pub fn hold_out(&mut self, class: u8) {
        for split in [&mut self.train, &mut self.val] {
            let Split::Images(set) = split else { continue };
            if set.has_labels() {
                let keep: Vec<usize> = (0..set.len()).filter(|&i| set.labels[i] != class).collect();
                *set = set.subset(&keep);
            }
        }
    }
}

/// A problem with `dataset:` in a spec, at a key path under `dataset`.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSpecError {
    /// Keys under `dataset`.
    pub path: Vec<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
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
        let images = crate::pipeline::word_images(&page.image(), &boxes, height);
        for (i, (img, w)) in images.into_iter().zip(&truth.words).enumerate() {
            set.images.push(img);
            set.texts.push(w.text.clone().unwrap_or_default());
            set.names.push(format!("{}#{i}", page.name));
        }
    }
    Ok(set)
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

/// The dataset kinds a spec may name.
pub const KINDS: &[&str] = &[
    "synthetic-digits",
    "mnist",
    "words",
    "synthetic-words",
    "pages",
    "synthetic-pages",
];

impl DatasetSpec {
    /// Builds a dataset spec from `kind` and `params`, resolving relative
    /// paths against `base_dir`.
    pub fn from_parts(
        kind: &str,
        params: &Mapping,
        base_dir: &Path,
    ) -> Result<DatasetSpec, DatasetSpecError> {
        let typed = |e: serde_yaml::Error| {
            let message = e.to_string();
            let unknown = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                .map(|s| s.to_string());
            let expected: Vec<String> = message
                .split("expected one of ")
                .nth(1)
                .map(|list| {
                    list.split('`')
                        .enumerate()
                        .filter(|(i, _)| i % 2 == 1)
                        .map(|(_, s)| s.to_string())
                        .collect()
                })
                .unwrap_or_default();
            let mut path = vec!["params".to_string()];
            let (message, hint) = match unknown {
                Some(k) => {
                    path.push(k.clone());
                    (
                        format!("unknown key `{k}`"),
                        Some(crate::spec::nearest_hint(&k, &expected)),
                    )
                }
                None => (message, None),
            };
            DatasetSpecError {
                path,
                message,
                hint,
            }
        };
        let value = serde_yaml::Value::Mapping(params.clone());
        match kind {
            "synthetic-digits" => {
                let p: SyntheticDigitsParams = serde_yaml::from_value(value).map_err(typed)?;
                if p.train == 0 || p.test == 0 {
                    return Err(DatasetSpecError {
                        path: vec!["params".into()],
                        message: "train and test must each be at least 1".into(),
                        hint: None,
                    });
                }
                if !(0.0..=1.0).contains(&p.noise) {
                    return Err(DatasetSpecError {
                        path: vec!["params".into(), "noise".into()],
                        message: format!("must be in [0, 1], not {}", p.noise),
                        hint: None,
                    });
                }
                Ok(DatasetSpec::SyntheticDigits(p))
            }
            "words" => {
                let mut p: WordsParams = serde_yaml::from_value(value).map_err(typed)?;
                fraction("val", p.val)?;
                fraction("test", p.test)?;
                height_ok(p.height)?;
                check_word_options(p.tile_width, p.tile_stride, p.test_noise.as_deref())?;
                p.dir = base_dir.join(&p.dir);
                p.test_dir = p.test_dir.map(|d| base_dir.join(d));
                for (key, dir) in [("dir", Some(&p.dir)), ("test_dir", p.test_dir.as_ref())] {
                    if let Some(dir) = dir {
                        if !dir.join("labels.csv").is_file() {
                            return Err(DatasetSpecError {
                                path: vec!["params".into(), key.into()],
                                message: format!("{} has no labels.csv", dir.display()),
                                hint: Some("a word directory holds labels.csv (`filename,text`) and the images it names".into()),
                            });
                        }
                    }
                }
                Ok(DatasetSpec::Words(p))
            }
            "synthetic-words" => {
                let p: SyntheticWordsParams = serde_yaml::from_value(value).map_err(typed)?;
                height_ok(p.height)?;
                check_word_options(p.tile_width, p.tile_stride, p.test_noise.as_deref())?;
                if p.train == 0 || p.test == 0 {
                    return Err(DatasetSpecError {
                        path: vec!["params".into()],
                        message: "train and test must each be at least 1".into(),
                        hint: None,
                    });
                }
                Ok(DatasetSpec::SyntheticWords(p))
            }
            "mnist" => {
                let mut p: MnistParams = serde_yaml::from_value(value).map_err(typed)?;
                p.dir = base_dir.join(&p.dir);
                if !p.dir.is_dir() {
                    return Err(DatasetSpecError {
                        path: vec!["params".into(), "dir".into()],
                        message: format!("{} is not a directory", p.dir.display()),
                        hint: Some(
                            "`workbench data fetch mnist --dir DIR` downloads the files".into(),
                        ),
                    });
                }
                Ok(DatasetSpec::Mnist(p))
            }
            "pages" => {
                let mut p: PagesParams = serde_yaml::from_value(value).map_err(typed)?;
                height_ok(p.height)?;
                if p.serve == Serve::Words && p.train == 0 {
                    return Err(DatasetSpecError {
                        path: vec!["params".into(), "train".into()],
                        message: "serving words needs at least 1 training page".into(),
                        hint: Some(
                            "recognizers train on the words of the first `train` pages".into(),
                        ),
                    });
                }
                p.dir = base_dir.join(&p.dir);
                if !p.dir.is_dir() {
                    return Err(DatasetSpecError {
                        path: vec!["params".into(), "dir".into()],
                        message: format!("{} is not a directory", p.dir.display()),
                        hint: Some("a pages directory holds NAME.png with NAME.json".into()),
                    });
                }
                Ok(DatasetSpec::Pages(p))
            }
            "synthetic-pages" => {
                let p: SyntheticPagesParams = serde_yaml::from_value(value).map_err(typed)?;
                let bad = |key: &str, message: String| DatasetSpecError {
                    path: vec!["params".into(), key.into()],
                    message,
                    hint: None,
                };
                if p.test == 0 {
                    return Err(bad("test", "must be at least 1".into()));
                }
                height_ok(p.height)?;
                if p.serve == Serve::Words && p.train == 0 {
                    return Err(bad(
                        "train",
                        "serving words needs at least 1 training page".into(),
                    ));
                }
                if !(20.0..=600.0).contains(&p.dpi) {
                    return Err(bad("dpi", format!("must be in [20, 600], not {}", p.dpi)));
                }
                for (key, v) in [
                    ("noise", p.noise),
                    ("salt_pepper", p.salt_pepper),
                    ("illumination", p.illumination),
                ] {
                    if !(0.0..=1.0).contains(&v) {
                        return Err(bad(key, format!("must be in [0, 1], not {v}")));
                    }
                }
                if !(0.05..=1.0).contains(&p.contrast) {
                    return Err(bad(
                        "contrast",
                        format!("must be in [0.05, 1], not {}", p.contrast),
                    ));
                }
                if !(0.0..=10.0).contains(&p.blur) || !(0.0..=15.0).contains(&p.skew) {
                    return Err(bad(
                        "blur",
                        "blur must be in [0, 10] and skew in [0, 15]".into(),
                    ));
                }
                if p.columns == 0 {
                    return Err(bad("columns", "must be at least 1".into()));
                }
                Ok(DatasetSpec::SyntheticPages(p))
            }
            other => Err(DatasetSpecError {
                path: vec!["kind".into()],
                message: format!("unknown dataset kind `{other}`"),
                hint: Some(crate::spec::nearest_hint(
                    other,
                    &KINDS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                )),
            }),
        }
    }

    /// The plugin kind this dataset feeds.
    pub fn serves(&self) -> Kind {
        match self {
            DatasetSpec::SyntheticDigits(_) | DatasetSpec::Mnist(_) => Kind::Autoencoder,
            DatasetSpec::Words(_) | DatasetSpec::SyntheticWords(_) if self.tiles().is_some() => {
                Kind::Autoencoder
            }
            DatasetSpec::Words(_) | DatasetSpec::SyntheticWords(_) => Kind::Recognizer,
            DatasetSpec::Pages(PagesParams { serve, .. })
            | DatasetSpec::SyntheticPages(SyntheticPagesParams { serve, .. }) => match serve {
                Serve::Pages => Kind::Segmenter,
                Serve::Words => Kind::Recognizer,
            },
        }
    }

    /// The (height, width, channels) every image of this dataset has, when fixed.
    pub fn image_shape(&self) -> Option<(usize, usize, usize)> {
        match self {
            DatasetSpec::SyntheticDigits(_) | DatasetSpec::Mnist(_) => Some((28, 28, 1)),
            DatasetSpec::Words(_) | DatasetSpec::SyntheticWords(_) if self.tiles().is_some() => {
                let (t, _) = self.tiles()?;
                Some((self.word_height()?, t, 1))
            }
            DatasetSpec::Words(_)
            | DatasetSpec::SyntheticWords(_)
            | DatasetSpec::Pages(_)
            | DatasetSpec::SyntheticPages(_) => None,
        }
    }

    /// The height word images are scaled to, for word datasets.
    pub fn word_height(&self) -> Option<usize> {
        match self {
            DatasetSpec::Words(p) => Some(p.height),
            DatasetSpec::SyntheticWords(p) => Some(p.height),
            DatasetSpec::Pages(p) if p.serve == Serve::Words => Some(p.height),
            DatasetSpec::SyntheticPages(p) if p.serve == Serve::Words => Some(p.height),
            _ => None,
        }
    }

    /// `(tile width, stride)` when a word dataset is cut into tiles for
    /// autoencoders.
    pub fn tiles(&self) -> Option<(usize, usize)> {
        let (width, stride) = match self {
            DatasetSpec::Words(p) => (p.tile_width?, p.tile_stride),
            DatasetSpec::SyntheticWords(p) => (p.tile_width?, p.tile_stride),
            _ => return None,
        };
        Some((width, stride.unwrap_or((width / 2).max(1))))
    }

    /// Loads (or generates) the splits.
    pub fn load(&self) -> Result<Splits, DataError> {
        match self {
            DatasetSpec::SyntheticDigits(p) => {
                let cfg = synthetic_digits::DigitsConfig {
                    noise_sigma: p.noise,
                    ..Default::default()
                };
                let (mut train, test) =
                    synthetic_digits::generate_splits(&cfg, p.train + p.val, p.test, p.seed);
                let val = train.split_off_tail(p.val);
                Ok(Splits::images(train, val, test))
            }
            DatasetSpec::SyntheticWords(p) => {
                let cfg = synthetic_words::WordsConfig {
                    height: p.height,
                    noise: p.noise,
                    ..Default::default()
                };
                let mut train = synthetic_words::generate(&cfg, p.train + p.val, p.seed);
                let mut test = synthetic_words::generate(&cfg, p.test, p.seed ^ 0x5eed_7e57);
                let val = train.split_off_tail(p.val);
                corrupt_words(&mut test, p.test_noise.as_deref(), p.seed ^ TEST_NOISE_SEED)?;
                Ok(word_splits(train, val, test, p.height, self.tiles()))
            }
            DatasetSpec::Words(p) => {
                let mut train = read_words_dir(&p.dir, p.height)?;
                let test = match &p.test_dir {
                    Some(dir) => read_words_dir(dir, p.height)?,
                    None => {
                        let n = ((train.len() as f64) * p.test).round() as usize;
                        train.split_off_tail(n)
                    }
                };
                let n_val = ((train.len() as f64) * p.val).round() as usize;
                let val = train.split_off_tail(n_val);
                let mut test = test;
                corrupt_words(&mut test, p.test_noise.as_deref(), TEST_NOISE_SEED)?;
                if train.is_empty() || test.is_empty() {
                    return Err(DataError::InvalidParam {
                        name: "test".into(),
                        reason: format!(
                            "{} words leave an empty training or test split",
                            train.len() + val.len() + test.len()
                        ),
                    });
                }
                Ok(word_splits(train, val, test, p.height, self.tiles()))
            }
            DatasetSpec::Pages(p) => {
                let mut test = pages::load_dir(&p.dir)?;
                if p.train >= test.len() && p.train > 0 {
                    return Err(DataError::InvalidParam {
                        name: "train".into(),
                        reason: format!(
                            "{} training pages leave none of the {} for testing",
                            p.train,
                            test.len()
                        ),
                    });
                }
                let train: Vec<Page> = test.drain(..p.train).collect();
                serve(p.serve, p.height, train, Vec::new(), test)
            }
            DatasetSpec::SyntheticPages(p) => {
                let cfg = p.config();
                // Splits use disjoint seeds, so adding training pages never
                // changes the test pages.
                let gen = |n: usize, salt: u64| {
                    synthetic_pages::generate(&cfg, n, p.seed.wrapping_mul(3).wrapping_add(salt))
                };
                serve(
                    p.serve,
                    p.height,
                    gen(p.train, 1_000_003),
                    gen(p.val, 2_000_003),
                    gen(p.test, 0),
                )
            }
            DatasetSpec::Mnist(p) => {
                let (mut train, mut test) = idx::load_mnist_dir(&p.dir)?;
                if p.val >= train.len() {
                    return Err(DataError::InvalidParam {
                        name: "val".into(),
                        reason: format!(
                            "{} validation images leave none of the {} for training",
                            p.val,
                            train.len()
                        ),
                    });
                }
                let val = train.split_off_tail(p.val);
                if let Some(n) = p.train {
                    train = train.subset(&(0..n.min(train.len())).collect::<Vec<_>>());
                }
                if let Some(n) = p.test {
                    test = test.subset(&(0..n.min(test.len())).collect::<Vec<_>>());
                }
                Ok(Splits::images(train, val, test))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str, params: &str) -> Result<DatasetSpec, DatasetSpecError> {
        let params: Mapping = serde_yaml::from_str(params).unwrap();
        DatasetSpec::from_parts(kind, &params, Path::new("."))
    }

    #[test]
    fn synthetic_pages_serve_their_words_cut_as_the_pipeline_cuts_them() {
        let s = spec(
            "synthetic-pages",
            "{train: 1, test: 1, seed: 4, serve: words, height: 24}",
        )
        .unwrap();
        assert_eq!(s.serves(), Kind::Recognizer);
        assert_eq!(s.word_height(), Some(24));
        let splits = s.load().unwrap();
        let (Split::Words(train), Split::Words(val), Split::Words(test)) =
            (&splits.train, &splits.val, &splits.test)
        else {
            panic!("word splits expected");
        };
        // One page has hundreds of words; a tenth of them validate.
        assert!(train.len() > 100, "{} training words", train.len());
        assert_eq!(val.len(), (train.len() + val.len()) / 10);
        assert!(!test.is_empty());
        for (img, text) in train.images.iter().zip(&train.texts) {
            assert_eq!(img.height, 24);
            assert!(img.width >= 1 && !text.trim().is_empty());
        }
        // The same kind without `serve` still gives pages to segmenters.
        let pages = spec("synthetic-pages", "{test: 1}").unwrap();
        assert_eq!(pages.serves(), Kind::Segmenter);
        assert_eq!(pages.word_height(), None);
    }

    #[test]
    fn serving_words_needs_training_pages_and_texts() {
        let e = spec("synthetic-pages", "{test: 1, serve: words}").unwrap_err();
        assert_eq!(e.path, vec!["params", "train"]);
        let e = spec("synthetic-pages", "{train: 1, test: 1, serve: lines}").unwrap_err();
        assert!(e.message.contains("unknown variant"), "{}", e.message);

        let page = |text: Option<&str>| Page {
            name: "p".into(),
            width: 40,
            height: 20,
            pixels: vec![1.0; 800],
            truth: Some(pages::PageRegions {
                width: 40,
                height: 20,
                words: vec![pages::WordBox {
                    text: text.map(String::from),
                    x: 5.0,
                    y: 5.0,
                    w: 20.0,
                    h: 8.0,
                    ..Default::default()
                }],
                ..Default::default()
            }),
        };
        let words = page_words(&[page(Some("ink"))], 16).unwrap();
        assert_eq!(words.texts, vec!["ink"]);
        assert_eq!(words.names, vec!["p#0"]);
        assert_eq!(words.images[0].height, 16);
        let e = page_words(&[page(None)], 16).unwrap_err();
        assert!(e.to_string().contains("word 0 has no text"), "{e}");
    }

    #[test]
    fn word_tiles_feed_autoencoders_with_a_fixed_shape() {
        let d = spec(
            "synthetic-words",
            "{train: 6, val: 2, test: 3, tile_width: 24}",
        )
        .unwrap();
        assert_eq!(d.serves(), Kind::Autoencoder);
        assert_eq!(d.tiles(), Some((24, 12)));
        assert_eq!(d.image_shape(), Some((32, 24, 1)));
        let splits = d.load().unwrap();
        let Split::Images(train) = &splits.train else {
            panic!("tiles are images")
        };
        assert_eq!((train.height, train.width, train.channels), (32, 24, 1));
        assert!(train.len() >= 6 && !train.has_labels());
        assert!(matches!(splits.test, Split::Images(ref t) if t.len() >= 3));
        let plain = spec("synthetic-words", "{train: 6, test: 3}").unwrap();
        assert_eq!(
            (plain.serves(), plain.tiles(), plain.image_shape()),
            (Kind::Recognizer, None, None)
        );
    }

    #[test]
    fn test_noise_corrupts_only_the_test_words_and_the_same_way_each_time() {
        let clean = spec("synthetic-words", "{train: 4, val: 1, test: 3, seed: 2}").unwrap();
        let noisy = spec(
            "synthetic-words",
            "{train: 4, val: 1, test: 3, seed: 2, test_noise: gaussian:0.3}",
        )
        .unwrap();
        let (c, n, n2) = (
            clean.load().unwrap(),
            noisy.load().unwrap(),
            noisy.load().unwrap(),
        );
        let words = |s: &Split| match s {
            Split::Words(w) => w.clone(),
            _ => panic!("word split"),
        };
        assert_eq!(words(&c.train), words(&n.train));
        assert_eq!(words(&c.val), words(&n.val));
        let (ct, nt) = (words(&c.test), words(&n.test));
        assert_eq!(ct.texts, nt.texts);
        assert_ne!(ct.images, nt.images);
        assert_eq!(nt, words(&n2.test));
        let diff: f32 = ct.images[0]
            .data
            .iter()
            .zip(&nt.images[0].data)
            .map(|(a, b)| (a - b).abs())
            .sum::<f32>()
            / ct.images[0].data.len() as f32;
        assert!(diff > 0.05, "{diff}");
    }

    #[test]
    fn bad_word_options_are_refused_at_their_key() {
        let e = spec("synthetic-words", "{tile_stride: 4}").unwrap_err();
        assert_eq!(e.path, ["params", "tile_stride"]);
        assert!(e.message.contains("needs `tile_width`"), "{e:?}");
        let e = spec("synthetic-words", "{tile_width: 16, tile_stride: 17}").unwrap_err();
        assert!(e.message.contains("between 1 and tile_width (16)"), "{e:?}");
        let e = spec("synthetic-words", "{tile_width: 2}").unwrap_err();
        assert_eq!(e.path, ["params", "tile_width"]);
        let e = spec("synthetic-words", "{test_noise: salt:0.1}").unwrap_err();
        assert_eq!(e.path, ["params", "test_noise"]);
        assert!(e.message.contains("unknown noise `salt`"), "{e:?}");
        let e = spec("synthetic-words", "{test_noise: gaussian}").unwrap_err();
        assert!(e.message.contains("expected KIND:LEVEL"), "{e:?}");
        let e = spec(
            "synthetic-words",
            "{tile_width: 16, test_noise: gaussian:0.1}",
        )
        .unwrap_err();
        assert!(e.message.contains("does not apply to tiles"), "{e:?}");
    }
}
