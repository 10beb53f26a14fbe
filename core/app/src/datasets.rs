//! Dataset kinds a spec can name, their parameters, and loading them into
//! train / validation / test splits. Shared by every plugin: plugins never
//! read data files themselves.

use crate::data::{idx, synthetic_digits, DataError, ImageSet};
use serde::{Deserialize, Serialize};
use serde_yaml::Mapping;
use std::path::{Path, PathBuf};
use workbench_api::Kind;

/// A dataset, as a resolved spec records it (paths absolute).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "params", rename_all = "kebab-case")]
pub enum DatasetSpec {
    /// MNIST-like digits rendered from embedded fonts: no download.
    SyntheticDigits(SyntheticDigitsParams),
    /// The four MNIST IDX files in a directory (gzipped or not).
    Mnist(MnistParams),
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
    /// Training images.
    pub train: ImageSet,
    /// Validation images.
    pub val: ImageSet,
    /// Test images.
    pub test: ImageSet,
}

impl Splits {
    /// Removes every image of `class` from the training and validation
    /// splits (the test split keeps them).
    pub fn hold_out(&mut self, class: u8) {
        for set in [&mut self.train, &mut self.val] {
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

/// The dataset kinds a spec may name.
pub const KINDS: &[&str] = &["synthetic-digits", "mnist"];

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
                Ok(Splits { train, val, test })
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
                Ok(Splits { train, val, test })
            }
        }
    }
}
