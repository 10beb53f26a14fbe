//! Connectionist temporal classification (CTC) loss with an exact gradient.
//!
//! # Layout and conventions
//!
//! - Log-probabilities are `(T, B, C)` (time, batch, classes), row-major,
//!   as PyTorch's `ctc_loss` takes them. They must be normalised per
//!   `(t, b)` (the output of `log_softmax` over the classes).
//! - Class 0 is the **blank**; targets hold labels in `1..C`.
//! - Sample `b` uses only its first `input_lengths[b]` time steps; later
//!   steps (padding) get zero gradient.
//!
//! # Algorithm
//!
//! The forward–backward recursion of Graves et al. (2006) in log space over
//! the extended label `l' = (blank, l₁, blank, l₂, …, blank)` of `S = 2L+1`
//! states: `α_t(s)` is the log-probability of all alignment prefixes that
//! emit `l'_{1..s}` by time `t` (emission at `t` included), `β_t(s)` that of
//! all suffixes from state `s` at time `t` to the end (emission at `t`
//! excluded). A skip from `s−2` to `s` is allowed when `l'_s` is not blank
//! and differs from `l'_{s−2}`, so repeated labels need a blank between
//! them. With `log Z = log p(l | x)`:
//!
//! - loss = `−log Z`;
//! - occupancy `γ_t(k) = Σ_{s : l'_s = k} exp(α_t(s) + β_t(s) − log Z)`,
//!   the posterior probability of emitting class `k` at time `t`
//!   (`Σ_k γ_t(k) = 1`);
//! - the gradient of the loss w.r.t. the log-probabilities (as free
//!   inputs) is `−γ`. Through `log_softmax` this becomes the familiar
//!   `softmax − γ` on the logits.
//!
//! Cost: `O(T·(2L+1))` per sample. The α and β buffers are allocated once
//! per call (sized for the longest target) and reused for every sample; the
//! recursions allocate nothing per time step.
//!
//! # Inputs too short for their target
//!
//! An alignment needs `T ≥ L + r` steps, where `r` counts adjacent repeated
//! labels (each needs a blank between its copies). When a sample has fewer
//! steps (or its target has probability zero, e.g. a `-inf` log-probability
//! on every path), its loss is `+inf` and its gradient (γ) is **zero**: the
//! sample contributes no update rather than NaNs. This matches PyTorch's
//! value (`inf`) and its `zero_infinity` gradient. [`ctc_loss`] averages
//! over the batch, so one such sample makes the batch loss `+inf`; a
//! trainer should check [`min_input_length`] and leave such samples out.
//!
//! # As a dfdx operation
//!
//! [`ctc_loss`] runs the host computation on the log-probabilities' values
//! and returns `−(log_probs · γ/B).sum() + c` with `γ` and `c` constants, so
//! the value is the batch-mean loss and the gradient w.r.t. `log_probs` is
//! `−γ/B`, exact, on any device, through public operations only (see
//! `docs/DFDX.md`).

use crate::MlError;
use dfdx::prelude::*;

/// The blank label.
pub const BLANK: usize = 0;

/// What the host computation returns.
#[derive(Clone, Debug, PartialEq)]
pub struct CtcResult {
    /// `−log p(target | input)` per sample; `+inf` when impossible.
    pub losses: Vec<f32>,
    /// The occupancy `γ`, `(T, B, C)` like the input; the gradient of
    /// `losses[b]` w.r.t. `log_probs[t, b, k]` is `−γ[t, b, k]`. Zero for
    /// padding steps and for samples with infinite loss.
    pub gamma: Vec<f32>,
}

/// The fewest time steps that can emit `target`: its length plus one per
/// adjacent repeated pair.
pub fn min_input_length(target: &[usize]) -> usize {
    target.len() + target.windows(2).filter(|w| w[0] == w[1]).count()
}

