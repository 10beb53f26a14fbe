//! The whole convolution as one custom dfdx operation on the `Cpu` device:
//! direct im2col loops and `gemm` calls, per image, with a col2im backward.
//!
//! [`crate::layers::conv2d`] dispatches here when its device is `Cpu` (by
//! `TypeId`, so callers stay generic over `D: Device<f32>`); every other
//! device (Cuda) takes the generic gather + matmul path.
//!
//! Per image `b` (in parallel over the batch with rayon, one `gemm` per image
//! with no nested parallelism):
//!
//! ```text
//! cols (K, N) = im2col(x_b)              K = C·kh·kw, N = OH·OW
//! y_b  (O, N) = Wᵀ · cols + bias         W is (K, O); y_b is already NCHW
//! ```
//!
//! Backward, per image: `∂W += cols · ∂y_bᵀ`, `∂bias += Σₙ ∂y_b`,
//! `∂cols = W · ∂y_b`, `∂x_b += col2im(∂cols)`. `cols` is recomputed from
//! the host copy of `x` that the forward pass made and keeps (with that of
//! `W`) for the backward pass, rather than kept itself: one image's `cols`
//! stays in a per-thread buffer in cache, while the whole batch's `B·K·N`
//! matrix (29 MB for the `light` autoencoder's second layer, 116 MB for
//! `full`'s) goes to memory and back; keeping it trained the `light` model
//! 15–19 % slower (BENCHMARKS.md, issue 15). The patch matrix's row
//! `k = (c·kh + ky)·kw + kx` is a run over output positions, so im2col and
//! col2im copy (or add) contiguous runs of `OW` values when the stride is 1.

use dfdx::prelude::*;
use rayon::prelude::*;
use std::any::Any;

/// The geometry of one convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Input channels, height, width.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel (rows, columns).
    pub kernel: (usize, usize),
    /// Stride (rows, columns).
    pub stride: (usize, usize),
    /// Zero padding (rows, columns) on each side.
    pub pad: (usize, usize),
    /// Output height and width.
    pub out: (usize, usize),
}

impl Geometry {
    /// Rows of the patch matrix: `C·kh·kw`.
    pub fn k(&self) -> usize {
        self.c * self.kernel.0 * self.kernel.1
    }

    /// Columns of the patch matrix: `OH·OW`.
    pub fn n(&self) -> usize {
        self.out.0 * self.out.1
    }

    /// The output positions `o` along one axis whose input tap
    /// `o·s + k − p` falls inside `[0, size)`: `lo..hi`.
    fn valid(out: usize, size: usize, k: usize, s: usize, p: usize) -> (usize, usize) {
        // o·s + k ≥ p  ⇔  o ≥ ceil((p − k) / s)
        let lo = if p > k { (p - k).div_ceil(s) } else { 0 };
        // o·s + k − p ≤ size − 1  ⇔  o ≤ (size − 1 + p − k) / s
        let hi = if size + p > k {
            (size - 1 + p - k) / s + 1
        } else {
            0
        };
        (lo.min(out), hi.min(out).max(lo.min(out)))
    }
}

