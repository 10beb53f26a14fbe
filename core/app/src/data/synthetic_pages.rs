//! Synthetic pages with exact ground truth: words from an embedded list set
//! in paragraphs and columns with the embedded fonts at several sizes, plus
//! image regions (photo-like textures, gradients, plots, line drawings,
//! filled shapes) beside and between the text; then optional skew, contrast
//! loss, uneven illumination, blur, Gaussian and salt-and-pepper noise.
//!
//! Ground truth is exact: every pixel drawn at coverage ≥ ½ records which
//! word or image drew it, and a box is the extent of its own pixels after the
//! skew (so a word box is its inked extent). Seeded and deterministic.

use super::fonts::{self, embedded_fonts, text_width};
use super::pages::{ImageBox, Page, PageRegions, WordBox};
use ab_glyph::FontRef;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod word_list;

pub use word_list::WORDS;

/// How pages are drawn and degraded.
#[derive(Clone, Debug, PartialEq)]
pub struct PagesConfig {
    /// Resolution: an A4 page is `8.27 · dpi × 11.69 · dpi` pixels.
    pub dpi: f32,
    /// Most text columns (each page draws 1..=columns).
    pub columns: usize,
    /// Most image regions per page (each page draws 0..=images).
    pub images: usize,
    /// Standard deviation of added Gaussian noise (gray in [0, 1]).
    pub noise: f32,
    /// Share of pixels turned black or white.
    pub salt_pepper: f32,
    /// Gaussian blur sigma in pixels (0 = none).
    pub blur: f32,
    /// Ink-to-paper contrast, 1 = black on white.
    pub contrast: f32,
    /// Darkening of the page's dim side by uneven light, 0 = even.
    pub illumination: f32,
    /// Largest rotation in degrees (each page draws within ±skew).
    pub skew: f32,
}

impl Default for PagesConfig {
    fn default() -> Self {
        PagesConfig {
            dpi: 100.0,
            columns: 2,
            images: 2,
            noise: 0.0,
            salt_pepper: 0.0,
            blur: 0.0,
            contrast: 1.0,
            illumination: 0.0,
            skew: 0.0,
        }
    }
}

/// Generates `count` pages named `page-0000` ... from `seed`.
pub fn generate(cfg: &PagesConfig, count: usize, seed: u64) -> Vec<Page> {
    (0..count)
        .map(|i| {
            let mut rng =
                ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9).wrapping_add(i as u64));
            let mut page = render_page(cfg, &mut rng);
            page.name = format!("page-{i:04}");
            page
        })
        .collect()
}

/// What a pixel's ink belongs to: 0 nothing, `1..` words, then images.
struct Canvas {
    w: usize,
    h: usize,
    /// Darkness in [0, 1].
    ink: Vec<f32>,
    owner: Vec<u32>,
}

impl Canvas {
    fn put(&mut self, x: i64, y: i64, c: f32, id: u32) {
        if x < 0 || y < 0 || x >= self.w as i64 || y >= self.h as i64 {
            return;
        }
        let p = y as usize * self.w + x as usize;
        if c > self.ink[p] {
            self.ink[p] = c;
        }
        if c >= 0.5 {
            self.owner[p] = id;
        }
    }
}

