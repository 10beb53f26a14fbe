//! Recurrent layers with runtime sizes: LSTM and GRU over a sequence
//! `(T, B, F)` → `(T, B, H)`, and a bidirectional wrapper → `(T, B, 2H)`.
//!
//! Built from dfdx matmuls, slices and activations over a [`ParamStore`],
//! generic over device and tape like [`crate::layers`]. The input
//! projection of all time steps is one matmul `(T·B, F)·W_ih`; each step then
//! adds `h_{t−1}·W_hh` and applies the gates (PyTorch's equations and gate
//! order):
//!
//! - **LSTM** (gates `i, f, g, o`):
//!   `i = σ(·)`, `f = σ(·)`, `g = tanh(·)`, `o = σ(·)`,
//!   `c_t = f ⊙ c_{t−1} + i ⊙ g`, `h_t = o ⊙ tanh(c_t)`; one bias `b` (4H),
//!   its forget part starts at 1.
//! - **GRU** (gates `r, z, n`): `r = σ(x W_ir + b_ir + h W_hr + b_hr)`,
//!   `z` likewise, `n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))`,
//!   `h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}`; biases `b_ih`, `b_hh` (3H each).
//!
//! The initial state is zero. Padded batches: pass each sample's length to
//! [`BiRnn::forward`]; the backward direction reverses each sample within
//! its length, so it starts at the sample's last real step. Outputs at
//! padding steps are unspecified (CTC ignores them).
//!
//! Weights `W_ih: (F, G·H)`, `W_hh: (H, G·H)` (Xavier uniform), `G` = 4 or 3.
//!
//! **dfdx 0.13 pitfall**: `slice`'s backward on the CPU *assigns* the
//! output gradient into the input's gradient instead of adding it. Slicing
//! is only safe on a tensor whose every use is one of a set of disjoint
//! slices; this module slices only such tensors (the per-step input
//! projections and gate pre-activations). A GRU once sliced its bias
//! directly and lost the other steps' bias gradient (caught by the
//! finite-difference test).

use crate::layers::linear;
use crate::params::{Init, ParamId, ParamStore};
use dfdx::prelude::*;

/// A 3-D tensor `(time, batch, features)`.
pub type T3<D, T> = Tensor<(usize, usize, usize), f32, D, T>;

/// Which recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// Long short-term memory.
    Lstm,
    /// Gated recurrent unit.
    Gru,
}

impl CellKind {
    fn gates(self) -> usize {
        match self {
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }
}

/// One recurrent layer, one direction.
#[derive(Clone, Copy, Debug)]
pub struct Rnn {
    /// LSTM or GRU.
    pub kind: CellKind,
    /// Input weights `(F, G·H)`.
    pub w_ih: ParamId,
    /// Recurrent weights `(H, G·H)`.
    pub w_hh: ParamId,
    /// Input bias `(G·H,)` (the LSTM's only bias).
    pub b_ih: ParamId,
    /// Recurrent bias `(G·H,)` (GRU only).
    pub b_hh: Option<ParamId>,
    /// Input features `F`.
    pub input: usize,
    /// Hidden size `H`.
    pub hidden: usize,
}

/// `x[.., a..b]` of a matrix, keeping the tape.
fn cols<D: Device<f32>, T: Tape<f32, D>>(
    x: Tensor<(usize, usize), f32, D, T>,
    a: usize,
    b: usize,
) -> Tensor<(usize, usize), f32, D, T> {
    x.slice((.., a..b))
}

impl Rnn {
    /// Adds `name.w_ih`, `name.w_hh`, `name.b_ih` (and `name.b_hh` for a GRU).
    pub fn new<D: Device<f32>>(
        store: &mut ParamStore<D>,
        name: &str,
        kind: CellKind,
        input: usize,
        hidden: usize,
    ) -> Self {
        let g = kind.gates() * hidden;
        let w_ih = store.add(
            &format!("{name}.w_ih"),
            &[input, g],
            Init::XavierUniform {
                fan_in: input,
                fan_out: hidden,
            },
        );
        let w_hh = store.add(
            &format!("{name}.w_hh"),
            &[hidden, g],
            Init::XavierUniform {
                fan_in: hidden,
                fan_out: hidden,
            },
        );
        let b_ih = store.add(&format!("{name}.b_ih"), &[g], Init::Zeros);
        let b_hh = match kind {
            CellKind::Lstm => {
                let mut b = vec![0.0; g];
                b[hidden..2 * hidden].fill(1.0);
                store.set_values(b_ih, b).expect("same length");
                None
            }
            CellKind::Gru => Some(store.add(&format!("{name}.b_hh"), &[g], Init::Zeros)),
        };
        Rnn {
            kind,
            w_ih,
            w_hh,
            b_ih,
            b_hh,
            input,
            hidden,
        }
    }

