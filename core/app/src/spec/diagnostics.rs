//! Spec errors for people: `file:line:column: message` and a hint.

use super::locate::{path_to_string, Locator, Seg};
use super::overrides::Override;
use crate::hint::nearest_hint;
use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a spec, located.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The spec file (or `--set` for an override).
    pub file: PathBuf,
    /// 1-based line (0 when the problem comes from `--set`).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it (the nearest valid key, the allowed values, ...).
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Why a spec cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file cannot be read.
    // Not a `source`: the message says it once already.
    #[error("cannot read spec {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: std::io::Error,
    },
    /// A `--set` argument is malformed.
    #[error("{0}")]
    Override(String),
    /// The spec has problems, each located.
    #[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
}

/// What is needed to place a diagnostic.
pub(crate) struct Where<'a> {
    pub file: &'a Path,
    pub locator: &'a Locator,
    pub overrides: &'a [Override],
}

impl Where<'_> {
    /// A diagnostic at `path`: in the file when written there, at the `--set`
    /// that introduced it otherwise.
    pub fn at(&self, path: &[Seg], message: String, hint: Option<String>) -> Diagnostic {
        let dotted = dotted(path);
        let in_file = self.locator.find(path);
        if let Some(o) = self.overrides.iter().rev().find(|o| {
            let p = o.path.join(".");
            // The override set this path or something inside it; or it
            // made this key, which the file does not have (`--set nope.x=1`
            // is blamed for `nope`).
            dotted == p
                || dotted.starts_with(&format!("{p}."))
                || (in_file.is_none() && p.starts_with(&format!("{dotted}.")))
        }) {
            return Diagnostic {
                file: PathBuf::from(format!("--set {}", o.arg)),
                line: 0,
                column: 0,
                message: format!("{}: {message}", path_to_string(path)),
                hint,
            };
        }
        let (line, column) = in_file.unwrap_or((1, 1));
        let message = if path.is_empty() {
            message
        } else {
            format!("{}: {message}", path_to_string(path))
        };
        Diagnostic {
            file: self.file.to_path_buf(),
            line,
            column,
            message,
            hint,
        }
    }

    /// A diagnostic from a typed-deserialization error, with a hint for
    /// unknown keys (the nearest valid one).
    pub fn serde_error(&self, err: serde_path_to_error::Error<serde_yaml::Error>) -> Diagnostic {
        let mut path: Vec<Seg> = err
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                serde_path_to_error::Segment::Enum { variant } => Some(Seg::Key(variant.clone())),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = super::strip_location(&err.inner().to_string());
        let mut hint = None;
        if let Some(rest) = message.strip_prefix("unknown field ") {
            let names = backticked(rest);
            if let Some((unknown, expected)) = names.split_first() {
                if path.last() != Some(&Seg::Key(unknown.clone())) {
                    path.push(Seg::Key(unknown.clone()));
                }
                hint = Some(nearest_hint(unknown, expected));
                return self.at(&path, format!("unknown key `{unknown}`"), hint);
            }
        }
        if message.starts_with("missing field") {
            hint = Some("add it; see the spec reference in README.md".to_string());
        }
        self.at(&path, message, hint)
    }
}

fn dotted(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, w)| w.to_string())
        .collect()
}