#[derive(Clone, Copy)]
struct Rect {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

fn draw_text(
    canvas: &mut Canvas,
    font: &FontRef<'static>,
    px: f32,
    x: f32,
    baseline: f32,
    text: &str,
    id: u32,
) {
    let (glyphs, _) = fonts::lay_out(font, px, x, baseline, text);
    fonts::draw(font, glyphs, |x, y, c| canvas.put(x, y, c, id));
}

/// Smooth value noise in [0, 1] at (x, y) on a grid of `cell` pixels.
fn value_noise(grid: &[f32], gw: usize, cell: f32, x: f32, y: f32) -> f32 {
    let (fx, fy) = (x / cell, y / cell);
    let (ix, iy) = (fx as usize, fy as usize);
    let (tx, ty) = (fx - ix as f32, fy - iy as f32);
    let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
    let g = |i: usize, j: usize| grid[j * gw + i];
    let a = g(ix, iy) + (g(ix + 1, iy) - g(ix, iy)) * sx;
    let b = g(ix, iy + 1) + (g(ix + 1, iy + 1) - g(ix, iy + 1)) * sx;
    a + (b - a) * sy
}

fn stroke(c: &mut Canvas, (x0, y0): (f32, f32), (x1, y1): (f32, f32), width: f32, id: u32) {
    let r = width / 2.0;
    let (minx, maxx) = (x0.min(x1) - r - 1.0, x0.max(x1) + r + 1.0);
    let (miny, maxy) = (y0.min(y1) - r - 1.0, y0.max(y1) + r + 1.0);
    let (dx, dy) = (x1 - x0, y1 - y0);
    let len2 = (dx * dx + dy * dy).max(1e-6);
    for y in miny.max(0.0) as i64..=maxy as i64 {
        for x in minx.max(0.0) as i64..=maxx as i64 {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let t = (((px - x0) * dx + (py - y0) * dy) / len2).clamp(0.0, 1.0);
            let (qx, qy) = (x0 + t * dx - px, y0 + t * dy - py);
            let d = (qx * qx + qy * qy).sqrt();
            let cov = (r + 0.5 - d).clamp(0.0, 1.0);
            if cov > 0.0 {
                c.put(x, y, cov, id);
            }
        }
    }
}

/// Strokes the outline of `r`.
fn frame(c: &mut Canvas, r: Rect, line: f32, id: u32) {
    let (l, t, rr, bb) = (r.x, r.y, r.x + r.w, r.y + r.h);
    for (p, q) in [
        ((l, t), (rr, t)),
        ((rr, t), (rr, bb)),
        ((rr, bb), (l, bb)),
        ((l, bb), (l, t)),
    ] {
        stroke(c, p, q, line, id);
    }
}

fn draw_image(c: &mut Canvas, r: Rect, kind: u32, id: u32, rng: &mut ChaCha8Rng) {
    let (x0, y0) = (r.x as i64, r.y as i64);
    let (x1, y1) = ((r.x + r.w) as i64, (r.y + r.h) as i64);
    let line = (r.w.min(r.h) / 80.0).max(1.5);
    match kind {
        // Photo-like texture: smooth noise, darker than mid-gray.
        0 => {
            let cell = rng.gen_range(8.0..30.0f32);
            let gw = (r.w / cell) as usize + 3;
            let gh = (r.h / cell) as usize + 3;
            let grid: Vec<f32> = (0..gw * gh).map(|_| rng.gen()).collect();
            let (lo, hi) = (rng.gen_range(0.6..0.7f32), rng.gen_range(0.85..1.0f32));
            for y in y0..y1 {
                for x in x0..x1 {
                    let v = value_noise(&grid, gw, cell, (x - x0) as f32, (y - y0) as f32);
                    let fine: f32 = rng.gen_range(-0.05..0.05);
                    c.put(x, y, (lo + (hi - lo) * v + fine).clamp(0.0, 1.0), id);
                }
            }
        }
        // Linear gradient between two dark grays.
        1 => {
            let (a, b) = (rng.gen_range(0.6..0.75f32), rng.gen_range(0.85..1.0f32));
            let vertical = rng.gen_bool(0.5);
            for y in y0..y1 {
                for x in x0..x1 {
                    let t = if vertical {
                        (y - y0) as f32 / r.h
                    } else {
                        (x - x0) as f32 / r.w
                    };
                    c.put(x, y, a + (b - a) * t, id);
                }
            }
        }
        // Plot: frame, ticks, a curve.
        2 => {
            frame(c, r, line, id);
            let (l, t, bb) = (r.x, r.y, r.y + r.h);
            for i in 1..10 {
                let x = l + r.w * i as f32 / 10.0;
                stroke(c, (x, bb), (x, bb - r.h * 0.04), line, id);
                let y = t + r.h * i as f32 / 10.0;
                stroke(c, (l, y), (l + r.w * 0.04, y), line, id);
            }
            let (f, ph) = (
                rng.gen_range(1.0..4.0f32),
                rng.gen_range(0.0..std::f32::consts::TAU),
            );
            let mut prev = None;
            for i in 0..=60 {
                let u = i as f32 / 60.0;
                let p = (
                    l + r.w * (0.05 + 0.9 * u),
                    t + r.h * (0.5 - 0.35 * (u * f * 3.0 + ph).sin() * (1.0 - 0.5 * u)),
                );
                if let Some(q) = prev {
                    stroke(c, q, p, line * 1.3, id);
                }
                prev = Some(p);
            }
        }
        // Line drawing: a connected random polyline and a circle around it.
        3 => {
            let mut p = (r.x + r.w / 2.0, r.y + r.h / 2.0);
            let start = p;
            for _ in 0..14 {
                let q = (
                    rng.gen_range(r.x + line..r.x + r.w - line),
                    rng.gen_range(r.y + line..r.y + r.h - line),
                );
                stroke(c, p, q, line, id);
                p = q;
            }
            stroke(c, p, start, line, id);
            let rad = r.w.min(r.h) * 0.3;
            let mut prev = None;
            for i in 0..=48 {
                let a = i as f32 / 48.0 * std::f32::consts::TAU;
                let q = (start.0 + rad * a.cos(), start.1 + rad * a.sin());
                if let Some(o) = prev {
                    stroke(c, o, q, line, id);
                }
                prev = Some(q);
            }
        }
        // Filled shapes: overlapping rectangles and ellipses in a frame.
        _ => {
            frame(c, r, line, id);
            for _ in 0..4 {
                let sw = rng.gen_range(0.2..0.5) * r.w;
                let sh = rng.gen_range(0.2..0.5) * r.h;
                let sx = rng.gen_range(r.x..r.x + r.w - sw);
                let sy = rng.gen_range(r.y..r.y + r.h - sh);
                let shade = rng.gen_range(0.6..1.0f32);
                let ellipse = rng.gen_bool(0.5);
                for y in sy as i64..(sy + sh) as i64 {
                    for x in sx as i64..(sx + sw) as i64 {
                        let u = (x as f32 + 0.5 - sx - sw / 2.0) / (sw / 2.0);
                        let v = (y as f32 + 0.5 - sy - sh / 2.0) / (sh / 2.0);
                        if !ellipse || u * u + v * v <= 1.0 {
                            c.put(x, y, shade, id);
                        }
                    }
                }
            }
        }
    }
}

/// Rotates ink and owners by `deg` about the centre (bilinear ink, nearest owner).
fn rotate(c: &Canvas, deg: f32) -> Canvas {
    let (w, h) = (c.w, c.h);
    let (s, co) = deg.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut out = Canvas {
        w,
        h,
        ink: vec![0.0; w * h],
        owner: vec![0; w * h],
    };
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let sx = co * dx + s * dy + cx - 0.5;
            let sy = -s * dx + co * dy + cy - 0.5;
            if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 {
                continue;
            }
            let (ix, iy) = (sx as usize, sy as usize);
            let (tx, ty) = (sx - ix as f32, sy - iy as f32);
            let p = iy * w + ix;
            let v = c.ink[p] * (1.0 - tx) * (1.0 - ty)
                + c.ink[p + 1] * tx * (1.0 - ty)
                + c.ink[p + w] * (1.0 - tx) * ty
                + c.ink[p + w + 1] * tx * ty;
            out.ink[y * w + x] = v;
            if v >= 0.5 {
                // The owner of the neighbour contributing most ink.
                let cand = [
                    (p, (1.0 - tx) * (1.0 - ty)),
                    (p + 1, tx * (1.0 - ty)),
                    (p + w, (1.0 - tx) * ty),
                    (p + w + 1, tx * ty),
                ];
                let best = cand
                    .iter()
                    .filter(|(q, _)| c.owner[*q] != 0)
                    .max_by(|a, b| (c.ink[a.0] * a.1).total_cmp(&(c.ink[b.0] * b.1)));
                if let Some(&(q, _)) = best {
                    out.owner[y * w + x] = c.owner[q];
                }
            }
        }
    }
    out
}

