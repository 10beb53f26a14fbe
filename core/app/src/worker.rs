//! The child side of a run (`workbench worker RUN_DIR`): load the data and
//! the plugin, train, save, score, and stream events to the parent.
//!
//! The worker owns `metrics.csv` (appended and flushed per line) and the
//! run's artifacts; the parent owns `summary.json`. Anything the plugin
//! prints goes to stderr, which the parent points at `log.txt`: the event
//! stream uses a private duplicate of the original stdout.

use crate::artifacts;
use crate::datasets::{Split, Splits};
use crate::evaluate::evaluate;
use crate::events::Event;
use crate::host::{find_plugin, HostContext, Instance, SearchDir};
use crate::plan::RunPlan;
use crate::plan::WorkerJob;
use crate::preprocess::Preprocessor;
use crate::results::{slug, MetricRow, MetricsLog, RunStatus};
use crate::trained::open_trained;
use anyhow::{bail, Context as _};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, Write};
use std::os::fd::FromRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use workbench_api::raw::{LOG_WARN, SPLIT_VAL};
use workbench_api::{Config, Image, OwnedImage};

/// The event channel to the parent.
#[derive(Clone)]
pub struct Emitter {
    out: Arc<Mutex<File>>,
}

impl Emitter {
    /// Takes over the process's stdout for events and points file
    /// descriptor 1 at stderr, so plugin output cannot corrupt the stream.
    #[allow(unsafe_code)] // listed in ARCHITECTURE.md, "Where `unsafe` lives"
    pub fn take_stdout() -> anyhow::Result<Emitter> {
        std::io::stdout().flush().ok();
        // SAFETY: plain descriptor calls on descriptors this process owns.
        let events_fd = unsafe { libc::dup(1) };
        if events_fd < 0 {
            bail!(
                "cannot duplicate stdout: {}",
                std::io::Error::last_os_error()
            );
        }
        // SAFETY: as above.
        if unsafe { libc::dup2(2, 1) } < 0 {
            bail!(
                "cannot redirect stdout: {}",
                std::io::Error::last_os_error()
            );
        }
        // SAFETY: `events_fd` is a fresh descriptor owned by nothing else.
        let file = unsafe { File::from_raw_fd(events_fd) };
        Ok(Emitter {
            out: Arc::new(Mutex::new(file)),
        })
    }

    /// Writes events to `path` instead (appended, one `write` per line, so a
    /// parent on another machine can follow the file), sends the worker's
    /// stderr to `log` and points file descriptor 1 there too. For a worker
    /// that no pipe connects to its parent (a Slurm array task). Neither
    /// file is opened through a symbolic link.
    #[allow(unsafe_code)] // listed in ARCHITECTURE.md, "Where `unsafe` lives"
    pub fn to_files(path: &Path, log: &Path) -> anyhow::Result<Emitter> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        let open = |p: &Path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(p)
                .with_context(|| format!("cannot open {}", p.display()))
        };
        let events = open(path)?;
        let log = open(log)?;
        std::io::stdout().flush().ok();
        std::io::stderr().flush().ok();
        for fd in [2, 1] {
            // SAFETY: plain descriptor calls on descriptors this process owns.
            if unsafe { libc::dup2(log.as_raw_fd(), fd) } < 0 {
                bail!(
                    "cannot redirect output to the log: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
        Ok(Emitter {
            out: Arc::new(Mutex::new(events)),
        })
    }

    /// Sends one event (one `write`, so lines never interleave).
    pub fn send(&self, event: &Event) {
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(event.to_line().as_bytes());
        }
    }
}

/// Watches stdin: a `stop` line, or the parent going away (end of input),
/// asks the run to stop.
fn watch_stdin(stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut asked = false;
        for line in stdin.lock().lines() {
            match line {
                Ok(l) if l.trim() == "stop" => {
                    asked = true;
                    break;
                }
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        stop.store(true, Ordering::SeqCst);
        if !asked {
            // The parent is gone (its end of the pipe closed without a
            // `stop`): nobody will read this run's events. Stop
            // cooperatively if training is under way; a worker still
            // loading or generating data, which checks no stop flag, ends
            // after a grace period instead of running on unwatched.
            std::thread::sleep(PARENT_GONE_GRACE);
            eprintln!(
                "the parent process is gone: exiting after {} s",
                PARENT_GONE_GRACE.as_secs()
            );
            std::process::exit(PARENT_GONE_EXIT);
        }
    });
}

