//! The networks and their losses, generic over the dfdx device.
//!
//! Images enter as flat rows in channel-major order (`C·H·W`, converted
//! from the ABI's channels-last layout by the caller).
//!
//! - **Dense** (linear, undercomplete, overcomplete, sparse, denoising,
//!   contractive): `d → hidden… → code → hidden (mirrored)… → d`, the output
//!   through a sigmoid unless the variant is `linear`.
//! - **Convolutional**: see [`ConvNet`].
//! - **VAE**: `d → hidden… → (μ, log σ²)`, `z = μ + σ·ε`, `z → hidden… → d`
//!   logits. Its code (and its reconstruction) uses `μ`.
//!
//! Losses (means over the batch):
//! - reconstruction: MSE / RMSE on the outputs, or BCE on the logits;
//! - L1: `λ · Σⱼ |hⱼ|`;
//! - KL sparsity: `β · Σⱼ [ρ ln(ρ/ρ̂ⱼ) + (1−ρ) ln((1−ρ)/(1−ρ̂ⱼ))]`, with
//!   `ρ̂ⱼ` the batch mean of code unit `j` (clamped to `[1e-6, 1−1e-6]`);
//! - contractive: `λ · Σⱼ (hⱼ(1−hⱼ))² · Σᵢ W²ᵢⱼ`, the exact squared Frobenius
//!   norm of the Jacobian `∂h/∂a` of the sigmoid code layer `h = σ(aW + b)`
//!   with respect to its input `a`. With no hidden layers (the default) `a`
//!   is the image and this is the whole encoder's Jacobian; with hidden
//!   layers it is the code layer's Jacobian only (a common, cheaper proxy: the
//!   full Jacobian would need one backward pass per code unit);
//! - VAE: recon (Bernoulli: `Σ BCE` per image; Gaussian with unit variance:
//!   `½ Σ (x − x̂)²`) + `β · KL(q(z|x) ‖ N(0, I))`,
//!   `KL = −½ Σ (1 + log σ² − μ² − σ²)`; the reported ELBO is `−(recon + KL)`.

use crate::config::{ArchKind, LossKind, ModelConfig, Penalty};
use dfdx::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use workbench_ml::layers::{dropout, max_pool, Activation, BatchNorm, Conv2d, Linear, T2, T4};
use workbench_ml::params::{standard_normal, ParamStore};

/// The convolutional network (`full` sizes in brackets are the course
/// notes' model; `light` uses 16/32/32 channels and 16 in the decoder):
///
/// ```text
/// (B, C, 28, 28) conv3×3 16 [64] → conv3×3 32 [128] → BN → ReLU → maxpool 2×2
///   → conv3×3 32 [256] → BN → ReLU → maxpool 2×2 → conv3×3 1   (B, 1, 7, 7): the code
///   → flatten (49) → dropout → dense 49 → dense 49 (both with `activation`,
///   ReLU by default) → dense H·W ReLU
///   → reshape (B, 1, H, W) → conv3×3 16 [64] ReLU → conv3×3 C → sigmoid
/// ```
///
/// `H` and `W` must be multiples of 4; the code is `(H/4)·(W/4)` values.
#[derive(Clone, Copy, Debug)]
pub struct ConvNet {
    c1: Conv2d,
    c2: Conv2d,
    bn1: BatchNorm,
    c3: Conv2d,
    bn2: BatchNorm,
    c4: Conv2d,
    d1: Linear,
    d2: Linear,
    d3: Linear,
    c5: Conv2d,
    c6: Conv2d,
}

#[derive(Clone, Debug)]
enum Arch {
    Dense {
        enc: Vec<Linear>,
        code: Linear,
        dec: Vec<Linear>,
        out: Linear,
    },
    Vae {
        enc: Vec<Linear>,
        mu: Linear,
        logvar: Linear,
        dec: Vec<Linear>,
        out: Linear,
    },
    Conv(Box<ConvNet>),
}

