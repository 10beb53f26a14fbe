//! Training a [`Model`] on a dataset: the output bias starts at the mean
//! training image ([`Model::init_output_bias`]), then mini-batches, optimizer steps,
//! reports, validation, per-epoch checkpoints and resuming.
//!
//! Reports (through [`Reporter`], which [`Context`] implements):
//! - per step: `loss`, and the variant's parts (`recon`, `l1_penalty`,
//!   `kl_sparsity`, `contractive_penalty`, `mean_activation`, `kl`, `elbo`);
//! - per epoch: `epoch_loss` (the epoch's mean step loss), `lr`, and on the
//!   validation split `loss` (plus the VAE's `elbo`, `recon`, `kl`);
//! - progress as steps done of all steps; `should_stop` is checked every step.
//!
//! The learning rate follows `lr_schedule` per step; with `patience` > 0
//! training stops after that many epochs without the validation loss (the
//! epoch loss without a validation split) falling by more than
//! `min_delta`, and the best epoch's weights are the ones kept.
//!
//! Checkpoints: after every epoch `epoch-N.safetensors` and
//! `last.safetensors` in the checkpoint directory (with the optimizer
//! state). With `resume: true` and a `last.safetensors` there, training
//! continues after the epoch it records.

use crate::model::Model;
use dfdx::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;
use workbench_api::{Context, Image, PluginError};
use workbench_ml::checkpoint::{self, CheckpointMeta};
use workbench_ml::corrupt::corrupt_one;
use workbench_ml::schedule::{Schedule, Watch};
use workbench_ml::train::{run, steps_per_epoch, Flow, LoopSettings};
use workbench_ml::{Optimizer, OptimizerKind};

/// Where training signals go: the host's [`Context`], or a recorder in tests.
pub trait Reporter {
    /// Sets the current step and epoch for the reports that follow.
    fn at(&mut self, step: u64, epoch: u32);
    /// A training signal.
    fn report(&mut self, name: &str, value: f64);
    /// A validation signal.
    fn report_val(&mut self, name: &str, value: f64);
    /// A log line.
    fn log(&self, message: &str);
    /// A run fact.
    fn info(&self, key: &str, value: &str);
    /// Progress in steps.
    fn progress(&self, done: u64, total: u64);
    /// A preview image.
    fn preview(&self, name: &str, image: &Image);
    /// Whether to stop.
    fn should_stop(&self) -> bool;
    /// Where checkpoints go.
    fn checkpoint_dir(&self) -> Option<PathBuf>;
}

impl Reporter for Context<'_> {
    fn at(&mut self, step: u64, epoch: u32) {
        self.set_step(step);
        self.set_epoch(epoch);
    }
    fn report(&mut self, name: &str, value: f64) {
        Context::report(self, name, value)
    }
    fn report_val(&mut self, name: &str, value: f64) {
        Context::report_val(self, name, value)
    }
    fn log(&self, message: &str) {
        Context::log(self, message)
    }
    fn info(&self, key: &str, value: &str) {
        Context::info(self, key, value)
    }
    fn progress(&self, done: u64, total: u64) {
        Context::progress(self, done, total)
    }
    fn preview(&self, name: &str, image: &Image) {
        Context::preview(self, name, image)
    }
    fn should_stop(&self) -> bool {
        Context::should_stop(self)
    }
    fn checkpoint_dir(&self) -> Option<PathBuf> {
        Context::checkpoint_dir(self)
    }
}

/// The training settings `fit` uses (from the spec's `train:` block).
#[derive(Clone, Debug)]
pub struct FitSettings {
    /// Epochs in total.
    pub epochs: u32,
    /// Samples per step.
    pub batch_size: usize,
    /// `adam`, `sgd` or `rmsprop`.
    pub optimizer: String,
    /// Learning rate.
    pub lr: f32,
    /// L2 weight decay.
    pub weight_decay: f32,
    /// Seed of shuffles, noise, dropout and ε.
    pub seed: u64,
    /// Resume from the checkpoint directory's last checkpoint.
    pub resume: bool,
    /// `constant`, `cosine` or `plateau` (`workbench_ml::schedule`).
    pub lr_schedule: String,
    /// Epochs without a validation-loss improvement before stopping (0 = never).
    pub patience: u32,
    /// Smallest validation-loss decrease that counts.
    pub min_delta: f64,
}

