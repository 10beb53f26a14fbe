//! Shared ML parts for workbench plugins, built on dfdx 0.13 with runtime
//! shapes (see `docs/DFDX.md`: dfdx's own layers and optimizers need const
//! shapes, and its conv/pool ops need nightly, so this crate provides them on
//! public tensor operations):
//!
//! - [`device`]: which dfdx device a run trains on;
//! - [`params`]: a named parameter store, initialisation and the gradient pass;
//! - [`optim`]: SGD with momentum, Adam and RMSprop, with weight decay;
//! - [`layers`]: linear, conv2d (im2col + matmul), pooling, upsampling,
//!   batch norm, dropout, activations, losses;
//! - [`conv_cpu`]: the convolution as one custom operation on `Cpu` (direct
//!   im2col/col2im, one matrix product per image), which `layers` uses there;
//! - [`linear_cpu`]: the dense layer as one custom operation on `Cpu` (bias
//!   written first, the batch's rows split over the pool);
//! - [`norm_cpu`], [`pool_cpu`]: batch normalisation and max pooling as one
//!   custom operation each on `Cpu`, which `layers` uses there;
//! - [`checkpoint`]: safetensors checkpoints with optimizer state, for resuming;
//! - [`train`]: seeded mini-batches and the epoch loop with reporting,
//!   stop checks and per-epoch checkpoint callbacks;
//! - [`corrupt`]: deterministic input corruption (denoising autoencoders,
//!   and the host's corrupted test sets);
//! - [`threads`]: a worker process's training thread joins rayon's pool;
//! - [`gradcheck`]: a finite-difference gradient check for tests;
//! - [`ctc`]: CTC loss (host forward–backward, exact gradient, dfdx op);
//! - [`decode`]: greedy and (lexicon-constrained) beam-search CTC decoding;
//! - [`rnn`]: LSTM and GRU layers with a bidirectional wrapper;
//! - [`lstm_cpu`]: a whole LSTM sequence as one custom operation on `Cpu`
//!   (fused gates, backpropagation through time in host loops), which `rnn`
//!   uses there.
//!
//! Everything is generic over the dfdx device `D: Device<f32>`, so the same
//! code serves `Cpu` and (with the `cuda` feature) `Cuda`. Randomness
//! (initialisation, shuffles, dropout masks, noise) is drawn on the host from
//! seeded ChaCha streams, so a seed means the same run on every device.
//!
//! Plugins depend on this crate; the app never does (it scores outputs, it
//! does not train), except for [`corrupt`], which has no dfdx in it.

pub mod checkpoint;
pub mod conv_cpu;
pub mod corrupt;
pub mod ctc;
pub mod decode;
pub mod device;
pub mod gradcheck;
pub mod layers;
pub mod linear_cpu;
pub mod lstm_cpu;
pub mod norm_cpu;
pub mod optim;
pub mod params;
pub mod pool_cpu;
pub mod rnn;
pub mod schedule;
pub mod threads;
pub mod train;

pub use device::{DeviceChoice, DeviceError, OnDevice, PerDevice, ResolvedDevice};

#[doc(hidden)]
pub use dfdx as __dfdx;
pub use optim::{Optimizer, OptimizerKind};
pub use params::{Init, ParamId, ParamStore};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A checkpoint file is malformed or does not match the model.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Sizes do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A setting has a value this crate does not know.
    #[error("{0}")]
    Config(String),
    /// The device failed (allocation, kernel launch).
    #[error("device error: {0}")]
    Device(String),
}
