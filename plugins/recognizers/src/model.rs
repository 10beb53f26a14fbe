//! The networks: a convolutional feature extractor over a word image, a
//! sequence model along the width, and a per-step classifier over the
//! charset plus the CTC blank.
//!
//! ```text
//! (B, 1, H, W)
//!   └ blocks: conv 3×3 → batch norm → ReLU → max pool (2,2),(2,2),(2,1),…
//! (B, C, H/2ⁿ, W/4)                 height halves every block, width only twice
//!   └ columns become time steps
//! (T = W/4, B, C·H/2ⁿ)
//!   ├ crnn:      2-layer bidirectional LSTM           → (T, B, 2·hidden)
//!   ├ crnn-gru:  2-layer bidirectional GRU            → (T, B, 2·hidden)
//!   └ conv-ctc:  2 × (conv 1×3 along the width, ReLU) → (T, B, hidden)
//!   └ linear → log_softmax over (blank + charset)
//! (T, B, K)
//! ```

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};
use workbench_ml::layers::{max_pool, BatchNorm, Conv2d, Linear, T4};
use workbench_ml::params::ParamStore;
use workbench_ml::rnn::{BiRnn, CellKind, T3};

/// What a model is: every size needed to rebuild it (saved with it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// `crnn`, `crnn-gru` or `conv-ctc`.
    pub variant: String,
    /// Image height after resizing.
    pub height: usize,
    /// Output channels of each conv block.
    pub channels: Vec<usize>,
    /// Hidden size of the sequence model.
    pub hidden: usize,
    /// Recurrent (or width-convolution) layers.
    pub layers: usize,
    /// The characters, in label order (label = index + 1; 0 is the blank).
    pub charset: String,
}

impl Architecture {
    /// Classes including the blank.
    pub fn classes(&self) -> usize {
        self.charset.chars().count() + 1
    }

    /// Pooling window of block `i`: the first two halve both axes, the
    /// rest the height only.
    pub fn pool(i: usize) -> (usize, usize) {
        if i < 2 {
            (2, 2)
        } else {
            (2, 1)
        }
    }

    /// Columns per output time step.
    pub fn width_factor(&self) -> usize {
        (0..self.channels.len()).map(|i| Self::pool(i).1).product()
    }

    /// Checks that the sizes fit together.
    pub fn validate(&self) -> Result<(), String> {
        if !["crnn", "crnn-gru", "conv-ctc"].contains(&self.variant.as_str()) {
            return Err(format!("unknown variant `{}`", self.variant));
        }
        if self.channels.is_empty() {
            return Err("`channels` must name at least one conv block".into());
        }
        let div = 1usize << self.channels.len();
        if !self.height.is_multiple_of(div) {
            return Err(format!(
                "`height` {} must be a multiple of {div} (2^{} conv blocks)",
                self.height,
                self.channels.len()
            ));
        }
        Ok(())
    }
}

/// `y` `(B, C, H, W)` with the columns at or right of `lengths[b] ·
/// per_step` of each sample `b` set to zero.
fn mask_columns<D: Device<f32>, T: Tape<f32, D>>(
    store: &ParamStore<D>,
    y: T4<D, T>,
    lengths: &[usize],
    per_step: usize,
) -> T4<D, T> {
    let (b, c, h, w) = *y.shape();
    let mut mask = vec![0.0f32; b * w];
    for (i, &len) in lengths.iter().enumerate() {
        let end = (len * per_step).min(w);
        mask[i * w..i * w + end].fill(1.0);
    }
    let mask = store
        .device()
        .tensor_from_vec(mask, (b, w))
        .broadcast_like::<_, Axes2<1, 2>>(&(b, c, h, w));
    y * mask
}

/// The layers of a model, as ids into its parameter store.
#[derive(Clone, Debug)]
pub struct Network {
    blocks: Vec<(Conv2d, BatchNorm, (usize, usize))>,
    rnns: Vec<BiRnn>,
    seq_convs: Vec<Conv2d>,
    out: Linear,
}

