//! Layers with runtime sizes, on public dfdx operations, generic over the
//! device `D` and the tape `T` (`OwnedTape<f32, D>` to train, `NoneTape` to
//! evaluate).
//!
//! Each layer is a small struct of [`ParamId`]s created against a
//! [`ParamStore`]; `forward` reads its parameters from the store with the
//! caller's tape. Images are `(batch, channels, height, width)` (NCHW).
//!
//! - [`Linear`]: `y = x·W + b`, `W` is `(in, out)`.
//! - [`Conv2d`]: im2col + matmul, padding and stride configurable. On
//!   `Cpu` one custom operation ([`crate::conv_cpu`]: direct im2col loops and
//!   one product per image straight into NCHW, col2im in the backward pass).
//!   On other devices ([`conv2d_gather`]) from public operations: the input
//!   is flattened, a zero is appended (the padding value), the patch matrix
//!   is built with one `gather` on a host-computed index vector (out-of-image
//!   taps point at the zero), multiplied by the kernel matrix
//!   `(in·kh·kw, out)`, then reshaped and permuted back to NCHW.
//! - [`max_pool`]: non-overlapping max pooling with window = stride =
//!   `(kh, kw)`: reshape to `(B, C, H/kh, kh, W/kw, kw)` and take the max over
//!   axes 3 and 5. `(2, 1)` halves the height only (recognizers need it).
//! - [`upsample_nearest`]: broadcast to `(B, C, H, sh, W, sw)` and reshape.
//! - [`BatchNorm`]: per-channel batch statistics in training (biased variance
//!   to normalise, unbiased for the running estimate, momentum 0.1 as
//!   PyTorch), running statistics in evaluation; works on `(N, F)` through
//!   [`BatchNorm::forward2`].
//! - [`dropout`]: inverted dropout with a host-drawn, seeded mask.
//! - [`Activation`]: identity, relu, sigmoid, tanh, gelu.

use crate::params::{Init, ParamId, ParamStore};
use crate::MlError;
use dfdx::prelude::*;
use rand::Rng;

/// A 2-D tensor `(rows, cols)`.
pub type T2<D, T> = Tensor<(usize, usize), f32, D, T>;
/// A 4-D tensor `(batch, channels, height, width)`.
pub type T4<D, T> = Tensor<(usize, usize, usize, usize), f32, D, T>;

/// A point-wise nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `x`.
    Identity,
    /// `max(0, x)`.
    Relu,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// GELU (tanh approximation).
    Gelu,
}

impl Activation {
    /// Parses `identity|linear|relu|sigmoid|tanh|gelu`.
    pub fn from_name(name: &str) -> Result<Self, MlError> {
        Ok(match name {
            "identity" | "linear" | "none" => Activation::Identity,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "gelu" => Activation::Gelu,
            other => {
                return Err(MlError::Config(format!(
                    "unknown activation `{other}` (expected relu, sigmoid, tanh, gelu or identity)"
                )))
            }
        })
    }

    /// Applies the activation.
    pub fn apply<S: Shape, D: Device<f32>, T: Tape<f32, D>>(
        self,
        x: Tensor<S, f32, D, T>,
    ) -> Tensor<S, f32, D, T> {
        match self {
            Activation::Identity => x,
            Activation::Relu => x.relu(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Gelu => x.fast_gelu(),
        }
    }
}

/// A dense layer `y = x·W + b`.
#[derive(Clone, Copy, Debug)]
pub struct Linear {
    /// Weight `(in, out)`.
    pub w: ParamId,
    /// Bias `(out,)`.
    pub b: ParamId,
    /// Inputs.
    pub inp: usize,
    /// Outputs.
    pub out: usize,
}

impl Linear {
    /// Adds `name.w` (Xavier uniform, or He normal when `relu`) and `name.b` (zeros).
    pub fn new<D: Device<f32>>(
        store: &mut ParamStore<D>,
        name: &str,
        inp: usize,
        out: usize,
        relu: bool,
    ) -> Self {
        let init = if relu {
            Init::HeNormal { fan_in: inp }
        } else {
            Init::XavierUniform {
                fan_in: inp,
                fan_out: out,
            }
        };
        Linear {
            w: store.add(&format!("{name}.w"), &[inp, out], init),
            b: store.add(&format!("{name}.b"), &[out], Init::Zeros),
            inp,
            out,
        }
    }

    /// `(n, in)` → `(n, out)`.
    pub fn forward<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &ParamStore<D>,
        x: T2<D, T>,
    ) -> T2<D, T> {
        linear(x, store.matrix::<T>(self.w), Some(store.flat::<T>(self.b)))
    }
}

/// `x·w (+ b)` for `x: (n, in)`, `w: (in, out)`, `b: (out,)`: one custom
/// operation on `Cpu` ([`crate::linear_cpu`]), [`linear_ops`] elsewhere.
pub fn linear<D: Device<f32>, T: Tape<f32, D>>(
    x: T2<D, T>,
    w: T2<D, T>,
    b: Option<Tensor<(usize,), f32, D, T>>,
) -> T2<D, T> {
    if crate::conv_cpu::is_cpu::<D>() {
        crate::linear_cpu::linear(x, w, b)
    } else {
        linear_ops(x, w, b)
    }
}