/// A model: its configuration, image shape, parameters and layers.
#[derive(Clone, Debug)]
pub struct Model<D: Device<f32>> {
    /// The configuration.
    pub cfg: ModelConfig,
    /// `(height, width, channels)` of the images.
    pub shape: (usize, usize, usize),
    /// The parameters.
    pub store: ParamStore<D>,
    arch: Arch,
}

/// A scalar with its tape.
pub type Scalar<D, T> = Tensor<(), f32, D, T>;

/// A loss with the signals to report beside it.
pub struct LossOut<D: Device<f32>, T> {
    /// What is minimised.
    pub loss: Scalar<D, T>,
    /// `(name, value)` of its parts and diagnostics.
    pub signals: Vec<(&'static str, f64)>,
}

fn dense_stack<D: Device<f32>>(
    store: &mut ParamStore<D>,
    prefix: &str,
    sizes: &[usize],
    relu: bool,
) -> Vec<Linear> {
    sizes
        .windows(2)
        .enumerate()
        .map(|(i, w)| Linear::new(store, &format!("{prefix}{i}"), w[0], w[1], relu))
        .collect()
}

impl<D: Device<f32>> Model<D> {
    /// A freshly initialised model for images of `shape`.
    pub fn new(
        cfg: ModelConfig,
        shape: (usize, usize, usize),
        dev: D,
        seed: u64,
    ) -> Result<Self, String> {
        let (h, w, c) = shape;
        let d = h * w * c;
        if d == 0 {
            return Err("images are empty".into());
        }
        let mut store = ParamStore::new(dev, seed);
        let relu = cfg.activation() == Activation::Relu;
        let arch = match cfg.arch {
            ArchKind::Dense | ArchKind::Vae => {
                let mut sizes = vec![d];
                sizes.extend(&cfg.hidden);
                let enc = dense_stack(&mut store, "enc", &sizes, relu);
                let last = *sizes.last().expect("d");
                let mut dec_sizes = vec![cfg.code_size];
                dec_sizes.extend(cfg.hidden.iter().rev());
                let dec_last = *dec_sizes.last().expect("code");
                if cfg.arch == ArchKind::Vae {
                    let mu = Linear::new(&mut store, "mu", last, cfg.code_size, false);
                    let logvar = Linear::new(&mut store, "logvar", last, cfg.code_size, false);
                    let dec = dense_stack(&mut store, "dec", &dec_sizes, relu);
                    let out = Linear::new(&mut store, "out", dec_last, d, false);
                    Arch::Vae {
                        enc,
                        mu,
                        logvar,
                        dec,
                        out,
                    }
                } else {
                    let code_relu = cfg.code_activation() == Activation::Relu;
                    let code = Linear::new(&mut store, "code", last, cfg.code_size, code_relu);
                    let dec = dense_stack(&mut store, "dec", &dec_sizes, relu);
                    let out = Linear::new(&mut store, "out", dec_last, d, false);
                    Arch::Dense {
                        enc,
                        code,
                        dec,
                        out,
                    }
                }
            }
            ArchKind::Conv => {
                if h % 4 != 0 || w % 4 != 0 {
                    return Err(format!(
                        "the convolutional autoencoder needs a height and width divisible by 4, not {h}×{w}"
                    ));
                }
                let (a, b, e, f) = if cfg.size == "full" {
                    (64, 128, 256, 64)
                } else {
                    (16, 32, 32, 16)
                };
                let code = (h / 4) * (w / 4);
                let s = &mut store;
                Arch::Conv(Box::new(ConvNet {
                    c1: Conv2d::same(s, "c1", c, a, 3),
                    c2: Conv2d::same(s, "c2", a, b, 3),
                    bn1: BatchNorm::new(s, "bn1", b),
                    c3: Conv2d::same(s, "c3", b, e, 3),
                    bn2: BatchNorm::new(s, "bn2", e),
                    c4: Conv2d::same(s, "c4", e, 1, 3),
                    d1: Linear::new(s, "d1", code, code, true),
                    d2: Linear::new(s, "d2", code, code, true),
                    d3: Linear::new(s, "d3", code, h * w, true),
                    c5: Conv2d::same(s, "c5", 1, f, 3),
                    c6: Conv2d::same(s, "c6", f, c, 3),
                }))
            }
        };
        Ok(Model {
            cfg,
            shape,
            store,
            arch,
        })
    }

