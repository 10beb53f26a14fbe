//! Synthetic word images with exact texts: words from an embedded list, digit
//! strings and punctuation, or tokens sampled from a text file, set in the
//! embedded fonts or in font files a dataset names, at several sizes, with
//! augmentations (stroke thinning and thickening, ink bleed, slight rotation
//! and shear, contrast, blur, a JPEG round trip, noise). Dark ink on light
//! paper, gray, a fixed height. Seeded: the same seed gives the same images.

use super::fonts::{self, embedded_font_arcs};
use super::words::WordSet;
use super::DataError;
use ab_glyph::{Font, FontArc, PxScale, ScaleFont};
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
    /// Font size range, in pixels, before scaling to `height`: ab_glyph's
    /// scale (the height from the font's descent to its ascent), or pixels
    /// per em with `em_size`.
    pub size: (f32, f32),
    /// Whether `size` is in pixels per em, a document's font size (a 10 pt
    /// font at 150 dpi is 21 px), rather than the descent-to-ascent scale.
    pub em_size: bool,
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
    /// Probability of a light blur (when `blur_sigma` is not set).
    pub blur: f32,
    /// Probability of ink bleed (a one-pixel dilation of the ink).
    pub bleed: f32,
    /// Ink-to-paper contrast range (1 = black on white).
    pub contrast: (f32, f32),
    /// Gaussian blur of every word, σ in render pixels drawn from this
    /// range; replaces the light blur.
    pub blur_sigma: Option<(f32, f32)>,
    /// JPEG round trip of every word, quality drawn from this range.
    pub jpeg: Option<(u8, u8)>,
    /// Probability of a thinner or a bolder stroke (3×3 min or max filter
    /// of the ink, half each).
    pub stroke: f32,
    /// Grow the canvas so that rotation and shear never cut ink off
    /// (without it, today's canvas: a quarter-size margin).
    pub fit_warp: bool,
}

impl Default for WordsConfig {
    fn default() -> Self {
        WordsConfig {
            height: 32,
            size: (24.0, 40.0),
            em_size: false,
            digits: 0.15,
            punctuation: 0.1,
            max_rotation_deg: 2.0,
            max_shear: 0.15,
            noise: 0.03,
            blur: 0.3,
            bleed: 0.2,
            contrast: (0.6, 1.0),
            blur_sigma: None,
            jpeg: None,
            stroke: 0.0,
            fit_warp: false,
        }
    }
}

/// Where texts come from and the fonts they are set in.
#[derive(Clone, Debug)]
pub struct WordSources {
    /// The fonts; each word picks one uniformly.
    pub fonts: Vec<FontArc>,
    /// Tokens of a text file, drawn uniformly (so as often as they occur);
    /// empty: only the built-in sampling.
    pub tokens: Vec<String>,
    /// Fraction of words drawn from `tokens` (the rest from the built-in
    /// word list, digit strings and punctuation).
    pub text_mix: f32,
}

impl WordSources {
    /// The embedded fonts and word list.
    pub fn embedded() -> WordSources {
        WordSources {
            fonts: embedded_font_arcs(),
            tokens: Vec::new(),
            text_mix: 0.0,
        }
    }
}

/// The whitespace-separated tokens of a text, as they occur: punctuation,
/// digits, quotes and hyphens stay attached.
pub fn tokens_of(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
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

/// A text from `sources`: a token of the text file with probability
/// `text_mix`, otherwise [`sample_text`]. Without tokens no extra number is
/// drawn, so the built-in sampling is exactly what it always was.
fn sample_from(cfg: &WordsConfig, sources: &WordSources, rng: &mut ChaCha8Rng) -> String {
    if !sources.tokens.is_empty() && rng.gen::<f32>() < sources.text_mix {
        sources.tokens[rng.gen_range(0..sources.tokens.len())].clone()
    } else {
        sample_text(cfg, rng)
    }
}

/// The font `text` is drawn in: one of `fonts` uniformly; when it lacks a
/// glyph of `text` (it would draw the `.notdef` box), one of the fonts that
/// have them all, uniformly; `None` when no font has them all (the caller
/// then skips the word). A font covering the text costs no extra draw.
fn pick_font<'a>(fonts: &'a [FontArc], text: &str, rng: &mut ChaCha8Rng) -> Option<&'a FontArc> {
    let first = &fonts[rng.gen_range(0..fonts.len())];
    if fonts::covers(first, text) {
        return Some(first);
    }
    let able: Vec<&FontArc> = fonts.iter().filter(|f| fonts::covers(*f, text)).collect();
    if able.is_empty() {
        None
    } else {
        Some(able[rng.gen_range(0..able.len())])
    }
}