/// [`linear`] from dfdx's tensor operations (`matmul`, a broadcast add):
/// the path of every device but `Cpu`.
pub fn linear_ops<D: Device<f32>, T: Tape<f32, D>>(
    x: T2<D, T>,
    w: T2<D, T>,
    b: Option<Tensor<(usize,), f32, D, T>>,
) -> T2<D, T> {
    let y = x.matmul(w);
    match b {
        Some(b) => {
            let shape = *y.shape();
            y + b.broadcast_like::<_, Axis<0>>(&shape)
        }
        None => y,
    }
}

/// A 2-D convolution as im2col + matmul.
#[derive(Clone, Copy, Debug)]
pub struct Conv2d {
    /// Kernel as a matrix `(in·kh·kw, out)`; row `(c·kh + ky)·kw + kx`.
    pub w: ParamId,
    /// Bias `(out,)`.
    pub b: ParamId,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel height and width.
    pub kernel: (usize, usize),
    /// Stride (rows, columns).
    pub stride: (usize, usize),
    /// Zero padding (rows, columns) on each side.
    pub pad: (usize, usize),
}

/// Output size of a convolution along one axis.
pub fn conv_out(size: usize, k: usize, stride: usize, pad: usize) -> usize {
    (size + 2 * pad - k) / stride + 1
}

