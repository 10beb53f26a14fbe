//! Synthetic word images with exact texts: words from an embedded list, digit
//! strings and punctuation, set in the embedded fonts at several sizes, with
//! augmentations (ink bleed, slight rotation and shear, contrast, blur,
//! noise). Dark ink on light paper, gray, a fixed height. Seeded: the same
//! seed gives the same images.

use super::fonts::{self, embedded_fonts};
use super::words::WordSet;
use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::OnceLock;
use workbench_api::OwnedImage;

/// The embedded word list (common English words, one per whitespace).
pub fn word_list() -> &'static [&'static str] {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/words.txt"))
            .split_whitespace()
            .collect()
    })
}

/// How words are drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct WordsConfig {
    /// Output height in pixels.
    pub height: usize,
    /// Font size range, in pixels, before scaling to `height`.
    pub size: (f32, f32),
    /// Fraction of samples that are digit strings.
    pub digits: f32,
    /// Fraction of words with punctuation attached.
    pub punctuation: f32,
    /// Largest rotation, in degrees.
    pub max_rotation_deg: f32,
    /// Largest horizontal shear.
    pub max_shear: f32,
    /// Standard deviation of added pixel noise.
    pub noise: f32,
    /// Probability of a light blur.
    pub blur: f32,
    /// Probability of ink bleed (a one-pixel dilation of the ink).
    pub bleed: f32,
    /// Lowest ink-to-paper contrast (1 = black on white).
    pub min_contrast: f32,
}

impl Default for WordsConfig {
    fn default() -> Self {
        WordsConfig {
            height: 32,
            size: (24.0, 40.0),
            digits: 0.15,
            punctuation: 0.1,
            max_rotation_deg: 2.0,
            max_shear: 0.15,
            noise: 0.03,
            blur: 0.3,
            bleed: 0.2,
            min_contrast: 0.6,
        }
    }
}

const PUNCTUATION: &[char] = &['.', ',', '!', '?', ';', ':', '\''];

/// A text to draw: a word (lower case, Capitalised or UPPER), a digit string,
/// maybe with punctuation.
pub fn sample_text(cfg: &WordsConfig, rng: &mut ChaCha8Rng) -> String {
    let mut text = if rng.gen::<f32>() < cfg.digits {
        let n = rng.gen_range(1..=6);
        let mut s: String = (0..n)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect();
        if n >= 3 && rng.gen::<f32>() < 0.3 {
            let at = rng.gen_range(1..n);
            s.insert(at, ['.', '-', '/'][rng.gen_range(0..3)]);
        }
        s
    } else {
        let words = word_list();
        let w = words[rng.gen_range(0..words.len())];
        match rng.gen_range(0..20) {
            0..=11 => w.to_string(),
            12..=17 => {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            }
            _ => w.to_uppercase(),
        }
    };
    if rng.gen::<f32>() < cfg.punctuation {
        text.push(PUNCTUATION[rng.gen_range(0..PUNCTUATION.len())]);
    }
    text
}

/// Renders `text` in `font` at `size` pixels: ink coverage in [0, 1], with a
/// margin, as (width, height, coverage).
fn render_text(font: &FontRef<'static>, text: &str, size: f32) -> (usize, usize, Vec<f32>) {
    let scaled = font.as_scaled(PxScale::from(size));
    let margin = (size * 0.25).ceil();
    let ascent = scaled.ascent();
    let height = (scaled.ascent() - scaled.descent()).ceil() + 2.0 * margin;
    let (glyphs, end) = fonts::lay_out(font, size, margin, margin + ascent, text);
    let width = (end + margin).ceil() as usize;
    let height = height as usize;
    let mut ink = vec![0.0f32; width * height];
    fonts::draw(font, glyphs, |px, py, c| {
        if px >= 0 && py >= 0 && (px as usize) < width && (py as usize) < height {
            let v = &mut ink[py as usize * width + px as usize];
            *v = (*v + c).min(1.0);
        }
    });
    (width, height, ink)
}

