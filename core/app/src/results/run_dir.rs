//! The one owner of the results layout: [`RunDir`] and [`ExperimentDir`]
//! alone know the names of the files in them (docs/CONTRACTS.md, "Results
//! layout"). Everything else asks them for paths.

use std::path::{Path, PathBuf};

/// One run's directory, `results/<experiment>/<run-id>/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunDir(PathBuf);

impl RunDir {
    /// The run directory at `path`.
    pub fn new(path: impl Into<PathBuf>) -> RunDir {
        RunDir(path.into())
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `run.json`: the [`WorkerJob`](crate::plan) the worker runs, written
    /// by the parent before the worker starts.
    pub fn job(&self) -> PathBuf {
        self.0.join("run.json")
    }

    /// `spec.yaml`: the run's fully resolved spec.
    pub fn spec(&self) -> PathBuf {
        self.0.join("spec.yaml")
    }

    /// `metrics.csv`: every reported signal, appended by the worker.
    pub fn metrics(&self) -> PathBuf {
        self.0.join("metrics.csv")
    }

    /// `summary.json`: status and final metrics, written by the parent.
    pub fn summary(&self) -> PathBuf {
        self.0.join("summary.json")
    }

    /// `log.txt`: the worker's stderr.
    pub fn log(&self) -> PathBuf {
        self.0.join("log.txt")
    }

    /// `events.jsonl`: the worker's events, appended and flushed per line,
    /// when it runs where no pipe reaches its parent (a Slurm task).
    pub fn events(&self) -> PathBuf {
        self.0.join("events.jsonl")
    }

    /// `stop`: created by the parent to ask a worker with no pipe to stop.
    pub fn stop_request(&self) -> PathBuf {
        self.0.join("stop")
    }

    /// `artifacts/`: what scoring and the plugin leave behind.
    pub fn artifacts(&self) -> PathBuf {
        self.0.join("artifacts")
    }

    /// A file or directory under `artifacts/`.
    pub fn artifact(&self, name: &str) -> PathBuf {
        self.artifacts().join(name)
    }

    /// `artifacts/model/`: the saved model.
    pub fn model(&self) -> PathBuf {
        self.artifact("model")
    }

    /// True when the directory holds a run (its job file exists).
    pub fn is_run(&self) -> bool {
        self.job().is_file()
    }
}

impl AsRef<Path> for RunDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

/// One experiment's directory, `results/<experiment_slug(experiment)>/`: its runs and
/// the files about all of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExperimentDir(PathBuf);

impl ExperimentDir {
    /// The directory of `experiment`'s runs under the results root.
    pub fn new(root: &Path, experiment: &str) -> ExperimentDir {
        ExperimentDir(root.join(super::ids::experiment_slug(experiment)))
    }

    /// An experiment directory already known by its path.
    pub fn at(path: impl Into<PathBuf>) -> ExperimentDir {
        ExperimentDir(path.into())
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The run `run_id` of this experiment.
    pub fn run(&self, run_id: &str) -> RunDir {
        RunDir::new(self.0.join(run_id))
    }

    /// `summary.csv`: one row per run, written by the parent.
    pub fn summary_csv(&self) -> PathBuf {
        self.0.join("summary.csv")
    }

    /// `slurm/`: the batch scripts of the experiment's Slurm submissions
    /// and the tasks' own output (`<job>_<task>.out`).
    pub fn slurm(&self) -> PathBuf {
        self.0.join("slurm")
    }

    /// `report.<extension>`: the compare table exported from the UI.
    pub fn report(&self, extension: &str) -> PathBuf {
        self.0.join(format!("report.{extension}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_a_run_is_inside_its_directory() {
        let run = ExperimentDir::new(Path::new("results"), "My exp/../x").run("r1");
        for p in [
            run.job(),
            run.spec(),
            run.metrics(),
            run.summary(),
            run.log(),
            run.events(),
            run.stop_request(),
            run.artifacts(),
            run.model(),
        ] {
            assert!(p.starts_with(run.path()), "{}", p.display());
        }
        assert_eq!(
            run.path().parent().unwrap().parent().unwrap(),
            Path::new("results")
        );
    }
}
