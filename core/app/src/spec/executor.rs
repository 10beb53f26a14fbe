//! `executor:`: where an experiment's runs execute. `local` (the default)
//! runs them as child processes of `workbench run`; `slurm` submits them as
//! one Slurm job array whose tasks run `workbench worker` on nodes that
//! share the results directory.

use super::resolve::key;
use super::{Diagnostic, Spec};
use serde::{Deserialize, Serialize};

/// `executor:` as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExecutor {
    /// `local` or `slurm`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `--partition`.
    #[serde(default)]
    pub partition: Option<String>,
    /// `--time`, e.g. `30`, `2:00:00`, `1-00:00:00`.
    #[serde(default)]
    pub time: Option<String>,
    /// `--cpus-per-task`.
    #[serde(default)]
    pub cpus_per_task: Option<u32>,
    /// `--mem`, e.g. `4G`.
    #[serde(default)]
    pub mem: Option<String>,
    /// `--gres`, e.g. `gpu:1` or `gpu:a100:2`.
    #[serde(default)]
    pub gres: Option<String>,
    /// GPUs per task, a count: `--gres=gpu:N` (instead of `gres`).
    #[serde(default)]
    pub gpus: Option<u32>,
    /// Array tasks running at once (`--array=...%K`).
    #[serde(default)]
    pub array_parallelism: Option<usize>,
    /// `--account`.
    #[serde(default)]
    pub account: Option<String>,
    /// `--qos`.
    #[serde(default)]
    pub qos: Option<String>,
    /// Runs per array task (run one after another in one allocation).
    #[serde(default)]
    pub pack: Option<usize>,
    /// `--requeue`: a preempted or requeued task continues from its last
    /// checkpoint where the plugin can.
    #[serde(default)]
    pub requeue: Option<bool>,
    /// Further `#SBATCH` lines, e.g. `--constraint=avx512`.
    #[serde(default)]
    pub extra: Vec<String>,
    /// Seconds between two questions to Slurm while watching.
    #[serde(default)]
    pub poll_seconds: Option<f64>,
}

/// Where the runs execute.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Executor {
    /// Child processes of `workbench run`, `parallel` at a time.
    #[default]
    Local,
    /// One Slurm job array.
    Slurm(Box<SlurmOptions>),
}

/// How runs are submitted to Slurm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlurmOptions {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time`.
    pub time: Option<String>,
    /// `--cpus-per-task`.
    pub cpus: Option<u32>,
    /// `--mem`.
    pub mem: Option<String>,
    /// `--gres` (e.g. `gpu:1`).
    pub gres: Option<String>,
    /// Array tasks at once (`%K`); none: as many as Slurm allows.
    pub throttle: Option<usize>,
    /// `--account`.
    pub account: Option<String>,
    /// `--qos`.
    pub qos: Option<String>,
    /// Runs per array task.
    pub pack: usize,
    /// `--requeue` (else `--no-requeue`).
    pub requeue: bool,
    /// Extra `#SBATCH` lines (options, without `#SBATCH`).
    pub extra: Vec<String>,
    /// Seconds between two state queries.
    pub poll_seconds: f64,
}

impl Default for SlurmOptions {
    fn default() -> Self {
        SlurmOptions {
            partition: None,
            time: None,
            cpus: None,
            mem: None,
            gres: None,
            throttle: None,
            account: None,
            qos: None,
            pack: 1,
            requeue: false,
            extra: Vec::new(),
            poll_seconds: 2.0,
        }
    }
}

const KINDS: &[&str] = &["local", "slurm"];

/// A value that goes onto an `#SBATCH` line: one token, printable, no quotes.
fn plain_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '\'' | '"' | '`' | '\\' | '$'))
}

/// `time:` as Slurm reads it: minutes, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`.
fn slurm_time(s: &str) -> bool {
    let (days, rest) = match s.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, s),
    };
    let num = |p: &str| !p.is_empty() && p.len() <= 6 && p.chars().all(|c| c.is_ascii_digit());
    if days.is_some_and(|d| !num(d)) {
        return false;
    }
    let parts: Vec<&str> = rest.split(':').collect();
    parts.len() <= 3 && parts.iter().all(|p| num(p))
}

