//! The safe types plugin authors see: images, datasets, regions, config,
//! parameter specs and errors.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A borrowed image: `height × width × channels` values in [0, 1], row-major,
/// channels last.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Image<'a> {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Channels (1 = gray, 3 = RGB).
    pub channels: usize,
    /// `height * width * channels` values.
    pub data: &'a [f32],
}

impl Image<'_> {
    /// Value at row `y`, column `x`, channel `c`.
    pub fn get(&self, y: usize, x: usize, c: usize) -> f32 {
        self.data[(y * self.width + x) * self.channels + c]
    }

    /// Copies the image.
    pub fn to_owned_image(&self) -> OwnedImage {
        OwnedImage {
            height: self.height,
            width: self.width,
            channels: self.channels,
            data: self.data.to_vec(),
        }
    }
}

/// An image a plugin returns.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedImage {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Channels (1 = gray, 3 = RGB).
    pub channels: usize,
    /// `height * width * channels` values in [0, 1].
    pub data: Vec<f32>,
}

impl OwnedImage {
    /// Borrows the image.
    pub fn as_image(&self) -> Image<'_> {
        Image {
            height: self.height,
            width: self.width,
            channels: self.channels,
            data: &self.data,
        }
    }
}

/// A training or validation split as a plugin sees it.
#[derive(Clone, Debug, Default)]
pub struct Dataset<'a> {
    /// The images.
    pub images: Vec<Image<'a>>,
    /// One text per image for word datasets; empty otherwise.
    pub texts: Vec<&'a str>,
}

impl Dataset<'_> {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether the split is empty.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }
}

/// What a segmenter region holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionKind {
    /// A word.
    Word,
    /// An image region (figure, photo, drawing).
    Image,
}

/// A region found on a page, in pixels, origin top-left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    /// Word or image.
    pub kind: RegionKind,
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Confidence in [0, 1], when the segmenter has one.
    pub score: Option<f32>,
}

/// The plugin families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Splits a page into word and image regions.
    Segmenter,
    /// Reads word images into text.
    Recognizer,
    /// Learns codes of images and reconstructs them.
    Autoencoder,
}

impl Kind {
    /// The ABI code of the kind.
    pub fn code(self) -> u32 {
        match self {
            Kind::Segmenter => crate::raw::KIND_SEGMENTER,
            Kind::Recognizer => crate::raw::KIND_RECOGNIZER,
            Kind::Autoencoder => crate::raw::KIND_AUTOENCODER,
        }
    }

    /// The kind of an ABI code, if it is one.
    pub fn from_code(code: u32) -> Option<Kind> {
        match code {
            crate::raw::KIND_SEGMENTER => Some(Kind::Segmenter),
            crate::raw::KIND_RECOGNIZER => Some(Kind::Recognizer),
            crate::raw::KIND_AUTOENCODER => Some(Kind::Autoencoder),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Segmenter => "segmenter",
            Kind::Recognizer => "recognizer",
            Kind::Autoencoder => "autoencoder",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The type and range of one variant parameter. The host checks spec values
/// against it before anything runs, so a plugin can trust its config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ParamKind {
    /// An integer in `[min, max]`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A number in `[min, max]`.
    Float {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// `true` or `false`.
    Bool,
    /// One of the listed strings (any string when the list is empty).
    Str {
        /// Allowed values.
        choices: Vec<String>,
    },
    /// A list of integers, each in `[min, max]`.
    IntList {
        /// Smallest allowed element.
        min: i64,
        /// Largest allowed element.
        max: i64,
    },
}

/// One parameter of a variant: name, type, default and a line of docs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// Key under the run's `params:`.
    pub name: String,
    /// Type and range.
    #[serde(flatten)]
    pub kind: ParamKind,
    /// Value used when the spec does not set it (written into the resolved spec).
    pub default: serde_json::Value,
    /// One line for `workbench plugins` and error hints.
    pub doc: String,
}

impl ParamSpec {
    /// An integer parameter.
    pub fn int(name: &str, default: i64, min: i64, max: i64, doc: &str) -> Self {
        ParamSpec {
            name: name.into(),
            kind: ParamKind::Int { min, max },
            default: default.into(),
            doc: doc.into(),
        }
    }

    /// A number parameter.
    pub fn float(name: &str, default: f64, min: f64, max: f64, doc: &str) -> Self {
        ParamSpec {
            name: name.into(),
            kind: ParamKind::Float { min, max },
            default: default.into(),
            doc: doc.into(),
        }
    }

    /// A boolean parameter.
    pub fn bool(name: &str, default: bool, doc: &str) -> Self {
        ParamSpec {
            name: name.into(),
            kind: ParamKind::Bool,
            default: default.into(),
            doc: doc.into(),
        }
    }

    /// A string parameter limited to `choices` (any string when empty).
    pub fn choice(name: &str, default: &str, choices: &[&str], doc: &str) -> Self {
        ParamSpec {
            name: name.into(),
            kind: ParamKind::Str {
                choices: choices.iter().map(|c| c.to_string()).collect(),
            },
            default: default.into(),
            doc: doc.into(),
        }
    }

    /// A list-of-integers parameter.
    pub fn int_list(name: &str, default: &[i64], min: i64, max: i64, doc: &str) -> Self {
        ParamSpec {
            name: name.into(),
            kind: ParamKind::IntList { min, max },
            default: default.to_vec().into(),
            doc: doc.into(),
        }
    }
}

/// One variant of a plugin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantInfo {
    /// Name, as a spec's `variant:` writes it.
    pub name: String,
    /// One line.
    pub description: String,
    /// The parameters it reads from its config.
    pub params: Vec<ParamSpec>,
}

impl VariantInfo {
    /// A variant with its parameters.
    pub fn new(name: &str, description: &str, params: Vec<ParamSpec>) -> Self {
        VariantInfo {
            name: name.into(),
            description: description.into(),
            params,
        }
    }
}

/// What a plugin says about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginInfo {
    /// Unique plugin name.
    pub name: String,
    /// Plugin version (use `env!("CARGO_PKG_VERSION")`).
    pub version: String,
    /// The variants.
    pub variants: Vec<VariantInfo>,
}

