//! Dataset kinds a spec can name: for each kind its parameters, the checks
//! made when the spec is checked, and loading it into train / validation /
//! test splits, in one file per family (`digits`: `synthetic-digits` and
//! `mnist`; `words`: `words` and `synthetic-words`; `pages`: `pages` and
//! `synthetic-pages`; `mix`: a word dataset with the training words of
//! others added). Shared by every plugin: plugins never read data files
//! themselves.
//!
//! Parameters are parsed without reading serde's message text: the keys a
//! kind accepts come from its `Deserialize` impl ([`fields_of`]), and a
//! value of the wrong type is located with `serde_path_to_error`.

mod digits;
mod mix;
mod pages;
mod words;

pub use digits::{MnistParams, SyntheticDigitsParams};
pub use mix::MixParams;
pub use pages::{page_words, PagesParams, Serve, SyntheticPagesParams};
pub use words::{SyntheticWordsParams, WordsParams};

use crate::data::pages::Page;
use crate::data::words::WordSet;
use crate::data::{DataError, ImageSet};
use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Serialize};
use serde_yaml::Mapping;
use std::path::Path;
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
    /// Page images with ground-truth JSON in a directory (the pages format, docs/CONTRACTS.md).
    Pages(PagesParams),
    /// Pages with exact ground truth generated from embedded fonts and words.
    SyntheticPages(SyntheticPagesParams),
    /// A word dataset with the training words of other word datasets added.
    Mix(MixParams),
}

pub(super) fn default_height() -> usize {
    DEFAULT_WORD_HEIGHT
}
pub(super) fn default_val_fraction() -> f64 {
    0.1
}
pub(super) fn default_test_fraction() -> f64 {
    0.2
}
pub(super) fn default_word_noise() -> f32 {
    0.03
}

/// Refuses a generated split larger than `limit` items (`what` names them),
/// before anything is generated: the counts are parameters, the memory
/// they would take is not.
pub(super) fn at_most(
    counts: &[(&str, usize)],
    limit: usize,
    what: &str,
) -> Result<(), DatasetSpecError> {
    match counts.iter().find(|(_, n)| *n > limit) {
        Some((key, n)) => Err(DatasetSpecError::at(
            key,
            format!("{n} {what} is more than the {limit} one split may have"),
            Some("generated datasets are held in memory; use a smaller count".into()),
        )),
        None => Ok(()),
    }
}

/// The split sizes of a generated dataset: train and test at least one
/// item each, no split over `limit` ([`at_most`]).
pub(super) fn generated_splits(
    (train, val, test): (usize, usize, usize),
    limit: usize,
    what: &str,
) -> Result<(), DatasetSpecError> {
    if train == 0 || test == 0 {
        return Err(DatasetSpecError {
            path: vec!["params".into()],
            message: "train and test must each be at least 1".into(),
            hint: None,
        });
    }
    at_most(
        &[("train", train), ("val", val), ("test", test)],
        limit,
        what,
    )
}

pub(super) fn default_train() -> usize {
    2000
}
pub(super) fn default_val() -> usize {
    200
}
pub(super) fn default_test() -> usize {
    500
}
pub(super) fn default_noise() -> f32 {
    0.05
}

/// Word image height when a word dataset does not say (the default of every
/// kind's `height`).
pub const DEFAULT_WORD_HEIGHT: usize = 32;

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
            Split::Images(s) => s.images(),
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

