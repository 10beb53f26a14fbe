//! Connected-component labelling on an A4 page at 300 dpi (2480 × 3508),
//! single thread, reported as megapixels per second:
//! `cargo bench -p workbench-vision --bench labelling`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use workbench_vision::testpage::{text_page, A4_300DPI};
use workbench_vision::{components, label, Connectivity};

fn bench(c: &mut Criterion) {
    let (w, h) = A4_300DPI;
    let page = text_page(w, h, 1);
    let mut g = c.benchmark_group("label_a4_300dpi");
    // One element = one pixel: criterion prints Melem/s, i.e. megapixels/s.
    g.throughput(Throughput::Elements((w * h) as u64));
    g.bench_function("label+stats 8-conn", |b| {
        b.iter(|| label(black_box(&page), Connectivity::Eight))
    });
    g.bench_function("label+stats 4-conn", |b| {
        b.iter(|| label(black_box(&page), Connectivity::Four))
    });
    g.bench_function("stats only 8-conn", |b| {
        b.iter(|| components(black_box(&page), Connectivity::Eight))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