/// The training settings every plugin receives (the spec's `train:` block).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSettings {
    /// Passes over the training split.
    pub epochs: u32,
    /// Samples per optimisation step.
    pub batch_size: u32,
    /// `adam`, `sgd` or `rmsprop`.
    pub optimizer: String,
    /// Learning rate.
    pub lr: f64,
    /// L2 weight decay.
    pub weight_decay: f64,
    /// Seed of every random choice of the run.
    pub seed: u64,
    /// `auto`, `cpu` or `cuda`.
    pub device: String,
    /// Early stopping: stop after this many epochs without a validation
    /// improvement of at least `min_delta` (0 = never stop early).
    #[serde(default)]
    pub patience: u32,
    /// Smallest decrease of the watched validation metric that counts.
    #[serde(default)]
    pub min_delta: f64,
    /// `constant`, `cosine` (per step from `lr` down to `lr / 20` at the
    /// last epoch) or `plateau` (halve `lr` after every two epochs without
    /// improvement).
    #[serde(default = "default_schedule")]
    pub lr_schedule: String,
}

fn default_schedule() -> String {
    "constant".into()
}

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings {
            epochs: 10,
            batch_size: 64,
            optimizer: "adam".into(),
            lr: 1e-3,
            weight_decay: 0.0,
            seed: 0,
            device: "auto".into(),
            patience: 0,
            min_delta: 0.0,
            lr_schedule: default_schedule(),
        }
    }
}

/// A run's configuration: the variant's parameters (defaults filled in by the
/// host) and the training settings. It crosses the ABI as JSON:
/// `{"params": {...}, "train": {...}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The run's `params:` with every declared parameter present.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The spec's `train:` block.
    #[serde(default)]
    pub train: TrainSettings,
}

impl Config {
    /// Parameter `name` as `T`; an error names the parameter when it is missing
    /// or of another type.
    pub fn param<T: DeserializeOwned>(&self, name: &str) -> Result<T, PluginError> {
        let value = self
            .params
            .get(name)
            .ok_or_else(|| PluginError::new(format!("missing parameter `{name}`")))?;
        serde_json::from_value(value.clone())
            .map_err(|e| PluginError::new(format!("parameter `{name}`: {e}")))
    }

    /// This config with every parameter of `specs` that it lacks set to the
    /// spec's default. The host fills them in already; a plugin calls this
    /// in `new` so that a config built by hand (tests, tools) gets the same
    /// defaults, and then reads every parameter with [`param`](Self::param):
    /// the defaults live in the [`ParamSpec`]s only.
    pub fn with_defaults(&self, specs: &[ParamSpec]) -> Config {
        let mut config = self.clone();
        for spec in specs {
            config
                .params
                .entry(spec.name.clone())
                .or_insert_with(|| spec.default.clone());
        }
        config
    }

    /// Parameter `name` as `T`, or `default` when the config lacks it.
    /// Prefer [`with_defaults`](Self::with_defaults) and
    /// [`param`](Self::param), which keep the default in the `ParamSpec`.
    pub fn param_or<T: DeserializeOwned>(&self, name: &str, default: T) -> Result<T, PluginError> {
        if self.params.contains_key(name) {
            self.param(name)
        } else {
            Ok(default)
        }
    }
}

/// An error a plugin returns; the host shows its message and fails the run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PluginError {
    /// What went wrong, for a person.
    pub message: String,
}

impl PluginError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        PluginError {
            message: message.into(),
        }
    }
}

impl From<std::io::Error> for PluginError {
    fn from(e: std::io::Error) -> Self {
        PluginError::new(e.to_string())
    }
}

impl From<serde_json::Error> for PluginError {
    fn from(e: serde_json::Error) -> Self {
        PluginError::new(e.to_string())
    }
}
