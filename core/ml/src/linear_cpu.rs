//! The dense layer `y = x·W + b` as one custom dfdx operation on the `Cpu`
//! device: the bias is written into the output first and the product
//! accumulates onto it (no broadcast tensor, no second pass), and the rows
//! of the batch are split over rayon's pool, one single-threaded `gemm` per
//! share, so the products use the same kernels as [`crate::conv_cpu`].
//!
//! [`crate::layers::linear`] dispatches here when its device is `Cpu` (as
//! the convolution does); every other device takes dfdx's `matmul` and a
//! broadcast add. Backward, for `x: (N, I)`, `W: (I, O)`, `∂y: (N, O)`:
//!
//! ```text
//! ∂x += ∂y · Wᵀ        rows of N split over the pool
//! ∂W += xᵀ · ∂y        rows of I split over the pool
//! ∂b += Σₙ ∂y
//! ```

use crate::conv_cpu::{attach, host, is_cpu, matmul, operands};
use dfdx::prelude::*;
use rayon::prelude::*;

type T1<D, T> = Tensor<(usize,), f32, D, T>;
type T2<D, T> = Tensor<(usize, usize), f32, D, T>;

/// Below this many multiply-adds a product runs on the calling thread:
/// handing it to the pool costs more than it saves.
const PARALLEL_WORK: usize = 1 << 16;

/// Rows per rayon task when `rows` rows of `work_per_row` multiply-adds
/// each are split over the pool: one share per thread, or all of them
/// when the product is small.
fn rows_per_task(rows: usize, work_per_row: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    if rows.saturating_mul(work_per_row) < PARALLEL_WORK || threads == 1 {
        rows.max(1)
    } else {
        rows.div_ceil(threads).max(1)
    }
}

/// `x (n × i) · w (i × o) + b`, row-major host buffers.
pub fn forward(
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    (n, i, o): (usize, usize, usize),
) -> Vec<f32> {
    let mut y = vec![0.0f32; n * o];
    if n == 0 || o == 0 {
        return y;
    }
    let rows = rows_per_task(n, i * o);
    y.par_chunks_mut(rows * o)
        .zip(x.par_chunks(rows * i.max(1)))
        .for_each(|(yc, xc)| {
            let m = yc.len() / o;
            if let Some(b) = b {
                for row in yc.chunks_mut(o) {
                    row.copy_from_slice(b);
                }
            }
            if i > 0 {
                matmul((m, o, i), yc, (o, 1), b.is_some(), xc, (i, 1), w, (o, 1));
            }
        });
    y
}

/// Adds the gradients of `x`, `w` and `b` for the output gradient `gy` to
/// `gx`, `gw` and `gb`.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    x: &[f32],
    w: &[f32],
    gy: &[f32],
    gx: &mut [f32],
    gw: &mut [f32],
    gb: Option<&mut [f32]>,
    (n, i, o): (usize, usize, usize),
) {
    if n == 0 || o == 0 || i == 0 {
        if let Some(gb) = gb {
            column_sums(gy, o, gb);
        }
        return;
    }
    // ∂x (n × i) += ∂y (n × o) · Wᵀ (o × i): Wᵀ has strides (1, o).
    let rows = rows_per_task(n, i * o);
    gx.par_chunks_mut(rows * i)
        .zip(gy.par_chunks(rows * o))
        .for_each(|(gxc, gyc)| {
            let m = gxc.len() / i;
            matmul((m, i, o), gxc, (i, 1), true, gyc, (o, 1), w, (1, o));
        });
    // ∂W (i × o) += xᵀ (i × n) · ∂y (n × o): a share of W's rows is a
    // share of x's columns, whose transpose has strides (1, i).
    let rows = rows_per_task(i, n * o);
    gw.par_chunks_mut(rows * o)
        .enumerate()
        .for_each(|(t, gwc)| {
            let (r0, m) = (t * rows, gwc.len() / o);
            matmul((m, o, n), gwc, (o, 1), true, &x[r0..], (1, i), gy, (o, 1));
        });
    if let Some(gb) = gb {
        column_sums(gy, o, gb);
    }
}

/// `acc[j] += Σ_rows m[row][j]` for a row-major `m` with `cols` columns.
fn column_sums(m: &[f32], cols: usize, acc: &mut [f32]) {
    if cols == 0 {
        return;
    }
    for row in m.chunks_exact(cols) {
        for (a, v) in acc.iter_mut().zip(row) {
            *a += v;
        }
    }
}