    /// Data-dependent start of the output bias: the output begins at the
    /// training mean image (per value for dense decoders, per channel for
    /// the convolutional one), through the logit when the output is a
    /// sigmoid. Without it a sigmoid decoder spends its first epochs moving
    /// the background from 0.5 to 0 one Adam step (≤ lr) at a time.
    pub fn init_output_bias(&mut self, mean: &[f32]) {
        let d = self.dim();
        assert_eq!(
            mean.len(),
            d,
            "mean image of {} values, model has {d}",
            mean.len()
        );
        let squash = |m: f32| {
            if self.cfg.sigmoid_output {
                let m = m.clamp(1e-3, 1.0 - 1e-3);
                (m / (1.0 - m)).ln()
            } else {
                m
            }
        };
        let (id, values) = match &self.arch {
            Arch::Dense { out, .. } | Arch::Vae { out, .. } => {
                (out.b, mean.iter().map(|m| squash(*m)).collect::<Vec<_>>())
            }
            Arch::Conv(net) => {
                let c = self.shape.2;
                let hw = self.shape.0 * self.shape.1;
                let per_channel = (0..c)
                    .map(|ch| squash(mean[ch * hw..(ch + 1) * hw].iter().sum::<f32>() / hw as f32))
                    .collect();
                (net.c6.b, per_channel)
            }
        };
        self.store.set_values(id, values).expect("bias length");
    }

    /// Values per image.
    pub fn dim(&self) -> usize {
        self.shape.0 * self.shape.1 * self.shape.2
    }

    /// Code length.
    pub fn code_len(&self) -> usize {
        match &self.arch {
            Arch::Conv(_) => (self.shape.0 / 4) * (self.shape.1 / 4),
            _ => self.cfg.code_size,
        }
    }

    /// Encodes `x: (N, d)`; returns the code and, for the VAE, `log σ²`.
    fn encode_t<T: Tape<f32, D>>(
        &mut self,
        x: T2<D, T>,
        train: bool,
    ) -> (T2<D, T>, Option<T2<D, T>>) {
        let act = self.cfg.activation();
        let code_act = self.cfg.code_activation();
        let (h, w, c) = self.shape;
        match self.arch.clone() {
            Arch::Dense { enc, code, .. } => {
                let mut a = x;
                for l in &enc {
                    a = act.apply(l.forward(&self.store, a));
                }
                (code_act.apply(code.forward(&self.store, a)), None)
            }
            Arch::Vae {
                enc, mu, logvar, ..
            } => {
                let mut a = x;
                for l in &enc {
                    a = act.apply(l.forward(&self.store, a));
                }
                let lv = logvar.forward(&self.store, a.with_empty_tape());
                (mu.forward(&self.store, a), Some(lv))
            }
            Arch::Conv(net) => {
                let n = x.shape().0;
                let s = &mut self.store;
                let x = x.reshape_like(&(n, c, h, w));
                let y = net.c2.forward(s, net.c1.forward(s, x));
                let y = max_pool(net.bn1.forward(s, y, train).relu(), (2, 2));
                let y = net.c3.forward(s, y);
                let y = max_pool(net.bn2.forward(s, y, train).relu(), (2, 2));
                let code: T4<D, T> = net.c4.forward(s, y);
                (code.reshape_like(&(n, (h / 4) * (w / 4))), None)
            }
        }
    }

