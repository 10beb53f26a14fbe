//! The command line: parsing with clap, running a command, and turning
//! every error into a message and an exit code (never a panic).

use crate::host::Discovery;
use crate::spec::{LoadError, Spec};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

mod data;
pub(crate) mod inspect;
mod new;
mod ocr;
mod plot;
mod recognize;
mod reconstruct;
pub(crate) mod run;
mod segment;

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
    /// Results directory of the terminal UI (`workbench` alone; commands
    /// take `--results` after their name).
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
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
        /// Keep runs already done, run the others again in their directories
        /// (continuing from their last checkpoint where the plugin can).
        #[arg(long)]
        resume: bool,
        /// Where the runs execute: `local` child processes, or one `slurm`
        /// job array (options from the spec's `executor:` block).
        #[arg(long, value_enum)]
        executor: Option<ExecutorArg>,
        /// With the slurm executor: return right after submitting, printing
        /// the job id (`workbench watch EXPERIMENT` follows it later).
        #[arg(long)]
        detach: bool,
        #[command(flatten)]
        results: ResultsArg,
    },
    /// Follow an experiment's Slurm submission again: its runs live, as
    /// `workbench run` shows them, until they end.
    Watch {
        /// The experiment's name (its directory under the results directory).
        experiment: String,
        /// Show progress lines and a final table instead of the terminal UI.
        #[arg(long)]
        headless: bool,
        #[command(flatten)]
        results: ResultsArg,
    },
    /// Reconstruct images with a trained autoencoder run.
    Reconstruct {
        /// The run directory (results/<experiment>/<run-id>).
        #[arg(long = "run", value_name = "RUN_DIR")]
        run_dir: PathBuf,
        /// Images (PNG or JPEG); converted to gray and resized to the run's input size.
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// Where to write the reconstructions (default: RUN_DIR/reconstructions).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Read word images with the bundled reader or a trained recognizer
    /// run; with `--labels`, score them and print an error report.
    Recognize {
        /// A trained recognizer: its run directory or `EXPERIMENT/NAME` (the
        /// newest done run of that name); default: the bundled reader.
        #[arg(long = "run", value_name = "RUN")]
        run: Option<String>,
        /// Word images (PNG or JPEG).
        #[arg(required_unless_present = "labels")]
        images: Vec<PathBuf>,
        /// A `filename,text` CSV (file names relative to it): read those
        /// images and print CER, WER, word accuracy, the confusions and the
        /// errors by character class.
        #[arg(long, value_name = "CSV", conflicts_with = "images")]
        labels: Option<PathBuf>,
        /// Write the CSV (`filename,text,confidence`, plus `truth` with
        /// `--labels`) here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        results: ResultsArg,
    },
    /// The page pipeline: segment pages, read every word with a trained
    /// recognizer, write the words with positions, the text, hOCR, ALTO
    /// and PAGE XML.
    Ocr {
        /// Segmenter variant (`VARIANT` or `PLUGIN/VARIANT`).
        #[arg(long, default_value = "cca")]
        segmenter: String,
        /// A trained recognizer: its run directory or `EXPERIMENT/NAME`;
        /// default: the bundled reader.
        #[arg(long, value_name = "RUN")]
        recognizer: Option<String>,
        /// Page images (PNG or JPEG).
        #[arg(required = true)]
        pages: Vec<PathBuf>,
        /// Output directory: NAME.json, NAME.txt, NAME.hocr, NAME.alto.xml,
        /// NAME.page.xml per page (the formats chosen).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Only these formats (repeatable; default json, txt and hocr).
        #[arg(long = "format", value_enum)]
        formats: Vec<ocr::OcrFormat>,
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
        #[command(flatten)]
        results: ResultsArg,
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
        /// Columns before the metrics, comma-separated: name, run, plugin,
        /// variant, n, seeds, checkpoint or a parameter (default: the name,
        /// what differs between rows, and n). CSV always has every column.
        #[arg(long, value_delimiter = ',')]
        columns: Vec<String>,
        /// Which invocations' runs to pool: `latest` (per configuration, the
        /// newest `workbench run` that ran it), `all`, or one invocation id.
        #[arg(long, default_value = "latest", value_name = "latest|all|ID")]
        invocations: String,
        /// LaTeX caption (default: the experiment's results).
        #[arg(long)]
        caption: Option<String>,
        /// LaTeX label (default: tab:EXPERIMENT).
        #[arg(long)]
        label: Option<String>,
        /// Instead of the results table, where each run executed: executor,
        /// Slurm job and array task, node, start and end.
        #[arg(long = "where")]
        placement: bool,
        /// `runs`: one row per configuration, one column per metric;
        /// `one-class`: one row per configuration, one column per normal
        /// class and their mean, with the Deep SVDD row quoted from Ruff et
        /// al. (2018) (one metric, default anomaly_auroc); `auto`: `one-class`
        /// when the runs come from `evaluation: {protocol: one-class}`.
        #[arg(long, default_value = "auto", value_name = "auto|runs|one-class")]
        layout: String,
        /// LaTeX: numeric columns as siunitx `S` columns aligned on the
        /// decimal point (needs \usepackage{siunitx}).
        #[arg(long)]
        siunitx: bool,
        #[command(flatten)]
        results: ResultsArg,
    },
    /// Draw one metric of an experiment's runs in one figure (PNG or SVG):
    /// axes, legend, title; seeds of a configuration as mean ± std bands.
    Plot {
        /// Experiment name.
        experiment: String,
        /// The metric: a name in the runs' metrics.csv (`loss`, `val_loss`, `val_cer`, ...).
        #[arg(long, default_value = "loss")]
        metric: String,
        /// Only these runs (their names), comma-separated.
        #[arg(long, value_delimiter = ',')]
        runs: Vec<String>,
        /// The x axis: `step` or `epoch`.
        #[arg(long, default_value = "step", value_parser = ["step", "epoch"])]
        x: String,
        /// Exponential smoothing, 0 (none) up to 1.
        #[arg(long, default_value_t = 0.0)]
        smooth: f64,
        /// A logarithmic y axis.
        #[arg(long)]
        log_y: bool,
        /// The title (default: the experiment and the metric).
        #[arg(long)]
        title: Option<String>,
        /// Which invocations' runs: latest (per configuration), all, or an id.
        #[arg(long, default_value = "latest", value_name = "latest|all|ID")]
        invocations: String,
        /// Figure size in pixels.
        #[arg(long, default_value = "900x560", value_parser = plot::parse_size)]
        size: (u32, u32),
        /// The figure: FILE.png or FILE.svg.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        results: ResultsArg,
    },
    /// Segment page images with a segmenter plugin: one JSON per page.
    Segment {
        /// Segmenter plugin name.
        #[arg(long)]
        plugin: String,
        /// Variant of the plugin.
        #[arg(long)]
        variant: String,
        /// A variant parameter: name=value (repeatable), checked against the variant.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Page images (PNG/JPEG) or directories of them.
        #[arg(required = true, value_name = "PAGE")]
        pages: Vec<PathBuf>,
        /// Where the JSON files (and overlays) go.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also write NAME.overlay.png with word boxes (blue) and image boxes (orange).
        #[arg(long)]
        overlay: bool,
        /// Also search this directory for plugins (repeatable).
        #[arg(long = "plugins", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// Scaffold a new plugin crate.
    New {
        /// What to create.
        #[command(subcommand)]
        what: NewCommand,
    },
    /// Datasets: download the real ones.
    Data {
        /// What to do.
        #[command(subcommand)]
        action: DataCommand,
    },
    /// Shell completions (bash, zsh, fish, elvish, powershell) on stdout,
    /// e.g. `workbench completions bash > ~/.local/share/bash-completion/completions/workbench`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// The manual page (roff) on stdout, e.g. `workbench man > workbench.1`.
    Man,
    /// Internal: run one prepared run (started by `workbench run`).
    #[command(hide = true)]
    Worker {
        /// The run directory.
        run_dir: PathBuf,
        /// A directory the experiment searches for plugins (repeatable).
        #[arg(long = "plugins", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
        /// Write events to RUN_DIR/events.jsonl and stderr to RUN_DIR/log.txt,
        /// and stop when RUN_DIR/stop appears (no pipe to the parent: a Slurm task).
        #[arg(long)]
        events_file: bool,
        /// The Slurm task was requeued: continue from the last checkpoint.
        #[arg(long)]
        requeued: bool,
    },
}

/// `--executor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutorArg {
    /// Child processes of this command, `parallel` at a time.
    Local,
    /// One Slurm job array (`sbatch`).
    Slurm,
}

