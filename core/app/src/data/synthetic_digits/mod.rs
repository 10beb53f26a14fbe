//! The embedded default dataset: MNIST-like 28×28 gray digits (white ink on black) rendered
//! from embedded DejaVu fonts with random affine jitter, stroke width and noise. No download needed.

use ab_glyph::{Font, FontRef};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::fonts::{embedded_fonts, EMBEDDED_FONT_NAMES};
use super::{DataError, ImageSet};

/// Extra dilation steps per embedded font, so that stroke step 0 gives every font about the
/// ink weight of an MNIST digit (DejaVu Sans, Serif and Mono are thinner than handwriting).
const FONT_STROKE_BASE: [i32; 4] = [1, 0, 1, 1];

/// Render supersampling: glyphs are drawn at this many render pixels per output pixel.
const SS: usize = 3;
/// Stroke steps are clamped to this magnitude.
const MAX_STROKE_STEPS: i32 = 8;

/// How the synthetic digits are drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitsConfig {
    /// Output images are `size`×`size` (28 like MNIST).
    pub size: usize,
    /// Largest rotation either way, in degrees. Like the shear and shift below, it is drawn from a
    /// triangular distribution on [-max, max]: mostly small, as in MNIST's centred digits, sometimes the max.
    pub max_rotation_deg: f32,
    /// Largest horizontal shear either way (x += shear * y).
    pub max_shear: f32,
    /// Scale range applied to the MNIST-sized glyph (height 20/28 of the image at 1.0).
    pub scale_range: (f32, f32),
    /// Largest shift either way, in output pixels.
    pub max_shift: f32,
    /// Inclusive range of stroke steps: negative erodes, positive dilates (3×3, at render resolution).
    pub stroke: (i32, i32),
    /// Standard deviation of the added Gaussian noise.
    pub noise_sigma: f32,
    /// Apply a light 3×3 blur before the noise.
    pub blur: bool,
}

impl Default for DigitsConfig {
    fn default() -> Self {
        DigitsConfig {
            size: 28,
            max_rotation_deg: 15.0,
            max_shear: 0.25,
            scale_range: (0.75, 1.05),
            max_shift: 2.5,
            stroke: (-1, 1),
            noise_sigma: 0.05,
            blur: false,
        }
    }
}

impl DigitsConfig {
    /// Checks every setting is in its valid range (out-of-range settings are clamped by [`generate`]).
    pub fn validate(&self) -> Result<(), DataError> {
        let bad = |name: &str, reason: String| {
            Err(DataError::InvalidParam {
                name: name.to_string(),
                reason,
            })
        };
        if !(8..=1024).contains(&self.size) {
            return bad("size", format!("{} is not between 8 and 1024", self.size));
        }
        if !(0.0..=180.0).contains(&self.max_rotation_deg) {
            return bad(
                "max_rotation_deg",
                format!("{} is not between 0 and 180", self.max_rotation_deg),
            );
        }
        if !(0.0..=2.0).contains(&self.max_shear) {
            return bad(
                "max_shear",
                format!("{} is not between 0 and 2", self.max_shear),
            );
        }
        let (lo, hi) = self.scale_range;
        if !(lo > 0.0 && lo <= hi && hi <= 4.0) {
            return bad(
                "scale_range",
                format!("({lo}, {hi}) must satisfy 0 < low <= high <= 4"),
            );
        }
        if !(0.0..=self.size as f32).contains(&self.max_shift) {
            return bad(
                "max_shift",
                format!("{} is not between 0 and the size", self.max_shift),
            );
        }
        let (a, b) = self.stroke;
        if !(a <= b && a >= -MAX_STROKE_STEPS && b <= MAX_STROKE_STEPS) {
            return bad(
                "stroke",
                format!(
                    "({a}, {b}) must satisfy -{MAX_STROKE_STEPS} <= low <= high <= {MAX_STROKE_STEPS}"
                ),
            );
        }
        if !(0.0..=1.0).contains(&self.noise_sigma) {
            return bad(
                "noise_sigma",
                format!("{} is not between 0 and 1", self.noise_sigma),
            );
        }
        Ok(())
    }