    /// Decodes codes `(N, k)` to output logits (or outputs, for `linear`) `(N, d)`.
    fn decode_t<T: Tape<f32, D>>(
        &mut self,
        z: T2<D, T>,
        train: bool,
        rng: &mut ChaCha8Rng,
    ) -> T2<D, T> {
        let act = self.cfg.activation();
        let (h, w, _) = self.shape;
        match self.arch.clone() {
            Arch::Dense { dec, out, .. } | Arch::Vae { dec, out, .. } => {
                let mut a = z;
                for l in &dec {
                    a = act.apply(l.forward(&self.store, a));
                }
                out.forward(&self.store, a)
            }
            Arch::Conv(net) => {
                let n = z.shape().0;
                let s = &self.store;
                let z = dropout(z, self.cfg.dropout, train, rng);
                let y = act.apply(net.d1.forward(s, z));
                let y = act.apply(net.d2.forward(s, y));
                let y = net.d3.forward(s, y).relu();
                let y = y.reshape_like(&(n, 1, h, w));
                let y = net.c5.forward(s, y).relu();
                let y = net.c6.forward(s, y);
                let d = self.dim();
                y.reshape_like(&(n, d))
            }
        }
    }

    /// Output values in [0, 1] from what [`decode_t`](Self::decode_t) returns.
    fn outputs<T: Tape<f32, D>>(&self, logits: T2<D, T>) -> T2<D, T> {
        if self.cfg.sigmoid_output {
            logits.sigmoid()
        } else {
            logits
        }
    }

    /// The loss of reconstructing `target` from `input` (both `(N, d)`;
    /// they differ for denoising). `train` selects batch statistics and
    /// dropout; `rng` draws dropout masks and the VAE's ε.
    pub fn loss<T: Tape<f32, D>>(
        &mut self,
        input: T2<D, T>,
        target: T2<D, NoneTape>,
        train: bool,
        rng: &mut ChaCha8Rng,
    ) -> LossOut<D, T> {
        let n = input.shape().0 as f32;
        let (code, logvar) = self.encode_t(input, train);
        let mut signals = Vec::new();
        if let Some(logvar) = logvar {
            // VAE.
            let mu = code;
            let k = mu.shape().1;
            let eps: Vec<f32> = (0..mu.shape().0 * k)
                .map(|_| standard_normal(rng))
                .collect();
            let eps = self.store.device().tensor_from_vec(eps, *mu.shape());
            let std = (logvar.with_empty_tape() * 0.5).exp();
            let z = mu.with_empty_tape() + std * eps;
            let logits = self.decode_t(z, train, rng);
            let recon = if self.cfg.decoder == "gaussian" {
                (logits.sigmoid() - target).square().sum::<(), _>() * (0.5 / n)
            } else {
                logits.bce_with_logits(target).sum::<(), _>() / n
            };
            let kl = ((logvar.with_empty_tape() + 1.0) - mu.square() - logvar.exp()).sum::<(), _>()
                * (-0.5 / n);
            let (r, k) = (value(&recon), value(&kl));
            signals.push(("recon", r));
            signals.push(("kl", k));
            signals.push(("elbo", -(r + k)));
            let loss = recon + kl * self.cfg.beta;
            return LossOut { loss, signals };
        }

        let penalty = match self.cfg.penalty {
            Penalty::None => None,
            Penalty::L1 { lambda } => {
                let p = code.with_empty_tape().abs().sum::<(), _>() * (lambda / n);
                signals.push(("l1_penalty", value(&p)));
                Some(p)
            }
            Penalty::Kl { rho, beta } => {
                let p = kl_sparsity(code.with_empty_tape(), rho) * beta;
                signals.push(("kl_sparsity", value(&p)));
                Some(p)
            }
            Penalty::Contractive { lambda } => {
                let Arch::Dense { code: layer, .. } = &self.arch else {
                    unreachable!("contractive is dense")
                };
                let w = self.store.matrix::<T>(layer.w);
                let p = contractive(code.with_empty_tape(), w) * lambda;
                signals.push(("contractive_penalty", value(&p)));
                Some(p)
            }
        };
        if matches!(self.cfg.penalty, Penalty::L1 { .. } | Penalty::Kl { .. }) {
            let mean = code.as_vec().iter().map(|v| *v as f64).sum::<f64>()
                / (code.shape().0 * code.shape().1).max(1) as f64;
            signals.push(("mean_activation", mean));
        }
        let logits = self.decode_t(code, train, rng);
        let recon = match self.cfg.loss {
            LossKind::Bce => logits.bce_with_logits(target).mean(),
            LossKind::Mse => (self.outputs(logits) - target).square().mean(),
            LossKind::Rmse => ((self.outputs(logits) - target).square().mean() + 1e-12).sqrt(),
        };
        match penalty {
            Some(p) => {
                signals.push(("recon", value(&recon)));
                LossOut {
                    loss: recon + p,
                    signals,
                }
            }
            None => LossOut {
                loss: recon,
                signals,
            },
        }
    }