fn bilinear(src: &[f32], w: usize, h: usize, x: f32, y: f32) -> f32 {
    if x < 0.0 || y < 0.0 || x > (w - 1) as f32 || y > (h - 1) as f32 {
        return 0.0;
    }
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let top = src[y0 * w + x0] * (1.0 - fx) + src[y0 * w + x1] * fx;
    let bottom = src[y1 * w + x0] * (1.0 - fx) + src[y1 * w + x1] * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Draws one word image of `text`.
pub fn render_word(cfg: &WordsConfig, text: &str, rng: &mut ChaCha8Rng) -> OwnedImage {
    let fonts = embedded_fonts();
    let font = &fonts[rng.gen_range(0..fonts.len())];
    let size = rng.gen_range(cfg.size.0..=cfg.size.1.max(cfg.size.0));
    let (w, h, mut ink) = render_text(font, text, size);

    if rng.gen::<f32>() < cfg.bleed {
        let src = ink.clone();
        for y in 0..h {
            for x in 0..w {
                let mut m = src[y * w + x];
                for (dy, dx) in [(0i64, 1i64), (0, -1), (1, 0), (-1, 0)] {
                    let (yy, xx) = (y as i64 + dy, x as i64 + dx);
                    if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < w {
                        m = m.max(src[yy as usize * w + xx as usize] * 0.8);
                    }
                }
                ink[y * w + x] = m;
            }
        }
    }

    // Slight rotation and shear about the centre (inverse mapping).
    let angle = rng
        .gen_range(-cfg.max_rotation_deg..=cfg.max_rotation_deg)
        .to_radians();
    let shear = rng.gen_range(-cfg.max_shear..=cfg.max_shear);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (sin, cos) = angle.sin_cos();
    let mut warped = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let (rx, ry) = (cos * dx + sin * dy, -sin * dx + cos * dy);
            let sx = rx - shear * ry;
            warped[y * w + x] = bilinear(&ink, w, h, sx + cx, ry + cy);
        }
    }

    if rng.gen::<f32>() < cfg.blur {
        let src = warped.clone();
        for y in 1..h.saturating_sub(1) {
            for x in 1..w.saturating_sub(1) {
                let mut s = 0.0;
                for dy in 0..3 {
                    for dx in 0..3 {
                        s += src[(y + dy - 1) * w + (x + dx - 1)];
                    }
                }
                warped[y * w + x] = 0.5 * src[y * w + x] + 0.5 * s / 9.0;
            }
        }
    }

    // Paper and ink levels, then noise.
    let contrast = rng.gen_range(cfg.min_contrast.min(1.0)..=1.0);
    let paper = rng.gen_range(1.0 - (1.0 - contrast) * 0.5..=1.0f32);
    let ink_level = paper - contrast;
    let image = image::GrayImage::from_fn(w as u32, h as u32, |x, y| {
        let c = warped[y as usize * w + x as usize];
        let v = paper * (1.0 - c) + ink_level.max(0.0) * c;
        image::Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
    });
    let mut out = super::words::normalize(&image::DynamicImage::ImageLuma8(image), cfg.height);
    if cfg.noise > 0.0 {
        for v in out.data.iter_mut() {
            let u1: f32 = rng.gen::<f32>().max(f32::MIN_POSITIVE);
            let u2: f32 = rng.gen();
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos();
            *v = (*v + cfg.noise * z).clamp(0.0, 1.0);
        }
    }
    out
}

/// `count` word images from `seed`.
pub fn generate(cfg: &WordsConfig, count: usize, seed: u64) -> WordSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut set = WordSet::default();
    for i in 0..count {
        let text = sample_text(cfg, &mut rng);
        set.images.push(render_word(cfg, &text, &mut rng));
        set.texts.push(text);
        set.names.push(format!("word-{i:05}"));
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_deterministic_gray_and_of_the_asked_height() {
        let cfg = WordsConfig::default();
        let a = generate(&cfg, 20, 3);
        let b = generate(&cfg, 20, 3);
        assert_eq!(a, b);
        assert_ne!(a.texts, generate(&cfg, 20, 4).texts);
        for (img, text) in a.images.iter().zip(&a.texts) {
            assert_eq!((img.height, img.channels), (32, 1));
            assert!(!text.is_empty());
            assert!(img.data.iter().all(|v| (0.0..=1.0).contains(v)));
            // Dark ink on light paper, and some ink.
            let mean = img.data.iter().sum::<f32>() / img.data.len() as f32;
            let dark = img.data.iter().filter(|v| **v < 0.5).count();
            assert!(mean > 0.5 && dark > 5, "{text}: mean {mean}, dark {dark}");
        }
    }

    #[test]
    fn longer_texts_give_wider_images() {
        let cfg = WordsConfig {
            max_rotation_deg: 0.0,
            max_shear: 0.0,
            size: (32.0, 32.0),
            ..Default::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let short = render_word(&cfg, "it", &mut rng);
        let long = render_word(&cfg, "information", &mut rng);
        assert!(
            long.width > 3 * short.width,
            "{} vs {}",
            long.width,
            short.width
        );
    }

    #[test]
    fn the_word_list_is_embedded_and_clean() {
        let words = word_list();
        assert!(words.len() > 900);
        assert!(words
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_lowercase())));
    }
}