    /// A copy with every setting forced into its valid range (NaN becomes the default).
    fn sanitized(&self) -> DigitsConfig {
        let d = DigitsConfig::default();
        let fix = |v: f32, lo: f32, hi: f32, dflt: f32| {
            if v.is_nan() {
                dflt
            } else {
                v.clamp(lo, hi)
            }
        };
        let size = self.size.clamp(8, 1024);
        let a = fix(self.scale_range.0, 0.05, 4.0, d.scale_range.0);
        let b = fix(self.scale_range.1, 0.05, 4.0, d.scale_range.1);
        let (s0, s1) = (
            self.stroke.0.clamp(-MAX_STROKE_STEPS, MAX_STROKE_STEPS),
            self.stroke.1.clamp(-MAX_STROKE_STEPS, MAX_STROKE_STEPS),
        );
        DigitsConfig {
            size,
            max_rotation_deg: fix(self.max_rotation_deg, 0.0, 180.0, d.max_rotation_deg),
            max_shear: fix(self.max_shear, 0.0, 2.0, d.max_shear),
            scale_range: (a.min(b), a.max(b)),
            max_shift: fix(self.max_shift, 0.0, size as f32, d.max_shift),
            stroke: (s0.min(s1), s0.max(s1)),
            noise_sigma: fix(self.noise_sigma, 0.0, 1.0, d.noise_sigma),
            blur: self.blur,
        }
    }
}

/// A glyph's coverage at render resolution, with its ink bounding-box centre.
#[derive(Clone)]
struct Raster {
    w: usize,
    h: usize,
    data: Vec<f32>,
    cx: f32,
    cy: f32,
}

impl Raster {
    fn new(w: usize, h: usize) -> Self {
        Raster {
            w,
            h,
            data: vec![0.0; w * h],
            cx: w as f32 / 2.0,
            cy: h as f32 / 2.0,
        }
    }

    /// Bilinear sample at continuous coordinates (pixel centres at i + 0.5); zero outside.
    #[inline]
    fn sample(&self, x: f32, y: f32) -> f32 {
        let fx = x - 0.5;
        let fy = y - 0.5;
        if !(fx > -1.0 && fy > -1.0 && fx < self.w as f32 && fy < self.h as f32) {
            return 0.0;
        }
        let x0f = fx.floor();
        let y0f = fy.floor();
        let tx = fx - x0f;
        let ty = fy - y0f;
        let x0 = x0f as isize;
        let y0 = y0f as isize;
        let get = |x: isize, y: isize| -> f32 {
            if x < 0 || y < 0 || x >= self.w as isize || y >= self.h as isize {
                0.0
            } else {
                self.data[y as usize * self.w + x as usize]
            }
        };
        let a = get(x0, y0);
        let b = get(x0 + 1, y0);
        let c = get(x0, y0 + 1);
        let d = get(x0 + 1, y0 + 1);
        let top = a + (b - a) * tx;
        let bot = c + (d - c) * tx;
        top + (bot - top) * ty
    }

    /// One 3×3 gray dilation (`grow`) or erosion step; pixels outside count as 0.
    fn morph(&self, grow: bool) -> Raster {
        let (w, h) = (self.w as isize, self.h as isize);
        let mut out = Raster::new(self.w, self.h);
        out.cx = self.cx;
        out.cy = self.cy;
        for y in 0..h {
            for x in 0..w {
                let mut v = if grow { 0.0f32 } else { 1.0f32 };
                for yy in y - 1..=y + 1 {
                    for xx in x - 1..=x + 1 {
                        let p = if xx >= 0 && yy >= 0 && xx < w && yy < h {
                            self.data[(yy * w + xx) as usize]
                        } else {
                            0.0
                        };
                        v = if grow { v.max(p) } else { v.min(p) };
                    }
                }
                out.data[(y * w + x) as usize] = v;
            }
        }
        out
    }

