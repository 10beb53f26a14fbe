//! Batch normalisation of `(B, C, H, W)` as one custom dfdx operation on
//! the `Cpu` device: per-channel statistics and the affine map in two
//! passes over the data, and a backward pass of two passes more.
//!
//! [`crate::layers::BatchNorm::forward`] dispatches here when its device is
//! `Cpu` (as [`crate::conv_cpu`] does); the generic path is nine tensor
//! operations (sums, broadcasts, a square, a square root, a division),
//! each with its own buffers forward and backward.
//!
//! With `N = B·H·W` values per channel, `x̂ = (x − μ)·s`, `s = 1/√(σ² + ε)`
//! and `y = γ·x̂ + β`:
//!
//! - **training** (batch statistics `μ`, biased `σ²`): `∂β = Σ ∂y`,
//!   `∂γ = Σ ∂y·x̂`, `∂x = γ·s/N · (N·∂y − ∂β − x̂·∂γ)`;
//! - **evaluation** (given running `μ`, `σ²`, constants): `∂x = γ·s·∂y`,
//!   with the same `∂γ`, `∂β`.
//!
//! Sums per channel run in parallel over channels; the elementwise passes
//! in parallel over images.

use crate::conv_cpu::{attach, cast, host, is_cpu};
use dfdx::prelude::*;
use rayon::prelude::*;

type T1<D, T> = Tensor<(usize,), f32, D, T>;
type T4<D, T> = Tensor<(usize, usize, usize, usize), f32, D, T>;

/// Where the statistics come from.
#[derive(Clone, Copy, Debug)]
pub enum Stats<'a> {
    /// The batch's own (training).
    Batch,
    /// Given mean and variance per channel (evaluation).
    Running {
        /// Mean per channel.
        mean: &'a [f32],
        /// Variance per channel.
        var: &'a [f32],
    },
}

/// The normalised tensor and the statistics it used (host values).
pub struct Normalised<D: Device<f32>, T> {
    /// `γ·x̂ + β`.
    pub y: T4<D, T>,
    /// Mean per channel.
    pub mean: Vec<f32>,
    /// Biased variance per channel.
    pub var: Vec<f32>,
}

/// `Σ f(a_k, b_k)` over two equally long runs, in eight lanes so that the
/// loop vectorises (a plain fold of `f32` additions stays serial).
fn lane_sum(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += f(x[k], y[k]);
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| f(*x, *y)).sum();
    acc.iter().sum::<f32>() + tail
}

/// `Σ f(a, b)` over channel `c` of two `(B, C, plane)` buffers, summed per
/// image in `f32` and across images in `f64`.
fn channel_sum(
    a: &[f32],
    b: &[f32],
    (c, chans, plane): (usize, usize, usize),
    f: impl Fn(f32, f32) -> f32 + Copy,
) -> f64 {
    let images = a.len() / (chans * plane).max(1);
    (0..images)
        .map(|i| {
            let r = (i * chans + c) * plane..(i * chans + c + 1) * plane;
            lane_sum(&a[r.clone()], &b[r], f) as f64
        })
        .sum()
}

/// Mean and biased variance per channel of `x` `(B, C, plane)`.
fn batch_stats(x: &[f32], chans: usize, plane: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (x.len() / chans.max(1)).max(1) as f64;
    (0..chans)
        .into_par_iter()
        .map(|c| {
            let at = (c, chans, plane);
            let m = (channel_sum(x, x, at, |v, _| v) / n) as f32;
            let var = channel_sum(x, x, at, |v, _| (v - m) * (v - m)) / n;
            (m, var as f32)
        })
        .unzip()
}