/// Renders `text` in `font` at `size` pixels: ink coverage in [0, 1], with a
/// margin, as (width, height, coverage, margin).
fn render_text(font: &impl Font, text: &str, size: f32) -> (usize, usize, Vec<f32>, f32) {
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
    (width, height, ink, margin)
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

/// The 3×3 minimum (`bolder` false: thinner strokes, erosion) or maximum
/// (`bolder`: dilation) of the ink; the border counts as no ink for
/// dilation and is left out of erosion's minimum.
pub fn stroke_filter(ink: &[f32], w: usize, h: usize, bolder: bool) -> Vec<f32> {
    let mut out = vec![0.0f32; ink.len()];
    for y in 0..h {
        for x in 0..w {
            let mut m = ink[y * w + x];
            for yy in y.saturating_sub(1)..(y + 2).min(h) {
                for xx in x.saturating_sub(1)..(x + 2).min(w) {
                    let v = ink[yy * w + xx];
                    m = if bolder { m.max(v) } else { m.min(v) };
                }
            }
            out[y * w + x] = m;
        }
    }
    out
}

/// Draws one word image of `text` in one of the embedded fonts.
pub fn render_word(cfg: &WordsConfig, text: &str, rng: &mut ChaCha8Rng) -> OwnedImage {
    let fonts = embedded_font_arcs();
    let font = &fonts[rng.gen_range(0..fonts.len())];
    render_word_in(cfg, font, text, rng)
}

/// Draws one word image of `text` in `font`.
pub fn render_word_in(
    cfg: &WordsConfig,
    font: &impl Font,
    text: &str,
    rng: &mut ChaCha8Rng,
) -> OwnedImage {
    let mut size = rng.gen_range(cfg.size.0..=cfg.size.1.max(cfg.size.0));
    if cfg.em_size {
        size = fonts::scale_for_em(font, size);
    }
    let (w, h, mut ink, margin) = render_text(font, text, size);

    if cfg.stroke > 0.0 && rng.gen::<f32>() < cfg.stroke {
        let bolder = rng.gen::<bool>();
        let changed = stroke_filter(&ink, w, h, bolder);
        // Thinning strokes narrower than the filter would erase them: a
        // word that would keep less than 40% of its ink stays as it is.
        let (before, after) = (ink.iter().sum::<f32>(), changed.iter().sum::<f32>());
        if bolder || after >= 0.4 * before {
            ink = changed;
        }
    }

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
    let (ow, oh) = if cfg.fit_warp {
        warped_canvas(w, h, margin, sin, cos, shear)
    } else {
        (w, h)
    };
    let (ocx, ocy) = (ow as f32 / 2.0, oh as f32 / 2.0);
    let mut warped = vec![0.0f32; ow * oh];
    for y in 0..oh {
        for x in 0..ow {
            let (dx, dy) = (x as f32 - ocx, y as f32 - ocy);
            let (rx, ry) = (cos * dx + sin * dy, -sin * dx + cos * dy);
            let sx = rx - shear * ry;
            warped[y * ow + x] = bilinear(&ink, w, h, sx + cx, ry + cy);
        }
    }
    let (w, h) = (ow, oh);

    match cfg.blur_sigma {
        Some((lo, hi)) => {
            let sigma = rng.gen_range(lo..=hi.max(lo));
            if sigma >= 0.05 {
                let buf = image::ImageBuffer::<image::Luma<f32>, Vec<f32>>::from_raw(
                    w as u32, h as u32, warped,
                )
                .expect("a buffer of w × h values");
                warped = image::imageops::blur(&buf, sigma).into_raw();
            }
        }
        None => {
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
        }
    }

    // Paper and ink levels, then noise.
    let (lo, hi) = (cfg.contrast.0.min(1.0), cfg.contrast.1.min(1.0));
    let contrast = rng.gen_range(lo..=hi.max(lo));
    let paper = rng.gen_range(1.0 - (1.0 - contrast) * 0.5..=1.0f32);
    let ink_level = paper - contrast;
    let mut image = image::GrayImage::from_fn(w as u32, h as u32, |x, y| {
        let c = warped[y as usize * w + x as usize];
        let v = paper * (1.0 - c) + ink_level.max(0.0) * c;
        image::Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
    });
    if let Some((lo, hi)) = cfg.jpeg {
        let quality = rng.gen_range(lo..=hi.max(lo));
        super::degrade::jpeg(&mut image, quality);
    }
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

/// The canvas a `w × h` rendering needs so that its text box (the canvas
/// less `margin` on every side) stays inside, margin included, once rotated
/// (`sin`, `cos`) and sheared: never smaller than `w × h`.
fn warped_canvas(
    w: usize,
    h: usize,
    margin: f32,
    sin: f32,
    cos: f32,
    shear: f32,
) -> (usize, usize) {
    let (a, b) = (
        (w as f32 / 2.0 - margin).max(0.0),
        (h as f32 / 2.0 - margin).max(0.0),
    );
    // The inverse of the sampling in `render_word_in`: undo the shear, then
    // rotate forward.
    let (mut ex, mut ey) = (0.0f32, 0.0f32);
    for (sx, sy) in [(a, b), (a, -b), (-a, b), (-a, -b)] {
        let tx = sx + shear * sy;
        let (dx, dy) = (cos * tx - sin * sy, sin * tx + cos * sy);
        ex = ex.max(dx.abs());
        ey = ey.max(dy.abs());
    }
    (
        (((ex + margin) * 2.0).ceil() as usize).max(w),
        (((ey + margin) * 2.0).ceil() as usize).max(h),
    )
}

/// `count` word images from `seed`, in the embedded fonts from the
/// embedded word list.
pub fn generate(cfg: &WordsConfig, count: usize, seed: u64) -> WordSet {
    generate_from(cfg, &WordSources::embedded(), count, seed)
        .expect("the embedded fonts draw every built-in word")
}

/// Tries for one word before giving up: texts no font can draw are
/// skipped, and a text source where almost none can be drawn is an error.
const TRIES: usize = 1000;

/// `count` word images from `seed`, texts and fonts from `sources`. A text
/// none of the fonts has every glyph of is skipped (another is drawn), so
/// no `.notdef` box is ever drawn; an error when [`TRIES`] texts in a row
/// are skipped.
pub fn generate_from(
    cfg: &WordsConfig,
    sources: &WordSources,
    count: usize,
    seed: u64,
) -> Result<WordSet, DataError> {
    if sources.fonts.is_empty() {
        return Err(DataError::InvalidParam {
            name: "fonts".into(),
            reason: "no font to draw with".into(),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut set = WordSet::default();
    for i in 0..count {
        let mut drawn = None;
        let mut last = String::new();
        for _ in 0..TRIES {
            let text = sample_from(cfg, sources, &mut rng);
            if let Some(font) = pick_font(&sources.fonts, &text, &mut rng) {
                drawn = Some((render_word_in(cfg, font, &text, &mut rng), text));
                break;
            }
            last = text;
        }
        let Some((image, text)) = drawn else {
            return Err(DataError::InvalidParam {
                name: "fonts".into(),
                reason: format!(
                    "none of the {} fonts has every glyph of {TRIES} texts in a row (the last: `{last}`)",
                    sources.fonts.len()
                ),
            });
        };
        set.images.push(image);
        set.texts.push(text);
        set.names.push(format!("word-{i:05}"));
    }
    Ok(set)
}

#[cfg(test)]
/// FNV-1a over the texts and every pixel's bits: a fingerprint of a word set.
#[cfg(test)]
pub(crate) fn fingerprint(set: &WordSet) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    };
    for (text, img) in set.texts.iter().zip(&set.images) {
        eat(text.as_bytes());
        eat(&(img.width as u64).to_le_bytes());
        for v in &img.data {
            eat(&v.to_bits().to_le_bytes());
        }
    }
    h
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
    fn the_default_words_are_the_ones_experiments_were_run_on() {
        let set = generate(&WordsConfig::default(), 40, 11);
        assert_eq!(
            fingerprint(&set),
            7676182015294958501,
            "{:?}",
            &set.texts[..5]
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

    fn cfg_plain() -> WordsConfig {
        WordsConfig {
            noise: 0.0,
            blur: 0.0,
            bleed: 0.0,
            max_rotation_deg: 0.0,
            max_shear: 0.0,
            ..Default::default()
        }
    }

    #[test]
    fn sizes_are_the_descent_to_ascent_height() {
        let font = &embedded_font_arcs()[0];
        for size in [10.0f32, 24.0, 44.0] {
            let (w, h, ink, margin) = render_text(font, "Ég", size);
            assert_eq!(h as f32, size.ceil() + 2.0 * margin, "{size}");
            let rows: Vec<usize> = (0..h)
                .filter(|y| (0..w).any(|x| ink[y * w + x] > 0.5))
                .collect();
            let ink_height = (rows[rows.len() - 1] - rows[0] + 1) as f32;
            assert!(
                ink_height > 0.7 * size && ink_height <= size + 1.0,
                "{size}: ink {ink_height}"
            );
        }
    }

    #[test]
    fn text_tokens_are_drawn_as_they_occur() {
        let text = "foo.bar() --option exam- “quoted” it’s 1.2.3\n  v2.0";
        let tokens = tokens_of(text);
        assert_eq!(
            tokens,
            [
                "foo.bar()",
                "--option",
                "exam-",
                "“quoted”",
                "it’s",
                "1.2.3",
                "v2.0"
            ]
        );
        let sources = WordSources {
            tokens: tokens.clone(),
            text_mix: 1.0,
            ..WordSources::embedded()
        };
        let set = generate_from(&cfg_plain(), &sources, 40, 5).unwrap();
        assert!(
            set.texts.iter().all(|t| tokens.contains(t)),
            "{:?}",
            set.texts
        );
        let distinct: std::collections::BTreeSet<_> = set.texts.iter().collect();
        assert!(distinct.len() >= 5, "{distinct:?}");
        // A mix: some tokens, some built-in words.
        let half = WordSources {
            text_mix: 0.5,
            ..sources
        };
        let set = generate_from(&cfg_plain(), &half, 60, 5).unwrap();
        let from_file = set.texts.iter().filter(|t| tokens.contains(t)).count();
        assert!((15..=45).contains(&from_file), "{from_file} of 60");
    }

    #[test]
    fn a_glyph_missing_from_a_font_is_never_drawn_as_notdef() {
        let fonts = embedded_font_arcs();
        let (sans, mono) = (fonts[0].clone(), fonts[3].clone());
        // A character DejaVu Sans has and DejaVu Sans Mono lacks.
        let c = sans
            .codepoint_ids()
            .map(|(_, c)| c)
            .find(|&c| !c.is_whitespace() && mono.glyph_id(c).0 == 0)
            .expect("Sans has a glyph Mono lacks");
        let word = format!("a{c}b");
        assert!(fonts::covers(&sans, &word) && !fonts::covers(&mono, &word));
        let both = [mono.clone(), sans.clone()];
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for _ in 0..50 {
            let f = pick_font(&both, &word, &mut rng).unwrap();
            assert!(fonts::covers(f, &word));
        }
        // A word no font can draw is skipped, never drawn.
        let sources = WordSources {
            fonts: vec![mono.clone()],
            tokens: vec![word.clone(), "ok".into()],
            text_mix: 1.0,
        };
        let set = generate_from(&cfg_plain(), &sources, 20, 1).unwrap();
        assert!(set.texts.iter().all(|t| t == "ok"), "{:?}", set.texts);
        let only_missing = WordSources {
            tokens: vec![word.clone()],
            ..sources
        };
        let e = generate_from(&cfg_plain(), &only_missing, 1, 1).unwrap_err();
        assert!(e.to_string().contains(&word), "{e}");
    }

    #[test]
    fn degradations_keep_the_height_and_range_and_are_seeded() {
        let cfg = WordsConfig {
            size: (10.0, 44.0),
            blur_sigma: Some((0.3, 1.2)),
            jpeg: Some((30, 90)),
            stroke: 1.0,
            max_rotation_deg: 8.0,
            max_shear: 0.4,
            contrast: (0.5, 0.9),
            fit_warp: true,
            noise: 0.0,
            height: 40,
            ..Default::default()
        };
        let a = generate(&cfg, 24, 2);
        assert_eq!(a, generate(&cfg, 24, 2));
        assert_ne!(a.images, generate(&cfg, 24, 3).images);
        assert_ne!(
            a.images,
            generate(
                &WordsConfig {
                    height: 40,
                    noise: 0.0,
                    ..Default::default()
                },
                24,
                2
            )
            .images
        );
        for (img, text) in a.images.iter().zip(&a.texts) {
            assert_eq!((img.height, img.channels), (40, 1));
            assert_eq!(img.data.len(), img.width * img.height);
            assert!(img.data.iter().all(|v| (0.0..=1.0).contains(v)));
            let min = img.data.iter().cloned().fold(1.0f32, f32::min);
            assert!(min < 0.7, "{text}: no ink (darkest {min})");
            // The canvas grew: rotation and shear cut no ink off, the
            // border stays paper.
            let (w, h) = (img.width, img.height);
            let border = (0..w)
                .flat_map(|x| [(x, 0), (x, h - 1)])
                .chain((0..h).flat_map(|y| [(0, y), (w - 1, y)]));
            for (x, y) in border {
                assert!(
                    img.data[y * w + x] > 0.5,
                    "{text}: ink at the border ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn contrast_bounds_the_ink() {
        let cfg = WordsConfig {
            contrast: (0.5, 0.5),
            ..cfg_plain()
        };
        let set = generate(&cfg, 10, 4);
        for img in &set.images {
            let min = img.data.iter().cloned().fold(1.0f32, f32::min);
            // Paper at least 0.75, ink 0.5 below it.
            assert!((0.24..0.6).contains(&min), "darkest {min}");
        }
    }

    #[test]
    fn stroke_filters_thicken_and_thin() {
        let (w, h) = (7, 7);
        let mut dot = vec![0.0f32; w * h];
        dot[3 * w + 3] = 1.0;
        let bold = stroke_filter(&dot, w, h, true);
        assert_eq!(bold.iter().filter(|v| **v == 1.0).count(), 9);
        let thin = stroke_filter(&bold, w, h, false);
        assert_eq!(thin, dot);
    }
}