/// Fills `cols` (`K × N`, row-major) with the patches of one image `x`
/// (`C × H × W`); taps in the padding are zero.
pub fn im2col(x: &[f32], g: &Geometry, cols: &mut [f32]) {
    let (kh, kw) = g.kernel;
    let (sy, sx) = g.stride;
    let (py, px) = g.pad;
    let (oh, ow) = g.out;
    let n = g.n();
    debug_assert_eq!(x.len(), g.c * g.h * g.w);
    debug_assert_eq!(cols.len(), g.k() * n);
    for c in 0..g.c {
        let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ky in 0..kh {
            let (ylo, yhi) = Geometry::valid(oh, g.h, ky, sy, py);
            for kx in 0..kw {
                let (xlo, xhi) = Geometry::valid(ow, g.w, kx, sx, px);
                let k = (c * kh + ky) * kw + kx;
                let row = &mut cols[k * n..(k + 1) * n];
                row[..ylo * ow].fill(0.0);
                row[yhi * ow..].fill(0.0);
                for oy in ylo..yhi {
                    let iy = oy * sy + ky - py;
                    let src = &plane[iy * g.w..(iy + 1) * g.w];
                    let dst = &mut row[oy * ow..(oy + 1) * ow];
                    dst[..xlo].fill(0.0);
                    dst[xhi..].fill(0.0);
                    if xlo < xhi {
                        let ix0 = xlo * sx + kx - px;
                        if sx == 1 {
                            dst[xlo..xhi].copy_from_slice(&src[ix0..ix0 + (xhi - xlo)]);
                        } else {
                            for (d, s) in
                                dst[xlo..xhi].iter_mut().zip(src[ix0..].iter().step_by(sx))
                            {
                                *d = *s;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Adds the patch-matrix gradient `cols` (`K × N`) back into the image
/// gradient `x` (`C × H × W`): the adjoint of [`im2col`].
pub fn col2im_add(cols: &[f32], g: &Geometry, x: &mut [f32]) {
    let (kh, kw) = g.kernel;
    let (sy, sx) = g.stride;
    let (py, px) = g.pad;
    let (oh, ow) = g.out;
    let n = g.n();
    debug_assert_eq!(x.len(), g.c * g.h * g.w);
    debug_assert_eq!(cols.len(), g.k() * n);
    for c in 0..g.c {
        let plane = &mut x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ky in 0..kh {
            let (ylo, yhi) = Geometry::valid(oh, g.h, ky, sy, py);
            for kx in 0..kw {
                let (xlo, xhi) = Geometry::valid(ow, g.w, kx, sx, px);
                if xlo >= xhi {
                    continue;
                }
                let k = (c * kh + ky) * kw + kx;
                let row = &cols[k * n..(k + 1) * n];
                let ix0 = xlo * sx + kx - px;
                for oy in ylo..yhi {
                    let iy = oy * sy + ky - py;
                    let dst = &mut plane[iy * g.w..(iy + 1) * g.w];
                    let src = &row[oy * ow + xlo..oy * ow + xhi];
                    if sx == 1 {
                        for (d, s) in dst[ix0..ix0 + src.len()].iter_mut().zip(src) {
                            *d += *s;
                        }
                    } else {
                        for (d, s) in dst[ix0..].iter_mut().step_by(sx).zip(src) {
                            *d += *s;
                        }
                    }
                }
            }
        }
    }
}

/// `dst (m × n) = [dst +] lhs (m × k) · rhs (k × n)`, single-threaded; each
/// matrix is given with its (row, column) strides.
#[allow(clippy::too_many_arguments)]
#[allow(unsafe_code)] // listed in ARCHITECTURE.md, "Where `unsafe` lives"
pub(crate) fn matmul(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    dst_strides: (usize, usize),
    accumulate: bool,
    lhs: &[f32],
    lhs_strides: (usize, usize),
    rhs: &[f32],
    rhs_strides: (usize, usize),
) {
    let last = |(rs, cs): (usize, usize), rows: usize, cols: usize| {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        }
    };
    assert!(dst.len() >= last(dst_strides, m, n));
    assert!(lhs.len() >= last(lhs_strides, m, k));
    assert!(rhs.len() >= last(rhs_strides, k, n));
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the three assertions above keep every access gemm makes
    // through these strides inside the slices; `dst` is borrowed mutably,
    // so it overlaps neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            dst_strides.1 as isize,
            dst_strides.0 as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_strides.1 as isize,
            lhs_strides.0 as isize,
            rhs.as_ptr(),
            rhs_strides.1 as isize,
            rhs_strides.0 as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Forward pass on host buffers: `x` is `(B, C, H, W)`, `w` is `(K, O)`,
/// `bias` is `(O,)`; returns `(B, O, OH, OW)`.
pub fn forward(x: &[f32], w: &[f32], bias: Option<&[f32]>, o: usize, g: &Geometry) -> Vec<f32> {
    let (k, n) = (g.k(), g.n());
    let chw = g.c * g.h * g.w;
    let b = x.len() / chw.max(1);
    let mut y = vec![0.0f32; b * o * n];
    if b == 0 || o == 0 || n == 0 {
        return y;
    }
    y.par_chunks_mut(o * n)
        .zip(x.par_chunks(chw))
        .with_min_len(per_thread(b))
        .for_each_init(
            || vec![0.0f32; k * n],
            |cols, (yb, xb)| {
                im2col(xb, g, cols);
                if let Some(bias) = bias {
                    for (row, bv) in yb.chunks_mut(n).zip(bias) {
                        row.fill(*bv);
                    }
                }
                // y_b (O × N) = Wᵀ (O × K) · cols (K × N)
                matmul(
                    (o, n, k),
                    yb,
                    (n, 1),
                    bias.is_some(),
                    w,
                    (1, o),
                    cols,
                    (n, 1),
                );
            },
        );
    y
}

/// Gradients of one convolution, on host buffers.
pub struct Grads {
    /// `∂W` `(K, O)`.
    pub w: Vec<f32>,
    /// `∂bias` `(O,)`.
    pub b: Vec<f32>,
}

/// Backward pass on host buffers: adds `∂x` into `gx` (`(B, C, H, W)`) and
/// returns `∂W` and `∂bias` for the output gradient `gy` (`(B, O, OH, OW)`).
pub fn backward(x: &[f32], w: &[f32], gy: &[f32], gx: &mut [f32], o: usize, g: &Geometry) -> Grads {
    let (k, n) = (g.k(), g.n());
    let chw = g.c * g.h * g.w;
    let b = x.len() / chw.max(1);
    let zero = || Grads {
        w: vec![0.0; k * o],
        b: vec![0.0; o],
    };
    if b == 0 || o == 0 || n == 0 {
        return zero();
    }
    gx.par_chunks_mut(chw)
        .zip(gy.par_chunks(o * n))
        .zip(x.par_chunks(chw))
        .with_min_len(per_thread(b))
        .fold(
            || (zero(), vec![0.0f32; k * n], vec![0.0f32; k * n]),
            |(mut acc, mut cols, mut gcols), ((gxb, gyb), xb)| {
                for (s, row) in acc.b.iter_mut().zip(gyb.chunks(n)) {
                    *s += row.iter().sum::<f32>();
                }
                im2col(xb, g, &mut cols);
                // ∂W (K × O) += cols (K × N) · ∂y_bᵀ (N × O)
                matmul(
                    (k, o, n),
                    &mut acc.w,
                    (o, 1),
                    true,
                    &cols,
                    (n, 1),
                    gyb,
                    (1, n),
                );
                // ∂cols (K × N) = W (K × O) · ∂y_b (O × N)
                matmul((k, n, o), &mut gcols, (n, 1), false, w, (o, 1), gyb, (n, 1));
                col2im_add(&gcols, g, gxb);
                (acc, cols, gcols)
            },
        )
        .map(|(acc, _, _)| acc)
        .reduce(zero, |mut a, b| {
            a.w.iter_mut().zip(&b.w).for_each(|(x, y)| *x += y);
            a.b.iter_mut().zip(&b.b).for_each(|(x, y)| *x += y);
            a
        })
}

/// Images per rayon task: the batch split evenly over the pool's threads.
fn per_thread(b: usize) -> usize {
    b.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

type T1<D, T> = Tensor<(usize,), f32, D, T>;
type T2<D, T> = Tensor<(usize, usize), f32, D, T>;
type T4<D, T> = Tensor<(usize, usize, usize, usize), f32, D, T>;

/// Whether `D` is the `Cpu` device (which [`conv2d`] requires).
pub fn is_cpu<D: 'static>() -> bool {
    std::any::TypeId::of::<D>() == std::any::TypeId::of::<Cpu>()
}

/// A contiguous `Cpu` tensor's values, by one copy of its buffer (dfdx's
/// `as_vec` walks the tensor index by index). Panics on a tensor whose
/// buffer is not exactly its values in order (a broadcast, for one): call
/// it on `contiguous()` tensors and on those the custom operations made.
pub(crate) fn host<S: Shape, T>(t: &Tensor<S, f32, Cpu, T>) -> Vec<f32> {
    let mut v = vec![0.0f32; t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}

/// `a` as a `B`, when `A` and `B` are the same type.
pub(crate) fn cast<A: 'static, B: 'static>(a: A) -> Option<B> {
    let boxed: Box<dyn Any> = Box::new(a);
    boxed.downcast::<B>().ok().map(|b| *b)
}

/// Gives the `Cpu` result `y` of a custom operation its tape, and records
/// `backward` (which gets the gradients and `y`) on it when the tape is
/// owned: the wiring every `*_cpu` operation shares.
pub(crate) fn attach<S, D, T>(
    y: Tensor<S, f32, Cpu>,
    mut tape: T,
    op: &'static str,
    backward: impl 'static
        + FnOnce(&mut Gradients<f32, Cpu>, &Tensor<S, f32, Cpu>) -> Result<(), CpuError>,
) -> Tensor<S, f32, D, T>
where
    S: Shape + 'static,
    D: Device<f32>,
    T: Tape<f32, D>,
{
    if T::OWNS_TAPE {
        let y_ghost = y.clone();
        tape.add_backward_op(move |grads: &mut Gradients<f32, D>| {
            let grads: &mut Gradients<f32, Cpu> =
                (grads as &mut dyn Any).downcast_mut().expect("D is Cpu");
            // `Cpu` only fails to allocate when out of memory, and its error
            // type is not `D::Err` to the compiler: such a failure panics.
            backward(grads, &y_ghost)
                .unwrap_or_else(|e| panic!("{op} backward: CPU allocation failed: {e:?}"));
            Ok(())
        });
    }
    let y: Tensor<S, f32, D> = cast(y).expect("D is Cpu");
    y.put_tape(tape)
}

/// The operands of a layer `x·W (+ b)` as contiguous `Cpu` tensors without
/// tapes, and their tapes merged: what a custom operation starts from.
/// Standard strides, so host buffers and gradient buffers are in logical
/// order (no copy when they already are). `D` must be `Cpu`.
#[allow(clippy::type_complexity)]
pub(crate) fn operands<S: Shape, D: Device<f32>, T: Tape<f32, D>>(
    x: Tensor<S, f32, D, T>,
    w: T2<D, T>,
    b: Option<T1<D, T>>,
) -> (
    Tensor<S, f32, Cpu>,
    T2<Cpu, NoneTape>,
    Option<T1<Cpu, NoneTape>>,
    T,
) {
    let (x, tape) = x.contiguous().split_tape();
    let (w, wt) = w.contiguous().split_tape();
    let tape = tape.merge(wt);
    let (b, tape) = match b {
        Some(b) => {
            let (b, bt) = b.contiguous().split_tape();
            (Some(b), tape.merge(bt))
        }
        None => (None, tape),
    };
    (
        cast(x).expect("D is Cpu"),
        cast(w).expect("D is Cpu"),
        b.map(|b| cast(b).expect("D is Cpu")),
        tape,
    )
}

/// The convolution as one dfdx operation; `D` must be `Cpu` (see
/// [`is_cpu`]), it panics otherwise.
pub fn conv2d<D: Device<f32>, T: Tape<f32, D>>(
    x: T4<D, T>,
    w: T2<D, T>,
    b: Option<T1<D, T>>,
    g: Geometry,
) -> T4<D, T> {
    assert!(
        is_cpu::<D>(),
        "conv_cpu::conv2d runs on the Cpu device only"
    );
    let bn = x.shape().0;
    let o = w.shape().1;
    let (x, w, b, tape) = operands(x, w, b);

    let xs = host(&x);
    let ws = host(&w);
    let bs = b.as_ref().map(host);
    let y = forward(&xs, &ws, bs.as_deref(), o, &g);
    let y: T4<Cpu, NoneTape> = x.device().tensor_from_vec(y, (bn, o, g.out.0, g.out.1));
    // The backward pass reads the host copies of x and W made here.
    attach(y, tape, "conv2d", move |grads, y| {
        backward_op(grads, (&x, &xs), (&w, &ws), b.as_ref(), y, o, &g)
    })
}

/// The backward operation on `Cpu` gradients; `x` and `w` come with their
/// host copies.
fn backward_op(
    grads: &mut Gradients<f32, Cpu>,
    (x, xs): (&T4<Cpu, NoneTape>, &[f32]),
    (w, ws): (&T2<Cpu, NoneTape>, &[f32]),
    b: Option<&T1<Cpu, NoneTape>>,
    y: &T4<Cpu, NoneTape>,
    o: usize,
    g: &Geometry,
) -> Result<(), CpuError> {
    // Borrow the output gradient by taking it out and putting it back, so
    // it is neither cloned nor aliased.
    let gy = std::mem::take(&mut **grads.get_or_alloc_mut(y)?);
    let gr = backward(xs, ws, &gy, grads.get_or_alloc_mut(x)?, o, g);
    **grads.get_or_alloc_mut(y)? = gy;
    for (d, s) in grads.get_or_alloc_mut(w)?.iter_mut().zip(&gr.w) {
        *d += s;
    }
    if let Some(b) = b {
        for (d, s) in grads.get_or_alloc_mut(b)?.iter_mut().zip(&gr.b) {
            *d += s;
        }
    }
    Ok(())
}
