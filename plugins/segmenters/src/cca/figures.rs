//! What is not text: continuous-tone images and screenshots found by their
//! tones, tables and frames told from drawings by the letters inside them,
//! and containers (slide blocks, boxed notes) that frame text.

use super::geometry::Bounds;
use super::CcaParams;
use workbench_vision::{
    components, dilate, label, Binary, Component, Connectivity, Gray, Labeling,
};

/// Containers: tall components that frame text (a slide's block with its
/// title bar and shadow, a boxed note, a table's outline): almost none of
/// their own ink lies in their interior (their box less a fifth on each
/// side and a third at the top, where title bars are), and body-size text
/// set as letters lies inside.
pub(super) fn containers(p: &CcaParams, lab: &Labeling, ch: f64) -> Vec<bool> {
    let comps = &lab.components;
    let tall = (p.image_height * ch) as u32;
    comps
        .iter()
        .enumerate()
        .map(|(k, c)| {
            if c.h <= tall || (c.w as f64) < 4.0 * ch {
                return false;
            }
            let (mx, my) = (c.w / 5, c.h / 5);
            let (x0, x1) = ((c.x + mx) as usize, (c.x + c.w - mx) as usize);
            let (y0, y1) = ((c.y + c.h / 3) as usize, (c.y + c.h - my) as usize);
            let label = k as u32 + 1;
            let own: usize = (y0..y1)
                .map(|y| {
                    lab.labels[y * lab.width + x0..y * lab.width + x1]
                        .iter()
                        .filter(|&&l| l == label)
                        .count()
                })
                .sum();
            if own as f64 >= CONTAINER_INK * ((x1 - x0) * (y1 - y0)).max(1) as f64 {
                return false;
            }
            let t = text_inside(comps, &Bounds::of(c), ch);
            t.body && t.lettered >= TABLE_GLYPHS
        })
        .collect()
}

/// A container's own ink covers less than this share of its interior.
pub(super) const CONTAINER_INK: f64 = 0.02;

/// Photographs, renderings and other continuous-tone images, which a
/// global threshold breaks into blobs: large areas darker than the paper
/// that cover much of their box and vary in tone (a shaded or dark box
/// behind text is one flat tone, and stays text), and that do not run off
/// the page (as uneven light does). `t`: the page's Otsu threshold.
pub(super) fn photos(p: &CcaParams, gray: &Gray, t: u8, ch: f64) -> Vec<Bounds> {
    if !p.photos {
        return Vec::new();
    }
    let tone = paper_tone(gray, t).saturating_sub(PHOTO_TONE);
    if tone <= t {
        return Vec::new();
    }
    let mask = workbench_vision::threshold(gray, tone);
    let big = (p.image_height * ch) as u32;
    let w = gray.width;
    components(&mask, Connectivity::Eight)
        .iter()
        .filter(|c| c.w > big && c.h > big)
        .filter(|c| !off_page(&Bounds::of(c), gray))
        .filter_map(|c| {
            // Cover: everything darker than the paper; spread: of the
            // tones between ink and paper (a text box's ground is one).
            let (mut n, mut m, mut sum, mut sq) = (0u64, 0u64, 0f64, 0f64);
            for y in c.y as usize..(c.y + c.h) as usize {
                for &g in &gray.data[y * w + c.x as usize..y * w + (c.x + c.w) as usize] {
                    if g <= tone {
                        n += 1;
                        if g > t {
                            m += 1;
                            sum += g as f64;
                            sq += (g as f64) * (g as f64);
                        }
                    }
                }
            }
            let mean = sum / m.max(1) as f64;
            let sd = (sq / m.max(1) as f64 - mean * mean).max(0.0).sqrt();
            (n as f64 >= PHOTO_FILL * c.bbox_area() as f64 && sd >= PHOTO_SPREAD)
                .then(|| Bounds::of(c))
        })
        .collect()
}

/// Whether an area touches two edges of the page: uneven light running
/// off it, not an image on it.
fn off_page(b: &Bounds, gray: &Gray) -> bool {
    let edges = [
        b.x0 == 0,
        b.y0 == 0,
        b.x1 >= gray.width as u32,
        b.y1 >= gray.height as u32,
    ];
    edges.iter().filter(|&&e| e).count() >= 2
}

