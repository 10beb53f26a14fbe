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

use crate::conv_cpu::{cast, host, is_cpu};
use dfdx::prelude::*;
use rayon::prelude::*;
use std::any::Any;

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

/// `Σ f(value)` over channel `c`'s values of every image.
fn channel_sum(x: &[f32], c: usize, chans: usize, plane: usize, f: impl Fn(usize) -> f32) -> f64 {
    let mut s = 0.0f64;
    let images = x.len() / (chans * plane).max(1);
    for b in 0..images {
        let start = (b * chans + c) * plane;
        let mut part = 0.0f32;
        for i in start..start + plane {
            part += f(i);
        }
        s += part as f64;
    }
    s
}

/// Mean and biased variance per channel of `x` `(B, C, plane)`.
fn batch_stats(x: &[f32], chans: usize, plane: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (x.len() / chans.max(1)).max(1) as f64;
    (0..chans)
        .into_par_iter()
        .map(|c| {
            let mean = channel_sum(x, c, chans, plane, |i| x[i]) / n;
            let m = mean as f32;
            let var = channel_sum(x, c, chans, plane, |i| {
                let d = x[i] - m;
                d * d
            }) / n;
            (m, var as f32)
        })
        .unzip()
}

/// Images per rayon task.
fn per_thread(b: usize) -> usize {
    b.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// `out[i] = f(channel, i)` over `(B, C, plane)`, in parallel over images.
fn map_images(out: &mut [f32], chans: usize, plane: usize, f: impl Fn(usize, usize) -> f32 + Sync) {
    let per_image = chans * plane;
    let images = out.len() / per_image.max(1);
    out.par_chunks_mut(per_image.max(1))
        .enumerate()
        .with_min_len(per_thread(images))
        .for_each(|(b, img)| {
            for c in 0..chans {
                let base = (b * chans + c) * plane;
                for (k, v) in img[c * plane..(c + 1) * plane].iter_mut().enumerate() {
                    *v = f(c, base + k);
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
    let mut tape = tape.merge(gt).merge(bt);
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
    let mut y = vec![0.0f32; xs.len()];
    map_images(&mut y, chans, plane, |c, i| xs[i] * scale[c] + shift[c]);
    drop(xs);
    let y: T4<Cpu, NoneTape> = x.device().tensor_from_vec(y, shape);

    if T::OWNS_TAPE {
        let y_ghost = y.clone();
        let (mean, inv) = (mean.clone(), inv);
        tape.add_backward_op(move |grads: &mut Gradients<f32, D>| {
            let grads: &mut Gradients<f32, Cpu> =
                (grads as &mut dyn Any).downcast_mut().expect("D is Cpu");
            let saved = Saved {
                mean: &mean,
                inv: &inv,
                train,
            };
            // `Cpu` only fails to allocate when out of memory, and its error
            // type is not `D::Err` to the compiler: such a failure panics.
            backward_op(grads, &x, &gamma, &beta, &y_ghost, &saved)
                .expect("batch norm backward: CPU allocation failed");
            Ok(())
        });
    }
    let y: T4<D, NoneTape> = cast(y).expect("D is Cpu");
    Normalised {
        y: y.put_tape(tape),
        mean,
        var,
    }
}

/// What the forward pass hands to the backward pass.
struct Saved<'a> {
    mean: &'a [f32],
    inv: &'a [f32],
    train: bool,
}

/// The backward operation on `Cpu` gradients.
fn backward_op(
    grads: &mut Gradients<f32, Cpu>,
    x: &T4<Cpu, NoneTape>,
    gamma: &T1<Cpu, NoneTape>,
    beta: &T1<Cpu, NoneTape>,
    y: &T4<Cpu, NoneTape>,
    saved: &Saved<'_>,
) -> Result<(), CpuError> {
    let (_, chans, h, w) = *x.shape();
    let plane = h * w;
    let gy = std::mem::take(&mut **grads.get_or_alloc_mut(y)?);
    let xs = host(x);
    let gs = host(gamma);
    let n = (xs.len() / chans.max(1)).max(1) as f32;
    let (mean, inv) = (saved.mean, saved.inv);
    // ∂β = Σ ∂y, ∂γ = Σ ∂y·x̂ per channel.
    let (dbeta, dgamma): (Vec<f32>, Vec<f32>) = (0..chans)
        .into_par_iter()
        .map(|c| {
            let db = channel_sum(&gy, c, chans, plane, |i| gy[i]);
            let dg = channel_sum(&gy, c, chans, plane, |i| gy[i] * (xs[i] - mean[c]) * inv[c]);
            (db as f32, dg as f32)
        })
        .unzip();
    let mut dx = vec![0.0f32; xs.len()];
    if saved.train {
        map_images(&mut dx, chans, plane, |c, i| {
            let xhat = (xs[i] - mean[c]) * inv[c];
            gs[c] * inv[c] / n * (n * gy[i] - dbeta[c] - xhat * dgamma[c])
        });
    } else {
        map_images(&mut dx, chans, plane, |c, i| gs[c] * inv[c] * gy[i]);
    }
    **grads.get_or_alloc_mut(y)? = gy;
    for (d, s) in grads.get_or_alloc_mut(x)?.iter_mut().zip(&dx) {
        *d += s;
    }
    for (d, s) in grads.get_or_alloc_mut(gamma)?.iter_mut().zip(&dgamma) {
        *d += s;
    }
    for (d, s) in grads.get_or_alloc_mut(beta)?.iter_mut().zip(&dbeta) {
        *d += s;
    }
    Ok(())
}
