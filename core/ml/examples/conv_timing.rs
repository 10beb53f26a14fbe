//! Times one conv2d training step (forward with tape, backward) on the CPU,
//! through the `Cpu` fast path (`conv2d`) and the generic gather path
//! (`conv2d_gather`), for the convolutional autoencoder's larger layers:
//! `cargo run --release -p workbench-ml --example conv_timing`.
use dfdx::prelude::*;
use std::time::{Duration, Instant};
use workbench_ml::layers::*;

type Tr = OwnedTape<f32, Cpu>;

fn step(dev: &Cpu, shape: (usize, usize, usize, usize), o: usize, fast: bool) -> Duration {
    let k = shape.1 * 9;
    let x: T4<Cpu, NoneTape> = dev.sample_normal_like(&shape);
    let w: T2<Cpu, NoneTape> = dev.sample_normal_like(&(k, o));
    let b: Tensor<(usize,), f32, Cpu> = dev.sample_normal_like(&(o,));
    let t = Instant::now();
    let (xt, wt, bt) = (x.leaky_trace(), w.leaky_trace(), Some(b.leaky_trace()));
    let y: T4<Cpu, Tr> = if fast {
        conv2d(xt, wt, bt, (3, 3), (1, 1), (1, 1))
    } else {
        conv2d_gather(xt, wt, bt, (3, 3), (1, 1), (1, 1))
    };
    let g = y.square().mean().backward();
    let _ = (g.get(&x), g.get(&w));
    t.elapsed()
}

fn main() {
    let dev = Cpu::default();
    println!("rayon threads: {}", rayon_threads());
    for (name, shape, o) in [
        ("light c2 16→32 @28", (64, 16, 28, 28), 32),
        ("full  c2 64→128 @28", (64, 64, 28, 28), 128),
        ("full  c3 128→256 @14", (64, 128, 14, 14), 256),
    ] {
        for fast in [true, false] {
            let best = (0..3).map(|_| step(&dev, shape, o, fast)).min().unwrap();
            let flops = 3.0 * 2.0 * (shape.0 * shape.2 * shape.3 * shape.1 * 9 * o) as f64;
            println!(
                "{name:<22} {:<7} fwd+bwd {:>8.1} ms  {:>6.1} GFLOP/s",
                if fast { "cpu" } else { "gather" },
                best.as_secs_f64() * 1e3,
                flops / best.as_secs_f64() / 1e9
            );
        }
    }
}

fn rayon_threads() -> String {
    std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default (one per core)".into())
}
