//! The command line: parsing with clap, running a command, and turning
//! every error into a message and an exit code (never a panic).

use crate::datasets::DatasetSpec;
use crate::headless::Headless;
use crate::host::{discover, search_dirs, Discovery};
use crate::report::{build_table, render, Format, RunRecord};
use crate::results::{list_runs, RunStatus};
use crate::scheduler::{prepare, Cancel};
use crate::spec::{resolve, Override, Spec, SpecError};
use anyhow::{anyhow, Context as _};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

/// Exit code: a spec, argument or input problem.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: the command ran but something failed (a run, a file).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: cancelled by the user.
pub const EXIT_CANCELLED: i32 = 130;

/// A terminal workbench for document-image ML experiments.
#[derive(Parser, Debug)]
#[command(name = "workbench", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where results live.
#[derive(Args, Debug, Clone)]
pub struct ResultsArg {
    /// Results directory.
    #[arg(
        long,
        value_name = "DIR",
        env = "WORKBENCH_RESULTS",
        default_value = "results"
    )]
    pub results: PathBuf,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run every run of an experiment spec.
    Run {
        /// The experiment spec (YAML).
        spec: PathBuf,
        /// Show progress bars and a final table instead of the terminal UI.
        #[arg(long)]
        headless: bool,
        /// Override a spec value: key.path=value (repeatable), e.g. train.epochs=3.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        results: ResultsArg,
    },
    /// Check a spec and print the runs it plans, without running anything.
    Validate {
        /// The experiment spec (YAML).
        spec: PathBuf,
        /// Override a spec value: key.path=value (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// List the plugins found, and the files refused with why.
    Plugins {
        /// Also search this directory (repeatable).
        #[arg(long = "dir", value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
    /// List past runs with status and headline metrics.
    Runs {
        /// Only this experiment.
        experiment: Option<String>,
        #[command(flatten)]
        results: ResultsArg,
    },
    /// Print the thesis-style table of an experiment's runs.
    Report {
        /// Experiment name.
        experiment: String,
        /// Output format: md, csv or latex.
        #[arg(long, default_value = "md")]
        format: String,
        /// Metrics to show, comma-separated (default: the spec's).
        #[arg(long, value_delimiter = ',')]
        metrics: Vec<String>,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        results: ResultsArg,
    },
    /// Datasets: download the real ones.
    Data {
        /// What to do.
        #[command(subcommand)]
        action: DataCommand,
    },
    /// Internal: run one prepared run (started by `workbench run`).
    #[command(hide = true)]
    Worker {
        /// The run directory.
        run_dir: PathBuf,
    },
}

/// `workbench data ...`
#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Download a dataset.
    Fetch {
        /// Which one (only `mnist`).
        name: String,
        /// Where to put it.
        #[arg(long, default_value = "data/mnist")]
        dir: PathBuf,
    },
}

/// An error with the exit code it deserves.
#[derive(Debug)]
struct Exit {
    code: i32,
    error: anyhow::Error,
}

fn usage(e: impl Into<anyhow::Error>) -> Exit {
    Exit {
        code: EXIT_USAGE,
        error: e.into(),
    }
}

fn failure(e: impl Into<anyhow::Error>) -> Exit {
    Exit {
        code: EXIT_FAILURE,
        error: e.into(),
    }
}

/// Parses arguments, runs the command and returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            Ok(0)
        }
        Some(cmd) => dispatch(cmd),
    };
    match result {
        Ok(code) => code,
        Err(Exit { code, error }) => {
            eprintln!("error: {error:#}");
            code
        }
    }
}

fn dispatch(cmd: Command) -> Result<i32, Exit> {
    match cmd {
        Command::Run {
            spec,
            headless: _,
            set,
            results,
        } => cmd_run(&spec, &set, &results.results),
        Command::Validate { spec, set } => cmd_validate(&spec, &set),
        Command::Plugins { dirs } => cmd_plugins(&dirs),
        Command::Runs {
            experiment,
            results,
        } => cmd_runs(experiment.as_deref(), &results.results),
        Command::Report {
            experiment,
            format,
            metrics,
            out,
            results,
        } => cmd_report(
            &experiment,
            &format,
            &metrics,
            out.as_deref(),
            &results.results,
        ),
        Command::Data {
            action: DataCommand::Fetch { name, dir },
        } => cmd_fetch(&name, &dir),
        Command::Worker { run_dir } => crate::worker::run(&run_dir).map(|_| 0).map_err(failure),
    }
}