/// Checks `executor:` into an [`Executor`], pushing located errors.
pub(super) fn resolve_executor(
    spec: &Spec,
    raw: Option<&RawExecutor>,
    diags: &mut Vec<Diagnostic>,
) -> Executor {
    let Some(raw) = raw else {
        return Executor::Local;
    };
    let at = |field: &str| [key("executor"), key(field)];
    let kind = raw.kind.as_deref().unwrap_or("local");
    if !KINDS.contains(&kind) {
        diags.push(spec.diag(
            &at("kind"),
            format!("unknown executor `{kind}`"),
            Some(format!("executors: {}", KINDS.join(", "))),
        ));
        return Executor::Local;
    }
    let mut opts = SlurmOptions::default();
    let text = |field: &str, value: &Option<String>, diags: &mut Vec<Diagnostic>| {
        let v = value.as_ref()?;
        if !plain_token(v) {
            diags.push(spec.diag(
                &at(field),
                format!("`{v}` is not a single Slurm token (no spaces, quotes, `$` or `\\`)"),
                None,
            ));
            return None;
        }
        Some(v.clone())
    };
    opts.partition = text("partition", &raw.partition, diags);
    opts.account = text("account", &raw.account, diags);
    opts.qos = text("qos", &raw.qos, diags);
    opts.mem = text("mem", &raw.mem, diags);
    opts.time = text("time", &raw.time, diags);
    if let Some(t) = &opts.time {
        if !slurm_time(t) {
            diags.push(spec.diag(
                &at("time"),
                format!("`{t}` is not a Slurm time limit"),
                Some("minutes (`30`), `H:MM:SS` or `D-HH:MM:SS`".into()),
            ));
        }
    }
    opts.gres = text("gres", &raw.gres, diags);
    match raw.gpus {
        Some(_) if raw.gres.is_some() => {
            diags.push(spec.diag(&at("gpus"), "give `gres` or `gpus`, not both", None))
        }
        Some(n) if n > 64 => diags.push(spec.diag(&at("gpus"), "must be 0-64", None)),
        Some(0) | None => {}
        Some(n) => opts.gres = Some(format!("gpu:{n}")),
    }
    if let Some(c) = raw.cpus_per_task {
        if c == 0 || c > 4096 {
            diags.push(spec.diag(&at("cpus_per_task"), "must be 1-4096", None));
        }
        opts.cpus = Some(c);
    }
    if let Some(t) = raw.array_parallelism {
        if t == 0 {
            diags.push(spec.diag(&at("array_parallelism"), "must be at least 1", None));
        }
        opts.throttle = Some(t);
    }
    if let Some(p) = raw.pack {
        if p == 0 || p > 10_000 {
            diags.push(spec.diag(&at("pack"), "must be 1-10000", None));
        }
        opts.pack = p.max(1);
    }
    opts.requeue = raw.requeue.unwrap_or(false);
    if let Some(s) = raw.poll_seconds {
        if !(0.05..=3600.0).contains(&s) {
            diags.push(spec.diag(&at("poll_seconds"), "must be in [0.05, 3600]", None));
        }
        opts.poll_seconds = s.clamp(0.05, 3600.0);
    }
    for (i, line) in raw.extra.iter().enumerate() {
        let line = line.trim().trim_start_matches("#SBATCH").trim();
        let ok = line.starts_with('-')
            && !line.contains('\n')
            && line.len() <= 512
            && !line.contains("--array")
            && !line.starts_with("--output")
            && !line.starts_with("-o")
            && !line.contains("--parsable");
        if !ok {
            diags.push(spec.diag(
                &[key("executor"), key("extra"), super::Seg::Index(i)],
                format!("`{line}` is not an sbatch option this executor can pass"),
                Some("one option per item, e.g. `--constraint=avx512`; --array and --output are the executor's".into()),
            ));
        }
        opts.extra.push(line.to_string());
    }
    match kind {
        "slurm" => Executor::Slurm(Box::new(opts)),
        _ => Executor::Local,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_times() {
        for ok in ["30", "1:00", "2:00:00", "1-00", "1-2:00", "7-00:00:00"] {
            assert!(slurm_time(ok), "{ok}");
        }
        for bad in ["", "1h", "1:2:3:4", "-1", "1-", "a-1", "1 h"] {
            assert!(!slurm_time(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_refuse_what_a_script_would_interpret() {
        assert!(plain_token("gpu-a100"));
        for bad in ["", "a b", "x'y", "$(rm)", "a\\b", "`x`", "a\nb"] {
            assert!(!plain_token(bad), "{bad:?}");
        }
    }
}