    /// Total ink (sum of coverage).
    fn ink(&self) -> f32 {
        self.data.iter().sum()
    }

    /// Sets the centre to the middle of the ink bounding box.
    fn centre_on_ink(&mut self) {
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        for y in 0..self.h {
            for x in 0..self.w {
                if self.data[y * self.w + x] > 0.05 {
                    x0 = x0.min(x);
                    y0 = y0.min(y);
                    x1 = x1.max(x + 1);
                    y1 = y1.max(y + 1);
                }
            }
        }
        if x0 < x1 && y0 < y1 {
            self.cx = (x0 + x1) as f32 / 2.0;
            self.cy = (y0 + y1) as f32 / 2.0;
        }
    }
}

/// Draws `digit` from `font` so that its larger side is `box_px` render pixels, with `pad` empty pixels around.
///
/// With `plain_zero`, a 0 is drawn from the letter O (DejaVu Sans Mono's zero has a dot inside, unlike handwriting).
fn rasterize(
    font: &FontRef<'static>,
    digit: u8,
    box_px: f32,
    pad: usize,
    plain_zero: bool,
) -> Raster {
    let ch = if plain_zero && digit.is_multiple_of(10) {
        'O'
    } else {
        char::from(b'0' + digit % 10)
    };
    let id = font.glyph_id(ch);
    let probe = 100.0;
    let Some(outline) = font.outline_glyph(id.with_scale(probe)) else {
        return Raster::new(1, 1);
    };
    let b = outline.px_bounds();
    let extent = (b.max.x - b.min.x).max(b.max.y - b.min.y).max(1.0);
    let scale = probe * box_px / extent;
    let Some(outline) = font.outline_glyph(id.with_scale(scale)) else {
        return Raster::new(1, 1);
    };
    let b = outline.px_bounds();
    let gw = (b.max.x - b.min.x).ceil().max(1.0) as usize;
    let gh = (b.max.y - b.min.y).ceil().max(1.0) as usize;
    let mut r = Raster::new(gw + 2 * pad, gh + 2 * pad);
    let w = r.w;
    outline.draw(|x, y, c| {
        let (x, y) = (x as usize + pad, y as usize + pad);
        if x < w && y < r.h {
            let cell = &mut r.data[y * w + x];
            *cell = (*cell + c).min(1.0);
        }
    });
    r.centre_on_ink();
    r
}

/// Glyph rasters for every font × digit × stroke step, built once per `generate` call.
struct GlyphCache {
    stroke_lo: i32,
    steps: usize,
    /// Index: (font * 10 + digit) * steps + (stroke - stroke_lo).
    rasters: Vec<Raster>,
}

impl GlyphCache {
    fn build(cfg: &DigitsConfig) -> Self {
        let (lo, hi) = cfg.stroke;
        let steps = (hi - lo + 1) as usize;
        let box_px = cfg.size as f32 * SS as f32 * 20.0 / 28.0;
        let extra = FONT_STROKE_BASE.iter().copied().max().unwrap_or(0);
        let pad = (hi + extra).max(0) as usize + 2;
        let mut rasters = Vec::with_capacity(embedded_fonts().len() * 10 * steps);
        for (f, font) in embedded_fonts().iter().enumerate() {
            let plain_zero = EMBEDDED_FONT_NAMES[f] == "DejaVuSansMono.ttf";
            let offset = FONT_STROKE_BASE.get(f).copied().unwrap_or(0);
            for digit in 0..10u8 {
                let base = rasterize(font, digit, box_px, pad, plain_zero);
                for step in lo..=hi {
                    let s = step + offset;
                    let mut r = base.clone();
                    for _ in 0..s.unsigned_abs() {
                        let next = r.morph(s > 0);
                        // Never erode a glyph away entirely: keep the last step with visible ink.
                        if s < 0 && next.ink() < 0.25 * base.ink() {
                            break;
                        }
                        r = next;
                    }
                    rasters.push(r);
                }
            }
        }
        GlyphCache {
            stroke_lo: lo,
            steps,
            rasters,
        }
    }