/// The paper's tone: the median of the pixels lighter than the page's
/// threshold `t`.
fn paper_tone(gray: &Gray, t: u8) -> u8 {
    let mut hist = [0u64; 256];
    for &g in &gray.data {
        hist[g as usize] += 1;
    }
    let light: u64 = hist[t as usize + 1..].iter().sum();
    let mut acc = 0u64;
    for (v, &c) in hist.iter().enumerate().skip(t as usize + 1) {
        acc += c;
        if acc * 2 >= light {
            return v as u8;
        }
    }
    255
}

/// Screenshots and other raster images on a light ground (toolbars,
/// windows, dialogs), which the threshold sees only as their text and
/// icons: areas of light tones — darker than the paper, lighter than ink,
/// away from any ink's anti-aliased edge — whose tones vary (a window's
/// gradients and bevels, an icon's shading), where a shaded box behind
/// text, a title bar or a table's banding is one flat tone. Each area is
/// its light tones grown by half a character height and joined; its box
/// is that of its tones. `bin`: the page's ink.
pub(super) fn screens(p: &CcaParams, gray: &Gray, bin: &Binary, t: u8, ch: f64) -> Vec<Bounds> {
    if !p.screens {
        return Vec::new();
    }
    let paper = paper_tone(gray, t);
    if paper <= t.saturating_add(SCREEN_TONE) {
        return Vec::new();
    }
    let top = paper - SCREEN_TONE;
    // Light tones away from ink: only the few pixels in the tone range look
    // at their neighbourhood (cheaper than dilating the whole page's ink).
    let (w, h) = (gray.width, gray.height);
    let near_ink = |x: usize, y: usize| {
        let (x0, x1) = (x.saturating_sub(SCREEN_EDGE), (x + SCREEN_EDGE + 1).min(w));
        (y.saturating_sub(SCREEN_EDGE)..(y + SCREEN_EDGE + 1).min(h))
            .any(|yy| bin.data[yy * w + x0..yy * w + x1].iter().any(|&v| v != 0))
    };
    let mut light = Binary::new(w, h);
    let mut count = 0usize;
    for (i, (v, &g)) in light.data.iter_mut().zip(&gray.data).enumerate() {
        if g > t && g <= top && !near_ink(i % w, i / w) {
            *v = 1;
            count += 1;
        }
    }
    // Light tones all over the page are noise or uneven light, not images;
    // too few for the smallest screenshot's box, none is there (most pages:
    // no growing and labelling then).
    let (side, long) = ((SCREEN_SIDE * ch) as u32, (SCREEN_LONG * ch) as u32);
    let fewest = SCREEN_FILL * (side as f64) * (long as f64);
    if count as f64 > SCREEN_PAGE * light.data.len() as f64 || (count as f64) < fewest {
        return Vec::new();
    }
    let reach = ((0.5 * ch).round() as usize).max(1);
    let grown = label(&dilate(&light, reach, reach), Connectivity::Eight);
    let n = grown.components.len();
    let mut hists = vec![[0u32; 256]; n];
    let mut boxes: Vec<Option<Bounds>> = vec![None; n];
    for (i, (&l, &v)) in grown.labels.iter().zip(&light.data).enumerate() {
        if l == 0 || v == 0 {
            continue;
        }
        let k = l as usize - 1;
        hists[k][gray.data[i] as usize] += 1;
        let (x, y) = ((i % w) as u32, (i / w) as u32);
        let px = Bounds {
            x0: x,
            y0: y,
            x1: x + 1,
            y1: y + 1,
        };
        boxes[k] = Some(boxes[k].map_or(px, |b| b.join(px)));
    }
    hists
        .iter()
        .zip(boxes)
        .filter_map(|(h, b)| {
            let b = b?;
            let count: u64 = h.iter().map(|&c| c as u64).sum();
            let tones = h
                .iter()
                .filter(|&&c| c as f64 >= SCREEN_SHARE * count as f64)
                .count();
            (!off_page(&b, gray)
                && b.w().min(b.h()) >= side
                && b.w().max(b.h()) >= long
                && count as f64 >= SCREEN_FILL * b.area() as f64
                && tones >= SCREEN_TONES)
                .then_some(b)
        })
        .collect()
}

/// Light tones are at least this many gray levels darker than the paper...
const SCREEN_TONE: u8 = 5;
/// ... and this many pixels away from ink (its anti-aliased edge).
const SCREEN_EDGE: usize = 2;
/// Pages with light tones over more than this share are noisy or unevenly
/// lit; an area touching two edges of the page is uneven light too.
const SCREEN_PAGE: f64 = 0.15;
/// A screen's box is at least this large on its shorter side and...
const SCREEN_SIDE: f64 = 1.5;
/// ... this large on its longer side (× char height; an inline icon is
/// smaller)...
const SCREEN_LONG: f64 = 4.0;
/// ... its light tones cover at least this share of it...
const SCREEN_FILL: f64 = 0.1;
/// ... and at least this many tones each hold this share of them.
const SCREEN_TONES: usize = 5;
const SCREEN_SHARE: f64 = 0.01;

