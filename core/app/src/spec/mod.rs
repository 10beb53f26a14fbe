//! Experiment specs: the YAML a user writes, checked and expanded into the
//! runs it plans, with every error pointing at `file:line:column`.
//!
//! Loading goes: text → YAML value (syntax errors located by serde_yaml) →
//! `--set` overrides → typed [`RawSpec`] (unknown keys and wrong types located
//! through the path serde reports) → [`resolve`] against the discovered
//! plugins (unknown plugins, variants, parameters and impossible values) →
//! [`RunPlan`]s with every default filled in.

mod depth;
mod diagnostics;
pub mod executor;
mod load;
mod locate;
mod overrides;
pub mod resolve;
mod trained_refs;

pub use crate::plan::{EvaluationSettings, RunPlan};
pub use diagnostics::{Diagnostic, SpecError};
pub use load::{load_experiment, LoadError};
pub use locate::{path_to_string, Locator, Seg, YamlPath};
pub use overrides::Override;
pub use resolve::{resolve, Experiment};
pub use trained_refs::resolve_trained_runs;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};
use std::path::{Path, PathBuf};

/// The spec as written (after overrides), before it is checked against the
/// plugins. Every key a spec may use is a field here.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// Experiment name; its runs go to `results/<name>/`.
    pub name: String,
    /// One paragraph for people.
    #[serde(default)]
    pub description: String,
    /// Directories to look for plugins in, relative to the spec file.
    #[serde(default)]
    pub plugins: Vec<String>,
    /// The dataset every run uses.
    pub dataset: RawDataset,
    /// Training settings shared by every run.
    #[serde(default)]
    pub train: RawTrain,
    /// The runs.
    pub runs: Vec<RawRun>,
    /// Grid over parameter paths (`params.x` or `train.y`) → values.
    #[serde(default)]
    pub sweep: Mapping,
    /// Repeat every run once per seed.
    #[serde(default)]
    pub seeds: Option<Vec<u64>>,
    /// Metrics the tables show, in order.
    #[serde(default)]
    pub metrics: Vec<String>,
    /// How many runs train at once.
    #[serde(default)]
    pub parallel: Option<usize>,
    /// How runs are scored beyond the plain test metrics.
    #[serde(default)]
    pub evaluation: EvaluationSettings,
    /// Where the runs execute (`local` or `slurm`).
    #[serde(default)]
    pub executor: Option<executor::RawExecutor>,
}

/// `dataset:`: a kind and its parameters.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    /// `synthetic-digits`, `mnist`, ...
    pub kind: String,
    /// Parameters of the kind.
    #[serde(default)]
    pub params: Mapping,
}

/// `train:`: any field may be left out (defaults, or the experiment's value).
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrain {
    /// Passes over the training split.
    pub epochs: Option<u32>,
    /// Samples per step.
    pub batch_size: Option<u32>,
    /// `adam`, `sgd` or `rmsprop`.
    pub optimizer: Option<String>,
    /// Learning rate.
    pub lr: Option<f64>,
    /// L2 weight decay.
    pub weight_decay: Option<f64>,
    /// Seed (when `seeds:` is absent).
    pub seed: Option<u64>,
    /// `auto`, `cpu` or `cuda`.
    pub device: Option<String>,
    /// Epochs without validation improvement before stopping (0 = never).
    pub patience: Option<u32>,
    /// Smallest validation improvement that counts.
    pub min_delta: Option<f64>,
    /// `constant`, `cosine` or `plateau`.
    pub lr_schedule: Option<String>,
}

/// One entry of `runs:`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    /// Display name (default: the variant, plus swept values).
    pub name: Option<String>,
    /// Plugin name.
    pub plugin: String,
    /// Variant of the plugin.
    pub variant: String,
    /// Variant parameters.
    #[serde(default)]
    pub params: Mapping,
    /// Training settings for this run only.
    #[serde(default)]
    pub train: RawTrain,
    /// Segmenter runs on pages with texts: a trained recognizer run that
    /// reads the segmented words, to score the whole page pipeline. A run
    /// directory (relative to this file), or `EXPERIMENT/NAME` for the newest
    /// finished run of that name under the results directory.
    #[serde(default)]
    pub recognizer: Option<String>,
    /// Recognizer runs: a trained autoencoder run (trained on word tiles)
    /// that cleans every word image the run trains, validates and is scored
    /// on. A run directory or `EXPERIMENT/NAME`, as for `recognizer`.
    #[serde(default)]
    pub preprocess: Option<String>,
    /// Recognizer runs: a finished run of the same plugin and variant whose
    /// saved model this run starts from (fine-tuning; the architecture and
    /// charset are that model's). A run directory or `EXPERIMENT/NAME`, as
    /// for `recognizer`.
    #[serde(default)]
    pub init_from: Option<String>,
}

