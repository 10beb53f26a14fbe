//! Seeded scan-like degradation of a rendered page (`data pdf --degrade
//! SEED`): a small rotation (boxes follow), uneven light, blur, sensor noise
//! and a JPEG round trip, each drawn from the seed, so noisy versions of
//! real pages exist with the same ground truth.

use super::pages::PageRegions;
use image::GrayImage;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Degrades `page` in place and moves `truth`'s boxes with it.
pub fn degrade(page: &mut GrayImage, truth: &mut PageRegions, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let deg: f32 = rng.gen_range(-0.8..0.8);
    rotate(page, truth, deg);
    uneven_light(page, &mut rng);
    let sigma: f32 = rng.gen_range(0.3..0.9);
    *page = image::imageops::blur(page, sigma);
    let sd: f32 = rng.gen_range(4.0..12.0);
    noise(page, &mut rng, sd);
    let quality: u8 = rng.gen_range(45..85);
    jpeg(page, quality);
}

/// Rotates about the centre (bilinear, paper outside), and every box to
/// the bounding box of its rotated corners.
fn rotate(page: &mut GrayImage, truth: &mut PageRegions, deg: f32) {
    let (w, h) = page.dimensions();
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let src = page.clone();
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let sx = c * dx + s * dy + cx - 0.5;
            let sy = -s * dx + c * dy + cy - 0.5;
            let v = if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 {
                255.0
            } else {
                let (ix, iy) = (sx as u32, sy as u32);
                let (tx, ty) = (sx - ix as f32, sy - iy as f32);
                let p = |x, y| src.get_pixel(x, y).0[0] as f32;
                p(ix, iy) * (1.0 - tx) * (1.0 - ty)
                    + p(ix + 1, iy) * tx * (1.0 - ty)
                    + p(ix, iy + 1) * (1.0 - tx) * ty
                    + p(ix + 1, iy + 1) * tx * ty
            };
            page.put_pixel(x, y, image::Luma([v.round() as u8]));
        }
    }
    // Forward map of a point: the inverse of the sampling above.
    let fwd = |x: f64, y: f64| {
        let (dx, dy) = (x - cx as f64, y - cy as f64);
        let (s, c) = (s as f64, c as f64);
        (c * dx - s * dy + cx as f64, s * dx + c * dy + cy as f64)
    };
    let moved = |x: f64, y: f64, bw: f64, bh: f64| {
        let pts = [
            fwd(x, y),
            fwd(x + bw, y),
            fwd(x, y + bh),
            fwd(x + bw, y + bh),
        ];
        let x0 = pts
            .iter()
            .map(|p| p.0)
            .fold(f64::INFINITY, f64::min)
            .max(0.0);
        let y0 = pts
            .iter()
            .map(|p| p.1)
            .fold(f64::INFINITY, f64::min)
            .max(0.0);
        let x1 = pts
            .iter()
            .map(|p| p.0)
            .fold(f64::NEG_INFINITY, f64::max)
            .min(w as f64);
        let y1 = pts
            .iter()
            .map(|p| p.1)
            .fold(f64::NEG_INFINITY, f64::max)
            .min(h as f64);
        (
            x0.round(),
            y0.round(),
            (x1 - x0).round().max(1.0),
            (y1 - y0).round().max(1.0),
        )
    };
    for b in &mut truth.words {
        (b.x, b.y, b.w, b.h) = moved(b.x, b.y, b.w, b.h);
        if let Some(f) = b.font_box.as_mut() {
            let (x, y, fw, fh) = moved(f[0], f[1], f[2], f[3]);
            *f = [x, y, fw, fh];
        }
    }
    for b in truth.images.iter_mut().chain(truth.graphics.iter_mut()) {
        (b.x, b.y, b.w, b.h) = moved(b.x, b.y, b.w, b.h);
    }
}

/// Paper that darkens towards one side and a corner, by up to a quarter.
fn uneven_light(page: &mut GrayImage, rng: &mut ChaCha8Rng) {
    let (w, h) = page.dimensions();
    let (ax, ay): (f32, f32) = (rng.gen_range(-0.15..0.15), rng.gen_range(-0.15..0.15));
    let r: f32 = rng.gen_range(0.0..0.1);
    for (x, y, p) in page.enumerate_pixels_mut() {
        let (u, v) = (x as f32 / w as f32 - 0.5, y as f32 / h as f32 - 0.5);
        let light = 1.0 - (ax * u + ay * v).abs() - r * (u * u + v * v) * 2.0;
        p.0[0] = (p.0[0] as f32 * light.clamp(0.7, 1.0)).round() as u8;
    }
}

/// Gaussian sensor noise with standard deviation `sd` gray levels.
fn noise(page: &mut GrayImage, rng: &mut ChaCha8Rng, sd: f32) {
    for p in page.pixels_mut() {
        // Box–Muller.
        let (u1, u2): (f32, f32) = (rng.gen_range(1e-7..1.0), rng.gen());
        let n = (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos();
        p.0[0] = (p.0[0] as f32 + sd * n).round().clamp(0.0, 255.0) as u8;
    }
}

/// Encodes as JPEG at `quality` and decodes again.
pub(crate) fn jpeg(page: &mut GrayImage, quality: u8) {
    let mut bytes = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    if page.write_with_encoder(enc).is_ok() {
        if let Ok(img) = image::load_from_memory(&bytes) {
            *page = img.to_luma8();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pages::WordBox;

    #[test]
    fn degradation_is_seeded_and_boxes_stay_on_the_page() {
        let mut page = GrayImage::from_pixel(200, 100, image::Luma([255]));
        for y in 40..50 {
            for x in 50..150 {
                page.put_pixel(x, y, image::Luma([0]));
            }
        }
        let truth = PageRegions {
            width: 200,
            height: 100,
            words: vec![WordBox {
                x: 50.0,
                y: 40.0,
                w: 100.0,
                h: 10.0,
                ..Default::default()
            }],
            ..Default::default()
        };
        let run = |seed| {
            let (mut p, mut t) = (page.clone(), truth.clone());
            degrade(&mut p, &mut t, seed);
            (p, t)
        };
        let (a, ta) = run(7);
        let (b, tb) = run(7);
        assert_eq!(a, b);
        assert_eq!(ta, tb);
        let (c, _) = run(8);
        assert_ne!(a, c);
        let w = &ta.words[0];
        assert!(
            w.x >= 45.0 && w.x + w.w <= 155.0 && w.y >= 35.0 && w.y + w.h <= 55.0,
            "{w:?}"
        );
        // The bar's ink is still inside its moved box.
        let dark: Vec<(u32, u32)> = a
            .enumerate_pixels()
            .filter(|p| p.2 .0[0] < 100)
            .map(|p| (p.0, p.1))
            .collect();
        assert!(!dark.is_empty());
        let inside = dark
            .iter()
            .filter(|&&(x, y)| {
                (x as f64) >= w.x - 1.0
                    && (x as f64) < w.x + w.w + 1.0
                    && (y as f64) >= w.y - 1.0
                    && (y as f64) < w.y + w.h + 1.0
            })
            .count();
        assert!(
            inside as f64 >= 0.98 * dark.len() as f64,
            "{inside} of {}",
            dark.len()
        );
    }
}
