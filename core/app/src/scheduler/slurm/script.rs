//! The batch script of one submission: `#SBATCH` options from the spec's
//! `executor:` block, the run directories it holds, and a loop that runs
//! `workbench worker --events-file` on this array task's share of them.

use crate::spec::executor::SlurmOptions;
use std::path::{Path, PathBuf};

/// What one submission runs.
pub struct Batch<'a> {
    /// The experiment (for the job name).
    pub experiment: &'a str,
    /// The workbench binary the tasks run (a path the nodes share).
    pub exe: &'a Path,
    /// The run directories, in array order (`pack` per task).
    pub runs: &'a [PathBuf],
    /// The experiment's plugin directories, passed to every worker.
    pub plugin_dirs: &'a [PathBuf],
    /// The options.
    pub options: &'a SlurmOptions,
}

/// A string as one single-quoted shell word.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn quote_path(p: &Path) -> String {
    shell_quote(&p.to_string_lossy())
}

/// The job name: `wb-` and the experiment, letters, digits, `-`, `_`, `.` only.
pub fn job_name(experiment: &str) -> String {
    let clean: String = experiment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    format!("wb-{clean}")
}

/// Array tasks a submission of `runs` runs needs with `pack` runs per task.
pub fn task_count(runs: usize, pack: usize) -> usize {
    runs.div_ceil(pack.max(1))
}

/// The `--array` value: `0-(tasks-1)`, with `%throttle` when set.
pub fn array_spec(tasks: usize, throttle: Option<usize>) -> String {
    let last = tasks.saturating_sub(1);
    match throttle {
        Some(k) => format!("0-{last}%{k}"),
        None => format!("0-{last}"),
    }
}

/// Where Slurm writes task `%a` of job `%A`'s own output, in `dir`
/// (passed on sbatch's command line: `#SBATCH` lines cannot hold every path).
pub fn output_pattern(dir: &Path) -> PathBuf {
    dir.join("%A_%a.out")
}