/// Watches for the run's `stop` file (a worker with no pipe: the parent
/// asks it to stop by creating the file).
fn watch_stop_file(path: PathBuf, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || loop {
        if path.exists() {
            stop.store(true, Ordering::SeqCst);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    });
}

/// How a worker talks to its parent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerMode {
    /// Events to the run's `events.jsonl` and stderr to its `log.txt`; stop
    /// on its `stop` file (no pipe to the parent: a Slurm array task).
    pub events_file: bool,
    /// The task was requeued (preempted, or past a node failure): a variant
    /// that can continue from its last checkpoint does.
    pub requeued: bool,
}

/// How long a worker whose parent died may take to stop on its own.
const PARENT_GONE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);
/// The exit status of a worker that outlived its parent (as after SIGINT).
const PARENT_GONE_EXIT: i32 = 130;

/// The host side of the training context.
struct WorkerCtx {
    emitter: Emitter,
    metrics: MetricsLog,
    stop: Arc<AtomicBool>,
    diverged: Option<String>,
    last: BTreeMap<String, f64>,
    info: BTreeMap<String, String>,
    last_step: u64,
    last_epoch: u32,
    previews_dir: PathBuf,
    run_dir: PathBuf,
    metrics_error: Option<String>,
    /// When the worker began the run (`metrics.csv`'s `seconds`).
    started: Instant,
}

impl HostContext for WorkerCtx {
    fn report(&mut self, name: &str, value: f64, split: u32, step: u64, epoch: u32) {
        let split = if split == SPLIT_VAL { "val" } else { "train" };
        let row = MetricRow {
            step,
            epoch,
            split: split.to_string(),
            name: name.to_string(),
            value,
            seconds: Some(self.started.elapsed().as_secs_f64()),
        };
        if let Err(e) = self.metrics.append(&row) {
            self.metrics_error.get_or_insert(e.to_string());
        }
        self.emitter.send(&Event::Metric {
            step,
            epoch,
            split: split.to_string(),
            name: name.to_string(),
            value,
        });
        self.last.insert(format!("{split}_{name}"), value);
        self.last_step = step;
        self.last_epoch = epoch;
        if !value.is_finite() && name.contains("loss") && self.diverged.is_none() {
            self.diverged = Some(format!(
                "{split} {name} became {value} at step {step} (epoch {epoch})"
            ));
        }
    }

    fn log(&mut self, level: u32, message: &str) {
        let level = if level == LOG_WARN { "warn" } else { "info" };
        eprintln!("[{level}] {message}");
        self.emitter.send(&Event::Log {
            level: level.to_string(),
            message: message.to_string(),
        });
    }

    fn progress(&mut self, done: u64, total: u64) {
        self.emitter.send(&Event::Progress { done, total });
    }

    fn preview(&mut self, name: &str, image: Image<'_>) {
        let path = self.previews_dir.join(format!("{}.png", slug(name)));
        if artifacts::save_png(&path, &artifacts::single(&image)).is_ok() {
            let rel = path
                .strip_prefix(&self.run_dir)
                .unwrap_or(&path)
                .to_path_buf();
            self.emitter.send(&Event::Preview {
                name: name.to_string(),
                path: rel,
            });
        }
    }

    fn info(&mut self, key: &str, value: &str) {
        self.info.insert(key.to_string(), value.to_string());
        self.emitter.send(&Event::Info {
            key: key.to_string(),
            value: value.to_string(),
        });
    }

    fn should_stop(&mut self) -> bool {
        self.diverged.is_some() || self.stop.load(Ordering::SeqCst)
    }
}

/// The variable by which a worker process tells the plugins that it trains
/// on a thread that lives as long as the process: `workbench_ml::threads::ENV`
/// (the app does not link `workbench-ml`; the tidy test keeps the two equal).
pub const JOIN_POOL_ENV: &str = "WORKBENCH_WORKER_PROCESS";