/// `log(eᵃ + eᵇ)`, exact when either is −∞ (CTC's forward–backward and
/// the beam search of `decode` both add probabilities in log space).
#[inline]
pub(crate) fn log_add(a: f32, b: f32) -> f32 {
    if a == f32::NEG_INFINITY {
        return b;
    }
    if b == f32::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// `log(eᵃ + eᵇ + eᶜ)`, one logarithm for three terms.
#[inline]
fn log_sum3(a: f32, b: f32, c: f32) -> f32 {
    let m = a.max(b).max(c);
    if m == f32::NEG_INFINITY {
        return m;
    }
    m + ((a - m).exp() + (b - m).exp() + (c - m).exp()).ln()
}

/// Checks sizes, labels and lengths; the message names the offending value.
pub fn validate(
    shape: (usize, usize, usize),
    targets: &[Vec<usize>],
    input_lengths: &[usize],
) -> Result<(), MlError> {
    let (t_max, b, c) = shape;
    if targets.len() != b || input_lengths.len() != b {
        return Err(MlError::Shape(format!(
            "ctc: batch of {b}, but {} targets and {} input lengths",
            targets.len(),
            input_lengths.len()
        )));
    }
    for (i, (tg, &len)) in targets.iter().zip(input_lengths).enumerate() {
        if len > t_max {
            return Err(MlError::Shape(format!(
                "ctc: sample {i} has input length {len} > {t_max} time steps"
            )));
        }
        if let Some(&bad) = tg.iter().find(|&&k| k == BLANK || k >= c) {
            return Err(MlError::Shape(format!(
                "ctc: sample {i} has label {bad}; labels must be in 1..{c} (0 is the blank)"
            )));
        }
    }
    Ok(())
}

/// Reusable α/β buffers, so repeated calls (a training loop) allocate once.
#[derive(Clone, Debug, Default)]
pub struct CtcWorkspace {
    alpha: Vec<f32>,
    beta: Vec<f32>,
    ext: Vec<usize>,
    skip: Vec<bool>,
    emit: Vec<f32>,
}

/// CTC losses and occupancies for `log_probs: (T, B, C)`; see the module docs.
pub fn ctc_host(
    log_probs: &[f32],
    shape: (usize, usize, usize),
    targets: &[Vec<usize>],
    input_lengths: &[usize],
) -> Result<CtcResult, MlError> {
    ctc_host_with(
        &mut CtcWorkspace::default(),
        log_probs,
        shape,
        targets,
        input_lengths,
    )
}

/// [`ctc_host`] with caller-kept buffers.
pub fn ctc_host_with(
    ws: &mut CtcWorkspace,
    log_probs: &[f32],
    shape: (usize, usize, usize),
    targets: &[Vec<usize>],
    input_lengths: &[usize],
) -> Result<CtcResult, MlError> {
    let (t_max, batch, c) = shape;
    if log_probs.len() != t_max * batch * c {
        return Err(MlError::Shape(format!(
            "ctc: {} log-probabilities for shape ({t_max}, {batch}, {c})",
            log_probs.len()
        )));
    }
    validate(shape, targets, input_lengths)?;
    let s_max = 2 * targets.iter().map(Vec::len).max().unwrap_or(0) + 1;
    let need = t_max.max(1) * s_max;
    if ws.alpha.len() < need {
        ws.alpha.resize(need, 0.0);
        ws.beta.resize(need, 0.0);
    }
    ws.ext.clear();
    ws.ext.reserve(s_max);
    let mut losses = vec![0.0f32; batch];
    let mut gamma = vec![0.0f32; t_max * batch * c];
    let lp = |t: usize, b: usize, k: usize| log_probs[(t * batch + b) * c + k];
    for b in 0..batch {
        let target = &targets[b];
        let tn = input_lengths[b];
        if tn < min_input_length(target) {
            losses[b] = f32::INFINITY;
            continue;
        }
        if tn == 0 {
            // Empty target, empty input: probability one.
            continue;
        }
        let ext = &mut ws.ext;
        ext.clear();
        ext.push(BLANK);
        for &k in target {
            ext.push(k);
            ext.push(BLANK);
        }
        let s_n = ext.len();
        let (alpha, beta) = (&mut ws.alpha, &mut ws.beta);
        let ninf = f32::NEG_INFINITY;
        // A state can only be on a full path at time t if it is reachable
        // from the start and can still reach the end; plain ranges suffice
        // because unreachable states stay at -inf.
        alpha[..s_n].fill(ninf);
        alpha[0] = lp(0, b, ext[0]);
        if s_n > 1 {
            alpha[1] = lp(0, b, ext[1]);
        }
        // skip[s]: whether s−2 → s is allowed (a label differing from the
        // label two states back).
        let skip = &mut ws.skip;
        skip.clear();
        skip.extend((0..s_n).map(|s| s >= 2 && ext[s] != BLANK && ext[s] != ext[s - 2]));
        for t in 1..tn {
            let (prev, cur) = alpha[(t - 1) * s_n..(t + 1) * s_n].split_at_mut(s_n);
            for s in 0..s_n {
                let a1 = if s >= 1 { prev[s - 1] } else { ninf };
                let a2 = if skip[s] { prev[s - 2] } else { ninf };
                let a = log_sum3(prev[s], a1, a2);
                cur[s] = if a == ninf {
                    ninf
                } else {
                    a + lp(t, b, ext[s])
                };
            }
        }
        // β_t(s): emission at t excluded.
        let last = (tn - 1) * s_n;
        beta[last..last + s_n].fill(ninf);
        beta[last + s_n - 1] = 0.0;
        if s_n > 1 {
            beta[last + s_n - 2] = 0.0;
        }
        let emit = &mut ws.emit;
        emit.resize(s_n, 0.0);
        for t in (0..tn - 1).rev() {
            let (cur, next) = beta[t * s_n..(t + 2) * s_n].split_at_mut(s_n);
            // Leaving s at time t: the next state s' emits at t+1.
            for s in 0..s_n {
                emit[s] = next[s] + lp(t + 1, b, ext[s]);
            }
            for s in 0..s_n {
                let v1 = if s + 1 < s_n { emit[s + 1] } else { ninf };
                let v2 = if s + 2 < s_n && skip[s + 2] {
                    emit[s + 2]
                } else {
                    ninf
                };
                cur[s] = log_sum3(emit[s], v1, v2);
            }
        }
        let mut log_z = alpha[last + s_n - 1];
        if s_n > 1 {
            log_z = log_add(log_z, alpha[last + s_n - 2]);
        }
        if !log_z.is_finite() {
            losses[b] = f32::INFINITY;
            continue;
        }
        losses[b] = -log_z;
        for t in 0..tn {
            let row = &mut gamma[(t * batch + b) * c..(t * batch + b + 1) * c];
            for s in 0..s_n {
                let v = alpha[t * s_n + s] + beta[t * s_n + s] - log_z;
                if v > ninf {
                    row[ext[s]] += v.exp();
                }
            }
        }
    }
    Ok(CtcResult { losses, gamma })
}

/// The batch-mean CTC loss of `log_probs: (T, B, C)` (the output of
/// `log_softmax` over the last axis) as a dfdx operation with an exact
/// gradient, on any device. Panics, with a message naming the value, on a
/// batch/target/length mismatch or a label outside `1..C`; see
/// [`try_ctc_loss`].
pub fn ctc_loss<D: Device<f32>, T: Tape<f32, D>>(
    log_probs: Tensor<(usize, usize, usize), f32, D, T>,
    targets: &[Vec<usize>],
    input_lengths: &[usize],
) -> Tensor<(), f32, D, T> {
    try_ctc_loss(log_probs, targets, input_lengths).unwrap_or_else(|e| panic!("{e}"))
}

/// [`ctc_loss`], returning malformed input as an error.
pub fn try_ctc_loss<D: Device<f32>, T: Tape<f32, D>>(
    log_probs: Tensor<(usize, usize, usize), f32, D, T>,
    targets: &[Vec<usize>],
    input_lengths: &[usize],
) -> Result<Tensor<(), f32, D, T>, MlError> {
    let shape = *log_probs.shape();
    let host = log_probs.as_vec();
    let r = ctc_host(&host, shape, targets, input_lengths)?;
    let scale = 1.0 / shape.1.max(1) as f64;
    // c = mean loss + Σ lp·γ/B, so that −Σ lp·γ/B + c = mean loss.
    let mut dot = 0.0f64;
    for (l, g) in host.iter().zip(&r.gamma) {
        if *g != 0.0 {
            dot += *l as f64 * *g as f64;
        }
    }
    let total: f64 = r.losses.iter().map(|&l| l as f64).sum();
    let c = ((total + dot) * scale) as f32;
    let gamma: Vec<f32> = r.gamma.iter().map(|g| (*g as f64 * scale) as f32).collect();
    let gamma = log_probs.device().tensor_from_vec(gamma, shape);
    Ok((log_probs * gamma).sum::<(), _>().negate() + c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check_gradients;
    use crate::params::{Init, ParamStore};
    use rand::{Rng, SeedableRng};

    fn random_log_probs(t: usize, b: usize, c: usize, seed: u64) -> Vec<f32> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut v = Vec::with_capacity(t * b * c);
        for _ in 0..t * b {
            let logits: Vec<f32> = (0..c).map(|_| rng.gen_range(-2.0..2.0)).collect();
            let m = logits.iter().cloned().fold(f32::MIN, f32::max);
            let z = logits.iter().map(|x| (x - m).exp()).sum::<f32>().ln() + m;
            v.extend(logits.iter().map(|x| x - z));
        }
        v
    }

    /// Collapses a path: merge repeats, drop blanks.
    fn collapse(path: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut prev = usize::MAX;
        for &k in path {
            if k != prev && k != BLANK {
                out.push(k);
            }
            prev = k;
        }
        out
    }

    /// Brute force: p(target) and the occupancy over every path of length `tn`.
    fn brute(lp: &[f32], c: usize, tn: usize, target: &[usize]) -> (f64, Vec<f64>) {
        let mut total = 0.0f64;
        let mut occ = vec![0.0f64; tn * c];
        let mut path = vec![0usize; tn];
        for code in 0..c.pow(tn as u32) {
            let mut x = code;
            for p in path.iter_mut() {
                *p = x % c;
                x /= c;
            }
            if collapse(&path) == target {
                let pr: f64 = path
                    .iter()
                    .enumerate()
                    .map(|(t, &k)| lp[t * c + k] as f64)
                    .sum::<f64>()
                    .exp();
                total += pr;
                for (t, &k) in path.iter().enumerate() {
                    occ[t * c + k] += pr;
                }
            }
        }
        (total, occ)
    }

    #[test]
    fn matches_brute_force_enumeration_on_tiny_cases() {
        let cases: Vec<(usize, usize, Vec<usize>)> = vec![
            (1, 2, vec![1]),
            (3, 3, vec![1, 2]),
            (4, 3, vec![1, 1]),
            (5, 3, vec![2, 2, 1]),
            (5, 3, vec![]),
            (5, 2, vec![1, 1, 1]),
            (4, 3, vec![2]),
            (5, 3, vec![1, 2, 1]),
        ];
        for (i, (t, c, target)) in cases.into_iter().enumerate() {
            let lp = random_log_probs(t, 1, c, i as u64);
            let r = ctc_host(&lp, (t, 1, c), std::slice::from_ref(&target), &[t]).unwrap();
            let (p, occ) = brute(&lp, c, t, &target);
            let expect = -p.ln();
            assert!(
                (r.losses[0] as f64 - expect).abs() < 1e-4,
                "case {i}: {} vs {expect}",
                r.losses[0]
            );
            for (k, (g, o)) in r.gamma.iter().zip(&occ).enumerate() {
                assert!(
                    (*g as f64 - o / p).abs() < 1e-4,
                    "case {i} γ[{k}]: {g} vs {}",
                    o / p
                );
            }
            for row in r.gamma.chunks(c) {
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn batched_with_padding_matches_single_samples() {
        let (t, b, c) = (6, 3, 4);
        let lp = random_log_probs(t, b, c, 9);
        let targets = vec![vec![1, 2], vec![3, 3], vec![]];
        let lens = [6, 4, 2];
        let r = ctc_host(&lp, (t, b, c), &targets, &lens).unwrap();
        for bi in 0..b {
            let single: Vec<f32> = (0..lens[bi])
                .flat_map(|ti| lp[(ti * b + bi) * c..(ti * b + bi + 1) * c].to_vec())
                .collect();
            let s = ctc_host(
                &single,
                (lens[bi], 1, c),
                std::slice::from_ref(&targets[bi]),
                &[lens[bi]],
            )
            .unwrap();
            assert!((s.losses[0] - r.losses[bi]).abs() < 1e-5);
            for ti in 0..t {
                for k in 0..c {
                    let g = r.gamma[(ti * b + bi) * c + k];
                    let expect = if ti < lens[bi] {
                        s.gamma[ti * c + k]
                    } else {
                        0.0
                    };
                    assert!((g - expect).abs() < 1e-6, "b{bi} t{ti} k{k}");
                }
            }
        }
    }

    #[test]
    fn too_short_inputs_give_infinite_loss_and_zero_gradient() {
        assert_eq!(min_input_length(&[1, 1, 2, 2, 2]), 8);
        let (t, c) = (3, 3);
        let lp = random_log_probs(t, 2, c, 4);
        // [1, 1] needs 3 steps (1, blank, 1): feasible; [1, 1, 2] needs 4.
        let targets = vec![vec![1, 1], vec![1, 1, 2]];
        let r = ctc_host(&lp, (t, 2, c), &targets, &[3, 3]).unwrap();
        assert!(r.losses[0].is_finite());
        assert_eq!(r.losses[1], f32::INFINITY);
        for ti in 0..t {
            assert!(r.gamma[(ti * 2 + 1) * c..(ti * 2 + 2) * c]
                .iter()
                .all(|g| *g == 0.0));
        }
        // A sample whose only path has probability zero: same treatment.
        let mut lp1 = random_log_probs(1, 1, 2, 5);
        lp1[1] = f32::NEG_INFINITY;
        let r = ctc_host(&lp1, (1, 1, 2), &[vec![1]], &[1]).unwrap();
        assert_eq!(r.losses[0], f32::INFINITY);
        assert!(r.gamma.iter().all(|g| *g == 0.0));
    }

    #[test]
    fn malformed_inputs_are_errors_naming_the_value() {
        let lp = random_log_probs(2, 1, 3, 0);
        let e = ctc_host(&lp, (2, 1, 3), &[vec![0]], &[2]).unwrap_err();
        assert!(e.to_string().contains("label 0"), "{e}");
        let e = ctc_host(&lp, (2, 1, 3), &[vec![3]], &[2]).unwrap_err();
        assert!(e.to_string().contains("label 3"), "{e}");
        let e = ctc_host(&lp, (2, 1, 3), &[vec![1]], &[5]).unwrap_err();
        assert!(e.to_string().contains("input length 5"), "{e}");
        assert!(ctc_host(&lp, (2, 1, 3), &[], &[]).is_err());
    }

    #[test]
    fn host_gradient_matches_finite_differences() {
        let (t, b, c) = (5, 2, 4);
        let lp = random_log_probs(t, b, c, 11);
        let targets = vec![vec![1, 3, 3], vec![2]];
        let lens = [5, 4];
        let r = ctc_host(&lp, (t, b, c), &targets, &lens).unwrap();
        let total = |v: &[f32]| -> f64 {
            let r = ctc_host(v, (t, b, c), &targets, &lens).unwrap();
            r.losses.iter().map(|&l| l as f64).sum()
        };
        let eps = 1e-2;
        for i in 0..lp.len() {
            let mut p = lp.clone();
            p[i] += eps;
            let up = total(&p);
            p[i] -= 2.0 * eps;
            let down = total(&p);
            let numeric = (up - down) / (2.0 * eps as f64);
            assert!(
                (numeric + r.gamma[i] as f64).abs() < 2e-3,
                "[{i}]: numeric {numeric} analytic {}",
                -r.gamma[i]
            );
        }
    }

    #[test]
    fn tensor_op_value_and_gradient_through_log_softmax() {
        type Tr = OwnedTape<f32, Cpu>;
        let (t, b, c) = (5, 3, 4);
        let mut store = ParamStore::new(Cpu::default(), 3);
        let logits = store.add("logits", &[t * b * c], Init::Normal(1.5));
        let targets = vec![vec![1, 2], vec![3, 3], vec![2, 1, 2]];
        let lens = [5, 4, 5];
        let f = |s: &ParamStore<Cpu>| {
            let x = s.flat::<Tr>(logits).reshape_like(&(t, b, c));
            ctc_loss(x.log_softmax::<Axis<2>>(), &targets, &lens)
        };
        // The value is the batch mean of the host losses.
        let dev = Cpu::default();
        let lp = dev
            .tensor_from_vec(store.values(logits), (t, b, c))
            .log_softmax::<Axis<2>>()
            .as_vec();
        let host = ctc_host(&lp, (t, b, c), &targets, &lens).unwrap();
        let mean = host.losses.iter().sum::<f32>() / b as f32;
        assert!((f(&store).array() - mean).abs() < 1e-4);
        let report = check_gradients(&mut store, 1e-2, f);
        assert!(report.max_rel_err < 1e-2, "{report:?}");
        assert!(report.checked >= 30, "{report:?}");
    }

    #[test]
    fn tensor_op_with_an_impossible_sample_is_infinite_but_its_gradient_is_finite() {
        // Sample 1 needs 4 steps for [2, 2, 1] but has 2: loss +inf, and
        // the gradient is sample 0's alone (zero for sample 1's logits).
        let (t, b, c) = (4, 2, 3);
        let dev = Cpu::default();
        let logits = dev.tensor_from_vec(random_log_probs(t, b, c, 8), (t, b, c));
        let targets = vec![vec![1], vec![2, 2, 1]];
        let loss = ctc_loss(
            logits.leaky_trace().log_softmax::<Axis<2>>(),
            &targets,
            &[4, 2],
        );
        assert_eq!(loss.array(), f32::INFINITY);
        let g = loss.backward().get(&logits).as_vec();
        assert!(g.iter().all(|v| v.is_finite()));
        for ti in 0..t {
            let row = &g[(ti * b + 1) * c..(ti * b + 2) * c];
            assert!(row.iter().all(|v| *v == 0.0), "t{ti}: {row:?}");
            let row0 = &g[ti * b * c..(ti * b + 1) * c];
            assert!(row0.iter().any(|v| *v != 0.0));
        }
    }

    #[test]
    fn training_logits_with_ctc_drives_the_loss_down() {
        // Free logits, plain gradient descent: the loss must fall towards 0.
        use crate::optim::{Optimizer, OptimizerKind};
        type Tr = OwnedTape<f32, Cpu>;
        let (t, b, c) = (6, 2, 4);
        let mut store = ParamStore::new(Cpu::default(), 1);
        let logits = store.add("logits", &[t * b * c], Init::Normal(0.1));
        let targets = vec![vec![1, 2, 2], vec![3]];
        let mut opt = Optimizer::new(OptimizerKind::from_name("adam").unwrap(), 0.1, 0.0);
        let mut first = None;
        let mut last = 0.0;
        for _ in 0..60 {
            let x = store.flat::<Tr>(logits).reshape_like(&(t, b, c));
            let loss = ctc_loss(x.log_softmax::<Axis<2>>(), &targets, &[6, 6]);
            last = loss.array();
            first.get_or_insert(last);
            let mut grads = loss.backward();
            let g = store.gradients(&mut grads).unwrap();
            drop(grads);
            opt.step(&mut store, &g).unwrap();
        }
        assert!(last < 0.05 * first.unwrap(), "{first:?} -> {last}");
    }
}
