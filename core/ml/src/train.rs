//! The training loop helper: seeded, shuffled mini-batches over epochs, a
//! step callback that returns the batch loss, an end-of-epoch callback
//! (reporting, validation, checkpoints), and stop checks after every step.
//!
//! The order of epoch `e` depends only on `(seed, e)`, so a run resumed at
//! epoch `e` sees the same batches it would have seen without stopping.
//!
//! ```text
//! run(n, &settings,
//!     |batch| { /* forward, backward, optimizer step */ Ok((loss, Flow::Continue)) },
//!     |end|   { /* report end.mean_loss, validate, checkpoint */ Ok(Flow::Continue) })
//! ```

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Whether to go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep training.
    Continue,
    /// Stop now (cancelled, diverged, ...).
    Stop,
}

/// How to loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopSettings {
    /// Total epochs (including those done before a resume).
    pub epochs: u32,
    /// Samples per step (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Seed of the shuffles.
    pub seed: u64,
    /// Epochs already completed (0 for a fresh run).
    pub start_epoch: u32,
    /// Steps already completed.
    pub start_step: u64,
}

/// One step's batch.
#[derive(Clone, Debug)]
pub struct Batch<'a> {
    /// Current epoch, 1-based.
    pub epoch: u32,
    /// This step's number, 1-based over the whole fit.
    pub step: u64,
    /// Sample indices.
    pub indices: &'a [usize],
}

/// The end of an epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochEnd {
    /// The epoch just completed, 1-based.
    pub epoch: u32,
    /// Steps completed so far.
    pub step: u64,
    /// Mean of the epoch's step losses, weighted by batch size.
    pub mean_loss: f64,
}

/// How the loop ended.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopOutcome {
    /// Epochs completed (including those before a resume).
    pub epochs_done: u32,
    /// Steps completed.
    pub steps: u64,
    /// Whether a callback asked to stop.
    pub stopped: bool,
    /// Mean loss of each epoch this call ran.
    pub epoch_losses: Vec<f64>,
}

/// Steps per epoch for `n` samples.
pub fn steps_per_epoch(n: usize, batch_size: usize) -> u64 {
    n.div_ceil(batch_size.max(1)) as u64
}

/// The shuffled batches of epoch `epoch` (1-based).
pub fn epoch_batches(n: usize, batch_size: usize, seed: u64, epoch: u32) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch as u64);
    order.shuffle(&mut rng);
    order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect()
}

/// Runs epochs `start_epoch + 1 ..= epochs` over `n` samples.
pub fn run<E>(
    n: usize,
    settings: &LoopSettings,
    mut step: impl FnMut(&Batch) -> Result<(f64, Flow), E>,
    mut end_epoch: impl FnMut(&EpochEnd) -> Result<Flow, E>,
) -> Result<LoopOutcome, E> {
    let mut out = LoopOutcome {
        epochs_done: settings.start_epoch,
        steps: settings.start_step,
        stopped: false,
        epoch_losses: Vec::new(),
    };
    for epoch in settings.start_epoch + 1..=settings.epochs {
        let (mut sum, mut count) = (0.0, 0usize);
        for indices in epoch_batches(n, settings.batch_size, settings.seed, epoch) {
            out.steps += 1;
            let (loss, flow) = step(&Batch {
                epoch,
                step: out.steps,
                indices: &indices,
            })?;
            sum += loss * indices.len() as f64;
            count += indices.len();
            if flow == Flow::Stop {
                out.stopped = true;
                return Ok(out);
            }
        }
        let mean_loss = if count > 0 { sum / count as f64 } else { 0.0 };
        out.epochs_done = epoch;
        out.epoch_losses.push(mean_loss);
        let flow = end_epoch(&EpochEnd {
            epoch,
            step: out.steps,
            mean_loss,
        })?;
        if flow == Flow::Stop {
            out.stopped = true;
            return Ok(out);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_sample_once_and_depend_on_seed_and_epoch() {
        let b = epoch_batches(10, 4, 1, 1);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut all: Vec<usize> = b.concat();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(b, epoch_batches(10, 4, 1, 1));
        assert_ne!(b, epoch_batches(10, 4, 1, 2));
        assert_ne!(b, epoch_batches(10, 4, 2, 1));
        assert_eq!(steps_per_epoch(10, 4), 3);
    }

    #[test]
    fn loop_reports_epochs_stops_and_resumes() {
        let settings = LoopSettings {
            epochs: 3,
            batch_size: 4,
            seed: 0,
            start_epoch: 0,
            start_step: 0,
        };
        let mut seen = Vec::new();
        let out = run::<()>(
            10,
            &settings,
            |b| {
                seen.push((b.epoch, b.step, b.indices.to_vec()));
                Ok((b.epoch as f64, Flow::Continue))
            },
            |_| Ok(Flow::Continue),
        )
        .unwrap();
        assert_eq!((out.epochs_done, out.steps, out.stopped), (3, 9, false));
        assert_eq!(out.epoch_losses, vec![1.0, 2.0, 3.0]);

        // Resuming after epoch 2 replays epoch 3 exactly.
        let resumed = LoopSettings {
            start_epoch: 2,
            start_step: 6,
            ..settings.clone()
        };
        let mut seen2 = Vec::new();
        run::<()>(
            10,
            &resumed,
            |b| {
                seen2.push((b.epoch, b.step, b.indices.to_vec()));
                Ok((0.0, Flow::Continue))
            },
            |_| Ok(Flow::Continue),
        )
        .unwrap();
        assert_eq!(seen2, seen[6..].to_vec());

        // A stop from the step callback ends the loop at once.
        let out = run::<()>(
            10,
            &settings,
            |b| {
                Ok((
                    0.0,
                    if b.step == 4 {
                        Flow::Stop
                    } else {
                        Flow::Continue
                    },
                ))
            },
            |_| Ok(Flow::Continue),
        )
        .unwrap();
        assert_eq!((out.epochs_done, out.steps, out.stopped), (1, 4, true));
    }
}
