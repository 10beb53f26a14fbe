//! Dataset kinds a spec can name, their parameters, and loading them into
//! train / validation / test splits. Shared by every plugin: plugins never
//! read data files themselves.

use crate::data::pages::{self, Page};
use crate::data::{idx, synthetic_digits, synthetic_pages, DataError, ImageSet};
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
    /// Page images with ground-truth JSON in a directory (DESIGN.md format).
    Pages(PagesParams),
    /// Pages with exact ground truth generated from embedded fonts and words.
    SyntheticPages(SyntheticPagesParams),
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

/// One split of a dataset, as the worker hands it to plugins and scoring.
/// Image sets hold equal-size images; page splits hold pages of any size
/// with ground-truth regions. (Word-image splits, variable-size images with
/// texts, fit as another variant.)
#[derive(Clone, Debug)]
pub enum Split {
    /// Equal-size images with labels.
    Images(ImageSet),
    /// Pages with ground truth.
    Pages(Vec<Page>),
}

impl Split {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Split::Images(s) => s.len(),
            Split::Pages(p) => p.len(),
        }
    }

    /// Whether the split is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Borrowed images, as plugins receive them.
    pub fn images(&self) -> Vec<Image<'_>> {
        match self {
            Split::Images(set) => crate::evaluate::images(set),
            Split::Pages(p) => p.iter().map(|p| p.image()).collect(),
        }
    }

    /// One text per image, for datasets of words; empty otherwise.
    pub fn texts(&self) -> Vec<&str> {
        Vec::new()
    }
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

impl Splits {
    fn images(train: ImageSet, val: ImageSet, test: ImageSet) -> Splits {
        Splits {
            train: Split::Images(train),
            val: Split::Images(val),
            test: Split::Images(test),
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

/// The dataset kinds a spec may name.
pub const KINDS: &[&str] = &["synthetic-digits", "mnist", "pages", "synthetic-pages"];

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
            DatasetSpec::Pages(_) | DatasetSpec::SyntheticPages(_) => Kind::Segmenter,
        }
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
                Ok(Splits {
                    train: Split::Pages(train),
                    val: Split::Pages(Vec::new()),
                    test: Split::Pages(test),
                })
            }
            DatasetSpec::SyntheticPages(p) => {
                let cfg = p.config();
                // Splits use disjoint seeds, so adding training pages never
                // changes the test pages.
                let gen = |n: usize, salt: u64| {
                    synthetic_pages::generate(&cfg, n, p.seed.wrapping_mul(3).wrapping_add(salt))
                };
                Ok(Splits {
                    train: Split::Pages(gen(p.train, 1_000_003)),
                    val: Split::Pages(gen(p.val, 2_000_003)),
                    test: Split::Pages(gen(p.test, 0)),
                })
            }
        }
    }
}
