//! Times the pieces of one conv2d training step on the CPU:
//! `cargo run --release -p workbench-ml --example conv_timing`.
use dfdx::prelude::*;
use std::time::Instant;
use workbench_ml::layers::*;
use workbench_ml::params::*;

fn main() {
    let dev = Cpu::default();
    let mut store = ParamStore::new(dev.clone(), 0);
    let conv = Conv2d::same(&mut store, "c", 16, 32, 3);
    let x: Tensor<(usize, usize, usize, usize), f32, Cpu> =
        dev.sample_normal_like(&(64, 16, 28, 28));
    for _ in 0..2 {
        let t = Instant::now();
        let idx = im2col_indices((64, 16, 28, 28), (3, 3), (1, 1), (1, 1));
        println!("indices {:?}", t.elapsed());
        let t = Instant::now();
        let y = conv.forward::<Cpu, NoneTape>(&store, x.clone());
        println!("forward (no tape) {:?} {:?}", t.elapsed(), y.shape());
        let t = Instant::now();
        let y = conv.forward(&store, x.retaped::<OwnedTape<f32, Cpu>>());
        let loss = y.square().mean();
        println!("forward (tape) {:?}", t.elapsed());
        let t = Instant::now();
        let mut g = loss.backward();
        let _ = store.gradients(&mut g).unwrap();
        println!("backward {:?}", t.elapsed());
        let t = Instant::now();
        let n = idx.len();
        let flat: Tensor<(usize,), f32, Cpu> = dev.sample_normal_like(&(64 * 16 * 784 + 1,));
        let _g: Tensor<(usize,), f32, Cpu> = flat.gather(dev.tensor_from_vec(idx, (n,)));
        println!("gather alone {:?}", t.elapsed());
        let t = Instant::now();
        let a: Tensor<(usize, usize), f32, Cpu> = dev.sample_normal_like(&(50176, 144));
        let b: Tensor<(usize, usize), f32, Cpu> = dev.sample_normal_like(&(144, 32));
        let _c = a.matmul(b);
        println!("matmul alone {:?}", t.elapsed());
    }
}
