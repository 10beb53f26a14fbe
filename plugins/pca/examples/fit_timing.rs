//! Fit time on MNIST-sized random data, for BENCHMARKS.md:
//! `cargo run --release -p workbench-pca --example fit_timing`.
//! (Was an `#[ignore]`d test that only printed timings.)

use std::time::Instant;
use workbench_api::{Config, Dataset, Image, Lifecycle};
use workbench_pca::model::{self, Method};
use workbench_pca::Pca;

/// Random "images" in [0, 1] with some structure (two smooth patterns
/// mixed with noise) so the components matter.
fn random_images(seed: u64, n: usize, d: usize) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        let (a, b) = (uniform(), uniform());
        for p in 0..d {
            let t = p as f64 / d as f64;
            let v = 0.5 + 0.3 * a * (6.0 * t).sin() + 0.2 * b * (13.0 * t).cos() + 0.05 * uniform();
            out.push(v.clamp(0.0, 1.0) as f32);
        }
    }
    out
}

fn main() {
    let (n, d) = (8000, 784);
    let data = random_images(10, n, d);
    let images: Vec<Image> = data
        .chunks_exact(d)
        .map(|px| Image {
            height: 28,
            width: 28,
            channels: 1,
            data: px,
        })
        .collect();
    let train = Dataset {
        images,
        texts: vec![],
    };
    for k in [16i64, 64, 256] {
        let mut config = Config::default();
        config.params.insert("components".into(), k.into());
        config.params.insert("whiten".into(), false.into());
        let mut pca = Pca::new("pca", &config).expect("a valid config");
        let start = Instant::now();
        let stats = pca
            .fit_core(&train, &Dataset::default(), || false, |_, _| {})
            .expect("fits")
            .expect("not stopped");
        let total = start.elapsed().as_secs_f64();
        println!(
            "n = {n}, d = {d}, k = {k}: decomposition {:.3} s, whole fit (with train MSE) {total:.3} s, threads {}",
            stats.seconds,
            faer::get_global_parallelism().degree()
        );
    }
    // The alternative the covariance path was chosen over.
    for method in [Method::Covariance, Method::Svd] {
        let start = Instant::now();
        model::fit_pca_with(&data, n, d, 16, method).expect("fits");
        println!(
            "{method:?} alone, k = 16: {:.3} s",
            start.elapsed().as_secs_f64()
        );
    }
}
