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
//!
//! On the `Cpu` device the update is one fused pass per parameter over host
//! buffers ([`host_update`]): the parameter is copied out, updated with its
//! moments in place, and copied back, in parallel chunks, with no per-step
//! allocation once the buffers exist. Written with tensor operations, the
//! same update allocates about ten parameter-sized tensors per step, which
//! cost dense models more time than their matrix products did. Other
//! devices take the tensor-operation path; both compute the same formulas
//! in the same order.

use crate::conv_cpu::is_cpu;
use crate::params::ParamStore;
use crate::MlError;
use dfdx::prelude::*;
use rayon::prelude::*;
use std::any::Any;

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
    /// On `Cpu`: `m` and `v` on the host (empty until a slot is used), and
    /// the parameter and gradient buffers the fused update works in.
    host: HostState,
}

/// The `Cpu` path's state and scratch buffers.
#[derive(Clone, Debug, Default)]
struct HostState {
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    p: Vec<f32>,
    g: Vec<f32>,
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
            host: HostState::default(),
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
        self.t += 1;
        if is_cpu::<D>() {
            self.step_host(store, grads)
        } else {
            self.step_tensors(store, grads)
        }
    }

    /// [`step`](Self::step) with tensor operations, on any device;
    /// `self.t` is already advanced.
    fn step_tensors(
        &mut self,
        store: &mut ParamStore<D>,
        grads: &[Tensor<(usize,), f32, D>],
    ) -> Result<(), MlError> {
        let n = grads.len();
        self.m.resize(n, None);
        self.v.resize(n, None);
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

    /// [`step`](Self::step) on `Cpu`: one fused pass per parameter over
    /// host buffers (see [`host_update`]); `self.t` is already advanced.
    fn step_host(
        &mut self,
        store: &mut ParamStore<D>,
        grads: &[Tensor<(usize,), f32, D>],
    ) -> Result<(), MlError> {
        let n = grads.len();
        let h = &mut self.host;
        h.m.resize(n, Vec::new());
        h.v.resize(n, Vec::new());
        let rule = Rule::new(self.kind, self.lr, self.weight_decay, self.t);
        for (i, g) in grads.iter().enumerate() {
            let id = crate::ParamId(i);
            if !store.param(id).trainable {
                continue;
            }
            let g: &Tensor<(usize,), f32, Cpu> = (g as &dyn Any).downcast_ref().expect("D is Cpu");
            let len = g.shape().0;
            h.g.resize(len, 0.0);
            g.copy_into(&mut h.g);
            let p: &mut Tensor<(usize,), f32, Cpu> = (store.value_mut(id) as &mut dyn Any)
                .downcast_mut()
                .expect("D is Cpu");
            h.p.resize(len, 0.0);
            p.copy_into(&mut h.p);
            let (m, v) = (&mut h.m[i], &mut h.v[i]);
            if rule.uses_m() && m.len() != len {
                *m = vec![0.0; len];
            }
            if rule.uses_v() && v.len() != len {
                *v = vec![0.0; len];
            }
            host_update(&rule, &mut h.p, &h.g, m, v);
            p.copy_from(&h.p);
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
        for (slot, vals) in [(Slot::M, &self.host.m), (Slot::V, &self.host.v)] {
            for (i, t) in vals.iter().enumerate() {
                if !t.is_empty() {
                    out.push((i, slot, t.clone()));
                }
            }
        }
        out.sort_by_key(|(i, slot, _)| (*slot == Slot::V, *i));
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
        self.host.m = vec![Vec::new(); n_params];
        self.host.v = vec![Vec::new(); n_params];
        if is_cpu::<D>() {
            for (i, slot, vals) in slots {
                match slot {
                    Slot::M => self.host.m[i] = vals,
                    Slot::V => self.host.v[i] = vals,
                }
            }
            return;
        }
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

/// One step's constants of a rule, bias corrections included.
#[derive(Clone, Copy, Debug)]
struct Rule {
    kind: OptimizerKind,
    lr: f32,
    wd: f32,
    /// Adam's `1 − β₁ᵗ` and `1 − β₂ᵗ`.
    bc1: f32,
    bc2: f32,
}

impl Rule {
    fn new(kind: OptimizerKind, lr: f32, wd: f32, t: u64) -> Self {
        let (bc1, bc2) = match kind {
            OptimizerKind::Adam { beta1, beta2, .. } => {
                (1.0 - beta1.powi(t as i32), 1.0 - beta2.powi(t as i32))
            }
            _ => (1.0, 1.0),
        };
        Rule {
            kind,
            lr,
            wd,
            bc1,
            bc2,
        }
    }

    /// Whether the rule keeps a first moment (velocity).
    fn uses_m(&self) -> bool {
        match self.kind {
            OptimizerKind::Sgd { momentum } => momentum != 0.0,
            OptimizerKind::Adam { .. } => true,
            OptimizerKind::RmsProp { .. } => false,
        }
    }

    /// Whether the rule keeps a second moment.
    fn uses_v(&self) -> bool {
        !matches!(self.kind, OptimizerKind::Sgd { .. })
    }
}

/// Values per parallel chunk of the fused update: below this a parameter is
/// updated on the calling thread.
const CHUNK: usize = 1 << 15;

/// The fused update of one parameter `p` with gradient `g` and moments `m`,
/// `v` (each either `p.len()` long or empty when the rule does not use it),
/// in parallel chunks.
fn host_update(rule: &Rule, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    if p.len() <= CHUNK {
        return update_run(rule, p, g, m, v);
    }
    let (mut ms, mut vs) = (chunks(m), chunks(v));
    let jobs: Vec<_> = p
        .chunks_mut(CHUNK)
        .zip(g.chunks(CHUNK))
        .enumerate()
        .map(|(k, (p, g))| {
            let m = ms.get_mut(k).map(std::mem::take).unwrap_or_default();
            let v = vs.get_mut(k).map(std::mem::take).unwrap_or_default();
            (p, g, m, v)
        })
        .collect();
    jobs.into_par_iter()
        .for_each(|(p, g, m, v)| update_run(rule, p, g, m, v));
}

/// `s` in [`CHUNK`]-long pieces (none when `s` is empty).
fn chunks(s: &mut [f32]) -> Vec<&mut [f32]> {
    s.chunks_mut(CHUNK).collect()
}

/// [`host_update`] on one chunk, on this thread: one tight loop per rule,
/// its constants hoisted, so the loop vectorises (the same formulas, in the
/// same order, as the tensor path).
fn update_run(rule: &Rule, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    let (lr, wd) = (rule.lr, rule.wd);
    match rule.kind {
        OptimizerKind::Adam { beta1, beta2, eps } => {
            let (c1, c2) = (1.0 - beta1, 1.0 - beta2);
            let (step, inv_bc2) = (lr / rule.bc1, 1.0 / rule.bc2);
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
                let g = g + *p * wd;
                *m = *m * beta1 + g * c1;
                *v = *v * beta2 + g * g * c2;
                *p -= (*m * step) / ((*v * inv_bc2).sqrt() + eps);
            }
        }
        OptimizerKind::RmsProp { alpha, eps } => {
            let c = 1.0 - alpha;
            for ((p, &g), v) in p.iter_mut().zip(g).zip(v) {
                let g = g + *p * wd;
                *v = *v * alpha + g * g * c;
                *p -= (g * lr) / (v.sqrt() + eps);
            }
        }
        OptimizerKind::Sgd { momentum } if momentum != 0.0 => {
            for ((p, &g), m) in p.iter_mut().zip(g).zip(m) {
                let g = g + *p * wd;
                *m = *m * momentum + g;
                *p -= *m * lr;
            }
        }
        OptimizerKind::Sgd { .. } => {
            for (p, &g) in p.iter_mut().zip(g) {
                *p -= (g + *p * wd) * lr;
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

    /// The fused `Cpu` update and the tensor-operation update agree over
    /// many steps, for every rule, with weight decay, on a parameter long
    /// enough to be split into parallel chunks; and their checkpointed
    /// state is the same.
    #[test]
    fn fused_cpu_update_matches_tensor_operations() {
        let n = 2 * CHUNK + 123;
        let values: Vec<f32> = (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let kinds = [
            OptimizerKind::Sgd { momentum: 0.0 },
            OptimizerKind::Sgd { momentum: 0.9 },
            OptimizerKind::from_name("adam").unwrap(),
            OptimizerKind::from_name("rmsprop").unwrap(),
        ];
        for kind in kinds {
            let (mut fused, mut ops) = (store_with(values.clone()), store_with(values.clone()));
            let mut a = Optimizer::new(kind, 0.01, 0.05);
            let mut b = Optimizer::new(kind, 0.01, 0.05);
            for _ in 0..5 {
                let g = grad_sq(&fused);
                a.step(&mut fused, &g).unwrap();
                let g = grad_sq(&ops);
                b.t += 1;
                b.step_tensors(&mut ops, &g).unwrap();
            }
            let (x, y) = (
                fused.values(crate::ParamId(0)),
                ops.values(crate::ParamId(0)),
            );
            let worst = x
                .iter()
                .zip(&y)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-6, "{kind:?}: differ by {worst}");
            assert_ne!(x, values, "{kind:?} did not move");
            let ((ta, sa), (tb, sb)) = (a.state(), b.state());
            assert_eq!(ta, tb);
            assert_eq!(sa.len(), sb.len(), "{kind:?}");
            for ((ia, la, va), (ib, lb, vb)) in sa.iter().zip(&sb) {
                assert_eq!((ia, la), (ib, lb));
                let worst = va
                    .iter()
                    .zip(vb)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f32::max);
                assert!(worst < 1e-6, "{kind:?} state differs by {worst}");
            }
        }
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
