//! CTC loss forward + backward at a CRNN's typical size: T = 32 time steps,
//! targets of L = 10 labels, batch 64, 80 classes (blank included).
//!
//! Run: `cargo bench -p workbench-ml --bench ctc`
//!
//! - `ctc_host`: the host forward–backward (losses and occupancy γ);
//! - `ctc_loss_dfdx`: the dfdx operation on `Cpu`, from logits through
//!   `log_softmax`, `ctc_loss` and `backward` (what a training step pays).

use criterion::{criterion_group, criterion_main, Criterion};
use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use workbench_ml::ctc::{ctc_host_with, ctc_loss, CtcWorkspace};

const T: usize = 32;
const L: usize = 10;
const B: usize = 64;
const C: usize = 80;

fn inputs() -> (Vec<f32>, Vec<f32>, Vec<Vec<usize>>, Vec<usize>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let logits: Vec<f32> = (0..T * B * C).map(|_| rng.gen_range(-2.0..2.0)).collect();
    let mut log_probs = logits.clone();
    for row in log_probs.chunks_mut(C) {
        let m = row.iter().cloned().fold(f32::MIN, f32::max);
        let z = row.iter().map(|x| (x - m).exp()).sum::<f32>().ln() + m;
        row.iter_mut().for_each(|x| *x -= z);
    }
    let targets = (0..B)
        .map(|_| (0..L).map(|_| rng.gen_range(1..C)).collect())
        .collect();
    (logits, log_probs, targets, vec![T; B])
}

fn bench(c: &mut Criterion) {
    let (logits, log_probs, targets, lens) = inputs();
    let mut ws = CtcWorkspace::default();
    c.bench_function("ctc_host T32 L10 B64 C80", |bch| {
        bch.iter(|| {
            black_box(
                ctc_host_with(&mut ws, black_box(&log_probs), (T, B, C), &targets, &lens).unwrap(),
            )
        })
    });
    let dev = Cpu::default();
    let x = dev.tensor_from_vec(logits, (T, B, C));
    c.bench_function("ctc_loss_dfdx T32 L10 B64 C80", |bch| {
        bch.iter(|| {
            let lp = x.leaky_trace().log_softmax::<Axis<2>>();
            let loss = ctc_loss(lp, &targets, &lens);
            let grads = loss.backward();
            black_box(grads.get(&x))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
