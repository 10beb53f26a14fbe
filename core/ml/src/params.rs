//! A parameter store: the named, runtime-shaped tensors of one model.
//!
//! dfdx 0.13's built-in layers and optimizers need const shapes, so models
//! whose sizes come from a YAML spec keep their weights here instead. Every
//! parameter is stored flat, as a `Tensor<(usize,), f32, D>`, with its logical
//! shape beside it; layers view it as a matrix or a kernel with
//! [`ParamStore::matrix`] / [`ParamStore::tensor4`].
//!
//! # The gradient pass
//!
//! ```text
//! let w = store.matrix::<OwnedTape<f32, D>>(w_id);   // traced view, same id
//! let loss = model(x, w, ...);                          // any dfdx ops
//! let mut grads = loss.backward();                      // leaky gradients
//! let g = store.gradients(&mut grads);                  // one per parameter
//! drop(grads);                                          // every step
//! optimizer.step(&mut store, &g);
//! ```
//!
//! Each parameter is traced with its own empty leaky tape
//! ([`Tensor::retaped`]); dfdx merges the tapes as operations combine
//! tensors, so `backward` reaches every parameter used. A parameter the loss
//! does not use gets a zero gradient.
//!
//! Non-trainable buffers (batch-norm running statistics) live in the store
//! too, so checkpoints hold them, but optimizers skip them.

use crate::MlError;
use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Index of a parameter in its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamId(pub usize);

/// How a parameter starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// All zeros (biases, batch-norm shift).
    Zeros,
    /// Every value `c` (batch-norm scale: 1).
    Constant(f32),
    /// Glorot/Xavier uniform: `U(-a, a)`, `a = sqrt(6 / (fan_in + fan_out))`.
    XavierUniform {
        /// Inputs per output unit.
        fan_in: usize,
        /// Outputs per input unit.
        fan_out: usize,
    },
    /// He/Kaiming normal: `N(0, 2 / fan_in)`, for ReLU layers.
    HeNormal {
        /// Inputs per output unit.
        fan_in: usize,
    },
    /// `N(0, std²)`.
    Normal(f32),
}

/// One named parameter.
#[derive(Clone, Debug)]
pub struct Param<D: Device<f32>> {
    /// Unique name (`enc0.w`, `bn1.running_mean`, ...).
    pub name: String,
    /// Logical shape; the value holds `shape.iter().product()` values.
    pub shape: Vec<usize>,
    /// Whether optimizers update it.
    pub trainable: bool,
    /// The values, flat, row-major.
    pub value: Tensor<(usize,), f32, D>,
}