/// Rows of `data` (n × d) picked by `idx`.
pub fn gather_rows(data: &[f32], d: usize, idx: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(idx.len() * d);
    for &i in idx {
        out.extend_from_slice(&data[i * d..(i + 1) * d]);
    }
    out
}

fn err(e: impl std::fmt::Display) -> PluginError {
    PluginError::new(e.to_string())
}

/// Mean validation signals over `val` (n × d), in batches, no tape.
fn validate<D: Device<f32>>(
    model: &mut Model<D>,
    val: &[f32],
    batch: usize,
    seed: u64,
) -> Vec<(&'static str, f64)> {
    let d = model.dim();
    let n = val.len() / d;
    let mut sums: Vec<(&'static str, f64)> = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5a11d);
    for start in (0..n).step_by(batch.max(1)) {
        let end = (start + batch).min(n);
        let rows = val[start * d..end * d].to_vec();
        let dev = model.store.device().clone();
        let x = dev.tensor_from_vec(rows, (end - start, d));
        let out = model.loss::<NoneTape>(x.clone(), x, false, &mut rng);
        let w = (end - start) as f64;
        let mut all = vec![("loss", crate::model::value(&out.loss))];
        all.extend(out.signals);
        for (name, v) in all {
            match sums.iter_mut().find(|(n, _)| *n == name) {
                Some(s) => s.1 += v * w,
                None => sums.push((name, v * w)),
            }
        }
    }
    sums.into_iter()
        .map(|(name, s)| (name, s / n.max(1) as f64))
        .collect()
}

/// Trains `model` on `train` (n × d rows, channel-major) and validates on
/// `val`. Returns the epochs completed.
pub fn fit<D: Device<f32>>(
    model: &mut Model<D>,
    train: &[f32],
    val: &[f32],
    settings: &FitSettings,
    rep: &mut dyn Reporter,
) -> Result<u32, PluginError> {
    let d = model.dim();
    let n = train.len() / d;
    if n == 0 {
        return Err(PluginError::new(
            "cannot train an autoencoder: the training split is empty",
        ));
    }
    let kind = OptimizerKind::from_name(&settings.optimizer).map_err(err)?;
    let schedule = Schedule::from_name(&settings.lr_schedule).map_err(err)?;
    let mut opt: Optimizer<D> = Optimizer::new(kind, settings.lr, settings.weight_decay);
    let ck_dir = rep.checkpoint_dir();
    let mut mean = vec![0.0f32; d];
    for row in train.chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / n as f32;
        }
    }
    model.init_output_bias(&mean);
    let mut start = CheckpointMeta::default();
    if settings.resume {
        match ck_dir.as_deref().and_then(checkpoint::latest) {
            Some(path) => {
                start = checkpoint::load(&path, &mut model.store, Some(&mut opt)).map_err(err)?;
                rep.log(&format!(
                    "resumed from {} after epoch {} (step {})",
                    path.display(),
                    start.epoch,
                    start.step
                ));
            }
            None => rep.log("resume: no checkpoint found, starting fresh"),
        }
    }
    let loop_settings = LoopSettings {
        epochs: settings.epochs,
        batch_size: settings.batch_size.max(1),
        seed: settings.seed,
        start_epoch: start.epoch,
        start_step: start.step,
    };
    let total = steps_per_epoch(n, loop_settings.batch_size) * settings.epochs as u64;
    rep.progress(start.step, total);
    let noise = model.cfg.noise();
    let dev = model.store.device().clone();
    let extra = crate::io::meta_extra(model);
    let watch = std::cell::RefCell::new(
        start
            .extra
            .get("watch")
            .and_then(|w| Watch::from_text(w))
            .unwrap_or_default(),
    );
    // The best epoch's values (by validation loss, or the epoch loss
    // without a validation split); put back at the end.
    let mut best: Option<Vec<Vec<f32>>> = None;

    // The closures both need the model, the optimizer and the reporter.
    let state = std::cell::RefCell::new((model, &mut opt, rep));
    let outcome = run(
        n,
        &loop_settings,
        |batch| -> Result<(f64, Flow), PluginError> {
            let mut guard = state.borrow_mut();
            let (model, opt, rep) = &mut *guard;
            opt.lr =
                schedule.lr(settings.lr as f64, batch.step, total, watch.borrow().stale) as f32;
            let b = batch.indices.len();
            let clean = gather_rows(train, d, batch.indices);
            let input = match noise {
                Some((kind, level)) => {
                    let mut noisy = clean.clone();
                    for (row, &i) in noisy.chunks_mut(d).zip(batch.indices) {
                        let seed = settings.seed.wrapping_add(batch.epoch as u64);
                        corrupt_one(row, kind, level, seed, i as u64);
                    }
                    noisy
                }
                None => clean.clone(),
            };
            let target = dev.tensor_from_vec(clean, (b, d));
            let input = dev
                .tensor_from_vec(input, (b, d))
                .retaped::<OwnedTape<f32, D>>();
            let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
            rng.set_stream(batch.step);
            let out = model.loss(input, target, true, &mut rng);
            let loss = crate::model::value(&out.loss);
            let mut grads = out.loss.backward();
            let g = model.store.gradients(&mut grads).map_err(err)?;
            drop(grads);
            opt.step(&mut model.store, &g).map_err(err)?;
            rep.at(batch.step, batch.epoch);
            rep.report("loss", loss);
            for (name, v) in out.signals {
                rep.report(name, v);
            }
            rep.progress(batch.step, total);
            let flow = if rep.should_stop() || !loss.is_finite() {
                Flow::Stop
            } else {
                Flow::Continue
            };
            Ok((loss, flow))
        },
        |end| -> Result<Flow, PluginError> {
            let mut guard = state.borrow_mut();
            let (model, opt, rep) = &mut *guard;
            rep.at(end.step, end.epoch);
            rep.report("epoch_loss", end.mean_loss);
            rep.report("lr", opt.lr as f64);
            let mut watched = end.mean_loss;
            if !val.is_empty() {
                for (name, v) in validate(model, val, 256, settings.seed) {
                    if name == "loss" {
                        watched = v;
                    }
                    rep.report_val(name, v);
                }
            }
            let mut watch = watch.borrow_mut();
            // The best epoch is only put back when stopping early, so only
            // then is it copied.
            if watch.update(end.epoch, watched, watched, settings.min_delta)
                && settings.patience > 0
            {
                best = Some(model.store.snapshot());
            }
            if let Some(dir) = &rep.checkpoint_dir() {
                let mut extra = extra.clone();
                extra.insert("watch".into(), watch.to_text());
                let meta = CheckpointMeta {
                    epoch: end.epoch,
                    step: end.step,
                    extra,
                };
                checkpoint::save_epoch(dir, &model.store, Some(opt), &meta).map_err(err)?;
            }
            if watch.exhausted(settings.patience) {
                rep.log(&format!(
                    "early stop after epoch {}: the validation loss has not fallen by more than {} for {} epochs",
                    end.epoch, settings.min_delta, watch.stale
                ));
                return Ok(Flow::Stop);
            }
            Ok(if rep.should_stop() {
                Flow::Stop
            } else {
                Flow::Continue
            })
        },
    )?;
    let (model, _, rep) = state.into_inner();
    let watch = watch.into_inner();
    if let Some(values) = best {
        model.store.restore(values).map_err(err)?;
        rep.info("best_epoch", &watch.best_epoch.to_string());
        rep.log(&format!(
            "kept the weights of epoch {} (validation loss {:.6})",
            watch.best_epoch, watch.best
        ));
    }
    if outcome.stopped {
        rep.log(&format!(
            "stopped after {} steps (epoch {})",
            outcome.steps, outcome.epochs_done
        ));
    }
    Ok(outcome.epochs_done)
}