/// Loads a spec and resolves it against the plugins it can see.
fn load(
    spec_path: &Path,
    set: &[String],
) -> Result<(Spec, Discovery, crate::spec::resolve::Experiment), Exit> {
    let overrides = set
        .iter()
        .map(|s| Override::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(anyhow!(e)))?;
    let spec = Spec::load(spec_path, &overrides).map_err(usage)?;
    let configured: Vec<(PathBuf, String)> = spec
        .plugin_dirs()
        .into_iter()
        .map(|(dir, path)| {
            (
                dir,
                format!(
                    "{} {}",
                    spec.path.display(),
                    crate::spec::path_to_string(&path)
                ),
            )
        })
        .collect();
    let discovery = match discover(&search_dirs(&configured)) {
        Ok(d) => d,
        Err(crate::host::HostError::MissingDir { dir, origin }) => {
            let index = configured.iter().position(|(d, _)| *d == dir);
            let err = match index {
                Some(i) => SpecError::Invalid(vec![spec.diag(
                    &[crate::spec::Seg::Key("plugins".into()), crate::spec::Seg::Index(i)],
                    format!("plugin directory {} does not exist", dir.display()),
                    Some("paths under `plugins:` are relative to the spec file; build the plugins with `cargo build --release`".into()),
                )])
                .into(),
                None => anyhow!("plugin directory {} (from {origin}) does not exist", dir.display()),
            };
            return Err(usage(err));
        }
        Err(e) => return Err(failure(e)),
    };
    let entries: Vec<_> = discovery.plugins.iter().map(|p| p.entry.clone()).collect();
    let exp = resolve(&spec, &entries).map_err(|e| {
        let mut msg = e.to_string();
        if entries.is_empty() || msg.contains("no plugin named") {
            msg.push_str(&format!(
                "\nplugins were searched in: {}",
                discovery.searched_list()
            ));
        }
        usage(anyhow!(msg))
    })?;
    Ok((spec, discovery, exp))
}

fn cmd_validate(spec_path: &Path, set: &[String]) -> Result<i32, Exit> {
    let (_spec, _discovery, exp) = load(spec_path, set)?;
    println!(
        "experiment `{}`: {} run(s), {} at a time",
        exp.name,
        exp.runs.len(),
        exp.parallel
    );
    for run in &exp.runs {
        let params = serde_json::to_string(&run.params).unwrap_or_default();
        println!(
            "  {:>3}  {}  {}/{}  seed={}  epochs={}  params={params}",
            run.index, run.name, run.plugin, run.variant, run.train.seed, run.train.epochs
        );
    }
    println!("metrics: {}", exp.metrics.join(", "));
    Ok(0)
}

fn cmd_run(spec_path: &Path, set: &[String], results_root: &Path) -> Result<i32, Exit> {
    let (_spec, _discovery, exp) = load(spec_path, set)?;
    let prepared = prepare(&exp, results_root).map_err(failure)?;
    let exp_dir = prepared.exp_dir.clone();
    let cancel = Cancel::default();
    {
        let cancel = cancel.clone();
        ctrlc::set_handler(move || cancel.request()).map_err(failure)?;
    }
    // The terminal UI arrives with its own issue; until then every run is headless.
    let mut view = Headless::new(exp.runs.len());
    let exe = std::env::current_exe()
        .context("cannot find the workbench binary")
        .map_err(failure)?;
    let summaries = prepared
        .execute(&exe, &mut view, &cancel)
        .map_err(failure)?;

    let records: Vec<RunRecord> = summaries
        .iter()
        .map(|s| record(s, &exp_dir.join(&s.run_id)))
        .collect();
    let table = build_table(&records, &exp.metrics);
    println!();
    println!("{}", render(&table, Format::Markdown));
    println!("results: {}", exp_dir.display());
    let count = |st: RunStatus| summaries.iter().filter(|s| s.status == Some(st)).count();
    let (done, cancelled) = (count(RunStatus::Done), count(RunStatus::Cancelled));
    println!(
        "{done} done, {} failed, {} diverged, {cancelled} cancelled",
        count(RunStatus::Failed),
        count(RunStatus::Diverged)
    );
    Ok(if cancel.count() > 0 {
        EXIT_CANCELLED
    } else if done == summaries.len() {
        0
    } else {
        EXIT_FAILURE
    })
}

/// A results-store summary as a report row.
fn record(s: &crate::results::RunSummary, run_dir: &Path) -> RunRecord {
    RunRecord {
        run_id: s.run_id.clone(),
        plugin: s.plugin.clone(),
        variant: s.variant.clone(),
        params: s.key_params.clone(),
        seed: s.seed,
        status: s
            .status
            .map(|st| st.name().to_string())
            .unwrap_or_else(|| "unknown".into()),
        checkpoint: s
            .checkpoint
            .as_ref()
            .map(|c| run_dir.join(c).display().to_string()),
        metrics: s.metrics.clone(),
    }
}