/// Tells glibc's allocator to keep freed memory for reuse in this process
/// (plugins allocate through the same `malloc`): a training step frees and
/// allocates the same large buffers again, which glibc by default returns
/// to the kernel (buffers over its mmap threshold, and the heap's top past
/// its trim threshold) and then faults back in page by page. A CRNN epoch
/// took 1.3 million minor page faults and ran 15–20 % slower without this
/// (BENCHMARKS.md). Peak memory is unchanged: the buffers are reused, not
/// added. Elsewhere (musl, other systems) it does nothing.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)] // listed in ARCHITECTURE.md, "Where `unsafe` lives"
    // SAFETY: mallopt only sets allocator parameters; it is called before
    // the worker starts any thread of its own, and glibc serialises it with
    // allocations in any case.
    unsafe {
        // 32 MiB, the largest mmap threshold glibc accepts on 64-bit: only
        // larger buffers still get their own mapping.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}

/// Runs the job in `run_dir`. Returns after sending `Finished`; an error
/// here means the worker could not even report (the parent marks it failed).
///
/// Plugins, its own and those of the finished runs it uses, are loaded only
/// from `plugin_dirs` (the experiment's `plugins:` directories, passed by
/// the parent) and the directories every command searches
/// ([`crate::host::search_dirs`]); never from a path its `run.json` names.
pub fn run(run_dir: &Path, plugin_dirs: &[PathBuf], mode: WorkerMode) -> anyhow::Result<()> {
    keep_freed_memory();
    // Before any thread of ours exists: tells the plugins' training code
    // that this thread lives as long as the process, so it may join their
    // thread pool (see `workbench_ml::threads`).
    std::env::set_var(JOIN_POOL_ENV, "1");
    let dir = crate::results::RunDir::new(run_dir);
    let stop = Arc::new(AtomicBool::new(false));
    let emitter = if mode.events_file {
        let emitter = Emitter::to_files(&dir.events(), &dir.log())?;
        watch_stop_file(dir.stop_request(), stop.clone());
        emitter
    } else {
        let emitter = Emitter::take_stdout()?;
        watch_stdin(stop.clone());
        emitter
    };
    // `metrics.csv`'s `seconds` count from here, as the TUI's live points do.
    let started = Instant::now();
    emitter.send(&Event::Started {
        pid: std::process::id(),
    });
    if mode.events_file {
        for (key, value) in placement() {
            emitter.send(&Event::Info { key, value });
        }
    }
    let configured: Vec<(PathBuf, String)> = plugin_dirs
        .iter()
        .map(|d| (d.clone(), "the experiment's plugins".to_string()))
        .collect();
    let dirs = crate::host::search_dirs(&configured);
    let (status, metrics, error, checkpoint) =
        match execute(run_dir, &dirs, &emitter, stop, mode, started) {
            Ok(outcome) => outcome,
            Err(e) => (
                RunStatus::Failed,
                BTreeMap::new(),
                Some(format!("{e:#}")),
                None,
            ),
        };
    if let Some(e) = &error {
        eprintln!("error: {e}");
    }
    emitter.send(&Event::Finished {
        status,
        metrics,
        error,
        checkpoint,
    });
    Ok(())
}

type Outcome = (
    RunStatus,
    BTreeMap<String, f64>,
    Option<String>,
    Option<String>,
);

/// Where this worker runs, as `Info` facts for the summary: the host and,
/// inside a Slurm job, the job, array task, node and restart count.
fn placement() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let host = env("SLURMD_NODENAME").or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
    });
    if let Some(job) = env("SLURM_ARRAY_JOB_ID").or_else(|| env("SLURM_JOB_ID")) {
        out.push(("executor".into(), "slurm".into()));
        out.push(("slurm_job_id".into(), job));
        if let Some(task) = env("SLURM_ARRAY_TASK_ID") {
            out.push(("slurm_array_task_id".into(), task));
        }
        if let Some(n) = env("SLURM_RESTART_COUNT").filter(|n| n != "0") {
            out.push(("slurm_restarts".into(), n));
        }
    }
    if let Some(h) = host {
        out.push(("node".into(), h));
    }
    out
}