    /// Codes of `x: (N, d)` (the VAE's mean), no tape, evaluation mode.
    pub fn encode(&mut self, x: T2<D, NoneTape>) -> T2<D, NoneTape> {
        self.encode_t(x, false).0
    }

    /// Reconstructions in [0, 1] of `x: (N, d)`, evaluation mode.
    pub fn reconstruct(&mut self, x: T2<D, NoneTape>, rng: &mut ChaCha8Rng) -> Vec<f32> {
        let code = self.encode(x);
        self.decode_values(code, rng)
    }

    /// Decodes codes to values in [0, 1], evaluation mode.
    pub fn decode_values(&mut self, code: T2<D, NoneTape>, rng: &mut ChaCha8Rng) -> Vec<f32> {
        let logits = self.decode_t(code, false, rng);
        self.outputs(logits)
            .as_vec()
            .into_iter()
            .map(|v| v.clamp(0.0, 1.0))
            .collect()
    }

    /// `n` codes drawn from `N(0, I)`.
    pub fn prior_codes(&self, n: usize, rng: &mut impl Rng) -> T2<D, NoneTape> {
        let k = self.code_len();
        let v: Vec<f32> = (0..n * k).map(|_| standard_normal(rng)).collect();
        self.store.device().tensor_from_vec(v, (n, k))
    }
}

/// `Σⱼ KL(ρ ‖ ρ̂ⱼ)` with `ρ̂ⱼ` the batch mean of column `j` of `h: (N, k)`.
pub fn kl_sparsity<D: Device<f32>, T: Tape<f32, D>>(h: T2<D, T>, rho: f32) -> Scalar<D, T> {
    let n = h.shape().0 as f32;
    let k = h.shape().1 as f32;
    let rho_hat = (h.sum::<(usize,), Axis<0>>() / n).clamp(1e-6, 1.0 - 1e-6);
    let a = rho_hat.with_empty_tape().ln() * (-rho);
    let b = (rho_hat.negate() + 1.0).ln() * (-(1.0 - rho));
    let c = rho * rho.ln() + (1.0 - rho) * (1.0 - rho).ln();
    (a + b).sum::<(), _>() + c * k
}

/// `mean over the batch of Σⱼ (hⱼ(1−hⱼ))² Σᵢ W²ᵢⱼ` for sigmoid codes
/// `h: (N, k)` of the layer with weight `w: (in, k)`.
pub fn contractive<D: Device<f32>, T: Tape<f32, D>>(h: T2<D, T>, w: T2<D, T>) -> Scalar<D, T> {
    let shape = *h.shape();
    let n = shape.0 as f32;
    let dh = h.with_empty_tape() * (h.negate() + 1.0);
    let wsq = w.square().sum::<(usize,), Axis<0>>();
    (dh.square() * wsq.broadcast_like::<_, Axis<0>>(&shape)).sum::<(), _>() / n
}

/// A scalar's value on the host.
pub fn value<D: Device<f32>, T>(t: &Scalar<D, T>) -> f64 {
    t.as_vec()[0] as f64
}