    /// `(T, B, F)` → `(T, B, H)`, left to right from a zero state.
    pub fn forward<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &ParamStore<D>,
        x: T3<D, T>,
    ) -> T3<D, T> {
        self.forward_padded(store, x, None)
    }

    /// As [`Rnn::forward`] for a padded batch: `lengths[b]` is sample `b`'s
    /// real length, and its outputs after it are unspecified (the `Cpu`
    /// LSTM skips those steps and outputs zero there).
    pub fn forward_padded<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &ParamStore<D>,
        x: T3<D, T>,
        lengths: Option<&[usize]>,
    ) -> T3<D, T> {
        let (t_n, b_n, f) = *x.shape();
        assert_eq!(
            f, self.input,
            "rnn: {f} input features, expected {}",
            self.input
        );
        assert!(t_n > 0, "rnn: empty sequence");
        let xs = linear(
            x.reshape_like(&(t_n * b_n, f)),
            store.matrix::<T>(self.w_ih),
            Some(store.flat::<T>(self.b_ih)),
        ); // (T·B, G·H)
        if self.kind == CellKind::Lstm && crate::conv_cpu::is_cpu::<D>() {
            return crate::lstm_cpu::lstm(xs, store.matrix::<T>(self.w_hh), t_n, b_n, lengths);
        }
        self.steps(store, xs, t_n, b_n)
    }

    /// The recurrence from the input projection `xs` `(T·B, G·H)` as
    /// generic tensor operations, a few per step (every device but the
    /// `Cpu` LSTM, which [`crate::lstm_cpu`] runs as one operation).
    fn steps<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &ParamStore<D>,
        xs: Tensor<(usize, usize), f32, D, T>,
        t_n: usize,
        b_n: usize,
    ) -> T3<D, T> {
        let h = self.hidden;
        let g = self.kind.gates() * h;
        // Every use but the first gets an empty tape; the first carries the
        // projection's tape, so all of it reaches the output.
        let mut steps: Vec<Tensor<(usize, usize), f32, D, T>> = Vec::with_capacity(t_n);
        for t in 1..t_n {
            steps.push(xs.with_empty_tape().slice((t * b_n..(t + 1) * b_n, ..)));
        }
        steps.insert(0, xs.slice((0..b_n, ..)));
        let mut outputs: Vec<Tensor<(usize, usize), f32, D, T>> = Vec::with_capacity(t_n);
        let mut h_prev: Option<Tensor<(usize, usize), f32, D, T>> = None;
        let mut c_prev: Option<Tensor<(usize, usize), f32, D, T>> = None;
        for xt in steps {
            // Recurrent projection h·W_hh (+ b_hh); absent at t = 0 (h = 0).
            let rec = h_prev.take().map(|hp| {
                let r = hp.matmul(store.matrix::<T>(self.w_hh));
                match self.b_hh {
                    Some(b) => {
                        let shape = *r.shape();
                        r + store.flat::<T>(b).broadcast_like::<_, Axis<0>>(&shape)
                    }
                    None => r,
                }
            });
            let h_t = match self.kind {
                CellKind::Lstm => {
                    let z = match rec {
                        Some(r) => xt + r,
                        None => xt,
                    };
                    let i = cols(z.with_empty_tape(), 0, h).sigmoid();
                    let fg = cols(z.with_empty_tape(), h, 2 * h).sigmoid();
                    let gg = cols(z.with_empty_tape(), 2 * h, 3 * h).tanh();
                    let o = cols(z, 3 * h, 4 * h).sigmoid();
                    let c = match c_prev.take() {
                        Some(cp) => fg * cp + i * gg,
                        // c₀ = 0: f·c₀ vanishes, but f's tape must still
                        // reach the output.
                        None => fg * 0.0 + i * gg,
                    };
                    c_prev = Some(c.with_empty_tape());
                    o * c.tanh()
                }
                CellKind::Gru => {
                    let xr = cols(xt.with_empty_tape(), 0, h);
                    let xz = cols(xt.with_empty_tape(), h, 2 * h);
                    let xn = cols(xt, 2 * h, 3 * h);
                    // At t = 0 (h₀ = 0) the recurrent term is just b_hh,
                    // materialised so that its slices are disjoint views
                    // of a tensor used nowhere else (see the module docs).
                    let r = rec.unwrap_or_else(|| {
                        let b = store.flat::<T>(self.b_hh.expect("gru has b_hh"));
                        let zeros: Tensor<(usize, usize), f32, D> =
                            store.device().zeros_like(&(b_n, g));
                        b.broadcast_like::<_, Axis<0>>(&(b_n, g)) + zeros
                    });
                    let hr = cols(r.with_empty_tape(), 0, h);
                    let hz = cols(r.with_empty_tape(), h, 2 * h);
                    let hn = cols(r, 2 * h, 3 * h);
                    let rg = (xr + hr).sigmoid();
                    let zg = (xz + hz).sigmoid();
                    let n = (xn + rg * hn).tanh();
                    match outputs.last() {
                        Some(prev) => {
                            let one_minus_z = zg.with_empty_tape().negate() + 1.0;
                            one_minus_z * n + zg * prev.with_empty_tape()
                        }
                        None => (zg.negate() + 1.0) * n,
                    }
                }
            };
            h_prev = Some(h_t.with_empty_tape());
            outputs.push(h_t);
        }
        drop(h_prev);
        outputs.stack()
    }
}