impl<D: Device<f32>> Param<D> {
    /// Number of values.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// The parameters of one model, on device `D`.
#[derive(Clone, Debug)]
pub struct ParamStore<D: Device<f32>> {
    dev: D,
    rng: ChaCha8Rng,
    params: Vec<Param<D>>,
}

/// Draws `n` values of `init` from `rng` (host side, so a seed gives the same
/// model on every device).
pub fn init_values(init: Init, n: usize, rng: &mut impl Rng) -> Vec<f32> {
    match init {
        Init::Zeros => vec![0.0; n],
        Init::Constant(c) => vec![c; n],
        Init::XavierUniform { fan_in, fan_out } => {
            let a = (6.0 / (fan_in + fan_out).max(1) as f32).sqrt();
            (0..n).map(|_| rng.gen_range(-a..=a)).collect()
        }
        Init::HeNormal { fan_in } => {
            let std = (2.0 / fan_in.max(1) as f32).sqrt();
            (0..n).map(|_| std * standard_normal(rng)).collect()
        }
        Init::Normal(std) => (0..n).map(|_| std * standard_normal(rng)).collect(),
    }
}

/// One draw of `N(0, 1)` (Box–Muller).
pub fn standard_normal(rng: &mut impl Rng) -> f32 {
    let u1: f32 = rng.gen_range(f32::EPSILON..1.0);
    let u2: f32 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

impl<D: Device<f32>> ParamStore<D> {
    /// An empty store; `seed` drives every initialisation.
    pub fn new(dev: D, seed: u64) -> Self {
        ParamStore {
            dev,
            rng: ChaCha8Rng::seed_from_u64(seed),
            params: Vec::new(),
        }
    }

    /// The device.
    pub fn device(&self) -> &D {
        &self.dev
    }

    /// Adds a trainable parameter of `shape` initialised with `init`.
    pub fn add(&mut self, name: &str, shape: &[usize], init: Init) -> ParamId {
        self.push(name, shape, init, true)
    }

    /// Adds a non-trainable buffer (saved, never updated by optimizers).
    pub fn add_buffer(&mut self, name: &str, shape: &[usize], init: Init) -> ParamId {
        self.push(name, shape, init, false)
    }

    fn push(&mut self, name: &str, shape: &[usize], init: Init, trainable: bool) -> ParamId {
        assert!(
            self.id(name).is_none(),
            "parameter `{name}` is defined twice"
        );
        let n: usize = shape.iter().product();
        let values = init_values(init, n, &mut self.rng);
        let value = self.dev.tensor_from_vec(values, (n,));
        self.params.push(Param {
            name: name.to_string(),
            shape: shape.to_vec(),
            trainable,
            value,
        });
        ParamId(self.params.len() - 1)
    }

    /// The parameter called `name`.
    pub fn id(&self, name: &str) -> Option<ParamId> {
        self.params.iter().position(|p| p.name == name).map(ParamId)
    }

    /// All parameters, in insertion order.
    pub fn params(&self) -> &[Param<D>] {
        &self.params
    }

    /// One parameter.
    pub fn param(&self, id: ParamId) -> &Param<D> {
        &self.params[id.0]
    }

    /// Number of trainable values.
    pub fn num_trainable(&self) -> usize {
        self.params
            .iter()
            .filter(|p| p.trainable)
            .map(Param::numel)
            .sum()
    }

    /// Number of values, buffers included.
    pub fn num_values(&self) -> usize {
        self.params.iter().map(Param::numel).sum()
    }

    /// The flat value with tape `T` (`NoneTape` to evaluate,
    /// `OwnedTape<f32, D>` to trace). Same id as the stored tensor.
    pub fn flat<T: Tape<f32, D>>(&self, id: ParamId) -> Tensor<(usize,), f32, D, T> {
        self.params[id.0].value.retaped::<T>()
    }

    /// A 2-D parameter as a `(rows, cols)` tensor.
    pub fn matrix<T: Tape<f32, D>>(&self, id: ParamId) -> Tensor<(usize, usize), f32, D, T> {
        let p = &self.params[id.0];
        assert_eq!(p.shape.len(), 2, "parameter `{}` is not a matrix", p.name);
        self.flat::<T>(id).reshape_like(&(p.shape[0], p.shape[1]))
    }

    /// A 4-D parameter (a convolution kernel `(out, in, kh, kw)`).
    pub fn tensor4<T: Tape<f32, D>>(
        &self,
        id: ParamId,
    ) -> Tensor<(usize, usize, usize, usize), f32, D, T> {
        let p = &self.params[id.0];
        assert_eq!(p.shape.len(), 4, "parameter `{}` is not 4-D", p.name);
        self.flat::<T>(id)
            .reshape_like(&(p.shape[0], p.shape[1], p.shape[2], p.shape[3]))
    }

    /// The values on the host.
    pub fn values(&self, id: ParamId) -> Vec<f32> {
        self.params[id.0].value.as_vec()
    }

    /// Replaces a parameter's values (a new tensor, so a new id).
    pub fn set_values(&mut self, id: ParamId, values: Vec<f32>) -> Result<(), MlError> {
        let p = &self.params[id.0];
        if values.len() != p.numel() {
            return Err(MlError::Shape(format!(
                "parameter `{}` has {} values, got {}",
                p.name,
                p.numel(),
                values.len()
            )));
        }
        let n = values.len();
        self.params[id.0].value = self.dev.tensor_from_vec(values, (n,));
        Ok(())
    }

    /// Every parameter's and buffer's values on the host, in store order
    /// (a model to go back to, e.g. the best epoch's).
    pub fn snapshot(&self) -> Vec<Vec<f32>> {
        self.params.iter().map(|p| p.value.as_vec()).collect()
    }

    /// Puts back the values of a [`ParamStore::snapshot`].
    pub fn restore(&mut self, snapshot: Vec<Vec<f32>>) -> Result<(), MlError> {
        if snapshot.len() != self.params.len() {
            return Err(MlError::Shape(format!(
                "a snapshot of {} parameters for a store of {}",
                snapshot.len(),
                self.params.len()
            )));
        }
        for (i, values) in snapshot.into_iter().enumerate() {
            self.set_values(ParamId(i), values)?;
        }
        Ok(())
    }

    /// The stored tensor itself, to update in place (the `Cpu` optimizer
    /// path copies into it).
    pub(crate) fn value_mut(&mut self, id: ParamId) -> &mut Tensor<(usize,), f32, D> {
        &mut self.params[id.0].value
    }

    /// Replaces a parameter's tensor (optimizers use this).
    pub fn set_tensor(&mut self, id: ParamId, value: Tensor<(usize,), f32, D>) {
        assert_eq!(value.shape().0, self.params[id.0].numel());
        self.params[id.0].value = value;
    }

    /// The gradient of every parameter after `backward` (zeros for buffers
    /// and for parameters the loss did not use), in store order. Drop
    /// `grads` afterwards: leaky gradients keep every intermediate.
    pub fn gradients(
        &self,
        grads: &mut Gradients<f32, D>,
    ) -> Result<Vec<Tensor<(usize,), f32, D>>, MlError> {
        self.params
            .iter()
            .map(|p| {
                grads
                    .try_alloc_for(&p.value)
                    .map_err(|e| MlError::Device(format!("{e:?}")))?;
                Ok(grads.get(&p.value))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_reach_every_parameter_and_unused_ones_are_zero() {
        let dev = Cpu::default();
        let mut store = ParamStore::new(dev.clone(), 1);
        let w = store.add("w", &[2, 3], Init::Constant(1.0));
        let b = store.add("b", &[3], Init::Constant(0.5));
        let unused = store.add("u", &[4], Init::Constant(2.0));
        let x = dev.tensor_from_vec(vec![1.0, 2.0, 3.0, 4.0], (2usize, 2usize));
        let wt = store.matrix::<OwnedTape<f32, Cpu>>(w);
        let bt = store.flat::<OwnedTape<f32, Cpu>>(b);
        let y = wt.with_empty_tape().sum::<(usize,), Axis<0>>() * bt + 0.0;
        // loss = sum_j (sum_i w_ij) * b_j  +  sum(x·w)
        let xw = x.retaped::<OwnedTape<f32, Cpu>>().matmul(wt);
        let loss = y.sum::<(), _>() + xw.sum::<(), _>();
        let mut grads = loss.backward();
        let g = store.gradients(&mut grads).unwrap();
        // d/dw_ij = b_j + sum_n x_ni  (x column sums: 4, 6)
        assert_eq!(g[w.0].as_vec(), vec![4.5, 4.5, 4.5, 6.5, 6.5, 6.5]);
        assert_eq!(g[b.0].as_vec(), vec![2.0, 2.0, 2.0]);
        assert_eq!(g[unused.0].as_vec(), vec![0.0; 4]);
        assert_eq!(store.num_trainable(), 13);
    }

    #[test]
    fn a_snapshot_puts_every_value_back() {
        let mut store = ParamStore::new(Cpu::default(), 3);
        let w = store.add("w", &[2, 3], Init::Normal(1.0));
        store.add_buffer("b", &[2], Init::Constant(0.5));
        let before = store.snapshot();
        store.set_values(w, vec![0.0; 6]).unwrap();
        assert_ne!(store.snapshot(), before);
        store.restore(before.clone()).unwrap();
        assert_eq!(store.snapshot(), before);
        assert!(store.restore(vec![vec![0.0; 6]]).is_err());
    }

    #[test]
    fn seeded_init_is_reproducible_and_scaled() {
        let mut a = ParamStore::new(Cpu::default(), 3);
        let mut b = ParamStore::new(Cpu::default(), 3);
        let ia = a.add("w", &[100, 100], Init::HeNormal { fan_in: 100 });
        let ib = b.add("w", &[100, 100], Init::HeNormal { fan_in: 100 });
        let (va, vb) = (a.values(ia), b.values(ib));
        assert_eq!(va, vb);
        let var = va.iter().map(|v| v * v).sum::<f32>() / va.len() as f32;
        assert!((var - 0.02).abs() < 0.002, "variance {var}");
        let x = a.add(
            "x",
            &[50, 50],
            Init::XavierUniform {
                fan_in: 50,
                fan_out: 50,
            },
        );
        let bound = (6.0f32 / 100.0).sqrt();
        assert!(a.values(x).iter().all(|v| v.abs() <= bound));
    }
}
