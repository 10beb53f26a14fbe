//! The safe training context: how a plugin reports signals during `fit` and
//! learns that it should stop.
#![allow(unsafe_code)] // listed in ARCHITECTURE.md, "Where `unsafe` lives"

use crate::raw::{RawContext, RawImage, RawStr, LOG_INFO, LOG_WARN, SPLIT_TRAIN, SPLIT_VAL};
use crate::Image;
use std::path::PathBuf;

/// Given to [`fit`](crate::Autoencoder::fit). Reports go to the host at once
/// (and from there to the UI and `metrics.csv`); the context keeps the
/// current step and epoch so a report needs only a name and a value.
pub struct Context<'a> {
    raw: &'a RawContext,
    step: u64,
    epoch: u32,
}

impl<'a> Context<'a> {
    pub(crate) fn new(raw: &'a RawContext) -> Self {
        Context {
            raw,
            step: 0,
            epoch: 0,
        }
    }

    /// Sets the current optimisation step (counted over the whole fit).
    pub fn set_step(&mut self, step: u64) {
        self.step = step;
    }

    /// The current step.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Sets the current epoch (1-based by convention).
    pub fn set_epoch(&mut self, epoch: u32) {
        self.epoch = epoch;
    }

    /// The current epoch.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Reports a training signal (`loss`, `lr`, ...) at the current step.
    /// A non-finite value of a `*loss*` signal makes the host stop the run as
    /// diverged: check [`should_stop`](Self::should_stop).
    pub fn report(&mut self, name: &str, value: f64) {
        (self.raw.report)(
            self.raw.user,
            RawStr::new(name),
            value,
            SPLIT_TRAIN,
            self.step,
            self.epoch,
        );
    }

    /// Reports a validation signal at the current step.
    pub fn report_val(&mut self, name: &str, value: f64) {
        (self.raw.report)(
            self.raw.user,
            RawStr::new(name),
            value,
            SPLIT_VAL,
            self.step,
            self.epoch,
        );
    }

    /// Writes a line to the run's log.
    pub fn log(&self, message: &str) {
        (self.raw.log)(self.raw.user, LOG_INFO, RawStr::new(message));
    }

    /// Writes a warning to the run's log.
    pub fn warn(&self, message: &str) {
        (self.raw.log)(self.raw.user, LOG_WARN, RawStr::new(message));
    }

    /// Reports progress: `done` of `total` steps of the whole fit.
    pub fn progress(&self, done: u64, total: u64) {
        (self.raw.progress)(self.raw.user, done, total);
    }

    /// Sends a preview image (a reconstruction grid, decoded samples, ...).
    pub fn preview(&self, name: &str, image: &Image<'_>) {
        let raw = RawImage {
            height: image.height as u32,
            width: image.width as u32,
            channels: image.channels as u32,
            data: image.data.as_ptr(),
        };
        (self.raw.preview)(self.raw.user, RawStr::new(name), raw);
    }

    /// Records a fact about the run (`device`, `parameters`, ...) in its summary.
    pub fn info(&self, key: &str, value: &str) {
        (self.raw.info)(self.raw.user, RawStr::new(key), RawStr::new(value));
    }

    /// Whether training should stop now: the run was cancelled or a loss
    /// diverged. Check it at least once per step and return `Ok(())`.
    pub fn should_stop(&self) -> bool {
        (self.raw.should_stop)(self.raw.user)
    }

    /// Directory for per-epoch checkpoints, when the host gives one.
    pub fn checkpoint_dir(&self) -> Option<PathBuf> {
        // SAFETY: the host keeps the string alive for the whole fit.
        let dir = unsafe { self.raw.checkpoint_dir.as_str() };
        (!dir.is_empty()).then(|| PathBuf::from(dir.into_owned()))
    }
}