impl Network {
    /// Adds every parameter of `arch` to `store`.
    pub fn new<D: Device<f32>>(store: &mut ParamStore<D>, arch: &Architecture) -> Self {
        let mut c_in = 1;
        let mut blocks = Vec::new();
        for (i, &c) in arch.channels.iter().enumerate() {
            let conv = Conv2d::same(store, &format!("conv{i}"), c_in, c, 3);
            let bn = BatchNorm::new(store, &format!("bn{i}"), c);
            blocks.push((conv, bn, Architecture::pool(i)));
            c_in = c;
        }
        let feat_h = arch.height >> arch.channels.len();
        let mut feat = c_in * feat_h;
        let (mut rnns, mut seq_convs) = (Vec::new(), Vec::new());
        for l in 0..arch.layers {
            match arch.variant.as_str() {
                "conv-ctc" => {
                    seq_convs.push(Conv2d::new(
                        store,
                        &format!("seq{l}"),
                        feat,
                        arch.hidden,
                        (1, 3),
                        (1, 1),
                        (0, 1),
                    ));
                    feat = arch.hidden;
                }
                v => {
                    let kind = if v == "crnn-gru" {
                        CellKind::Gru
                    } else {
                        CellKind::Lstm
                    };
                    let r = BiRnn::new(store, &format!("rnn{l}"), kind, feat, arch.hidden);
                    feat = r.output();
                    rnns.push(r);
                }
            }
        }
        let out = Linear::new(store, "out", feat, arch.classes(), false);
        Network {
            blocks,
            rnns,
            seq_convs,
            out,
        }
    }

    /// Columns per output step (the product of the pools' widths).
    fn width_factor(&self) -> usize {
        self.blocks.iter().map(|(_, _, p)| p.1).product()
    }

    /// `(B, 1, H, W)` (W a multiple of the width factor) → log-probabilities
    /// `(W / factor, B, K)`; `lengths` are the samples' real time steps.
    pub fn forward<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &mut ParamStore<D>,
        x: T4<D, T>,
        lengths: &[usize],
        train: bool,
    ) -> T3<D, T> {
        let mut y = x;
        let steps = y.shape().3 / self.width_factor();
        let ragged = lengths.iter().any(|&l| l != steps);
        for (conv, bn, pool) in &self.blocks {
            let z = conv.forward(store, y);
            y = max_pool(bn.forward(store, z, train).relu(), *pool);
            if ragged {
                // Batch norm turns the zero padding right of a shorter
                // sample into non-zero activations, which the next conv
                // would read at the sample's edge: zero them, so a word
                // reads the same alone (where that conv sees its own zero
                // padding) and in any batch.
                let per_step = y.shape().3 / steps;
                y = mask_columns(store, y, lengths, per_step);
            }
        }
        let (b, c, fh, t) = *y.shape();
        let mut seq: T3<D, T> = y
            .permute::<_, Axes4<3, 0, 1, 2>>()
            .reshape_like(&(t, b, c * fh));
        for r in &self.rnns {
            seq = r.forward(store, seq, lengths);
        }
        for conv in &self.seq_convs {
            let f = seq.shape().2;
            let img: T4<D, T> = seq
                .permute::<_, Axes3<1, 2, 0>>()
                .reshape_like(&(b, f, 1, t));
            let mut z = conv.forward(store, img).relu();
            if ragged {
                z = mask_columns(store, z, lengths, 1);
            }
            let h = z.shape().1;
            seq = z
                .reshape_like(&(b, h, t))
                .permute::<_, Axes3<2, 0, 1>>()
                .reshape_like(&(t, b, h));
        }
        let f = seq.shape().2;
        let logits = self
            .out
            .forward(store, seq.reshape_like(&(t * b, f)))
            .reshape_like(&(t, b, self.out.out));
        logits.log_softmax::<Axis<2>>()
    }
}