/// The dense layer as one dfdx operation; `D` must be `Cpu` (see
/// [`is_cpu`]), it panics otherwise.
pub fn linear<D: Device<f32>, T: Tape<f32, D>>(
    x: T2<D, T>,
    w: T2<D, T>,
    b: Option<T1<D, T>>,
) -> T2<D, T> {
    assert!(
        is_cpu::<D>(),
        "linear_cpu::linear runs on the Cpu device only"
    );
    let (n, i) = *x.shape();
    let o = w.shape().1;
    assert_eq!(
        w.shape().0,
        i,
        "linear: x is (N, {i}) but W has {} rows",
        w.shape().0
    );
    let (x, w, b, tape) = operands(x, w, b);
    let (xs, ws) = (host(&x), host(&w));
    let bs = b.as_ref().map(host);
    let y = forward(&xs, &ws, bs.as_deref(), (n, i, o));
    let y: T2<Cpu, NoneTape> = x.device().tensor_from_vec(y, (n, o));
    // The backward pass reads the host copies of x and W made here.
    attach(y, tape, "linear", move |grads, y| {
        // Borrow ∂y by taking it out and putting it back (no copy).
        let gy = std::mem::take(&mut **grads.get_or_alloc_mut(y)?);
        let mut gw = vec![0.0f32; i * o];
        let mut gb = b.as_ref().map(|_| vec![0.0f32; o]);
        backward(
            &xs,
            &ws,
            &gy,
            grads.get_or_alloc_mut(&x)?,
            &mut gw,
            gb.as_deref_mut(),
            (n, i, o),
        );
        **grads.get_or_alloc_mut(y)? = gy;
        for (d, s) in grads.get_or_alloc_mut(&w)?.iter_mut().zip(&gw) {
            *d += s;
        }
        if let (Some(b), Some(gb)) = (b.as_ref(), gb) {
            for (d, s) in grads.get_or_alloc_mut(b)?.iter_mut().zip(&gb) {
                *d += s;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use crate::layers::{linear, linear_ops};
    use crate::params::{Init, ParamStore};
    use dfdx::prelude::*;

    type Tr = OwnedTape<f32, Cpu>;

    #[test]
    fn cpu_linear_matches_the_tensor_operations() {
        // Values and every gradient of the one-operation Cpu path equal
        // those of matmul + broadcast add: a product small enough for one
        // task, and larger ones split over the pool (a batch that does not
        // divide evenly, with and without a bias).
        for &(n, i, o, bias) in &[(3, 4, 5, true), (37, 300, 200, true), (65, 130, 90, false)] {
            let mut store = ParamStore::new(Cpu::default(), 5);
            let x = store.add("x", &[n, i], Init::Normal(1.0));
            let w = store.add("w", &[i, o], Init::Normal(0.3));
            let b = store.add("b", &[o], Init::Normal(1.0));
            let r = store.add_buffer("r", &[n * o], Init::Normal(1.0));
            let run = |fused: bool| {
                let s = store.clone();
                let (xt, wt) = (s.matrix::<Tr>(x), s.matrix::<Tr>(w));
                let bt = bias.then(|| s.flat::<Tr>(b));
                let y = if fused {
                    linear(xt, wt, bt)
                } else {
                    linear_ops(xt, wt, bt)
                };
                let values = y.with_empty_tape().as_vec();
                let loss = (y.reshape_like(&(n * o,)) * s.flat::<NoneTape>(r)).sum();
                (values, crate::gradcheck::gradient_values(&s, loss))
            };
            let ((v1, g1), (v0, g0)) = (run(true), run(false));
            let close = |a: &[f32], e: &[f32], what: &str| {
                assert_eq!(a.len(), e.len(), "{what}");
                for (p, q) in a.iter().zip(e) {
                    assert!(
                        (p - q).abs() < 1e-4 * q.abs().max(1.0),
                        "{what}: {p} vs {q}"
                    );
                }
            };
            close(&v1, &v0, "output");
            for (k, name) in ["x", "w", "b"].iter().enumerate() {
                close(&g1[k], &g0[k], name);
            }
            assert!(g1[1].iter().any(|v| v.abs() > 1e-3));
            assert_eq!(g1[2].iter().any(|v| *v != 0.0), bias);
        }
    }
}