fn execute(
    run_dir: &Path,
    dirs: &[SearchDir],
    emitter: &Emitter,
    stop: Arc<AtomicBool>,
    mode: WorkerMode,
    started: Instant,
) -> anyhow::Result<Outcome> {
    let job_path = crate::results::RunDir::new(run_dir).job();
    let job: WorkerJob = serde_json::from_slice(
        &std::fs::read(&job_path).with_context(|| format!("cannot read {}", job_path.display()))?,
    )
    .with_context(|| format!("{} is not a valid job", job_path.display()))?;
    let mut job = job;
    if mode.requeued && job.plan.params.contains_key("resume") {
        // Continue from the last per-epoch checkpoint, as `--resume` does.
        job.plan
            .params
            .insert("resume".into(), serde_json::Value::Bool(true));
    }
    let plan = &job.plan;

    emitter.send(&Event::Phase {
        phase: "loading data".into(),
    });
    let mut splits: Splits = plan.dataset.load().context("loading the dataset")?;
    if let (Some(class), workbench_api::Kind::Autoencoder) =
        (plan.evaluation.holdout_class, plan.kind)
    {
        // The held-out class is what anomaly detection must find: the model never sees it.
        splits.hold_out(class);
    }
    if let (Some(class), workbench_api::Kind::Autoencoder) = (plan.normal_class, plan.kind) {
        // One-class protocol: train and validate on the normal class only.
        let (train, _) = splits.keep_only(class);
        if train == 0 {
            anyhow::bail!(
                "the training split has no image of the normal class {class}: use more training images"
            );
        }
    }
    let preprocess_seconds = match &plan.preprocess {
        Some(dir) => {
            emitter.send(&Event::Phase {
                phase: "cleaning words".into(),
            });
            Some(clean_words(dir, plan, &mut splits, run_dir, dirs)?)
        }
        None => None,
    };

    let lib = find_plugin(
        dirs,
        &plan.plugin,
        &plan.plugin_version,
        plan.kind,
        Some(&plan.plugin_file),
    )?;
    let config = Config {
        params: plan.params.clone(),
        train: plan.train.clone(),
    };
    // `init_from:` starts from that run's saved model (fine-tuning).
    let init_model = plan
        .init_from
        .as_ref()
        .map(|dir| crate::results::RunDir::new(dir).model());
    let mut instance = Instance::create(&lib, &plan.variant, &config, init_model.as_deref())
        .with_context(|| match &init_model {
            Some(dir) => format!("cannot start from the model in {}", dir.display()),
            None => "cannot create the plugin instance".into(),
        })?;

    let artifacts_dir = crate::results::RunDir::new(run_dir).artifacts();
    let checkpoints = artifacts_dir.join("checkpoints");
    std::fs::create_dir_all(&checkpoints)
        .with_context(|| format!("cannot create {}", checkpoints.display()))?;
    let mut ctx = WorkerCtx {
        emitter: emitter.clone(),
        metrics: MetricsLog::open(&crate::results::RunDir::new(run_dir).metrics())?,
        stop: stop.clone(),
        diverged: None,
        last: BTreeMap::new(),
        info: BTreeMap::new(),
        last_step: 0,
        last_epoch: 0,
        previews_dir: artifacts_dir.join("previews"),
        run_dir: run_dir.to_path_buf(),
        metrics_error: None,
        started,
    };

    emitter.send(&Event::Phase {
        phase: "training".into(),
    });
    let (train_images, train_texts) = (splits.train.images(), splits.train.texts());
    let (val_images, val_texts) = (splits.val.images(), splits.val.texts());
    let t0 = Instant::now();
    let fit = instance.fit(
        &mut ctx,
        (&train_images, &train_texts),
        (&val_images, &val_texts),
        Some(&checkpoints),
    );
    let train_seconds = t0.elapsed().as_secs_f64();
    if let Some(e) = ctx.metrics_error.take() {
        bail!("cannot write metrics.csv: {e}");
    }
    if let Some(why) = ctx.diverged.clone() {
        return Ok((RunStatus::Diverged, BTreeMap::new(), Some(why), None));
    }
    fit?;
    if stop.load(Ordering::SeqCst) {
        return Ok((
            RunStatus::Cancelled,
            BTreeMap::new(),
            Some("cancelled".into()),
            None,
        ));
    }

    let model_dir = artifacts_dir.join("model");
    std::fs::create_dir_all(&model_dir)
        .with_context(|| format!("cannot create {}", model_dir.display()))?;
    instance.save(&model_dir)?;

    emitter.send(&Event::Phase {
        phase: "evaluating".into(),
    });
    let t1 = Instant::now();
    let mut metrics = evaluate(plan, &mut instance, &splits, run_dir)?;
    if let (Some(rec_dir), crate::datasets::Split::Pages(pages)) = (&plan.recognizer, &splits.test)
    {
        emitter.send(&Event::Phase {
            phase: "reading pages".into(),
        });
        let (job, mut recognizer) = open_trained(rec_dir, workbench_api::Kind::Recognizer, dirs)
            .with_context(|| format!("opening the recognizer run {}", rec_dir.display()))?;
        let height = job.plan.dataset.word_height_or_default();
        let mut pre = crate::preprocess::of_recognizer(&job, dirs)?;
        metrics.extend(crate::evaluate::pipeline::evaluate(
            &mut instance,
            &mut recognizer,
            pre.as_mut(),
            height,
            pages,
        )?);
    }
    let eval_seconds = t1.elapsed().as_secs_f64();
    metrics.insert("train_seconds".into(), train_seconds);
    if let Some(seconds) = preprocess_seconds {
        metrics.insert("preprocess_seconds".into(), seconds);
    }
    metrics.insert("eval_seconds".into(), eval_seconds);
    let seen = splits.train.len() as f64 * plan.train.epochs.max(1) as f64;
    if train_seconds > 0.0 {
        metrics.insert("samples_per_sec".into(), seen / train_seconds);
    }
    // The model's size, as the plugin counted it, belongs in tables.
    if let Some(n) = ctx
        .info
        .get("parameters")
        .and_then(|v| v.parse::<f64>().ok())
    {
        metrics.insert("parameters".into(), n);
    }
    for (k, v) in &ctx.last {
        metrics.entry(k.clone()).or_insert(*v);
    }
    metrics.retain(|_, v| v.is_finite());
    for (name, value) in &metrics {
        ctx.metrics.append(&MetricRow {
            step: ctx.last_step,
            epoch: ctx.last_epoch,
            split: "test".into(),
            name: name.clone(),
            value: *value,
            seconds: Some(ctx.started.elapsed().as_secs_f64()),
        })?;
    }
    for name in ["reconstructions", "preprocess"] {
        let picture = crate::results::RunDir::new(run_dir).artifact(&format!("{name}.png"));
        if picture.is_file() {
            emitter.send(&Event::Preview {
                name: name.into(),
                path: PathBuf::from(format!("artifacts/{name}.png")),
            });
        }
    }
    Ok((
        RunStatus::Done,
        metrics,
        None,
        Some("artifacts/model".into()),
    ))
}