/// The im2col gather indices for an input `(b, c, h, w)`: for every output
/// position `(b, oy, ox)` (rows) the `c·kh·kw` input taps (columns), as
/// indices into the flattened input; taps in the padding point at
/// `b·c·h·w`, the appended zero.
pub fn im2col_indices(
    (b, c, h, w): (usize, usize, usize, usize),
    (kh, kw): (usize, usize),
    (sy, sx): (usize, usize),
    (py, px): (usize, usize),
) -> Vec<usize> {
    let (oh, ow) = (conv_out(h, kh, sy, py), conv_out(w, kw, sx, px));
    let zero = b * c * h * w;
    let mut idx = Vec::with_capacity(b * oh * ow * c * kh * kw);
    for bi in 0..b {
        for oy in 0..oh {
            for ox in 0..ow {
                for ci in 0..c {
                    let base = (bi * c + ci) * h;
                    for ky in 0..kh {
                        let iy = (oy * sy + ky) as isize - py as isize;
                        for kx in 0..kw {
                            let ix = (ox * sx + kx) as isize - px as isize;
                            idx.push(
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                    zero
                                } else {
                                    (base + iy as usize) * w + ix as usize
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    idx
}

type IndexKey = (
    std::any::TypeId,
    (usize, usize, usize, usize),
    (usize, usize),
    (usize, usize),
    (usize, usize),
);

thread_local! {
    /// im2col index tensors by device type and geometry: building them costs
    /// about as much as the gather itself, and a model uses a handful.
    static INDEX_CACHE: std::cell::RefCell<Vec<(IndexKey, Box<dyn std::any::Any>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// How many index tensors the cache keeps (oldest dropped first).
const INDEX_CACHE_SIZE: usize = 16;

fn cached_indices<D: Device<f32>>(
    dev: &D,
    shape: (usize, usize, usize, usize),
    kernel: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
) -> Tensor<(usize,), usize, D> {
    let key = (std::any::TypeId::of::<D>(), shape, kernel, stride, pad);
    let hit = INDEX_CACHE.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, t)| t.downcast_ref::<Tensor<(usize,), usize, D>>().cloned())
    });
    if let Some(t) = hit {
        return t;
    }
    let idx = im2col_indices(shape, kernel, stride, pad);
    let m = idx.len();
    let t = dev.tensor_from_vec(idx, (m,));
    INDEX_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= INDEX_CACHE_SIZE {
            c.remove(0);
        }
        c.push((key, Box::new(t.clone())));
    });
    t
}

impl Conv2d {
    /// Adds `name.w` (He normal) and `name.b` (zeros): a `k×k` kernel,
    /// stride 1, padding `k/2` ("same").
    pub fn same<D: Device<f32>>(
        store: &mut ParamStore<D>,
        name: &str,
        c_in: usize,
        c_out: usize,
        k: usize,
    ) -> Self {
        Self::new(store, name, c_in, c_out, (k, k), (1, 1), (k / 2, k / 2))
    }

    /// Adds a convolution with any kernel, stride and padding.
    pub fn new<D: Device<f32>>(
        store: &mut ParamStore<D>,
        name: &str,
        c_in: usize,
        c_out: usize,
        kernel: (usize, usize),
        stride: (usize, usize),
        pad: (usize, usize),
    ) -> Self {
        let fan_in = c_in * kernel.0 * kernel.1;
        Conv2d {
            w: store.add(
                &format!("{name}.w"),
                &[fan_in, c_out],
                Init::HeNormal { fan_in },
            ),
            b: store.add(&format!("{name}.b"), &[c_out], Init::Zeros),
            c_in,
            c_out,
            kernel,
            stride,
            pad,
        }
    }

    /// `(B, in, H, W)` → `(B, out, OH, OW)`.
    pub fn forward<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &ParamStore<D>,
        x: T4<D, T>,
    ) -> T4<D, T> {
        conv2d(
            x,
            store.matrix::<T>(self.w),
            Some(store.flat::<T>(self.b)),
            self.kernel,
            self.stride,
            self.pad,
        )
    }
}

/// Convolution of `x: (B, C, H, W)` with the kernel matrix `w: (C·kh·kw, O)`.
///
/// On `Cpu` this is one custom operation with direct im2col/col2im loops
/// and per-image matrix products ([`crate::conv_cpu`]); on other devices it
/// is [`conv2d_gather`].
pub fn conv2d<D: Device<f32>, T: Tape<f32, D>>(
    x: T4<D, T>,
    w: T2<D, T>,
    b: Option<Tensor<(usize,), f32, D, T>>,
    kernel: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
) -> T4<D, T> {
    let (_, c, h, wd) = *x.shape();
    check_kernel(c, w.shape().0, kernel);
    let g = crate::conv_cpu::Geometry {
        c,
        h,
        w: wd,
        kernel,
        stride,
        pad,
        out: (
            conv_out(h, kernel.0, stride.0, pad.0),
            conv_out(wd, kernel.1, stride.1, pad.1),
        ),
    };
    if let Some(bias) = &b {
        assert_eq!(bias.shape().0, w.shape().1, "conv2d: bias length");
    }
    if crate::conv_cpu::is_cpu::<D>() {
        crate::conv_cpu::conv2d(x, w, b, g)
    } else {
        conv2d_gather(x, w, b, kernel, stride, pad)
    }
}

fn check_kernel(c: usize, rows: usize, kernel: (usize, usize)) {
    assert_eq!(
        rows,
        c * kernel.0 * kernel.1,
        "conv2d: kernel rows {rows} do not match {c} channels × {}×{}",
        kernel.0,
        kernel.1
    );
}

/// [`conv2d`] on any device from public dfdx operations: the input is
/// flattened, a zero appended, the patch matrix `(B·OH·OW, C·kh·kw)` built
/// with one `gather` on cached host-computed indices, multiplied by the
/// kernel, then permuted back to NCHW.
pub fn conv2d_gather<D: Device<f32>, T: Tape<f32, D>>(
    x: T4<D, T>,
    w: T2<D, T>,
    b: Option<Tensor<(usize,), f32, D, T>>,
    kernel: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
) -> T4<D, T> {
    let (bn, c, h, wd) = *x.shape();
    let o = w.shape().1;
    check_kernel(c, w.shape().0, kernel);
    let (oh, ow) = (
        conv_out(h, kernel.0, stride.0, pad.0),
        conv_out(wd, kernel.1, stride.1, pad.1),
    );
    let dev = x.device().clone();
    let idx = cached_indices(&dev, (bn, c, h, wd), kernel, stride, pad);
    let flat = x.reshape_like(&(bn * c * h * wd,));
    let zero: Tensor<(usize,), f32, D> = dev.zeros_like(&(1,));
    let padded = (flat, zero).concat_along(Axis::<0>);
    let cols: Tensor<(usize,), f32, D, T> = padded.gather(idx);
    let cols = cols.reshape_like(&(bn * oh * ow, c * kernel.0 * kernel.1));
    let y = linear(cols, w, b); // (B·OH·OW, O)
    y.reshape_like(&(bn, oh * ow, o))
        .permute::<(usize, usize, usize), Axes3<0, 2, 1>>()
        .reshape_like(&(bn, o, oh, ow))
}

/// Non-overlapping max pooling, window = stride = `(kh, kw)`; `H` and `W`
/// must be multiples of them.
pub fn max_pool<D: Device<f32>, T: Tape<f32, D>>(
    x: T4<D, T>,
    (kh, kw): (usize, usize),
) -> T4<D, T> {
    let (_, _, h, w) = *x.shape();
    assert!(
        h % kh == 0 && w % kw == 0,
        "max_pool: {h}×{w} is not a multiple of {kh}×{kw}"
    );
    if crate::conv_cpu::is_cpu::<D>() {
        return crate::pool_cpu::max_pool(x, (kh, kw));
    }
    max_pool_ops(x, (kh, kw))
}

/// [`max_pool`] as a dfdx reduction (every device but `Cpu`).
fn max_pool_ops<D: Device<f32>, T: Tape<f32, D>>(
    x: T4<D, T>,
    (kh, kw): (usize, usize),
) -> T4<D, T> {
    let (b, c, h, w) = *x.shape();
    x.reshape_like(&(b, c, h / kh, kh, w / kw, kw))
        .max::<(usize, usize, usize, usize), Axes2<3, 5>>()
}

/// Nearest-neighbour upsampling by `(sh, sw)`.
pub fn upsample_nearest<D: Device<f32>, T: Tape<f32, D>>(
    x: T4<D, T>,
    (sh, sw): (usize, usize),
) -> T4<D, T> {
    let (b, c, h, w) = *x.shape();
    x.broadcast_like::<_, Axes2<3, 5>>(&(b, c, h, sh, w, sw))
        .reshape_like(&(b, c, h * sh, w * sw))
}

/// Inverted dropout: in training, zeroes each value with probability `p`
/// and scales the rest by `1/(1−p)`; the identity in evaluation.
pub fn dropout<S: Shape, D: Device<f32>, T: Tape<f32, D>>(
    x: Tensor<S, f32, D, T>,
    p: f32,
    train: bool,
    rng: &mut impl Rng,
) -> Tensor<S, f32, D, T> {
    if !train || p <= 0.0 {
        return x;
    }
    let shape = *x.shape();
    let keep = 1.0 - p;
    let mask: Vec<f32> = (0..shape.num_elements())
        .map(|_| {
            if rng.gen::<f32>() < keep {
                1.0 / keep
            } else {
                0.0
            }
        })
        .collect();
    let mask = x.device().tensor_from_vec(mask, shape);
    x * mask
}

/// Batch normalisation over channels, with running statistics.
#[derive(Clone, Copy, Debug)]
pub struct BatchNorm {
    /// Scale `γ` `(C,)`, starts at 1.
    pub gamma: ParamId,
    /// Shift `β` `(C,)`, starts at 0.
    pub beta: ParamId,
    /// Running mean (buffer).
    pub running_mean: ParamId,
    /// Running variance (buffer).
    pub running_var: ParamId,
    /// Channels.
    pub channels: usize,
    /// Weight of the new batch in the running statistics.
    pub momentum: f32,
    /// Variance guard.
    pub eps: f32,
}

impl BatchNorm {
    /// Adds `name.gamma`, `name.beta` and the buffers
    /// `name.running_mean`, `name.running_var`.
    pub fn new<D: Device<f32>>(store: &mut ParamStore<D>, name: &str, channels: usize) -> Self {
        BatchNorm {
            gamma: store.add(&format!("{name}.gamma"), &[channels], Init::Constant(1.0)),
            beta: store.add(&format!("{name}.beta"), &[channels], Init::Zeros),
            running_mean: store.add_buffer(
                &format!("{name}.running_mean"),
                &[channels],
                Init::Zeros,
            ),
            running_var: store.add_buffer(
                &format!("{name}.running_var"),
                &[channels],
                Init::Constant(1.0),
            ),
            channels,
            momentum: 0.1,
            eps: 1e-5,
        }
    }

    /// Normalises `(B, C, H, W)` per channel. In training it uses the batch
    /// statistics and updates the running ones in `store`. On `Cpu` it is
    /// one operation ([`crate::norm_cpu`]).
    pub fn forward<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &mut ParamStore<D>,
        x: T4<D, T>,
        train: bool,
    ) -> T4<D, T> {
        let (b, c, h, w) = *x.shape();
        assert_eq!(
            c, self.channels,
            "batch norm: {c} channels, expected {}",
            self.channels
        );
        if !crate::conv_cpu::is_cpu::<D>() {
            return self.forward_ops(store, x, train);
        }
        let (mean, var);
        let stats = if train {
            crate::norm_cpu::Stats::Batch
        } else {
            mean = store.values(self.running_mean);
            var = store.values(self.running_var);
            crate::norm_cpu::Stats::Running {
                mean: &mean,
                var: &var,
            }
        };
        let out = crate::norm_cpu::batch_norm(
            x,
            store.flat::<T>(self.gamma),
            store.flat::<T>(self.beta),
            self.eps,
            stats,
        );
        if train {
            self.update_running(store, &out.mean, &out.var, (b * h * w) as f32);
        }
        out.y
    }

    /// [`BatchNorm::forward`] as generic tensor operations (every device
    /// but `Cpu`).
    fn forward_ops<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &mut ParamStore<D>,
        x: T4<D, T>,
        train: bool,
    ) -> T4<D, T> {
        let shape = *x.shape();
        let (b, _, h, w) = shape;
        let gamma = store
            .flat::<T>(self.gamma)
            .broadcast_like::<_, Axes3<0, 2, 3>>(&shape);
        let beta = store
            .flat::<T>(self.beta)
            .broadcast_like::<_, Axes3<0, 2, 3>>(&shape);
        let xhat = if train {
            let n = (b * h * w) as f32;
            let mean = x.with_empty_tape().sum::<(usize,), Axes3<0, 2, 3>>() / n;
            let mean_host = mean.as_vec();
            let centered = x - mean.broadcast_like::<_, Axes3<0, 2, 3>>(&shape);
            let var = centered
                .with_empty_tape()
                .square()
                .sum::<(usize,), Axes3<0, 2, 3>>()
                / n;
            let var_host = var.as_vec();
            let std = (var + self.eps).sqrt();
            let out = centered / std.broadcast_like::<_, Axes3<0, 2, 3>>(&shape);
            self.update_running(store, &mean_host, &var_host, n);
            out
        } else {
            let mean = store.flat::<NoneTape>(self.running_mean);
            let var = store.flat::<NoneTape>(self.running_var);
            let std = (var + self.eps).sqrt();
            (x - mean.broadcast_like::<_, Axes3<0, 2, 3>>(&shape))
                / std.broadcast_like::<_, Axes3<0, 2, 3>>(&shape)
        };
        xhat * gamma + beta
    }

    /// Normalises `(N, F)` per feature (as `(N, F, 1, 1)`).
    pub fn forward2<D: Device<f32>, T: Tape<f32, D>>(
        &self,
        store: &mut ParamStore<D>,
        x: T2<D, T>,
        train: bool,
    ) -> T2<D, T> {
        let (n, f) = *x.shape();
        self.forward(store, x.reshape_like(&(n, f, 1, 1)), train)
            .reshape_like(&(n, f))
    }

    fn update_running<D: Device<f32>>(
        &self,
        store: &mut ParamStore<D>,
        mean: &[f32],
        var: &[f32],
        n: f32,
    ) {
        let m = self.momentum;
        let unbias = if n > 1.0 { n / (n - 1.0) } else { 1.0 };
        let rm: Vec<f32> = store
            .values(self.running_mean)
            .iter()
            .zip(mean)
            .map(|(r, b)| (1.0 - m) * r + m * b)
            .collect();
        let rv: Vec<f32> = store
            .values(self.running_var)
            .iter()
            .zip(var)
            .map(|(r, b)| (1.0 - m) * r + m * b * unbias)
            .collect();
        store
            .set_values(self.running_mean, rm)
            .expect("same length");
        store.set_values(self.running_var, rv).expect("same length");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check_gradients;
    use rand::SeedableRng;

    type Tr = OwnedTape<f32, Cpu>;

    fn naive_conv(
        x: &[f32],
        (b, c, h, w): (usize, usize, usize, usize),
        k: &[f32],
        o: usize,
        (kh, kw): (usize, usize),
        (sy, sx): (usize, usize),
        (py, px): (usize, usize),
    ) -> Vec<f32> {
        let (oh, ow) = (conv_out(h, kh, sy, py), conv_out(w, kw, sx, px));
        let mut out = vec![0.0; b * o * oh * ow];
        for bi in 0..b {
            for oi in 0..o {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut s = 0.0;
                        for ci in 0..c {
                            for ky in 0..kh {
                                for kx in 0..kw {
                                    let iy = (oy * sy + ky) as isize - py as isize;
                                    let ix = (ox * sx + kx) as isize - px as isize;
                                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                        continue;
                                    }
                                    let xv = x[((bi * c + ci) * h + iy as usize) * w + ix as usize];
                                    s += xv * k[((ci * kh + ky) * kw + kx) * o + oi];
                                }
                            }
                        }
                        out[((bi * o + oi) * oh + oy) * ow + ox] = s;
                    }
                }
            }
        }
        out
    }

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
    }

    #[test]
    fn conv2d_matches_naive_with_padding_and_stride() {
        let dev = Cpu::default();
        for (shape, kernel, stride, pad, o) in [
            ((2, 3, 5, 6), (3, 3), (1, 1), (1, 1), 4),
            ((1, 2, 7, 5), (3, 2), (2, 1), (0, 1), 3),
        ] {
            let n = shape.0 * shape.1 * shape.2 * shape.3;
            let xs = random(n, 1);
            let ks = random(shape.1 * kernel.0 * kernel.1 * o, 2);
            let x = dev.tensor_from_vec(xs.clone(), shape);
            let k = dev.tensor_from_vec(ks.clone(), (shape.1 * kernel.0 * kernel.1, o));
            let y = conv2d::<Cpu, NoneTape>(x, k, None, kernel, stride, pad);
            let expected = naive_conv(&xs, shape, &ks, o, kernel, stride, pad);
            let got = y.as_vec();
            assert_eq!(got.len(), expected.len());
            for (a, b) in got.iter().zip(&expected) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn conv2d_gradients_match_finite_differences() {
        let mut store = ParamStore::new(Cpu::default(), 5);
        let x = store.add("x", &[2, 2, 4, 5], Init::Normal(1.0));
        let conv = Conv2d::new(&mut store, "c", 2, 3, (3, 3), (2, 1), (1, 1));
        let r = store.add("r", &[2 * 3 * 2 * 5], Init::Normal(1.0));
        let report = check_gradients(&mut store, 1e-2, |s| {
            let y = conv.forward(s, s.tensor4::<Tr>(x));
            (y.reshape_like(&(60,)) * s.flat::<NoneTape>(r)).sum()
        });
        assert!(report.max_rel_err < 1e-2, "{report:?}");
    }

    /// Values and gradients (input, kernel, bias) of `conv2d` through the
    /// `Cpu` fast path and through the generic gather path.
    #[allow(clippy::type_complexity)]
    fn both_paths(
        shape: (usize, usize, usize, usize),
        o: usize,
        kernel: (usize, usize),
        stride: (usize, usize),
        pad: (usize, usize),
        bias: bool,
        seed: u64,
    ) -> [(Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>); 2] {
        let dev = Cpu::default();
        let k = shape.1 * kernel.0 * kernel.1;
        let x = dev.tensor_from_vec(random(shape.num_elements(), seed), shape);
        let w = dev.tensor_from_vec(random(k * o, seed + 1), (k, o));
        let b = dev.tensor_from_vec(random(o, seed + 2), (o,));
        let (oh, ow) = (
            conv_out(shape.2, kernel.0, stride.0, pad.0),
            conv_out(shape.3, kernel.1, stride.1, pad.1),
        );
        let m = shape.0 * o * oh * ow;
        let r = dev.tensor_from_vec(random(m, seed + 3), (m,));
        let run = |fast: bool| {
            let (xt, wt, bt) = (x.leaky_trace(), w.leaky_trace(), b.leaky_trace());
            let bt = bias.then_some(bt);
            let y = if fast {
                conv2d(xt, wt, bt, kernel, stride, pad)
            } else {
                conv2d_gather(xt, wt, bt, kernel, stride, pad)
            };
            assert_eq!(*y.shape(), (shape.0, o, oh, ow));
            let values = y.with_empty_tape().as_vec();
            let g = (y.reshape_like(&(m,)) * r.clone()).sum().backward();
            let gb = if bias { g.get(&b).as_vec() } else { vec![] };
            (values, g.get(&x).as_vec(), g.get(&w).as_vec(), gb)
        };
        [run(true), run(false)]
    }

    fn assert_close(what: &str, a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tol * (1.0 + y.abs()),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    #[test]
    fn cpu_conv_matches_gather_path_on_random_shapes_values_and_gradients() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        let mut cases = vec![
            // (shape, out channels, kernel, stride, pad, bias)
            ((2, 3, 5, 6), 4, (3, 3), (1, 1), (1, 1), true),
            ((1, 2, 7, 5), 3, (3, 2), (2, 1), (0, 1), false),
            ((3, 1, 4, 4), 2, (1, 1), (1, 1), (0, 0), true),
            // kernel larger than the padded image along one axis's taps
            ((2, 2, 3, 3), 3, (5, 5), (1, 1), (2, 2), true),
            // stride 3 with padding 2, non-square everything
            ((2, 3, 9, 7), 5, (4, 3), (3, 2), (2, 1), true),
        ];
        for _ in 0..12 {
            let kernel: (usize, usize) = (rng.gen_range(1..=4), rng.gen_range(1..=4));
            let pad: (usize, usize) = (rng.gen_range(0..=2), rng.gen_range(0..=2));
            let shape = (
                rng.gen_range(1..=3),
                rng.gen_range(1..=4),
                rng.gen_range(kernel.0.saturating_sub(2 * pad.0).max(1)..=9),
                rng.gen_range(kernel.1.saturating_sub(2 * pad.1).max(1)..=9),
            );
            let stride = (rng.gen_range(1..=3), rng.gen_range(1..=3));
            cases.push((
                shape,
                rng.gen_range(1..=5),
                kernel,
                stride,
                pad,
                rng.gen_bool(0.5),
            ));
        }
        for (i, (shape, o, kernel, stride, pad, bias)) in cases.into_iter().enumerate() {
            let [fast, gather] = both_paths(shape, o, kernel, stride, pad, bias, i as u64 * 10);
            let what = format!("case {i}: {shape:?} → {o}, k {kernel:?} s {stride:?} p {pad:?}");
            assert_close(&format!("{what} y"), &fast.0, &gather.0, 1e-5);
            assert_close(&format!("{what} ∂x"), &fast.1, &gather.1, 1e-5);
            assert_close(&format!("{what} ∂w"), &fast.2, &gather.2, 1e-5);
            assert_close(&format!("{what} ∂b"), &fast.3, &gather.3, 1e-5);
        }
    }

    #[test]
    fn cpu_conv_handles_a_non_contiguous_input_and_a_large_batch() {
        // A permuted (strided) input, and a batch split over the pool.
        let dev = Cpu::default();
        let xs = random(16 * 3 * 6 * 5, 7);
        let x: T4<Cpu, NoneTape> = dev.tensor_from_vec(xs.clone(), (16, 3, 5, 6));
        let xp = x.permute::<_, Axes4<0, 1, 3, 2>>(); // (16, 3, 6, 5), strided
        let w = dev.tensor_from_vec(random(3 * 9 * 4, 8), (27, 4));
        let fast = conv2d::<Cpu, NoneTape>(xp.clone(), w.clone(), None, (3, 3), (1, 1), (1, 1));
        let gather = conv2d_gather::<Cpu, NoneTape>(xp, w, None, (3, 3), (1, 1), (1, 1));
        assert_close("y", &fast.as_vec(), &gather.as_vec(), 1e-5);
    }

    #[test]
    fn max_pool_matches_naive_and_passes_gradient_check() {
        let dev = Cpu::default();
        let xs = random(2 * 2 * 4 * 6, 3);
        let x = dev.tensor_from_vec(xs.clone(), (2, 2, 4, 6));
        let y = max_pool::<Cpu, NoneTape>(x, (2, 3)).as_vec();
        let mut expected = Vec::new();
        for bc in 0..4 {
            for oy in 0..2 {
                for ox in 0..2 {
                    let mut m = f32::MIN;
                    for dy in 0..2 {
                        for dx in 0..3 {
                            m = m.max(xs[bc * 24 + (oy * 2 + dy) * 6 + ox * 3 + dx]);
                        }
                    }
                    expected.push(m);
                }
            }
        }
        assert_eq!(y, expected);

        let mut store = ParamStore::new(Cpu::default(), 6);
        let x = store.add("x", &[1, 2, 4, 4], Init::Normal(1.0));
        let r = store.add("r", &[2 * 2 * 4], Init::Normal(1.0));
        let report = check_gradients(&mut store, 1e-3, |s| {
            let y = max_pool(s.tensor4::<Tr>(x), (2, 1));
            (y.reshape_like(&(16,)) * s.flat::<NoneTape>(r)).sum()
        });
        assert!(report.max_rel_err < 1e-2, "{report:?}");
    }

    #[test]
    fn upsample_repeats_pixels_and_passes_gradient_check() {
        let dev = Cpu::default();
        let x = dev.tensor_from_vec(vec![1.0, 2.0, 3.0, 4.0], (1, 1, 2, 2));
        let y = upsample_nearest::<Cpu, NoneTape>(x, (2, 1)).as_vec();
        assert_eq!(y, vec![1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0]);

        let mut store = ParamStore::new(Cpu::default(), 7);
        let x = store.add("x", &[2, 1, 2, 3], Init::Normal(1.0));
        let r = store.add("r", &[2 * 4 * 6], Init::Normal(1.0));
        let report = check_gradients(&mut store, 1e-2, |s| {
            let y = upsample_nearest(s.tensor4::<Tr>(x), (2, 2));
            (y.reshape_like(&(48,)) * s.flat::<NoneTape>(r)).sum()
        });
        assert!(report.max_rel_err < 1e-2, "{report:?}");
    }

    #[test]
    fn linear_and_activations_match_naive_and_gradients() {
        let dev = Cpu::default();
        let x = dev.tensor_from_vec(vec![1.0, -2.0], (1usize, 2usize));
        let w = dev.tensor_from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], (2usize, 3usize));
        let b = dev.tensor_from_vec(vec![0.5, 0.0, -0.5], (3usize,));
        let y = linear::<Cpu, NoneTape>(x, w, Some(b));
        assert_eq!(y.as_vec(), vec![-6.5, -8.0, -9.5]);
        assert_eq!(Activation::from_name("relu").unwrap(), Activation::Relu);
        assert!(Activation::from_name("swish").is_err());

        for act in [
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Gelu,
        ] {
            let mut store = ParamStore::new(Cpu::default(), 8);
            let x = store.add("x", &[3, 4], Init::Normal(1.0));
            let lin = Linear::new(&mut store, "l", 4, 5, false);
            let r = store.add("r", &[15], Init::Normal(1.0));
            let report = check_gradients(&mut store, 1e-2, |s| {
                let y = act.apply(lin.forward(s, s.matrix::<Tr>(x)));
                (y.reshape_like(&(15,)) * s.flat::<NoneTape>(r)).sum()
            });
            assert!(report.max_rel_err < 2e-2, "{act:?}: {report:?}");
        }
    }

    #[test]
    fn batch_norm_normalises_tracks_running_stats_and_passes_gradient_check() {
        let dev = Cpu::default();
        let mut store = ParamStore::new(dev.clone(), 9);
        let bn = BatchNorm::new(&mut store, "bn", 2);
        // channel 0: values 1..4, channel 1: 10, 20, 30, 40 (b = 2, 1×2 pixels)
        let x = dev.tensor_from_vec(
            vec![1.0, 2.0, 10.0, 20.0, 3.0, 4.0, 30.0, 40.0],
            (2, 2, 1, 2),
        );
        let y = bn
            .forward::<Cpu, NoneTape>(&mut store, x.clone(), true)
            .as_vec();
        let (m0, v0) = (2.5f32, 1.25f32);
        let expect0 = (1.0 - m0) / (v0 + 1e-5).sqrt();
        assert!((y[0] - expect0).abs() < 1e-4, "{y:?}");
        let ch1: Vec<f32> = [y[2], y[3], y[6], y[7]].to_vec();
        assert!(ch1.iter().sum::<f32>().abs() < 1e-4);
        // Running: 0.9·0 + 0.1·2.5, 0.9·1 + 0.1·(1.25·4/3)
        let rm = store.values(bn.running_mean);
        let rv = store.values(bn.running_var);
        assert!((rm[0] - 0.25).abs() < 1e-6 && (rm[1] - 2.5).abs() < 1e-5);
        assert!((rv[0] - (0.9 + 0.1 * 1.25 * 4.0 / 3.0)).abs() < 1e-5);
        // Evaluation uses the running statistics.
        let e = bn.forward::<Cpu, NoneTape>(&mut store, x, false).as_vec();
        assert!((e[0] - (1.0 - 0.25) / (rv[0] + 1e-5).sqrt()).abs() < 1e-5);

        let mut store = ParamStore::new(Cpu::default(), 10);
        let x = store.add("x", &[3, 2, 2, 2], Init::Normal(1.0));
        let bn = BatchNorm::new(&mut store, "bn", 2);
        let r = store.add("r", &[24], Init::Normal(1.0));
        let report = check_gradients(&mut store, 1e-2, |s| {
            let mut s = s.clone();
            let input = s.tensor4::<Tr>(x);
            let y = bn.forward(&mut s, input, true);
            (y.reshape_like(&(24,)) * s.flat::<NoneTape>(r)).sum()
        });
        assert!(report.max_rel_err < 3e-2, "{report:?}");
    }

    #[test]
    fn cpu_batch_norm_and_max_pool_match_the_tensor_operations() {
        // Values, running statistics and every gradient of the one-operation
        // Cpu paths equal those of the generic tensor operations, in
        // training and in evaluation.
        let (b, c, h, w) = (5, 3, 4, 6);
        for train in [true, false] {
            let mut store = ParamStore::new(Cpu::default(), 21);
            let x = store.add("x", &[b, c, h, w], Init::Normal(2.0));
            let bn = BatchNorm::new(&mut store, "bn", c);
            store.set_values(bn.gamma, vec![0.5, 1.5, -1.0]).unwrap();
            store.set_values(bn.beta, vec![0.1, -0.2, 0.3]).unwrap();
            store
                .set_values(bn.running_mean, vec![0.2, -0.1, 0.05])
                .unwrap();
            store
                .set_values(bn.running_var, vec![1.5, 0.7, 2.0])
                .unwrap();
            let r = store.add_buffer("r", &[b * c * (h / 2) * (w / 3)], Init::Normal(1.0));
            let run = |fused: bool| {
                let mut s = store.clone();
                let input = s.tensor4::<Tr>(x).reshape_like(&(b, c, h, w));
                let y = if fused {
                    bn.forward(&mut s, input, train)
                } else {
                    bn.forward_ops(&mut s, input, train)
                };
                let y = y.relu();
                let p = if fused {
                    max_pool(y, (2, 3))
                } else {
                    max_pool_ops(y, (2, 3))
                };
                let values = p.with_empty_tape().as_vec();
                let n = p.shape().num_elements();
                let loss = (p.reshape_like(&(n,)) * s.flat::<NoneTape>(r)).sum();
                let g = crate::gradcheck::gradient_values(&s, loss);
                let running = (s.values(bn.running_mean), s.values(bn.running_var));
                (values, g, running)
            };
            let (v1, g1, r1) = run(true);
            let (v0, g0, r0) = run(false);
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
            close(&r1.0, &r0.0, "running mean");
            close(&r1.1, &r0.1, "running var");
            for (i, (a, e)) in g1.iter().zip(&g0).enumerate() {
                if store.param(ParamId(i)).trainable {
                    close(a.as_slice(), e, &store.param(ParamId(i)).name);
                }
            }
            assert!(g1[x.0].iter().any(|v| v.abs() > 1e-3), "train {train}");
        }
    }

    #[test]
    fn cpu_batch_norm_adds_its_input_gradient_to_one_already_there() {
        // The Cpu op adds ∂x straight into x's gradient buffer: with x also
        // used beside the normalisation, both contributions must arrive, as
        // they do through the tensor operations.
        let (b, c, h, w) = (4, 2, 3, 5);
        let n = b * c * h * w;
        for train in [true, false] {
            let mut store = ParamStore::new(Cpu::default(), 22);
            let x = store.add("x", &[b, c, h, w], Init::Normal(2.0));
            let bn = BatchNorm::new(&mut store, "bn", c);
            store.set_values(bn.gamma, vec![0.7, -1.2]).unwrap();
            let r = store.add_buffer("r", &[n], Init::Normal(1.0));
            let r2 = store.add_buffer("r2", &[n], Init::Normal(1.0));
            let run = |fused: bool| {
                let mut s = store.clone();
                let input = s.tensor4::<Tr>(x).reshape_like(&(b, c, h, w));
                let beside =
                    (input.with_empty_tape().reshape_like(&(n,)) * s.flat::<NoneTape>(r2)).sum();
                let y = if fused {
                    bn.forward(&mut s, input, train)
                } else {
                    bn.forward_ops(&mut s, input, train)
                };
                let loss = (y.reshape_like(&(n,)) * s.flat::<NoneTape>(r)).sum() + beside;
                crate::gradcheck::gradient_values(&s, loss)
            };
            let (g1, g0) = (run(true), run(false));
            for (p, q) in g1[x.0].iter().zip(&g0[x.0]) {
                assert!(
                    (p - q).abs() < 1e-4 * q.abs().max(1.0),
                    "train {train}: {p} vs {q}"
                );
            }
        }
    }

    #[test]
    fn dropout_zeroes_a_fraction_scales_the_rest_and_is_identity_in_eval() {
        let dev = Cpu::default();
        let x: Tensor<(usize,), f32, Cpu> = dev.ones_like(&(10_000,));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let y = dropout(x.clone(), 0.3, true, &mut rng).as_vec();
        let zeros = y.iter().filter(|v| **v == 0.0).count() as f32 / 10_000.0;
        assert!((zeros - 0.3).abs() < 0.02, "{zeros}");
        assert!(y.iter().all(|v| *v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-6));
        assert_eq!(
            dropout(x.clone(), 0.3, false, &mut rng).as_vec(),
            x.as_vec()
        );

        let mut store = ParamStore::new(Cpu::default(), 11);
        let x = store.add("x", &[20], Init::Normal(1.0));
        let report = check_gradients(&mut store, 1e-2, |s| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
            dropout(s.flat::<Tr>(x), 0.5, true, &mut rng).square().sum()
        });
        assert!(report.max_rel_err < 1e-2, "{report:?}");
    }
}