/// `workbench new ...`
#[derive(Subcommand, Debug)]
pub enum NewCommand {
    /// A segmenter plugin crate (outside the workspace) with a working example and a test.
    Segmenter {
        /// Plugin and crate name (lower-case letters, digits, dashes).
        name: String,
        /// Directory to create (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Path to workbench-api's crate (default: the source tree this binary was built from).
        #[arg(long, value_name = "PATH")]
        api: Option<PathBuf>,
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
    /// Write synthetic pages with ground truth (the pages format) to a directory.
    Pages {
        /// Where to write NAME.png + NAME.json.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// How many pages.
        #[arg(long, default_value_t = 4)]
        count: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Resolution (300 gives 2480 × 3508 A4 pages).
        #[arg(long, default_value_t = 100.0)]
        dpi: f32,
        /// Degrade the pages as experiments/segmenters-noisy.yaml does.
        #[arg(long)]
        noisy: bool,
    },
    /// Born-digital PDFs into the pages format: page PNGs with every word
    /// of the text layer (ink-tight box and font box), raster image and
    /// vector graphics regions (needs poppler-utils and ghostscript).
    Pdf {
        /// The PDF files.
        #[arg(required = true)]
        pdfs: Vec<PathBuf>,
        /// Where to write STEM-pNNN.png + STEM-pNNN.json.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Render resolution.
        #[arg(long, default_value_t = 150.0)]
        dpi: f32,
        /// Pages to convert, e.g. `1-20,31` or `5-` (default: all).
        #[arg(long, value_name = "LIST")]
        pages: Option<String>,
        /// Also write word crops (ink box + 2 px) with labels.csv to OUT/words/.
        #[arg(long)]
        words: bool,
        /// Degrade the page images like a scan (noise, blur, JPEG, small
        /// rotation, uneven light), seeded; boxes follow the rotation.
        #[arg(long, value_name = "SEED")]
        degrade: Option<u64>,
    },
}

/// An error with the exit code it deserves.
#[derive(Debug)]
pub(crate) struct Exit {
    pub(crate) code: i32,
    pub(crate) error: anyhow::Error,
}

/// Refuses inputs whose outputs would share a name: files with one stem
/// (`a/x.png`, `b/x.png`) would write the same `x.*` into one directory.
pub(crate) fn distinct_stems(paths: &[PathBuf]) -> Result<(), Exit> {
    let stems: Vec<_> = paths.iter().map(|p| p.file_stem()).collect();
    for (i, s) in stems.iter().enumerate() {
        if let Some(j) = stems[..i].iter().position(|t| t == s) {
            return Err(usage(anyhow::anyhow!(
                "{} and {} would write outputs of the same names; give them different names or process them into different --out directories",
                paths[j].display(),
                paths[i].display()
            )));
        }
    }
    Ok(())
}

pub(crate) fn usage(e: impl Into<anyhow::Error>) -> Exit {
    Exit {
        code: EXIT_USAGE,
        error: e.into(),
    }
}

pub(crate) fn failure(e: impl Into<anyhow::Error>) -> Exit {
    Exit {
        code: EXIT_FAILURE,
        error: e.into(),
    }
}

/// Parses arguments, runs the command and returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(_) if cli.results.is_some() => Err(usage(anyhow::anyhow!(
            "--results goes after the command's name, e.g. `workbench runs --results DIR`"
        ))),
        None if std::io::stdout().is_terminal() => cmd_browse(cli.results),
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
            eprintln!("error: {}", message(&error));
            code
        }
    }
}

