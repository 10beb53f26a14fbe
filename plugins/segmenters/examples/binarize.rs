//! Debugging aid: writes the binarized page the variants work on and prints
//! the estimated character height.
//! `cargo run -p workbench-segmenters --example binarize -- page.png out.png [denoise] [binarize]`

use workbench_api::{Config, Image};
use workbench_segmenters::Prep;
use workbench_vision::{components, Connectivity};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let img = image::open(&args[1]).expect("page").to_luma32f();
    let (w, h) = img.dimensions();
    let data = img.into_raw();
    let mut c = Config::default();
    if let Some(d) = args.get(3) {
        c.params.insert("denoise".into(), d.as_str().into());
    }
    if let Some(b) = args.get(4) {
        c.params.insert("binarize".into(), b.as_str().into());
    }
    let prep = Prep::from_config(&c).unwrap();
    let page = Image {
        height: h as usize,
        width: w as usize,
        channels: 1,
        data: &data,
    };
    let bin = prep.run(&page);
    let comps = components(&bin, Connectivity::Eight);
    println!(
        "{} components, char height {}",
        comps.len(),
        workbench_segmenters::char_height(&comps, h)
    );
    let px: Vec<u8> = bin
        .data
        .iter()
        .map(|&v| if v != 0 { 0 } else { 255 })
        .collect();
    image::GrayImage::from_raw(w, h, px)
        .unwrap()
        .save(&args[2])
        .unwrap();
}
