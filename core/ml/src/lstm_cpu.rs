//! A whole LSTM sequence as one custom dfdx operation on the `Cpu` device:
//! the recurrence, its gates and its backpropagation through time in plain
//! loops over host buffers, with one small `gemm` per step.
//!
//! [`crate::rnn::Rnn::forward`] dispatches here for an LSTM when its device
//! is `Cpu` (by `TypeId`, as [`crate::conv_cpu`] does); the generic path
//! builds a dozen tape nodes per time step, whose allocations and small
//! elementwise kernels dominated the CRNN's training time (issue 15).
//!
//! Input: the input projection of every step, `xs = x·W_ih + b` as one
//! `(T·B, 4H)` matrix (row `t·B + b`), computed by the caller with one
//! matmul, and `W_hh (H, 4H)`. Per step, with PyTorch's gate order:
//!
//! ```text
//! z_t = xs_t + h_{t−1}·W_hh                       (B, 4H)
//! i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)
//! c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
//! ```
//!
//! from `h_0 = c_0 = 0`. The samples of a batch are independent, so the
//! batch is split into one chunk per rayon thread and each chunk runs the
//! whole sequence on its own (no synchronisation per step). The forward
//! pass keeps the activated gates and `tanh(c_t)`; the backward pass runs
//! time in reverse:
//!
//! ```text
//! ∂h = ∂y_t + ∂h_next,  ∂o = ∂h ⊙ tanh c_t,  ∂c = ∂h ⊙ o ⊙ (1 − tanh² c_t) + ∂c_next
//! ∂i = ∂c ⊙ g,  ∂g = ∂c ⊙ i,  ∂f = ∂c ⊙ c_{t−1},  ∂c_next = ∂c ⊙ f
//! ∂z = (∂i·i(1−i), ∂f·f(1−f), ∂g·(1−g²), ∂o·o(1−o))
//! ∂xs_t += ∂z_t,  ∂h_next = ∂z_t·W_hhᵀ,  ∂W_hh += Σ_t h_{t−1}ᵀ·∂z_t
//! ```
//!
//! the last sum as one product per chunk after the loop.

use crate::conv_cpu::{attach, cast, host, is_cpu, matmul};
use dfdx::prelude::*;
use rayon::prelude::*;

type T2<D, T> = Tensor<(usize, usize), f32, D, T>;
type T3<D, T> = Tensor<(usize, usize, usize), f32, D, T>;

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The samples one rayon task runs: batch indices, longest first, and
/// their lengths.
#[derive(Clone, Debug)]
struct Chunk {
    rows: Vec<usize>,
    lens: Vec<usize>,
}

impl Chunk {
    fn n(&self) -> usize {
        self.rows.len()
    }

    /// How many samples (a prefix, as they are longest first) are still
    /// inside their sequence at step `t`.
    fn active(&self, t: usize) -> usize {
        self.lens.partition_point(|&l| l > t)
    }
}

/// The batch split into one chunk per rayon thread, each sorted longest
/// first; samples are dealt round-robin in order of length so that the
/// chunks get about the same number of steps to run.
fn chunks(lens: &[usize]) -> Vec<Chunk> {
    let b = lens.len();
    let threads = rayon::current_num_threads().max(1);
    // Small chunks cost more in per-step overhead than they gain.
    let k = threads.min(b.div_ceil(4)).max(1);
    let mut order: Vec<usize> = (0..b).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(lens[i]));
    (0..k)
        .map(|c| {
            let rows: Vec<usize> = order.iter().skip(c).step_by(k).copied().collect();
            let lens = rows.iter().map(|&i| lens[i]).collect();
            Chunk { rows, lens }
        })
        .filter(|c| c.n() > 0)
        .collect()
}

/// What one chunk's forward pass keeps for its backward pass, in the
/// chunk's own `(T, n, ·)` layout.
struct Saved {
    chunk: Chunk,
    /// Activated gates `i, f, g, o` per step: `(T, n, 4H)`.
    gates: Vec<f32>,
    /// Cell states `c_t`: `(T, n, H)`.
    c: Vec<f32>,
    /// `tanh(c_t)`: `(T, n, H)`.
    tc: Vec<f32>,
    /// Outputs `h_t`: `(T, n, H)`.
    h: Vec<f32>,
}