/// Reverses each sample of a `(T, B, F)` batch within its length
/// (`lengths[b]` first steps reversed, padding left in place). Its own
/// inverse.
pub fn reverse_padded<D: Device<f32>, T: Tape<f32, D>>(x: T3<D, T>, lengths: &[usize]) -> T3<D, T> {
    let (t_n, b_n, f) = *x.shape();
    assert_eq!(
        lengths.len(),
        b_n,
        "reverse_padded: {} lengths for batch {b_n}",
        lengths.len()
    );
    let mut idx = Vec::with_capacity(t_n * b_n);
    for t in 0..t_n {
        for (b, &len) in lengths.iter().enumerate() {
            let len = len.min(t_n);
            let src = if t < len { len - 1 - t } else { t };
            idx.push(src * b_n + b);
        }
    }
    let idx = x.device().tensor_from_vec(idx, (t_n * b_n,));
    let rows: Tensor<(usize, usize), f32, D, T> = x.reshape_like(&(t_n * b_n, f)).gather(idx);
    rows.reshape_like(&(t_n, b_n, f))
}

/// Two [`Rnn`]s, one per direction, outputs concatenated: `(T, B, 2H)`.
#[derive(Clone, Copy, Debug)]
pub struct BiRnn {
    /// Left to right.
    pub fwd: Rnn,
    /// Right to left.
    pub bwd: Rnn,
}

impl BiRnn {
    /// Adds `name.fwd.*` and `name.bwd.*`.
    pub fn new<D: Device<f32>>(
        store: &mut ParamStore<D>,
        name: &str,
        kind: CellKind,
        input: usize,
        hidden: usize,
    ) -> Self {
        BiRnn {
            fwd: Rnn::new(store, &format!("{name}.fwd"), kind, input, hidden),
            bwd: Rnn::new(store, &format!("{name}.bwd"), kind, input, hidden),
        }
    }

    /// Output features (`2H`).
    pub fn output(&self) -> usize {
        2 * self.fwd.hidden
    }