/// Images per rayon task.
fn per_thread(b: usize) -> usize {
    b.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// `out = a_c·u + b_c·v + k_c` (or `out += …` when `add`) elementwise over
/// `(B, C, plane)` buffers, with per-channel coefficients, in parallel over
/// images.
fn affine2(out: &mut [f32], u: &[f32], v: &[f32], coef: &[[f32; 3]], plane: usize, add: bool) {
    let chans = coef.len();
    let per_image = (chans * plane).max(1);
    let images = out.len() / per_image;
    out.par_chunks_mut(per_image)
        .zip(u.par_chunks(per_image).zip(v.par_chunks(per_image)))
        .with_min_len(per_thread(images))
        .for_each(|(o, (u, v))| {
            for (c, [a, b, k]) in coef.iter().enumerate() {
                let r = c * plane..(c + 1) * plane;
                let runs = o[r.clone()].iter_mut().zip(&u[r.clone()]).zip(&v[r]);
                if add {
                    for ((o, u), v) in runs {
                        *o += a * u + b * v + k;
                    }
                } else {
                    for ((o, u), v) in runs {
                        *o = a * u + b * v + k;
                    }
                }
            }
        });
}

/// Batch normalisation as one operation; `x` is `(B, C, H, W)`, `gamma`
/// and `beta` `(C,)`. `D` must be `Cpu` (see [`is_cpu`]); it panics
/// otherwise.
pub fn batch_norm<D: Device<f32>, T: Tape<f32, D>>(
    x: T4<D, T>,
    gamma: T1<D, T>,
    beta: T1<D, T>,
    eps: f32,
    stats: Stats<'_>,
) -> Normalised<D, T> {
    assert!(
        is_cpu::<D>(),
        "norm_cpu::batch_norm runs on the Cpu device only"
    );
    let shape = *x.shape();
    let (_, chans, h, w) = shape;
    let plane = h * w;
    let (x, tape) = x.contiguous().split_tape();
    let (gamma, gt) = gamma.split_tape();
    let (beta, bt) = beta.split_tape();
    let tape = tape.merge(gt).merge(bt);
    let x: T4<Cpu, NoneTape> = cast(x).expect("D is Cpu");
    let gamma: T1<Cpu, NoneTape> = cast(gamma).expect("D is Cpu");
    let beta: T1<Cpu, NoneTape> = cast(beta).expect("D is Cpu");

    let xs = host(&x);
    let (mean, var, train) = match stats {
        Stats::Batch => {
            let (m, v) = batch_stats(&xs, chans, plane);
            (m, v, true)
        }
        Stats::Running { mean, var } => (mean.to_vec(), var.to_vec(), false),
    };
    assert_eq!(mean.len(), chans, "batch norm: statistics per channel");
    let inv: Vec<f32> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
    let (gs, bs) = (host(&gamma), host(&beta));
    // y = x·(γ s) + (β − μ γ s)
    let scale: Vec<f32> = gs.iter().zip(&inv).map(|(g, s)| g * s).collect();
    let shift: Vec<f32> = (0..chans).map(|c| bs[c] - mean[c] * scale[c]).collect();
    let coef: Vec<[f32; 3]> = (0..chans).map(|c| [scale[c], 0.0, shift[c]]).collect();
    let mut y = vec![0.0f32; xs.len()];
    affine2(&mut y, &xs, &xs, &coef, plane, false);
    let y: T4<Cpu, NoneTape> = x.device().tensor_from_vec(y, shape);

    // The backward pass reads the host copies of x and γ made here.
    let saved_mean = mean.clone();
    let y = attach(y, tape, "batch norm", move |grads, y| {
        let saved = Saved {
            x: &xs,
            gamma: &gs,
            mean: &saved_mean,
            inv: &inv,
            train,
        };
        backward_op(grads, (&x, &gamma, &beta), y, &saved)
    });
    Normalised { y, mean, var }
}

/// What the forward pass hands to the backward pass.
struct Saved<'a> {
    /// Host copies of `x` and `γ`.
    x: &'a [f32],
    gamma: &'a [f32],
    mean: &'a [f32],
    inv: &'a [f32],
    train: bool,
}

/// The backward operation on `Cpu` gradients.
#[allow(clippy::type_complexity)]
fn backward_op(
    grads: &mut Gradients<f32, Cpu>,
    (x, gamma, beta): (&T4<Cpu, NoneTape>, &T1<Cpu, NoneTape>, &T1<Cpu, NoneTape>),
    y: &T4<Cpu, NoneTape>,
    saved: &Saved<'_>,
) -> Result<(), CpuError> {
    let (_, chans, h, w) = *x.shape();
    let plane = h * w;
    let gy = std::mem::take(&mut **grads.get_or_alloc_mut(y)?);
    let (xs, gs) = (saved.x, saved.gamma);
    let n = (xs.len() / chans.max(1)).max(1) as f32;
    let (mean, inv) = (saved.mean, saved.inv);
    // ∂β = Σ ∂y, ∂γ = Σ ∂y·x̂ per channel.
    let (dbeta, dgamma): (Vec<f32>, Vec<f32>) = (0..chans)
        .into_par_iter()
        .map(|c| {
            let at = (c, chans, plane);
            let db = channel_sum(&gy, &gy, at, |g, _| g);
            let m = mean[c];
            let dg = channel_sum(&gy, xs, at, |g, x| g * (x - m)) * inv[c] as f64;
            (db as f32, dg as f32)
        })
        .unzip();
    // Training: ∂x = γs/N·(N·∂y − ∂β − x̂·∂γ) with x̂ = (x − μ)s, as
    // a·∂y + b·x + k per channel; evaluation: ∂x = γs·∂y.
    let coef: Vec<[f32; 3]> = (0..chans)
        .map(|c| {
            let a = gs[c] * inv[c];
            if saved.train {
                let b = -a * inv[c] * dgamma[c] / n;
                [a, b, -a * dbeta[c] / n - b * mean[c]]
            } else {
                [a, 0.0, 0.0]
            }
        })
        .collect();
    // ∂x is added straight into x's gradient (no buffer of its own).
    affine2(grads.get_or_alloc_mut(x)?, &gy, xs, &coef, plane, true);
    **grads.get_or_alloc_mut(y)? = gy;
    for (d, s) in grads.get_or_alloc_mut(gamma)?.iter_mut().zip(&dgamma) {
        *d += s;
    }
    for (d, s) in grads.get_or_alloc_mut(beta)?.iter_mut().zip(&dbeta) {
        *d += s;
    }
    Ok(())
}