/// The sizes of one sequence batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Time steps `T`.
    pub t: usize,
    /// Batch `B`.
    pub b: usize,
    /// Hidden size `H`.
    pub h: usize,
}

/// The forward pass of one chunk; `xs` is the whole `(T·B, 4H)` projection.
/// Steps past a sample's length are skipped (their outputs stay zero).
fn forward_chunk(xs: &[f32], w_hh: &[f32], d: Dims, chunk: Chunk) -> Saved {
    let (h, n) = (d.h, chunk.n());
    let g4 = 4 * h;
    let mut gates = vec![0.0f32; d.t * n * g4];
    let mut c = vec![0.0f32; d.t * n * h];
    let mut tc = vec![0.0f32; d.t * n * h];
    let mut hs = vec![0.0f32; d.t * n * h];
    for t in 0..d.t {
        let m = chunk.active(t);
        if m == 0 {
            break;
        }
        let z = &mut gates[t * n * g4..(t * n + m) * g4];
        for (zs, &row) in z.chunks_exact_mut(g4).zip(&chunk.rows) {
            let src = (t * d.b + row) * g4;
            zs.copy_from_slice(&xs[src..src + g4]);
        }
        if t > 0 {
            // z (m × 4H) += h_{t−1} (m × H) · W_hh (H × 4H)
            let hp = &hs[(t - 1) * n * h..((t - 1) * n + m) * h];
            matmul((m, g4, h), z, (g4, 1), true, hp, (h, 1), w_hh, (g4, 1));
        }
        let (c_prev, c_now) = if t > 0 {
            let (a, b) = c.split_at_mut(t * n * h);
            (Some(&a[(t - 1) * n * h..]), &mut b[..m * h])
        } else {
            (None, &mut c[..m * h])
        };
        let tc_now = &mut tc[t * n * h..(t * n + m) * h];
        let h_now = &mut hs[t * n * h..(t * n + m) * h];
        for s in 0..m {
            let zs = &mut z[s * g4..(s + 1) * g4];
            let (zi, rest) = zs.split_at_mut(h);
            let (zf, rest) = rest.split_at_mut(h);
            let (zg, zo) = rest.split_at_mut(h);
            let cs = &mut c_now[s * h..(s + 1) * h];
            let tcs = &mut tc_now[s * h..(s + 1) * h];
            let hs_ = &mut h_now[s * h..(s + 1) * h];
            for j in 0..h {
                let i = sigmoid(zi[j]);
                let f = sigmoid(zf[j]);
                let g = zg[j].tanh();
                let o = sigmoid(zo[j]);
                let cp = c_prev.map_or(0.0, |cp| cp[s * h + j]);
                let cv = f * cp + i * g;
                let tv = cv.tanh();
                zi[j] = i;
                zf[j] = f;
                zg[j] = g;
                zo[j] = o;
                cs[j] = cv;
                tcs[j] = tv;
                hs_[j] = o * tv;
            }
        }
    }
    Saved {
        chunk,
        gates,
        c,
        tc,
        h: hs,
    }
}

/// The forward pass on host buffers: `xs` `(T·B, 4H)`, `w_hh` `(H, 4H)`,
/// each sample's length; returns the outputs `(T, B, H)` and what the
/// backward pass needs.
fn forward(xs: &[f32], w_hh: &[f32], d: Dims, lens: &[usize]) -> (Vec<f32>, Vec<Saved>) {
    assert_eq!(xs.len(), d.t * d.b * 4 * d.h, "lstm: projection size");
    assert_eq!(w_hh.len(), d.h * 4 * d.h, "lstm: recurrent weight size");
    assert_eq!(lens.len(), d.b, "lstm: one length per sample");
    let saved: Vec<Saved> = chunks(lens)
        .into_par_iter()
        .map(|chunk| forward_chunk(xs, w_hh, d, chunk))
        .collect();
    let mut y = vec![0.0f32; d.t * d.b * d.h];
    for s in &saved {
        let n = s.chunk.n();
        for t in 0..d.t {
            for (k, &row) in s.chunk.rows.iter().enumerate() {
                let dst = (t * d.b + row) * d.h;
                let src = (t * n + k) * d.h;
                y[dst..dst + d.h].copy_from_slice(&s.h[src..src + d.h]);
            }
        }
    }
    (y, saved)
}