fn cmd_plugins(dirs: &[PathBuf]) -> Result<i32, Exit> {
    let configured: Vec<(PathBuf, String)> = dirs
        .iter()
        .map(|d| (d.clone(), "--dir".to_string()))
        .collect();
    let discovery = discover(&search_dirs(&configured)).map_err(usage)?;
    println!("searched: {}", discovery.searched_list());
    if discovery.plugins.is_empty() {
        println!("no plugins found");
    }
    for p in &discovery.plugins {
        let e = &p.entry;
        println!(
            "\n{} {}  ({}, ABI {}, workbench-api {})\n  file: {}",
            e.name,
            e.version,
            e.kind,
            e.abi_version,
            e.api_version,
            e.file.display()
        );
        for v in &e.variants {
            println!("  variant {:<16} {}", v.name, v.description);
            for param in &v.params {
                let kind = match &param.kind {
                    workbench_api::ParamKind::Int { min, max } => format!("int {min}..={max}"),
                    workbench_api::ParamKind::Float { min, max } => format!("number {min}..={max}"),
                    workbench_api::ParamKind::Bool => "bool".into(),
                    workbench_api::ParamKind::Str { choices } if choices.is_empty() => {
                        "string".into()
                    }
                    workbench_api::ParamKind::Str { choices } => choices.join("|"),
                    workbench_api::ParamKind::IntList { min, max } => {
                        format!("list of int {min}..={max}")
                    }
                };
                println!(
                    "      {} ({kind}, default {}): {}",
                    param.name, param.default, param.doc
                );
            }
        }
    }
    if !discovery.refused.is_empty() {
        println!("\nrefused:");
        for r in &discovery.refused {
            println!("  {}: {}", r.file.display(), r.reason);
        }
    }
    Ok(0)
}

fn cmd_runs(experiment: Option<&str>, root: &Path) -> Result<i32, Exit> {
    if !root.is_dir() {
        println!("no runs yet ({} does not exist)", root.display());
        return Ok(0);
    }
    let runs = list_runs(root, experiment).map_err(usage)?;
    if runs.is_empty() {
        println!("no runs under {}", root.display());
        return Ok(0);
    }
    for (_dir, s) in runs {
        let status = s.status.map(|st| st.name()).unwrap_or("unknown");
        let headline: Vec<String> = ["mse", "psnr", "cer", "word_f1", "accuracy"]
            .iter()
            .filter_map(|m| {
                s.metrics
                    .get(*m)
                    .map(|v| format!("{m}={}", crate::report::fmt_num(*v)))
            })
            .take(3)
            .collect();
        println!(
            "{:<48} {:<10} {:<20} {:<28} {}",
            s.run_id,
            status,
            format!("{}/{}", s.plugin, s.variant),
            s.experiment,
            headline.join(" ")
        );
    }
    Ok(0)
}

fn cmd_report(
    experiment: &str,
    format: &str,
    metrics: &[String],
    out: Option<&Path>,
    root: &Path,
) -> Result<i32, Exit> {
    let format: Format = format
        .parse()
        .map_err(|e: crate::report::ParseFormatError| usage(anyhow!(e.0)))?;
    let runs = list_runs(root, Some(experiment)).map_err(usage)?;
    if runs.is_empty() {
        return Err(usage(anyhow!(
            "experiment `{experiment}` has no runs under {}",
            root.display()
        )));
    }
    let metrics: Vec<String> = if metrics.is_empty() {
        spec_metrics(&runs[runs.len() - 1].0).unwrap_or_default()
    } else {
        metrics.to_vec()
    };
    let records: Vec<RunRecord> = runs.iter().map(|(dir, s)| record(s, dir)).collect();
    let table = build_table(&records, &metrics);
    let text = render(&table, format);
    match out {
        Some(path) => crate::results::write_atomic(path, text.as_bytes()).map_err(failure)?,
        None => print!("{text}"),
    }
    Ok(0)
}

/// The metrics list recorded in a run's resolved `spec.yaml`.
fn spec_metrics(run_dir: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(run_dir.join("spec.yaml")).ok()?;
    let value: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    serde_yaml::from_value(value.get("metrics")?.clone()).ok()
}

fn cmd_fetch(name: &str, dir: &Path) -> Result<i32, Exit> {
    if name != "mnist" {
        return Err(usage(anyhow!(
            "unknown dataset `{name}` (only `mnist` can be fetched)"
        )));
    }
    let files = crate::data::fetch::fetch_mnist(dir).map_err(failure)?;
    for f in &files {
        println!("{}", f.display());
    }
    // The files must load as a dataset before we call it done.
    let spec = DatasetSpec::Mnist(crate::datasets::MnistParams {
        dir: dir.to_path_buf(),
        train: None,
        val: 500,
        test: None,
    });
    let splits = spec.load().map_err(failure)?;
    println!(
        "mnist ready in {}: {} train, {} test images",
        dir.display(),
        splits.train.len() + splits.val.len(),
        splits.test.len()
    );
    Ok(0)
}