impl Splits {
    /// Keeps only the images of `class` in the training and validation
    /// splits (the test split keeps every class): the one-class protocol.
    /// Returns how many training and validation images remain.
    pub fn keep_only(&mut self, class: u8) -> (usize, usize) {
        for split in [&mut self.train, &mut self.val] {
            let Split::Images(set) = split else { continue };
            if set.has_labels() {
                let keep: Vec<usize> = (0..set.len()).filter(|&i| set.labels[i] == class).collect();
                *set = set.subset(&keep);
            }
        }
        (self.train.len(), self.val.len())
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

impl DatasetSpecError {
    /// A problem at `params.<key>`.
    fn at(key: &str, message: impl Into<String>, hint: Option<String>) -> DatasetSpecError {
        DatasetSpecError {
            path: vec!["params".into(), key.into()],
            message: message.into(),
            hint,
        }
    }
}

pub(super) fn fraction(name: &str, v: f64) -> Result<(), DatasetSpecError> {
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

pub(super) fn height_ok(h: usize) -> Result<(), DatasetSpecError> {
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

/// Records the field list a `Deserialize` impl asks for, and nothing else.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The keys a parameter struct accepts, as its derived `Deserialize` lists them.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// A kind's parameters from the spec's mapping: an unknown key is refused
/// at that key with the nearest known one as a hint, and a wrong value at
/// the path serde was reading.
fn parse<T: DeserializeOwned>(params: &Mapping) -> Result<T, DatasetSpecError> {
    let fields = fields_of::<T>();
    for key in params.keys() {
        if let Some(k) = key.as_str() {
            if !fields.contains(&k) {
                let known: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
                return Err(DatasetSpecError::at(
                    k,
                    format!("unknown key `{k}`"),
                    Some(crate::hint::nearest_hint(k, &known)),
                ));
            }
        }
    }
    serde_path_to_error::deserialize(serde_yaml::Value::Mapping(params.clone())).map_err(|e| {
        let mut path = vec!["params".to_string()];
        path.extend(e.path().iter().filter_map(|seg| match seg {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
            _ => None,
        }));
        DatasetSpecError {
            path,
            message: e.into_inner().to_string(),
            hint: None,
        }
    })
}

/// The dataset kinds a spec may name.
pub const KINDS: &[&str] = &[
    "synthetic-digits",
    "mnist",
    "words",
    "synthetic-words",
    "pages",
    "synthetic-pages",
    "mix",
];

impl DatasetSpec {
    /// Builds a dataset spec from `kind` and `params`, resolving relative
    /// paths against `base_dir`, and checks it: values, and the counts and
    /// sizes of the data it names that can be read without loading it.
    pub fn from_parts(
        kind: &str,
        params: &Mapping,
        base_dir: &Path,
    ) -> Result<DatasetSpec, DatasetSpecError> {
        Ok(match kind {
            "synthetic-digits" => {
                DatasetSpec::SyntheticDigits(parse::<SyntheticDigitsParams>(params)?.check()?)
            }
            "mnist" => DatasetSpec::Mnist(parse::<MnistParams>(params)?.check(base_dir)?),
            "words" => DatasetSpec::Words(parse::<WordsParams>(params)?.check(base_dir)?),
            "synthetic-words" => {
                DatasetSpec::SyntheticWords(parse::<SyntheticWordsParams>(params)?.check(base_dir)?)
            }
            "pages" => DatasetSpec::Pages(parse::<PagesParams>(params)?.check(base_dir)?),
            "synthetic-pages" => {
                DatasetSpec::SyntheticPages(parse::<SyntheticPagesParams>(params)?.check()?)
            }
            "mix" => DatasetSpec::Mix(MixParams::from_params(params, base_dir)?),
            other => {
                return Err(DatasetSpecError {
                    path: vec!["kind".into()],
                    message: format!("unknown dataset kind `{other}`"),
                    hint: Some(crate::hint::nearest_hint(
                        other,
                        &KINDS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                    )),
                })
            }
        })
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
            DatasetSpec::Mix(m) => m.main.serves(),
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
            | DatasetSpec::SyntheticPages(_)
            | DatasetSpec::Mix(_) => None,
        }
    }

    /// The height word images are scaled to, for word datasets.
    pub fn word_height(&self) -> Option<usize> {
        match self {
            DatasetSpec::Words(p) => Some(p.height),
            DatasetSpec::SyntheticWords(p) => Some(p.height),
            DatasetSpec::Pages(p) if p.serve == Serve::Words => Some(p.height),
            DatasetSpec::SyntheticPages(p) if p.serve == Serve::Words => Some(p.height),
            DatasetSpec::Mix(m) => m.main.word_height(),
            _ => None,
        }
    }

    /// The height words are cut to for a reader trained on this dataset:
    /// [`word_height`](Self::word_height), or [`DEFAULT_WORD_HEIGHT`].
    pub fn word_height_or_default(&self) -> usize {
        self.word_height().unwrap_or(DEFAULT_WORD_HEIGHT)
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
            DatasetSpec::SyntheticDigits(p) => p.load(),
            DatasetSpec::Mnist(p) => p.load(),
            DatasetSpec::Words(p) => p.load(self.tiles()),
            DatasetSpec::SyntheticWords(p) => p.load(self.tiles()),
            DatasetSpec::Pages(p) => p.load(),
            DatasetSpec::SyntheticPages(p) => p.load(),
            DatasetSpec::Mix(m) => m.load(),
        }
    }
}

#[cfg(test)]
mod tests;