/// Cleans every word image of the splits with the autoencoder run `dir`
/// (`preprocess:`), and draws up to 8 test words before (top) and after
/// (bottom) in `artifacts/preprocess.png`. Returns the seconds it took.
fn clean_words(
    dir: &Path,
    plan: &RunPlan,
    splits: &mut Splits,
    run_dir: &Path,
    dirs: &[SearchDir],
) -> anyhow::Result<f64> {
    let t0 = Instant::now();
    let height = plan.dataset.word_height_or_default();
    let mut pre = Preprocessor::open(dir, height, dirs)?;
    let before: Vec<OwnedImage> = match &splits.test {
        Split::Words(w) => w.images.iter().take(8).cloned().collect(),
        _ => Vec::new(),
    };
    for split in [&mut splits.train, &mut splits.val, &mut splits.test] {
        if let Split::Words(words) = split {
            pre.apply(&mut words.images)?;
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    if let Split::Words(w) = &splits.test {
        let rows = vec![
            before.iter().map(|i| i.as_image()).collect(),
            w.images
                .iter()
                .take(before.len())
                .map(|i| i.as_image())
                .collect(),
        ];
        artifacts::save_png(
            &crate::results::RunDir::new(run_dir).artifact("preprocess.png"),
            &artifacts::grid(&rows),
        )?;
    }
    Ok(seconds)
}