/// An error and its causes, each said once: a cause whose text the message
/// so far already contains (an error that prints its source) is left out,
/// and control characters are escaped so names from files cannot drive the
/// terminal.
pub(crate) fn message(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.chars()
        .flat_map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn dispatch(cmd: Command) -> Result<i32, Exit> {
    match cmd {
        Command::Run {
            spec,
            headless,
            set,
            resume,
            executor,
            detach,
            results,
        } => run::cmd_run(
            &spec,
            &set,
            run::RunOptions {
                resume,
                headless,
                executor,
                detach,
            },
            &results.results,
        ),
        Command::Plot {
            experiment,
            metric,
            runs,
            x,
            smooth,
            log_y,
            title,
            invocations,
            size,
            out,
            results,
        } => plot::cmd_plot(
            &experiment,
            plot::PlotChoices {
                metric,
                runs,
                x: if x == "epoch" {
                    crate::plot::XAxis::Epoch
                } else {
                    crate::plot::XAxis::Step
                },
                smooth,
                log_y,
                title,
                invocations,
                size,
            },
            &out,
            &results.results,
        ),
        Command::Watch {
            experiment,
            headless,
            results,
        } => run::cmd_watch(&experiment, headless, &results.results),
        Command::Ocr {
            segmenter,
            recognizer,
            pages,
            out,
            formats,
            results,
        } => ocr::cmd_ocr(
            &segmenter,
            recognizer.as_deref(),
            &results.results,
            &pages,
            &out,
            &formats,
        ),
        Command::Recognize {
            run,
            images,
            labels,
            out,
            results,
        } => recognize::cmd_recognize(
            run.as_deref(),
            &results.results,
            &images,
            labels.as_deref(),
            out.as_deref(),
        ),
        Command::Reconstruct {
            run_dir,
            images,
            out,
        } => reconstruct::cmd_reconstruct(&run_dir, &images, out.as_deref()),
        Command::Validate { spec, set, results } => cmd_validate(&spec, &set, &results.results),
        Command::Plugins { dirs } => inspect::cmd_plugins(&dirs),
        Command::Runs {
            experiment,
            results,
        } => inspect::cmd_runs(experiment.as_deref(), &results.results),
        Command::Report {
            experiment,
            format,
            metrics,
            out,
            placement,
            columns,
            invocations,
            caption,
            label,
            layout,
            siunitx,
            results,
        } => inspect::cmd_report(
            &experiment,
            &format,
            &metrics,
            out.as_deref(),
            inspect::ReportChoices {
                placement,
                columns,
                invocations,
                caption,
                label,
                layout,
                siunitx,
            },
            &results.results,
        ),
        Command::Data {
            action: DataCommand::Fetch { name, dir },
        } => data::cmd_fetch(&name, &dir),
        Command::Data {
            action:
                DataCommand::Pages {
                    out,
                    count,
                    seed,
                    dpi,
                    noisy,
                },
        } => data::cmd_pages(&out, count, seed, dpi, noisy),
        Command::Data {
            action:
                DataCommand::Pdf {
                    pdfs,
                    out,
                    dpi,
                    pages,
                    words,
                    degrade,
                },
        } => data::cmd_pdf(
            &pdfs,
            &out,
            &crate::data::pdf::PdfOptions {
                dpi,
                pages,
                words,
                degrade,
            },
        ),
        Command::Segment {
            plugin,
            variant,
            set,
            pages,
            out,
            overlay,
            plugin_dirs,
        } => segment::cmd_segment(segment::SegmentArgs {
            plugin: &plugin,
            variant: &variant,
            set: &set,
            pages: &pages,
            out: &out,
            overlay,
            plugin_dirs: &plugin_dirs,
        }),
        Command::New {
            what: NewCommand::Segmenter { name, dir, api },
        } => new::cmd_new_segmenter(&name, dir.as_deref(), api.as_deref()),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "workbench", &mut std::io::stdout());
            Ok(0)
        }
        Command::Man => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(failure)?;
            Ok(0)
        }
        Command::Worker {
            run_dir,
            plugin_dirs,
            events_file,
            requeued,
        } => crate::worker::run(
            &run_dir,
            &plugin_dirs,
            crate::worker::WorkerMode {
                events_file,
                requeued,
            },
        )
        .map(|_| 0)
        .map_err(failure),
    }
}