fn gaussian_blur(img: &mut [f32], w: usize, h: usize, sigma: f32) {
    let r = (sigma * 3.0).ceil() as i64;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut tmp = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let xx = (x as i64 + i as i64 - r).clamp(0, w as i64 - 1) as usize;
                acc += kv * img[y * w + xx];
            }
            tmp[y * w + x] = acc;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let yy = (y as i64 + i as i64 - r).clamp(0, h as i64 - 1) as usize;
                acc += kv * tmp[yy * w + x];
            }
            img[y * w + x] = acc;
        }
    }
}

fn render_page(cfg: &PagesConfig, rng: &mut ChaCha8Rng) -> Page {
    let fonts = embedded_fonts();
    let w = (8.27 * cfg.dpi).round() as usize;
    let h = (11.69 * cfg.dpi).round() as usize;
    let mut c = Canvas {
        w,
        h,
        ink: vec![0.0; w * h],
        owner: vec![0; w * h],
    };
    let pt = cfg.dpi / 72.0;
    let margin = 0.09 * w as f32;
    let columns = rng.gen_range(1..=cfg.columns.max(1));
    let gutter = 0.05 * w as f32;
    let col_w = (w as f32 - 2.0 * margin - gutter * (columns - 1) as f32) / columns as f32;
    let body_font = rng.gen_range(0..fonts.len());
    let body_px = rng.gen_range(10.0..14.0) * pt;

    // Image regions first: each in one column, between paragraphs.
    let mut texts: Vec<String> = Vec::new();
    let mut image_rects: Vec<Rect> = Vec::new();
    let n_images = rng.gen_range(0..=cfg.images);
    let mut blocked: Vec<Vec<(f32, f32)>> = vec![Vec::new(); columns];
    for _ in 0..n_images {
        for _try in 0..10 {
            let col = rng.gen_range(0..columns);
            let iw = col_w * rng.gen_range(0.5..1.0);
            let ih = (h as f32 * rng.gen_range(0.1..0.25)).min(iw * 1.2);
            let ix = margin + col as f32 * (col_w + gutter) + rng.gen_range(0.0..=(col_w - iw));
            let iy = rng.gen_range(margin..h as f32 - margin - ih);
            let pad = body_px * 1.5;
            if blocked[col]
                .iter()
                .any(|&(a, b)| iy - pad < b && iy + ih + pad > a)
            {
                continue;
            }
            blocked[col].push((iy - pad, iy + ih + pad));
            image_rects.push(Rect {
                x: ix,
                y: iy,
                w: iw,
                h: ih,
            });
            break;
        }
    }

    // Text, column by column, line by line, skipping the image bands.
    let mut word_id = 0u32;
    for (col, bands) in blocked.iter().enumerate() {
        let x_start = margin + col as f32 * (col_w + gutter);
        let mut y = margin;
        let mut para_left = 0usize;
        let mut px = body_px;
        let mut font = &fonts[body_font];
        loop {
            if para_left == 0 {
                // A new paragraph, sometimes under a heading.
                y += body_px * 0.6;
                para_left = rng.gen_range(2..8);
                if rng.gen_bool(0.25) {
                    px = body_px * rng.gen_range(1.4..2.0);
                    font = &fonts[1];
                    para_left += 1;
                } else {
                    px = body_px;
                    font = &fonts[body_font];
                }
            }
            let line_h = px * rng.gen_range(1.4..1.6);
            if y + line_h > h as f32 - margin {
                break;
            }
            if let Some(&(_, b)) = bands.iter().find(|&&(a, b)| y < b && y + line_h > a) {
                y = b;
                continue;
            }
            let baseline = y + px * 0.95;
            let space = px * rng.gen_range(0.5..0.65);
            let mut x = x_start;
            let heading = px > body_px;
            let mut n_in_line = 0;
            loop {
                let word = WORDS[rng.gen_range(0..WORDS.len())];
                let ww = text_width(font, px, word);
                if x + ww > x_start + col_w || (heading && n_in_line >= 4) {
                    break;
                }
                word_id += 1;
                draw_text(&mut c, font, px, x, baseline, word, word_id);
                texts.push(word.to_string());
                x += ww + space;
                n_in_line += 1;
            }
            y += line_h;
            para_left -= 1;
            if heading {
                para_left = para_left.max(1);
                px = body_px;
                font = &fonts[body_font];
            }
        }
    }
    for (i, r) in image_rects.iter().enumerate() {
        draw_image(&mut c, *r, rng.gen_range(0..5), word_id + 1 + i as u32, rng);
    }

    if cfg.skew > 0.0 {
        let deg = rng.gen_range(-cfg.skew..=cfg.skew);
        c = rotate(&c, deg);
    }

    // Ground truth: the extent of each element's own pixels.
    let n = word_id as usize + image_rects.len();
    let mut ext = vec![(usize::MAX, usize::MAX, 0usize, 0usize); n + 1];
    for y in 0..h {
        for x in 0..w {
            let o = c.owner[y * w + x] as usize;
            if o != 0 {
                let e = &mut ext[o];
                e.0 = e.0.min(x);
                e.1 = e.1.min(y);
                e.2 = e.2.max(x + 1);
                e.3 = e.3.max(y + 1);
            }
        }
    }
    let mut words = Vec::new();
    let mut images = Vec::new();
    for (id, e) in ext.iter().enumerate().skip(1) {
        if e.0 == usize::MAX {
            continue; // rotated off the page
        }
        let (x, y, bw, bh) = (
            e.0 as f64,
            e.1 as f64,
            (e.2 - e.0) as f64,
            (e.3 - e.1) as f64,
        );
        if id <= word_id as usize {
            words.push(WordBox {
                text: Some(texts[id - 1].clone()),
                x,
                y,
                w: bw,
                h: bh,
                ..Default::default()
            });
        } else {
            images.push(ImageBox {
                x,
                y,
                w: bw,
                h: bh,
                score: None,
            });
        }
    }

    // Render: paper and ink levels, light, blur, noise.
    let contrast = cfg.contrast.clamp(0.05, 1.0);
    let (paper, ink) = (0.5 + 0.45 * contrast, 0.5 - 0.45 * contrast);
    let (lx, ly) = (rng.gen_range(0.0..1.0f32), rng.gen_range(0.0..1.0f32));
    let mut pixels: Vec<f32> = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let d = c.ink[y * w + x];
            let mut v = paper - d * (paper - ink);
            if cfg.illumination > 0.0 {
                let (u, t) = (x as f32 / w as f32 - lx, y as f32 / h as f32 - ly);
                let dist = (u * u + t * t).sqrt() / std::f32::consts::SQRT_2;
                v *= 1.0 - cfg.illumination * dist;
            }
            pixels.push(v);
        }
    }
    if cfg.blur > 0.0 {
        gaussian_blur(&mut pixels, w, h, cfg.blur);
    }
    if cfg.noise > 0.0 {
        let normal = rand_distr_normal(cfg.noise);
        for v in pixels.iter_mut() {
            *v += normal(rng);
        }
    }
    if cfg.salt_pepper > 0.0 {
        for v in pixels.iter_mut() {
            if rng.gen::<f32>() < cfg.salt_pepper {
                *v = if rng.gen_bool(0.5) { 0.0 } else { 1.0 };
            }
        }
    }
    for v in pixels.iter_mut() {
        *v = v.clamp(0.0, 1.0);
    }
    Page {
        name: String::new(),
        width: w,
        height: h,
        pixels,
        truth: Some(PageRegions {
            graphics: Vec::new(),
            width: w as u32,
            height: h as u32,
            words,
            images,
        }),
    }
}

/// A Gaussian sampler (Box–Muller) with standard deviation `sigma`.
fn rand_distr_normal(sigma: f32) -> impl Fn(&mut ChaCha8Rng) -> f32 {
    move |rng: &mut ChaCha8Rng| {
        let u1: f32 = rng.gen_range(f32::EPSILON..1.0);
        let u2: f32 = rng.gen();
        sigma * (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests;