/// Darker than the paper by this many gray levels is image tone...
pub(super) const PHOTO_TONE: u8 = 24;
/// ... covering this share of the area's box...
pub(super) const PHOTO_FILL: f64 = 0.5;
/// ... with at least this spread of its tones between ink and paper (a
/// standard deviation in gray levels).
pub(super) const PHOTO_SPREAD: f64 = 8.0;

/// Which components are drawings whose ruling lines stay: tall ones,
/// except tables and frames (nearly all ruling lines, with text inside).
pub(super) fn drawings(p: &CcaParams, lab: &Labeling, lines: &Binary, ch: f64) -> Vec<bool> {
    let comps = &lab.components;
    let mut on_line = vec![0u64; comps.len()];
    for (&v, &l) in lines.data.iter().zip(&lab.labels) {
        if v != 0 && l > 0 {
            on_line[l as usize - 1] += 1;
        }
    }
    let tall = (p.image_height * ch) as u32;
    comps
        .iter()
        .enumerate()
        .map(|(k, c)| {
            if c.h <= tall {
                return false;
            }
            let ruled = on_line[k] as f64 >= TABLE_RULED * c.pixels as f64;
            if !ruled {
                return true;
            }
            // A table's text is set as letters, about as large as the
            // page's; a plot's marks are not, a screenshot's text is smaller.
            let t = text_inside(comps, &Bounds::of(c), ch);
            t.lettered < TABLE_GLYPHS || t.lettered * 2 < t.glyphs || !t.body
        })
        .collect()
}

/// The glyph-size components whose centre lies inside a box.
pub(super) struct TextInside {
    /// How many.
    pub(super) glyphs: usize,
    /// How many of them are set as letters ([`lettered`]).
    pub(super) lettered: usize,
    /// Whether their median height is body size (at least [`TABLE_TEXT`]).
    pub(super) body: bool,
}

/// The text inside `b`: glyph-size components (0.3 to 2 character heights)
/// whose centre it holds.
pub(super) fn text_inside(comps: &[Component], b: &Bounds, ch: f64) -> TextInside {
    let mut inside: Vec<Bounds> = comps
        .iter()
        .filter(|g| (g.h as f64) >= 0.3 * ch && (g.h as f64) <= 2.0 * ch)
        .map(Bounds::of)
        .filter(|g| b.contains_center(g))
        .collect();
    let mut hs: Vec<u32> = inside.iter().map(|g| g.h()).collect();
    let body = !hs.is_empty() && {
        let mid = hs.len() / 2;
        *hs.select_nth_unstable(mid).1 as f64 >= TABLE_TEXT * ch
    };
    TextInside {
        glyphs: inside.len(),
        lettered: lettered(&mut inside),
        body,
    }
}

/// How many of `glyphs` have a neighbour set as letters are: on the same
/// row, at most a third of their height away (a table's text has them;
/// the marks of a plot, spaced by their own size, do not).
pub(super) fn lettered(glyphs: &mut [Bounds]) -> usize {
    glyphs.sort_by_key(|b| b.x0);
    let mut near = vec![false; glyphs.len()];
    for i in 0..glyphs.len() {
        let a = glyphs[i];
        for j in i + 1..glyphs.len() {
            let b = glyphs[j];
            let reach = a.h().max(b.h()) as f64 / 3.0;
            if b.x0 as f64 > a.x1 as f64 + reach {
                break;
            }
            let vov = a.y1.min(b.y1) as f64 - a.y0.max(b.y0) as f64;
            if vov >= 0.5 * a.h().min(b.h()) as f64 && b.x0 + 1 >= a.x1 {
                near[i] = true;
                near[j] = true;
            }
        }
    }
    near.iter().filter(|&&v| v).count()
}

/// A table's glyphs are at least this tall (× char height), as medians.
pub(super) const TABLE_TEXT: f64 = 0.75;
/// A tall component with at least this share of its ink on ruling lines...
pub(super) const TABLE_RULED: f64 = 0.9;
/// ... and at least this many glyphs inside set as letters (most of them)
/// is a table or a frame.
pub(super) const TABLE_GLYPHS: usize = 8;
