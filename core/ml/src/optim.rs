//! Optimizers over a [`ParamStore`], written with tensor operations so they
//! run on any dfdx device.
//!
//! With gradient `g`, parameter `p`, learning rate `η` and weight decay `λ`
//! (coupled L2, as PyTorch's `weight_decay`: `g ← g + λ·p` first):
//!
//! - **SGD** with momentum `μ`: `v ← μ·v + g`, `p ← p − η·v` (plain SGD when `μ = 0`);
//! - **Adam** (`β₁, β₂, ε`): `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
//!   `p ← p − η·m̂ / (√v̂ + ε)` with `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)`;
//! - **RMSprop** (`α, ε`): `v ← αv + (1−α)g²`, `p ← p − η·g / (√v + ε)`.
//!
//! The state (`m`, `v` per parameter and the step count `t`) is exposed by
//! [`Optimizer::state`] / [`Optimizer::set_state`] so checkpoints can hold it.

use crate::params::ParamStore;
use crate::MlError;
use dfdx::prelude::*;

/// Which update rule, with its constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// Stochastic gradient descent with (heavy-ball) momentum.
    Sgd {
        /// Momentum `μ` (0 = none).
        momentum: f32,
    },
    /// Adam.
    Adam {
        /// First-moment decay.
        beta1: f32,
        /// Second-moment decay.
        beta2: f32,
        /// Denominator guard.
        eps: f32,
    },
    /// RMSprop.
    RmsProp {
        /// Decay of the squared-gradient average.
        alpha: f32,
        /// Denominator guard.
        eps: f32,
    },
}

impl OptimizerKind {
    /// The rule a spec's `optimizer:` names, with the usual defaults
    /// (SGD momentum 0.9; Adam 0.9/0.999/1e-8; RMSprop 0.99/1e-8).
    pub fn from_name(name: &str) -> Result<Self, MlError> {
        match name {
            "sgd" => Ok(OptimizerKind::Sgd { momentum: 0.9 }),
            "adam" => Ok(OptimizerKind::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            }),
            "rmsprop" => Ok(OptimizerKind::RmsProp {
                alpha: 0.99,
                eps: 1e-8,
            }),
            other => Err(MlError::Config(format!(
                "unknown optimizer `{other}` (expected adam, sgd or rmsprop)"
            ))),
        }
    }

    /// `sgd`, `adam` or `rmsprop`.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerKind::Sgd { .. } => "sgd",
            OptimizerKind::Adam { .. } => "adam",
            OptimizerKind::RmsProp { .. } => "rmsprop",
        }
    }
}

/// An optimizer with its per-parameter state.
#[derive(Clone, Debug)]
pub struct Optimizer<D: Device<f32>> {
    /// The rule.
    pub kind: OptimizerKind,
    /// Learning rate `η`.
    pub lr: f32,
    /// Coupled L2 weight decay `λ`.
    pub weight_decay: f32,
    t: u64,
    /// First moment (Adam) or velocity (SGD), per parameter.
    m: Vec<Option<Tensor<(usize,), f32, D>>>,
    /// Second moment (Adam, RMSprop), per parameter.
    v: Vec<Option<Tensor<(usize,), f32, D>>>,
}

/// Which state slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `m` (Adam's first moment, SGD's velocity).
    M,
    /// `v` (second moment).
    V,
}

