//! Max pooling over non-overlapping `(kh, kw)` windows of `(B, C, H, W)`
//! as one custom dfdx operation on the `Cpu` device: one pass that keeps
//! each window's winner, and a backward pass that routes each output
//! gradient to it.
//!
//! [`crate::layers::max_pool`] dispatches here when its device is `Cpu` (as
//! [`crate::conv_cpu`] does); the generic path is dfdx's `max` reduction
//! over a 6-D view, whose backward compares every input with its window's
//! maximum again. The winner of a window is its first maximum in row-major
//! order (dfdx's generic path gives a tied gradient to every maximum; ties
//! between real activations have measure zero, and after a ReLU the tied
//! zeros get no gradient either way).

use crate::conv_cpu::{attach, cast, host, is_cpu};
use dfdx::prelude::*;
use rayon::prelude::*;

type T4<D, T> = Tensor<(usize, usize, usize, usize), f32, D, T>;

/// Output values and, per output, the flat index of its window's winner.
fn forward(x: &[f32], (h, w): (usize, usize), (kh, kw): (usize, usize)) -> (Vec<f32>, Vec<u32>) {
    let (oh, ow) = (h / kh, w / kw);
    let planes = x.len() / (h * w).max(1);
    let mut y = vec![0.0f32; planes * oh * ow];
    let mut arg = vec![0u32; planes * oh * ow];
    if y.is_empty() {
        return (y, arg);
    }
    y.par_chunks_mut(oh * ow)
        .zip(arg.par_chunks_mut(oh * ow))
        .enumerate()
        .with_min_len(64)
        .for_each(|(p, (yp, ap))| {
            let base = p * h * w;
            let plane = &x[base..base + h * w];
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut best = f32::NEG_INFINITY;
                    let mut at = (oy * kh) * w + ox * kw;
                    for dy in 0..kh {
                        let row = (oy * kh + dy) * w + ox * kw;
                        for (dx, &v) in plane[row..row + kw].iter().enumerate() {
                            // `>`: the first maximum wins; NaN never does,
                            // unless the window holds nothing else.
                            if v > best {
                                best = v;
                                at = row + dx;
                            }
                        }
                    }
                    if best == f32::NEG_INFINITY {
                        best = plane[at];
                    }
                    yp[oy * ow + ox] = best;
                    ap[oy * ow + ox] = (base + at) as u32;
                }
            }
        });
    (y, arg)
}

/// Max pooling as one operation; `D` must be `Cpu` (see [`is_cpu`]); it
/// panics otherwise. `H` and `W` must be multiples of the window, and the
/// input under 2³² values.
pub fn max_pool<D: Device<f32>, T: Tape<f32, D>>(x: T4<D, T>, pool: (usize, usize)) -> T4<D, T> {
    assert!(
        is_cpu::<D>(),
        "pool_cpu::max_pool runs on the Cpu device only"
    );
    let (b, c, h, w) = *x.shape();
    assert!(
        x.shape().num_elements() <= u32::MAX as usize,
        "max_pool: input too large"
    );
    let (x, tape) = x.contiguous().split_tape();
    let x: T4<Cpu, NoneTape> = cast(x).expect("D is Cpu");
    let (y, arg) = forward(&host(&x), (h, w), pool);
    let y: T4<Cpu, NoneTape> = x
        .device()
        .tensor_from_vec(y, (b, c, h / pool.0, w / pool.1));
    attach(y, tape, "max_pool", move |grads, y| {
        backward_op(grads, &x, y, &arg)
    })
}

/// The backward operation on `Cpu` gradients.
fn backward_op(
    grads: &mut Gradients<f32, Cpu>,
    x: &T4<Cpu, NoneTape>,
    y: &T4<Cpu, NoneTape>,
    arg: &[u32],
) -> Result<(), CpuError> {
    let gy = std::mem::take(&mut **grads.get_or_alloc_mut(y)?);
    let gx = grads.get_or_alloc_mut(x)?;
    // Windows do not overlap: every input gets at most one output's
    // gradient, so the order of the additions does not matter.
    for (&a, &g) in arg.iter().zip(gy.iter()) {
        gx[a as usize] += g;
    }
    **grads.get_or_alloc_mut(y)? = gy;
    Ok(())
}