    /// `(T, B, F)` → `(T, B, 2H)`; `lengths[b]` is sample `b`'s real length.
    pub fn forward<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &ParamStore<D>,
        x: T3<D, T>,
        lengths: &[usize],
    ) -> T3<D, T> {
        let rev = reverse_padded(x.with_empty_tape(), lengths);
        let f = self.fwd.forward_padded(store, x, Some(lengths));
        let b = reverse_padded(self.bwd.forward_padded(store, rev, Some(lengths)), lengths);
        (f, b).concat_along(Axis::<2>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check_gradients;

    type Tr = OwnedTape<f32, Cpu>;

    fn sig(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    /// Reference LSTM/GRU on the host, f64, one sample, from the store's values.
    fn reference(store: &ParamStore<Cpu>, rnn: &Rnn, xs: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let h = rnn.hidden;
        let g = rnn.kind.gates() * h;
        let f = rnn.input;
        let v = |id: ParamId| {
            store
                .values(id)
                .iter()
                .map(|&x| x as f64)
                .collect::<Vec<_>>()
        };
        let (wih, whh, bih) = (v(rnn.w_ih), v(rnn.w_hh), v(rnn.b_ih));
        let bhh = rnn.b_hh.map(v).unwrap_or_else(|| vec![0.0; g]);
        let (mut hs, mut cs) = (vec![0.0; h], vec![0.0; h]);
        let mut out = Vec::new();
        for x in xs {
            let xi: Vec<f64> = (0..g)
                .map(|j| bih[j] + (0..f).map(|k| x[k] * wih[k * g + j]).sum::<f64>())
                .collect();
            let hh: Vec<f64> = (0..g)
                .map(|j| bhh[j] + (0..h).map(|k| hs[k] * whh[k * g + j]).sum::<f64>())
                .collect();
            let mut nh = vec![0.0; h];
            for u in 0..h {
                match rnn.kind {
                    CellKind::Lstm => {
                        let a = |q: usize| xi[q * h + u] + hh[q * h + u];
                        let (i, fg, gg, o) = (sig(a(0)), sig(a(1)), a(2).tanh(), sig(a(3)));
                        cs[u] = fg * cs[u] + i * gg;
                        nh[u] = o * cs[u].tanh();
                    }
                    CellKind::Gru => {
                        let r = sig(xi[u] + hh[u]);
                        let z = sig(xi[h + u] + hh[h + u]);
                        let n = (xi[2 * h + u] + r * hh[2 * h + u]).tanh();
                        nh[u] = (1.0 - z) * n + z * hs[u];
                    }
                }
            }
            hs = nh;
            out.push(hs.clone());
        }
        out
    }

    #[test]
    fn lstm_single_step_by_hand() {
        // F = 1, H = 1: gates i, f, g, o with w_ih = [1, 2, 3, 4], b = [0.1, 1, 0, -0.5].
        let mut store = ParamStore::new(Cpu::default(), 0);
        let rnn = Rnn::new(&mut store, "l", CellKind::Lstm, 1, 1);
        assert_eq!(store.values(rnn.b_ih), vec![0.0, 1.0, 0.0, 0.0]);
        store
            .set_values(rnn.w_ih, vec![1.0, 2.0, 3.0, 4.0])
            .unwrap();
        store
            .set_values(rnn.b_ih, vec![0.1, 1.0, 0.0, -0.5])
            .unwrap();
        let x = 0.5f64;
        let i = sig(0.5 + 0.1);
        let g = (1.5f64).tanh();
        let o = sig(2.0 - 0.5);
        let c = i * g; // c₀ = 0
        let expect = o * c.tanh();
        let dev = Cpu::default();
        let y =
            rnn.forward::<Cpu, NoneTape>(&store, dev.tensor_from_vec(vec![x as f32], (1, 1, 1)));
        assert!(
            (y.as_vec()[0] as f64 - expect).abs() < 1e-6,
            "{:?} vs {expect}",
            y.as_vec()
        );
    }

    #[test]
    fn gru_single_step_by_hand() {
        // F = 1, H = 1: gates r, z, n.
        let mut store = ParamStore::new(Cpu::default(), 0);
        let rnn = Rnn::new(&mut store, "g", CellKind::Gru, 1, 1);
        store.set_values(rnn.w_ih, vec![1.0, -1.0, 2.0]).unwrap();
        store.set_values(rnn.b_ih, vec![0.0, 0.5, 0.1]).unwrap();
        store
            .set_values(rnn.b_hh.unwrap(), vec![0.2, 0.0, 0.3])
            .unwrap();
        let x = 0.8f64;
        let r = sig(0.8 + 0.2);
        let z = sig(-0.8 + 0.5);
        let n = (1.6 + 0.1 + r * 0.3).tanh();
        let expect = (1.0 - z) * n; // h₀ = 0
        let dev = Cpu::default();
        let y =
            rnn.forward::<Cpu, NoneTape>(&store, dev.tensor_from_vec(vec![x as f32], (1, 1, 1)));
        assert!(
            (y.as_vec()[0] as f64 - expect).abs() < 1e-6,
            "{:?} vs {expect}",
            y.as_vec()
        );
    }

    #[test]
    fn sequences_match_the_reference_per_sample() {
        for kind in [CellKind::Lstm, CellKind::Gru] {
            let (t, b, f, h) = (4, 2, 3, 5);
            let mut store = ParamStore::new(Cpu::default(), 1);
            let rnn = Rnn::new(&mut store, "r", kind, f, h);
            // Non-zero biases so every term matters.
            let g = kind.gates() * h;
            store
                .set_values(rnn.b_ih, (0..g).map(|j| 0.1 * j as f32 - 0.5).collect())
                .unwrap();
            if let Some(bh) = rnn.b_hh {
                store
                    .set_values(bh, (0..g).map(|j| 0.3 - 0.05 * j as f32).collect())
                    .unwrap();
            }
            let xs: Vec<f32> = (0..t * b * f)
                .map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0)
                .collect();
            let dev = Cpu::default();
            let y = rnn
                .forward::<Cpu, NoneTape>(&store, dev.tensor_from_vec(xs.clone(), (t, b, f)))
                .as_vec();
            for bi in 0..b {
                let seq: Vec<Vec<f64>> = (0..t)
                    .map(|ti| (0..f).map(|k| xs[(ti * b + bi) * f + k] as f64).collect())
                    .collect();
                let r = reference(&store, &rnn, &seq);
                for ti in 0..t {
                    for u in 0..h {
                        let got = y[(ti * b + bi) * h + u] as f64;
                        assert!((got - r[ti][u]).abs() < 1e-5, "{kind:?} t{ti} b{bi} u{u}");
                    }
                }
            }
        }
    }

    #[test]
    fn bidirectional_reverses_within_each_length() {
        let (t, b, f, h) = (4, 2, 2, 3);
        let mut store = ParamStore::new(Cpu::default(), 2);
        let bi = BiRnn::new(&mut store, "bi", CellKind::Lstm, f, h);
        assert_eq!(bi.output(), 6);
        let xs: Vec<f32> = (0..t * b * f).map(|i| (i as f32 * 0.37).sin()).collect();
        let lens = [4, 2];
        let dev = Cpu::default();
        let y = bi
            .forward::<Cpu, NoneTape>(&store, dev.tensor_from_vec(xs.clone(), (t, b, f)), &lens)
            .as_vec();
        for (bi_, &len) in lens.iter().enumerate() {
            let seq: Vec<Vec<f64>> = (0..len)
                .map(|ti| (0..f).map(|k| xs[(ti * b + bi_) * f + k] as f64).collect())
                .collect();
            let fwd = reference(&store, &bi.fwd, &seq);
            let rev: Vec<Vec<f64>> = seq.iter().rev().cloned().collect();
            let bwd = reference(&store, &bi.bwd, &rev);
            for ti in 0..len {
                for u in 0..h {
                    let row = (ti * b + bi_) * 2 * h;
                    assert!((y[row + u] as f64 - fwd[ti][u]).abs() < 1e-5);
                    assert!((y[row + h + u] as f64 - bwd[len - 1 - ti][u]).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        for kind in [CellKind::Lstm, CellKind::Gru] {
            let (t, b, f, h) = (3, 2, 3, 4);
            let mut store = ParamStore::new(Cpu::default(), 4);
            let x = store.add("x", &[t * b * f], Init::Normal(1.0));
            let bi = BiRnn::new(&mut store, "bi", kind, f, h);
            let g = kind.gates() * h;
            for rnn in [bi.fwd, bi.bwd] {
                store
                    .set_values(rnn.b_ih, (0..g).map(|j| 0.1 * j as f32 - 0.4).collect())
                    .unwrap();
                if let Some(bh) = rnn.b_hh {
                    store
                        .set_values(bh, (0..g).map(|j| 0.2 - 0.05 * j as f32).collect())
                        .unwrap();
                }
            }
            let r = store.add("r", &[t * b * 2 * h], Init::Normal(1.0));
            let lens = [3, 2];
            let report = check_gradients(&mut store, 1e-2, |s| {
                let input = s.flat::<Tr>(x).reshape_like(&(t, b, f));
                let y = bi.forward(s, input, &lens);
                (y.reshape_like(&(t * b * 2 * h,)) * s.flat::<NoneTape>(r)).sum()
            });
            assert!(report.max_rel_err < 1e-2, "{kind:?}: {report:?}");
            // Parameters of both directions and the input were checked.
            assert!(report.checked > 100, "{report:?}");
        }
    }

    #[test]
    fn cpu_lstm_operation_matches_the_generic_steps() {
        // Batch 9 splits into several chunks; T = 7 steps; values and every
        // gradient (input, W_ih, b, W_hh) of the one-operation path equal
        // those of the per-step tensor operations, for full sequences and
        // for a padded batch (where the loss reads the real steps only).
        let (t, b, f, h) = (7, 9, 5, 6);
        let lens = [7, 3, 1, 7, 5, 2, 6, 4, 7];
        for padded in [false, true] {
            let mut store = ParamStore::new(Cpu::default(), 11);
            let x = store.add("x", &[t * b * f], Init::Normal(1.0));
            let rnn = Rnn::new(&mut store, "l", CellKind::Lstm, f, h);
            let mut weights = vec![0.0f32; t * b * h];
            let mut rng = 1u32;
            for (k, w) in weights.iter_mut().enumerate() {
                rng = rng.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let real = !padded || (k / h) / b < lens[(k / h) % b];
                *w = if real {
                    (rng >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                } else {
                    0.0
                };
            }
            let r = store.add_buffer("r", &[t * b * h], Init::Zeros);
            store.set_values(r, weights).unwrap();
            let run = |s: &ParamStore<Cpu>, fused: bool| {
                let input = s.flat::<Tr>(x).reshape_like(&(t * b, f));
                let xs = linear(
                    input,
                    s.matrix::<Tr>(rnn.w_ih),
                    Some(s.flat::<Tr>(rnn.b_ih)),
                );
                let y = if fused {
                    let l = padded.then_some(&lens[..]);
                    crate::lstm_cpu::lstm(xs, s.matrix::<Tr>(rnn.w_hh), t, b, l)
                } else {
                    rnn.steps(s, xs, t, b)
                };
                let values = y.with_empty_tape().as_vec();
                let loss = (y.reshape_like(&(t * b * h,)) * s.flat::<NoneTape>(r)).sum();
                let g = crate::gradcheck::gradient_values(s, loss);
                (values, g)
            };
            let (v1, g1) = run(&store, true);
            let (v0, g0) = run(&store, false);
            for (k, (a, e)) in v1.iter().zip(&v0).enumerate() {
                let (ti, bi) = ((k / h) / b, (k / h) % b);
                if padded && ti >= lens[bi] {
                    assert_eq!(*a, 0.0, "padding output");
                } else {
                    assert!((a - e).abs() < 1e-5, "output {a} vs {e}");
                }
            }
            for (i, (a, e)) in g1.iter().zip(&g0).enumerate() {
                if !store.param(ParamId(i)).trainable {
                    continue; // `r`: the loss weights
                }
                assert_eq!(a.len(), e.len());
                let scale = e.iter().fold(1f32, |m, v| m.max(v.abs()));
                for (p, q) in a.iter().zip(e) {
                    assert!(
                        (p - q).abs() < 1e-4 * scale,
                        "padded {padded}, {}: {p} vs {q}",
                        store.param(ParamId(i)).name
                    );
                }
            }
            // The recurrent weights did get a gradient.
            assert!(g1[rnn.w_hh.0].iter().any(|v| v.abs() > 1e-3));
        }
    }
}