    fn get(&self, font: usize, digit: u8, stroke: i32) -> &Raster {
        let k = (font * 10 + digit as usize) * self.steps + (stroke - self.stroke_lo) as usize;
        &self.rasters[k]
    }
}

/// Generates `count` digits (labels balanced over 0..=9, in shuffled order), deterministic for a given `seed`.
///
/// Out-of-range settings in `cfg` are clamped; use [`DigitsConfig::validate`] to report them instead.
pub fn generate(cfg: &DigitsConfig, count: usize, seed: u64) -> ImageSet {
    let cfg = cfg.sanitized();
    let n = cfg.size;
    let mut set = ImageSet::new(n, n, 1);
    if count == 0 {
        return set;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut labels: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
    labels.shuffle(&mut rng);

    let cache = GlyphCache::build(&cfg);
    let nfonts = embedded_fonts().len();
    set.pixels = vec![0.0; count * n * n];
    let mut tmp = vec![0.0f32; n * n];
    for (img, &digit) in set.pixels.chunks_exact_mut(n * n).zip(&labels) {
        let font = rng.gen_range(0..nfonts);
        let stroke = rng.gen_range(cfg.stroke.0..=cfg.stroke.1);
        let theta = sym(&mut rng, cfg.max_rotation_deg).to_radians();
        let shear = sym(&mut rng, cfg.max_shear);
        let scale = if cfg.scale_range.1 > cfg.scale_range.0 {
            rng.gen_range(cfg.scale_range.0..=cfg.scale_range.1)
        } else {
            cfg.scale_range.0
        };
        let shift = (sym(&mut rng, cfg.max_shift), sym(&mut rng, cfg.max_shift));
        let raster = cache.get(font, digit, stroke);
        render(img, n, raster, theta, shear, scale, shift);
        if cfg.blur {
            blur3(img, &mut tmp, n);
        }
        add_noise(img, cfg.noise_sigma, &mut rng);
    }
    set.labels = labels;
    set
}

/// Train and test sets drawn with independent sub-seeds of `seed`.
pub fn generate_splits(
    cfg: &DigitsConfig,
    train: usize,
    test: usize,
    seed: u64,
) -> (ImageSet, ImageSet) {
    (
        generate(cfg, train, sub_seed(seed, 1)),
        generate(cfg, test, sub_seed(seed, 2)),
    )
}

/// SplitMix64 of `seed` mixed with `stream`: well-separated seeds for sub-generators.
fn sub_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Triangular on [-m, m], peaked at 0 (0 when m is 0): most samples are small, a few reach `m`.
fn sym(rng: &mut ChaCha8Rng, m: f32) -> f32 {
    if m > 0.0 {
        0.5 * (rng.gen_range(-m..=m) + rng.gen_range(-m..=m))
    } else {
        0.0
    }
}

/// Resamples `raster` into the `n`×`n` image `img` through the affine map
/// out = centre + shift + (scale / SS) · R(theta) · Shear(shear) · (glyph − glyph centre),
/// averaging SS×SS sub-points per output pixel (bilinear at each).
fn render(
    img: &mut [f32],
    n: usize,
    raster: &Raster,
    theta: f32,
    shear: f32,
    scale: f32,
    shift: (f32, f32),
) {
    let (s, c) = theta.sin_cos();
    let k = scale / SS as f32;
    // Forward matrix F = k · R · Sh, R = [[c, -s], [s, c]], Sh = [[1, shear], [0, 1]].
    let f = [[k * c, k * (c * shear - s)], [k * s, k * (s * shear + c)]];
    // Inverse M = (1/k) · Sh⁻¹ · R⁻¹, Sh⁻¹ = [[1, -shear], [0, 1]], R⁻¹ = [[c, s], [-s, c]].
    let ik = 1.0 / k;
    let m = [
        [ik * (c + shear * s), ik * (s - shear * c)],
        [ik * (-s), ik * c],
    ];
    let ox = n as f32 / 2.0 + shift.0;
    let oy = n as f32 / 2.0 + shift.1;

    // Output-pixel bounding box of the raster, so empty pixels are skipped.
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for (gx, gy) in [
        (0.0, 0.0),
        (raster.w as f32, 0.0),
        (0.0, raster.h as f32),
        (raster.w as f32, raster.h as f32),
    ] {
        let (px, py) = (gx - raster.cx, gy - raster.cy);
        let x = ox + f[0][0] * px + f[0][1] * py;
        let y = oy + f[1][0] * px + f[1][1] * py;
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let clampi = |v: f32| v.clamp(0.0, n as f32) as usize;
    let (px0, px1) = (clampi(x0.floor() - 1.0), clampi(x1.ceil() + 1.0));
    let (py0, py1) = (clampi(y0.floor() - 1.0), clampi(y1.ceil() + 1.0));

    let step = 1.0 / SS as f32;
    let norm = 1.0 / (SS * SS) as f32;
    // Raster coordinates move by (m[0][0], m[1][0]) per output x and (m[0][1], m[1][1]) per output y.
    let (dxx, dxy) = (m[0][0] * step, m[1][0] * step);
    let (dyx, dyy) = (m[0][1] * step, m[1][1] * step);
    for py in py0..py1 {
        for px in px0..px1 {
            let ux = px as f32 + 0.5 * step - ox;
            let uy = py as f32 + 0.5 * step - oy;
            let mut row_x = raster.cx + m[0][0] * ux + m[0][1] * uy;
            let mut row_y = raster.cy + m[1][0] * ux + m[1][1] * uy;
            let mut acc = 0.0;
            for _ in 0..SS {
                let (mut qx, mut qy) = (row_x, row_y);
                for _ in 0..SS {
                    acc += raster.sample(qx, qy);
                    qx += dxx;
                    qy += dxy;
                }
                row_x += dyx;
                row_y += dyy;
            }
            img[py * n + px] = acc * norm;
        }
    }
}

/// Light separable [1 2 1]/4 blur of an `n`×`n` image (edges clamped).
fn blur3(img: &mut [f32], tmp: &mut [f32], n: usize) {
    let at = |i: isize| i.clamp(0, n as isize - 1) as usize;
    for y in 0..n {
        for x in 0..n {
            let xi = x as isize;
            tmp[y * n + x] = 0.25 * img[y * n + at(xi - 1)]
                + 0.5 * img[y * n + x]
                + 0.25 * img[y * n + at(xi + 1)];
        }
    }
    for y in 0..n {
        let yi = y as isize;
        for x in 0..n {
            img[y * n + x] = 0.25 * tmp[at(yi - 1) * n + x]
                + 0.5 * tmp[y * n + x]
                + 0.25 * tmp[at(yi + 1) * n + x];
        }
    }
}

/// Adds Gaussian noise (Box–Muller, two values per draw) and clamps to [0, 1].
fn add_noise(img: &mut [f32], sigma: f32, rng: &mut ChaCha8Rng) {
    if sigma <= 0.0 {
        img.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
        return;
    }
    for pair in img.chunks_mut(2) {
        let u1: f32 = 1.0 - rng.r#gen::<f32>(); // (0, 1]
        let u2: f32 = rng.r#gen::<f32>();
        let r = sigma * (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f32::consts::TAU * u2).sin_cos();
        pair[0] = (pair[0] + r * c).clamp(0.0, 1.0);
        if let Some(v) = pair.get_mut(1) {
            *v = (*v + r * s).clamp(0.0, 1.0);
        }
    }
}

#[cfg(test)]
mod tests;