/// The backward pass of one chunk: returns `∂z` `(T, n, 4H)` (which is
/// `∂xs` for the chunk's rows) and its `∂W_hh` `(H, 4H)`.
fn backward_chunk(gy: &[f32], w_hh: &[f32], d: Dims, s: &Saved) -> (Vec<f32>, Vec<f32>) {
    let (h, n) = (d.h, s.chunk.n());
    let g4 = 4 * h;
    let mut dz = vec![0.0f32; d.t * n * g4];
    // Rows of samples not yet inside their sequence (time runs backwards)
    // stay zero until their last step.
    let mut dh_next = vec![0.0f32; n * h];
    let mut dc_next = vec![0.0f32; n * h];
    for t in (0..d.t).rev() {
        let m = s.chunk.active(t);
        if m == 0 {
            continue;
        }
        let gates = &s.gates[t * n * g4..(t + 1) * n * g4];
        let tc = &s.tc[t * n * h..(t + 1) * n * h];
        let dzt = &mut dz[t * n * g4..(t * n + m) * g4];
        for (b, &row) in s.chunk.rows[..m].iter().enumerate() {
            let gs = &gates[b * g4..(b + 1) * g4];
            let ds = &mut dzt[b * g4..(b + 1) * g4];
            let gyt = &gy[(t * d.b + row) * h..(t * d.b + row + 1) * h];
            for j in 0..h {
                let k = b * h + j;
                let (i, f, g, o) = (gs[j], gs[h + j], gs[2 * h + j], gs[3 * h + j]);
                let dh = gyt[j] + dh_next[k];
                let tcv = tc[k];
                let dc = dh * o * (1.0 - tcv * tcv) + dc_next[k];
                let cp = if t > 0 { s.c[(t - 1) * n * h + k] } else { 0.0 };
                ds[j] = dc * g * i * (1.0 - i);
                ds[h + j] = dc * cp * f * (1.0 - f);
                ds[2 * h + j] = dc * i * (1.0 - g * g);
                ds[3 * h + j] = dh * tcv * o * (1.0 - o);
                dc_next[k] = dc * f;
            }
        }
        if t > 0 {
            // ∂h_{t−1} (m × H) = ∂z_t (m × 4H) · W_hhᵀ (4H × H)
            matmul(
                (m, h, g4),
                &mut dh_next[..m * h],
                (h, 1),
                false,
                dzt,
                (g4, 1),
                w_hh,
                (1, g4),
            );
        }
    }
    // ∂W_hh (H × 4H) = Σ_{t ≥ 1} h_{t−1}ᵀ · ∂z_t: one product over the
    // rows (t−1, k) of h and (t, k) of ∂z, which line up in the chunk's
    // layout (∂z is zero past a sample's length).
    let mut dw = vec![0.0f32; h * g4];
    let rows = (d.t - 1) * n;
    if rows == 0 {
        return (dz, dw);
    }
    matmul(
        (h, g4, rows),
        &mut dw,
        (g4, 1),
        false,
        &s.h[..rows * h],
        (1, h),
        &dz[n * g4..],
        (g4, 1),
    );
    (dz, dw)
}

/// The backward pass on host buffers: adds `∂xs` into `gxs` (`(T·B, 4H)`)
/// and `∂W_hh` into `gw` for the output gradient `gy` (`(T, B, H)`).
fn backward(gy: &[f32], w_hh: &[f32], d: Dims, saved: &[Saved], gxs: &mut [f32], gw: &mut [f32]) {
    let parts: Vec<(Vec<f32>, Vec<f32>)> = saved
        .par_iter()
        .map(|s| backward_chunk(gy, w_hh, d, s))
        .collect();
    let g4 = 4 * d.h;
    for (s, (dz, dw)) in saved.iter().zip(&parts) {
        let n = s.chunk.n();
        for t in 0..d.t {
            for (k, &row) in s.chunk.rows.iter().enumerate() {
                let dst = (t * d.b + row) * g4;
                let src = (t * n + k) * g4;
                for (a, v) in gxs[dst..dst + g4].iter_mut().zip(&dz[src..src + g4]) {
                    *a += v;
                }
            }
        }
        for (a, v) in gw.iter_mut().zip(dw) {
            *a += v;
        }
    }
}