impl Batch<'_> {
    fn output_pattern_name() -> &'static str {
        "OUT: the experiment's slurm/%A_%a.out"
    }

    /// The script text.
    pub fn render(&self) -> String {
        let o = self.options;
        let mut s = String::new();
        s.push_str("#!/bin/bash\n");
        s.push_str(&format!(
            "# Written by `workbench run --executor slurm` for experiment {:?}: {} run(s), {} per array task.\n",
            self.experiment,
            self.runs.len(),
            o.pack
        ));
        s.push_str(&format!(
            "# Submitted as `sbatch --parsable --array=0-{}[%K] --output=OUT script` ({}); each task runs its runs one after another.\n",
            task_count(self.runs.len(), o.pack).saturating_sub(1),
            Self::output_pattern_name()
        ));
        let mut opt = |line: String| s.push_str(&format!("#SBATCH {line}\n"));
        opt(format!("--job-name={}", job_name(self.experiment)));
        opt("--open-mode=append".into());
        if let Some(v) = &o.partition {
            opt(format!("--partition={v}"));
        }
        if let Some(v) = &o.time {
            opt(format!("--time={v}"));
        }
        if let Some(v) = o.cpus {
            opt(format!("--cpus-per-task={v}"));
        }
        if let Some(v) = &o.mem {
            opt(format!("--mem={v}"));
        }
        if let Some(v) = &o.gres {
            opt(format!("--gres={v}"));
        }
        if let Some(v) = &o.account {
            opt(format!("--account={v}"));
        }
        if let Some(v) = &o.qos {
            opt(format!("--qos={v}"));
        }
        opt(if o.requeue {
            "--requeue".into()
        } else {
            "--no-requeue".into()
        });
        for line in &o.extra {
            opt(line.clone());
        }
        s.push_str("\nset -u\n");
        s.push_str(&format!("exe={}\n", quote_path(self.exe)));
        s.push_str(&format!("pack={}\n", o.pack.max(1)));
        s.push_str("plugins=(");
        for d in self.plugin_dirs {
            s.push_str(&format!(" --plugins {}", quote_path(d)));
        }
        s.push_str(" )\n");
        s.push_str("runs=(\n");
        for r in self.runs {
            s.push_str(&format!("  {}\n", quote_path(r)));
        }
        s.push_str(")\n");
        s.push_str(
            r#"if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
    echo "not a Slurm array task: submit this script with sbatch --array" >&2
    exit 2
fi
requeued=()
if [ "${SLURM_RESTART_COUNT:-0}" != 0 ]; then
    requeued=(--requeued)
fi
first=$(( SLURM_ARRAY_TASK_ID * pack ))
status=0
for run in "${runs[@]:first:pack}"; do
    # A run cancelled before its turn is not started.
    if [ -e "$run/stop" ]; then
        continue
    fi
    "$exe" worker "$run" --events-file ${requeued[@]+"${requeued[@]}"} ${plugins[@]+"${plugins[@]}"}
    code=$?
    if [ "$code" != 0 ]; then
        status=$code
        # How the worker ended, for the run's error (no pipe reports it).
        if [ "$code" -gt 128 ]; then
            echo "workbench worker died from signal $((code - 128)) (SIG$(kill -l $((code - 128)) 2>/dev/null))" >> "$run/log.txt"
        else
            echo "workbench worker exited with status $code" >> "$run/log.txt"
        fi
    fi
done
exit "$status"
"#,
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOLDEN: &str = include_str!("testdata/batch.sh");

    #[test]
    fn the_batch_script_matches_the_golden_file() {
        let options = SlurmOptions {
            partition: Some("gpu".into()),
            time: Some("2:00:00".into()),
            cpus: Some(4),
            mem: Some("8G".into()),
            gres: Some("gpu:1".into()),
            throttle: Some(2),
            account: Some("thesis".into()),
            qos: Some("normal".into()),
            pack: 2,
            requeue: true,
            extra: vec!["--constraint=avx512".into()],
            poll_seconds: 2.0,
        };
        let runs = [
            PathBuf::from("/shared/results/my exp/20261201T000000-000-pca"),
            PathBuf::from("/shared/results/my exp/20261201T000000-001-it's"),
            PathBuf::from("/shared/results/my exp/20261201T000000-002-vae"),
        ];
        let batch = Batch {
            experiment: "my exp",
            exe: Path::new("/opt/workbench/bin/workbench"),
            runs: &runs,
            plugin_dirs: &[PathBuf::from("/shared/plugins")],
            options: &options,
        };
        let text = batch.render();
        if std::env::var_os("WORKBENCH_BLESS").is_some() {
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("src/scheduler/slurm/testdata/batch.sh");
            std::fs::write(path, &text).unwrap();
        }
        assert_eq!(text, GOLDEN, "WORKBENCH_BLESS=1 rewrites the golden file");
        assert_eq!(task_count(runs.len(), options.pack), 2);
        assert_eq!(array_spec(2, Some(2)), "0-1%2");
        assert_eq!(array_spec(3, None), "0-2");
    }

    /// The script itself, run as Slurm would run task 1 of 2 (pack 2): a
    /// stand-in `workbench` records how it is called.
    #[test]
    fn a_task_runs_its_share_of_the_runs() {
        let dir = tempfile::tempdir().unwrap();
        let calls = dir.path().join("calls.txt");
        let exe = dir.path().join("fake workbench");
        std::fs::write(
            &exe,
            format!("#!/bin/sh\necho \"$@\" >> '{}'\n", calls.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let runs: Vec<PathBuf> = (0..5)
            .map(|i| dir.path().join(format!("run {i}")))
            .collect();
        for r in &runs {
            std::fs::create_dir(r).unwrap();
        }
        // Run 3 was cancelled before its turn.
        std::fs::write(runs[3].join("stop"), "").unwrap();
        let options = SlurmOptions {
            pack: 2,
            ..SlurmOptions::default()
        };
        let text = Batch {
            experiment: "x",
            exe: &exe,
            runs: &runs,
            plugin_dirs: &[],
            options: &options,
        }
        .render();
        let script = dir.path().join("job.sh");
        std::fs::write(&script, text).unwrap();
        let status = std::process::Command::new("bash")
            .arg(&script)
            .env("SLURM_ARRAY_TASK_ID", "1")
            .env("SLURM_RESTART_COUNT", "1")
            .status()
            .unwrap();
        assert!(status.success());
        let called = std::fs::read_to_string(&calls).unwrap();
        assert_eq!(
            called,
            format!("worker {} --events-file --requeued\n", runs[2].display())
        );
        // Outside Slurm it refuses to run anything.
        let out = std::process::Command::new("bash")
            .arg(&script)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    }

    #[test]
    fn quoting_survives_any_path() {
        assert_eq!(shell_quote("a'b c"), r"'a'\''b c'");
        assert_eq!(job_name("my exp/1"), "wb-my-exp-1");
    }
}
