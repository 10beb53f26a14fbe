//! Writes a PNG of generated synthetic word images, one per row, to look at:
//! `cargo run -p workbench --example preview_words -- OUT.png [COUNT] [SEED]`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).map(String::as_str).unwrap_or("words.png");
    let count: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(12);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let set = workbench::data::synthetic_words::generate(&Default::default(), count, seed);
    let rows: Vec<Vec<workbench_api::Image>> =
        set.images.iter().map(|i| vec![i.as_image()]).collect();
    workbench::artifacts::save_png(
        std::path::Path::new(out),
        &workbench::artifacts::grid(&rows),
    )
    .unwrap();
    for t in &set.texts {
        println!("{t}");
    }
}
