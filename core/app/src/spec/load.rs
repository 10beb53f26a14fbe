//! From a spec file to a checked experiment: parse, apply `--set`
//! overrides, discover the plugins it names, check and expand it, and find
//! the finished runs it refers to.

use super::resolve::{resolve, Experiment};
use super::resolve_trained_runs;
use super::{Override, Spec, SpecError};
use crate::host::{discover, search_dirs, Discovery};
use anyhow::anyhow;
use std::path::{Path, PathBuf};

/// Why a spec could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The spec, an override or a reference in it is wrong.
    Usage(anyhow::Error),
    /// Something else failed (reading plugins).
    Failure(anyhow::Error),
}

impl LoadError {
    /// The error, whatever its class.
    pub fn error(&self) -> &anyhow::Error {
        match self {
            LoadError::Usage(e) | LoadError::Failure(e) => e,
        }
    }
}

/// Loads a spec and resolves it against the plugins it can see.
pub fn load_experiment(
    spec_path: &Path,
    set: &[String],
    results_root: &Path,
) -> Result<(Spec, Discovery, Experiment), LoadError> {
    let overrides = set
        .iter()
        .map(|s| Override::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| LoadError::Usage(anyhow!(e)))?;
    let spec = Spec::load(spec_path, &overrides).map_err(|e| LoadError::Usage(e.into()))?;
    let configured: Vec<(PathBuf, String)> = spec
        .plugin_dirs()
        .into_iter()
        .map(|(dir, path)| {
            (
                dir,
                format!("{} {}", spec.path.display(), super::path_to_string(&path)),
            )
        })
        .collect();
    let discovery = match discover(&search_dirs(&configured)) {
        Ok(d) => d,
        Err(crate::host::HostError::MissingDir { dir, origin }) => {
            let index = configured.iter().position(|(d, _)| *d == dir);
            let missing = if dir.exists() {
                "is not a directory"
            } else {
                "does not exist"
            };
            let err = match index {
                Some(i) => SpecError::Invalid(vec![spec.diag(
                    &[super::Seg::Key("plugins".into()), super::Seg::Index(i)],
                    format!("plugin directory {} {missing}", dir.display()),
                    Some("paths under `plugins:` are relative to the spec file; build the plugins with `cargo build --release`".into()),
                )])
                .into(),
                None => anyhow!("plugin directory {} (from {origin}) {missing}", dir.display()),
            };
            return Err(LoadError::Usage(err));
        }
        Err(e) => return Err(LoadError::Failure(e.into())),
    };
    let entries: Vec<_> = discovery.plugins.iter().map(|p| p.entry.clone()).collect();
    let mut exp = resolve(&spec, &entries).map_err(|e| {
        let mut msg = e.to_string();
        if entries.is_empty() || msg.contains("no plugin named") {
            msg.push_str(&format!(
                "\nplugins were searched in: {}",
                discovery.searched_list()
            ));
        }
        LoadError::Usage(anyhow!(msg))
    })?;
    resolve_trained_runs(&spec, &mut exp, results_root).map_err(|e| LoadError::Usage(e.into()))?;
    Ok((spec, discovery, exp))
}