/// A spec file, loaded and typed, with what is needed to locate errors.
#[derive(Debug)]
pub struct Spec {
    /// The file.
    pub path: PathBuf,
    /// Its directory (relative paths in the spec are relative to it).
    pub base_dir: PathBuf,
    /// The typed content.
    pub raw: RawSpec,
    /// The whole document after overrides (written into each run's spec).
    pub document: Value,
    /// Positions of keys in the file.
    pub locator: Locator,
    /// The `--set` overrides applied.
    pub overrides: Vec<Override>,
}

/// The largest spec file read, in bytes: far above any hand-written spec.
pub const MAX_SPEC_BYTES: u64 = 1 << 20;

/// Reads a spec file: only a regular file (never a device or a FIFO, which
/// could hang or never end) of at most [`MAX_SPEC_BYTES`], as UTF-8.
fn read_spec_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a spec is a YAML file)",
        ));
    }
    let too_big = || {
        std::io::Error::other(format!(
            "larger than {} MiB; a spec is a short YAML file",
            MAX_SPEC_BYTES >> 20
        ))
    };
    if meta.len() > MAX_SPEC_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

impl Spec {
    /// Reads, parses, applies overrides and types a spec file.
    pub fn load(path: &Path, overrides: &[Override]) -> Result<Spec, SpecError> {
        let source = read_spec_file(path).map_err(|reason| SpecError::Io {
            path: path.to_path_buf(),
            reason,
        })?;
        Spec::parse(path, &source, overrides)
    }

    /// Parses spec text (`path` is used for messages and relative paths).
    pub fn parse(path: &Path, source: &str, overrides: &[Override]) -> Result<Spec, SpecError> {
        if let Some((line, column)) = depth::too_deep(source) {
            return Err(SpecError::Invalid(vec![Diagnostic {
                file: path.to_path_buf(),
                line,
                column,
                message: format!(
                    "invalid YAML: nested deeper than {} levels",
                    depth::MAX_DEPTH
                ),
                hint: None,
            }]));
        }
        let mut document: Value = serde_yaml::from_str(source).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            SpecError::Invalid(vec![Diagnostic {
                file: path.to_path_buf(),
                line,
                column,
                message: format!("invalid YAML: {}", strip_location(&e.to_string())),
                hint: None,
            }])
        })?;
        if document.is_null() {
            document = Value::Mapping(Mapping::new());
        }
        for o in overrides {
            o.apply(&mut document).map_err(SpecError::Override)?;
        }
        let locator = Locator::new(source);
        let ctx = diagnostics::Where {
            file: path,
            locator: &locator,
            overrides,
        };
        let raw: RawSpec = serde_path_to_error::deserialize(document.clone())
            .map_err(|e| SpecError::Invalid(vec![ctx.serde_error(e)]))?;
        let base_dir = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Ok(Spec {
            path: path.to_path_buf(),
            base_dir,
            raw,
            document,
            locator,
            overrides: overrides.to_vec(),
        })
    }

    /// A diagnostic at a path of this spec.
    pub fn diag(
        &self,
        path: &[Seg],
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        diagnostics::Where {
            file: &self.path,
            locator: &self.locator,
            overrides: &self.overrides,
        }
        .at(path, message.into(), hint)
    }

    /// Plugin directories named by the spec, resolved against its directory.
    pub fn plugin_dirs(&self) -> Vec<(PathBuf, YamlPath)> {
        self.raw
            .plugins
            .iter()
            .enumerate()
            .map(|(i, d)| {
                (
                    self.base_dir.join(d),
                    vec![Seg::Key("plugins".into()), Seg::Index(i)],
                )
            })
            .collect()
    }
}

/// serde_yaml appends " at line L column C" to messages; the diagnostic
/// prints the position itself.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests;