/// Loads a spec and resolves it against the plugins it can see
/// ([`crate::spec::load_experiment`]), its errors as exit codes.
pub(crate) fn load(
    spec_path: &Path,
    set: &[String],
    results_root: &Path,
) -> Result<(Spec, Discovery, crate::spec::resolve::Experiment), Exit> {
    crate::spec::load_experiment(spec_path, set, results_root).map_err(|e| match e {
        LoadError::Usage(e) => usage(e),
        LoadError::Failure(e) => failure(e),
    })
}

/// `workbench` alone in a terminal: the UI over `experiments/` and `results/`.
fn cmd_browse(results: Option<PathBuf>) -> Result<i32, Exit> {
    let exe = std::env::current_exe().map_err(failure)?;
    let results = results
        .or_else(|| std::env::var_os("WORKBENCH_RESULTS").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("results"));
    crate::tui::browse(&exe, &results, Path::new("experiments")).map_err(failure)?;
    Ok(0)
}

fn cmd_validate(spec_path: &Path, set: &[String], results_root: &Path) -> Result<i32, Exit> {
    let (_spec, _discovery, exp) = load(spec_path, set, results_root)?;
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

#[cfg(test)]
mod message_tests {
    use super::message;

    #[test]
    fn every_cause_is_said_once_and_control_characters_are_escaped() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let inner = crate::data::DataError::Io {
            path: "x.csv".into(),
            source: io,
        };
        let e = anyhow::Error::new(inner).context("cannot score");
        assert_eq!(message(&e), "cannot score: cannot read x.csv: No such file");
        let e = anyhow::anyhow!("name \u{1b}[31mred");
        assert_eq!(message(&e), "name \\u{1b}[31mred");
    }
}
