//! The results store: where runs live on disk and how their files are
//! written (`results/<experiment>/<run-id>/`, as docs/CONTRACTS.md fixes it).
//!
//! Files that are replaced (`summary.json`, `summary.csv`) are written to a
//! temporary name and renamed, so a crash never leaves half a file.
//! `metrics.csv` is appended and flushed line by line.

mod ids;
mod metrics_log;
mod run_dir;
mod summary;

pub use ids::{experiment_slug, new_run_id, slug};
pub use metrics_log::{MetricRow, MetricsLog};
pub use run_dir::{ExperimentDir, RunDir};
pub use summary::{
    list_runs, list_runs_checked, read_summary, update_experiment_summary,
    write_experiment_summary, Invocation, Placement, RunStatus, RunSummary, Unreadable, Versions,
};

use std::io::Write;
use std::path::{Path, PathBuf};

/// Errors of the results store.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file exists but does not parse.
    #[error("{path} is not valid: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No such experiment under the results directory.
    #[error("no experiment `{name}` under {root} (existing: {existing})")]
    NoExperiment {
        /// The name asked for.
        name: String,
        /// The results directory.
        root: PathBuf,
        /// What exists there.
        existing: String,
    },
}

/// Shorthand for an I/O error on a path.
pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + '_ {
    move |source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so readers see the old or the new file, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    // A fresh file, never one (or a link) left at that name: a stale
    // temporary is removed (the link itself, not what it points to).
    let _ = std::fs::remove_file(&tmp);
    if path.is_dir() {
        return Err(io_err(path)(std::io::Error::other(
            "is a directory; name a file",
        )));
    }
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        file.write_all(bytes).map_err(io_err(&tmp))?;
        file.sync_all().map_err(io_err(&tmp))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(io_err(path))
    })();
    // On any failure (a full disk, a directory at `path`) the temporary
    // goes; the old file, if any, stays as it was.
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The directory of one experiment's runs: `<root>/<experiment_slug(experiment)>`.
pub fn experiment_dir(root: &Path, experiment: &str) -> PathBuf {
    ExperimentDir::new(root, experiment).path().to_path_buf()
}

/// The metrics list recorded in a run's resolved `spec.yaml`.
pub fn spec_metrics(run_dir: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(RunDir::new(run_dir).spec()).ok()?;
    let value: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    serde_yaml::from_value(value.get("metrics")?.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/summary.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_directory_in_the_way_is_refused_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::create_dir(&path).unwrap();
        let e = write_atomic(&path, b"rows").unwrap_err().to_string();
        assert!(e.contains("is a directory; name a file"), "{e}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.csv")]);
    }
}
