//! A finite-difference gradient check for layers and losses built on a
//! [`ParamStore`] (CPU).
//!
//! `f` maps the store to a scalar loss with a traced tape. The check
//! compares the analytic gradient of every trainable parameter (from one
//! `backward`) with the central difference `(f(p + ε) − f(p − ε)) / 2ε`,
//! evaluated in f32, at up to [`MAX_COORDS`] coordinates per parameter
//! (spread evenly). Put the layer's input in the store as a parameter to
//! check the input gradient too; multiply the output by a fixed random
//! tensor and sum, so every output value matters.

use crate::params::{ParamId, ParamStore};
use dfdx::prelude::*;

/// Coordinates checked per parameter at most.
pub const MAX_COORDS: usize = 48;

/// What the check found.
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckReport {
    /// Largest `|analytic − numeric|`.
    pub max_abs_err: f32,
    /// Largest `|analytic − numeric| / max(1, |analytic|, |numeric|)`.
    pub max_rel_err: f32,
    /// Where the largest relative error is (`name[index]`).
    pub worst: String,
    /// Coordinates compared.
    pub checked: usize,
}

/// Every parameter's gradient of `loss` (one `backward`), as host values in
/// the store's order (zeros for parameters the loss does not use).
pub fn gradient_values(
    store: &ParamStore<Cpu>,
    loss: Tensor<(), f32, Cpu, OwnedTape<f32, Cpu>>,
) -> Vec<Vec<f32>> {
    let mut grads = loss.backward();
    let analytic = store.gradients(&mut grads).expect("cpu gradients");
    analytic.iter().map(|g| g.as_vec()).collect()
}

/// Runs the check; see the module docs.
pub fn check_gradients(
    store: &mut ParamStore<Cpu>,
    eps: f32,
    f: impl Fn(&ParamStore<Cpu>) -> Tensor<(), f32, Cpu, OwnedTape<f32, Cpu>>,
) -> GradCheckReport {
    let analytic = gradient_values(store, f(store));
    let mut report = GradCheckReport {
        max_abs_err: 0.0,
        max_rel_err: 0.0,
        worst: String::new(),
        checked: 0,
    };
    for (i, g) in analytic.iter().enumerate() {
        let id = ParamId(i);
        if !store.param(id).trainable {
            continue;
        }
        let base = store.values(id);
        let n = base.len();
        let step = n.div_ceil(MAX_COORDS).max(1);
        for k in (0..n).step_by(step) {
            let mut eval = |delta: f32| {
                let mut v = base.clone();
                v[k] += delta;
                store.set_values(id, v).expect("same length");
                f(store).array()
            };
            let numeric = (eval(eps) - eval(-eps)) / (2.0 * eps);
            let abs = (g[k] - numeric).abs();
            let rel = abs / 1f32.max(g[k].abs()).max(numeric.abs());
            report.checked += 1;
            report.max_abs_err = report.max_abs_err.max(abs);
            if rel > report.max_rel_err {
                report.max_rel_err = rel;
                report.worst = format!(
                    "{}[{k}]: analytic {} numeric {numeric}",
                    store.param(id).name,
                    g[k]
                );
            }
        }
        store.set_values(id, base).expect("same length");
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Init;

    #[test]
    fn catches_a_wrong_gradient() {
        let mut store = ParamStore::new(Cpu::default(), 0);
        let p = store.add("p", &[5], Init::Normal(1.0));
        let ok = check_gradients(&mut store, 1e-2, |s| {
            s.flat::<OwnedTape<f32, Cpu>>(p).square().sum()
        });
        assert!(ok.max_rel_err < 1e-2, "{ok:?}");
        assert_eq!(ok.checked, 5);
        // A loss whose traced path differs from its value: the value is
        // p·c with c = p copied into a constant, the tape only sees c.
        let wrong = check_gradients(&mut store, 1e-2, |s| {
            let c = s.device().tensor_from_vec(s.values(p), (5,));
            (s.flat::<OwnedTape<f32, Cpu>>(p) * c).sum()
        });
        assert!(wrong.max_rel_err > 0.1, "{wrong:?}");
    }
}
