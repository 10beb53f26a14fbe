//! Writes the benchmark page as a PNG (ink black on white) for comparing with
//! other libraries: `cargo run --release -p workbench-vision --example write_page -- page.png`.
//! Also prints how long our labelling takes on it (best of 20, single thread).

use std::time::Instant;
use workbench_vision::testpage::{text_page, A4_300DPI};
use workbench_vision::{label, Connectivity};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "page.png".into());
    let (w, h) = A4_300DPI;
    let page = text_page(w, h, 1);
    let pixels: Vec<u8> = page
        .data
        .iter()
        .map(|&v| if v != 0 { 0 } else { 255 })
        .collect();
    image::GrayImage::from_raw(w as u32, h as u32, pixels)
        .expect("size")
        .save(&path)
        .expect("write png");
    for conn in [Connectivity::Eight, Connectivity::Four] {
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..20 {
            let t = Instant::now();
            let l = label(&page, conn);
            best = best.min(t.elapsed().as_secs_f64());
            n = l.components.len();
        }
        println!(
            "{conn:?}: {n} components, best {:.2} ms, {:.0} MP/s",
            best * 1e3,
            (w * h) as f64 / 1e6 / best
        );
    }
    println!("wrote {path}");
}