/// The LSTM over a whole sequence as one dfdx operation: `xs` is the input
/// projection `(T·B, 4H)` (bias included), `w_hh` is `(H, 4H)`; returns
/// `h_t` for every step, `(T, B, H)`. With `lengths`, sample `b` runs its
/// first `lengths[b]` steps only and its outputs after them are zero (the
/// padding of a batch of unequal lengths); without, every sample runs all
/// `T`. `D` must be `Cpu` (see [`is_cpu`]); it panics otherwise.
pub fn lstm<D: Device<f32>, T: Tape<f32, D>>(
    xs: T2<D, T>,
    w_hh: T2<D, T>,
    t_n: usize,
    b_n: usize,
    lengths: Option<&[usize]>,
) -> T3<D, T> {
    assert!(is_cpu::<D>(), "lstm_cpu::lstm runs on the Cpu device only");
    let (rows, g4) = *xs.shape();
    let h = g4 / 4;
    assert_eq!(rows, t_n * b_n, "lstm: {rows} rows for T·B = {t_n}·{b_n}");
    assert_eq!(*w_hh.shape(), (h, g4), "lstm: W_hh shape");
    let d = Dims { t: t_n, b: b_n, h };
    let lens: Vec<usize> = match lengths {
        Some(l) => {
            assert_eq!(l.len(), b_n, "lstm: {} lengths for batch {b_n}", l.len());
            l.iter().map(|&l| l.min(t_n)).collect()
        }
        None => vec![t_n; b_n],
    };
    let (xs, tape) = xs.contiguous().split_tape();
    let (w, wt) = w_hh.contiguous().split_tape();
    let tape = tape.merge(wt);
    let xs: T2<Cpu, NoneTape> = cast(xs).expect("D is Cpu");
    let w: T2<Cpu, NoneTape> = cast(w).expect("D is Cpu");

    let (y, saved) = forward(&host(&xs), &host(&w), d, &lens);
    let y: T3<Cpu, NoneTape> = xs.device().tensor_from_vec(y, (t_n, b_n, h));
    attach(y, tape, "lstm", move |grads, y| {
        backward_op(grads, &xs, &w, y, d, &saved)
    })
}

/// The backward operation on `Cpu` gradients.
fn backward_op(
    grads: &mut Gradients<f32, Cpu>,
    xs: &T2<Cpu, NoneTape>,
    w: &T2<Cpu, NoneTape>,
    y: &T3<Cpu, NoneTape>,
    d: Dims,
    saved: &[Saved],
) -> Result<(), CpuError> {
    // Borrow the output and weight gradients by taking them out and putting
    // them back, so that nothing is cloned or aliased.
    let gy = std::mem::take(&mut **grads.get_or_alloc_mut(y)?);
    let mut gw = std::mem::take(&mut **grads.get_or_alloc_mut(w)?);
    let ws = host(w);
    backward(&gy, &ws, d, saved, grads.get_or_alloc_mut(xs)?, &mut gw);
    **grads.get_or_alloc_mut(y)? = gy;
    **grads.get_or_alloc_mut(w)? = gw;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_batch_once_longest_first() {
        for b in [1, 3, 4, 7, 32, 33] {
            let lens: Vec<usize> = (0..b).map(|i| (i * 7) % 5 + 1).collect();
            let cs = chunks(&lens);
            let mut seen: Vec<usize> = cs.iter().flat_map(|c| c.rows.clone()).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..b).collect::<Vec<_>>());
            for c in &cs {
                assert!(c.lens.windows(2).all(|w| w[0] >= w[1]));
                assert_eq!(c.active(0), c.n());
                assert_eq!(c.active(5), 0);
            }
        }
    }
}