impl<D: Device<f32>> Optimizer<D> {
    /// A fresh optimizer.
    pub fn new(kind: OptimizerKind, lr: f32, weight_decay: f32) -> Self {
        Optimizer {
            kind,
            lr,
            weight_decay,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// Applies one update to every trainable parameter of `store`;
    /// `grads` comes from [`ParamStore::gradients`].
    pub fn step(
        &mut self,
        store: &mut ParamStore<D>,
        grads: &[Tensor<(usize,), f32, D>],
    ) -> Result<(), MlError> {
        let n = store.params().len();
        if grads.len() != n {
            return Err(MlError::Shape(format!(
                "{} gradients for {n} parameters",
                grads.len()
            )));
        }
        self.m.resize(n, None);
        self.v.resize(n, None);
        self.t += 1;
        let (lr, wd) = (self.lr, self.weight_decay);
        for (i, g) in grads.iter().enumerate() {
            let id = crate::ParamId(i);
            let param = store.param(id);
            if !param.trainable {
                continue;
            }
            let p = param.value.clone();
            let mut g = g.clone();
            if wd != 0.0 {
                g = g + p.clone() * wd;
            }
            let new_p = match self.kind {
                OptimizerKind::Sgd { momentum } => {
                    if momentum != 0.0 {
                        let v = match self.m[i].take() {
                            Some(v) => v * momentum + g,
                            None => g,
                        };
                        self.m[i] = Some(v.clone());
                        p - v * lr
                    } else {
                        p - g * lr
                    }
                }
                OptimizerKind::Adam { beta1, beta2, eps } => {
                    let m = match self.m[i].take() {
                        Some(m) => m * beta1 + g.clone() * (1.0 - beta1),
                        None => g.clone() * (1.0 - beta1),
                    };
                    let v = match self.v[i].take() {
                        Some(v) => v * beta2 + g.square() * (1.0 - beta2),
                        None => g.square() * (1.0 - beta2),
                    };
                    self.m[i] = Some(m.clone());
                    self.v[i] = Some(v.clone());
                    let bc1 = 1.0 - beta1.powi(self.t as i32);
                    let bc2 = 1.0 - beta2.powi(self.t as i32);
                    let denom = (v * (1.0 / bc2)).sqrt() + eps;
                    p - (m * (lr / bc1)) / denom
                }
                OptimizerKind::RmsProp { alpha, eps } => {
                    let v = match self.v[i].take() {
                        Some(v) => v * alpha + g.clone().square() * (1.0 - alpha),
                        None => g.clone().square() * (1.0 - alpha),
                    };
                    self.v[i] = Some(v.clone());
                    p - (g * lr) / (v.sqrt() + eps)
                }
            };
            store.set_tensor(id, new_p);
        }
        Ok(())
    }

    /// The state to checkpoint: the step count and, per parameter index and
    /// slot, the values (only slots that exist).
    pub fn state(&self) -> (u64, Vec<(usize, Slot, Vec<f32>)>) {
        let mut out = Vec::new();
        for (slot, vals) in [(Slot::M, &self.m), (Slot::V, &self.v)] {
            for (i, t) in vals.iter().enumerate() {
                if let Some(t) = t {
                    out.push((i, slot, t.as_vec()));
                }
            }
        }
        (self.t, out)
    }

    /// Restores state saved by [`state`](Self::state).
    pub fn set_state(
        &mut self,
        dev: &D,
        n_params: usize,
        t: u64,
        slots: Vec<(usize, Slot, Vec<f32>)>,
    ) {
        self.t = t;
        self.m = vec![None; n_params];
        self.v = vec![None; n_params];
        for (i, slot, vals) in slots {
            let n = vals.len();
            let tensor = Some(dev.tensor_from_vec(vals, (n,)));
            match slot {
                Slot::M => self.m[i] = tensor,
                Slot::V => self.v[i] = tensor,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Init;

    /// Gradient of ‖p‖² for the store's single parameter.
    fn grad_sq(store: &ParamStore<Cpu>) -> Vec<Tensor<(usize,), f32, Cpu>> {
        let p = store.flat::<OwnedTape<f32, Cpu>>(crate::ParamId(0));
        let mut grads = p.square().sum::<(), _>().backward();
        store.gradients(&mut grads).unwrap()
    }

    fn store_with(values: Vec<f32>) -> ParamStore<Cpu> {
        let mut s = ParamStore::new(Cpu::default(), 0);
        let id = s.add("p", &[values.len()], Init::Zeros);
        s.set_values(id, values).unwrap();
        s
    }

    fn close(a: &[f32], b: &[f32]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn adam_converges_on_squared_norm() {
        let mut s = store_with(vec![1.0, -2.0, 3.0, 0.5]);
        let mut opt = Optimizer::new(OptimizerKind::from_name("adam").unwrap(), 0.1, 0.0);
        for _ in 0..200 {
            let g = grad_sq(&s);
            opt.step(&mut s, &g).unwrap();
        }
        let p = s.values(crate::ParamId(0));
        assert!(p.iter().all(|v| v.abs() < 0.05), "{p:?}");
    }

    #[test]
    fn sgd_momentum_matches_hand_computed_steps() {
        // p = [1, -2], g = 2p, lr 0.1, μ 0.9, λ 0.5 → g' = 2.5p
        let mut s = store_with(vec![1.0, -2.0]);
        let mut opt = Optimizer::new(OptimizerKind::Sgd { momentum: 0.9 }, 0.1, 0.5);
        let g = grad_sq(&s);
        opt.step(&mut s, &g).unwrap();
        // v = [2.5, -5], p = [0.75, -1.5]
        close(&s.values(crate::ParamId(0)), &[0.75, -1.5]);
        let g = grad_sq(&s);
        opt.step(&mut s, &g).unwrap();
        // g' = 2.5·[0.75, -1.5] = [1.875, -3.75]; v = 0.9·[2.5,-5] + g' = [4.125, -8.25]
        close(&s.values(crate::ParamId(0)), &[0.75 - 0.4125, -1.5 + 0.825]);
    }

    #[test]
    fn adam_matches_hand_computed_steps() {
        let mut s = store_with(vec![1.0, -2.0]);
        let kind = OptimizerKind::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        };
        let mut opt = Optimizer::new(kind, 0.01, 0.0);
        let g = grad_sq(&s);
        opt.step(&mut s, &g).unwrap();
        // First Adam step moves every coordinate by lr·sign(g).
        close(&s.values(crate::ParamId(0)), &[0.99, -1.99]);
        // Second step by hand for coordinate 0: g1 = 2, g2 = 1.98.
        let g = grad_sq(&s);
        opt.step(&mut s, &g).unwrap();
        let m = 0.9 * 0.1 * 2.0 + 0.1 * 1.98;
        let v = 0.999 * 0.001 * 4.0 + 0.001 * 1.98f32 * 1.98;
        let (mh, vh) = (m / (1.0 - 0.81), v / (1.0 - 0.999f32 * 0.999));
        let expected = 0.99 - 0.01 * mh / (vh.sqrt() + 1e-8);
        close(&s.values(crate::ParamId(0))[..1], &[expected]);
    }

    #[test]
    fn rmsprop_matches_hand_computed_step() {
        let mut s = store_with(vec![1.0, -2.0]);
        let mut opt = Optimizer::new(
            OptimizerKind::RmsProp {
                alpha: 0.9,
                eps: 1e-8,
            },
            0.01,
            0.0,
        );
        let g = grad_sq(&s);
        opt.step(&mut s, &g).unwrap();
        // v = 0.1·g², step = lr·g/√v = lr/√0.1 · sign(g)
        let d = 0.01 / 0.1f32.sqrt();
        close(&s.values(crate::ParamId(0)), &[1.0 - d, -2.0 + d]);
    }

    #[test]
    fn buffers_are_not_updated_and_state_round_trips() {
        let mut s = store_with(vec![1.0, -2.0]);
        s.add_buffer("running", &[2], Init::Constant(3.0));
        let mut opt = Optimizer::new(OptimizerKind::from_name("adam").unwrap(), 0.1, 0.0);
        let g = grad_sq(&s);
        opt.step(&mut s, &g).unwrap();
        assert_eq!(s.values(crate::ParamId(1)), vec![3.0, 3.0]);
        let (t, slots) = opt.state();
        assert_eq!((t, slots.len()), (1, 2));
        let mut other = Optimizer::new(opt.kind, 0.1, 0.0);
        other.set_state(&Cpu::default(), 2, t, slots);
        let mut s2 = s.clone();
        let g = grad_sq(&s);
        opt.step(&mut s, &g).unwrap();
        other.step(&mut s2, &g).unwrap();
        assert_eq!(s.values(crate::ParamId(0)), s2.values(crate::ParamId(0)));
        assert!(OptimizerKind::from_name("lbfgs").is_err());
    }
}
