//! `cca`: connected components, classified into text and image parts, text
//! grouped into words.

use crate::common::{prep_params, region, Prep};
use workbench_api::{Config, Image, ParamSpec, PluginError, Region, RegionKind};
use workbench_vision::{components, otsu_split, Component, Connectivity};

/// Parameters of `cca` (all relative to the page's typical character
/// height, so they hold across resolutions).
#[derive(Clone, Debug, PartialEq)]
pub struct CcaParams {
    /// Preprocessing.
    pub prep: Prep,
    /// Components no larger than this × char height on both sides are specks.
    pub speck: f64,
    /// Components taller than this × char height are image parts.
    pub image_height: f64,
    /// `adaptive`: the page's word gap is learnt from its gap distribution
    /// (`word_gap` is the fallback on pages with too few gaps); `fixed`:
    /// always `word_gap`.
    pub gaps: String,
    /// Neighbours closer than this × their height join one word.
    pub word_gap: f64,
    /// A small mark (i-dot, accent) joins the glyph below/above within this × its height.
    pub dot_gap: f64,
    /// Image parts closer than this × char height merge into one region.
    pub image_merge: f64,
    /// Image regions smaller than this × char height on both sides are dropped.
    pub min_image: f64,
}

/// The parameters `cca` declares.
pub fn params() -> Vec<ParamSpec> {
    let mut p = prep_params();
    p.extend([
        ParamSpec::float(
            "speck",
            0.15,
            0.0,
            2.0,
            "components this small (× char height) are noise",
        ),
        ParamSpec::float(
            "image_height",
            4.0,
            1.2,
            50.0,
            "components taller than this (× char height) are image parts",
        ),
        ParamSpec::choice(
            "gaps",
            "adaptive",
            &["adaptive", "fixed"],
            "word gap from the page's gap distribution (adaptive) or always word_gap (fixed)",
        ),
        ParamSpec::float(
            "word_gap",
            0.5,
            0.05,
            5.0,
            "gap (× glyph height) below which glyphs join a word (fixed, or adaptive's fallback)",
        ),
        ParamSpec::float(
            "dot_gap",
            0.5,
            0.0,
            3.0,
            "vertical gap (× glyph height) joining dots and accents",
        ),
        ParamSpec::float(
            "image_merge",
            1.0,
            0.0,
            20.0,
            "distance (× char height) merging image parts",
        ),
        ParamSpec::float(
            "min_image",
            2.0,
            0.0,
            100.0,
            "smallest image region side (× char height)",
        ),
    ]);
    p
}

impl CcaParams {
    /// Reads the parameters (defaults where missing).
    pub fn from_config(c: &Config) -> Result<CcaParams, PluginError> {
        Ok(CcaParams {
            prep: Prep::from_config(c)?,
            speck: c.param_or("speck", 0.15)?,
            image_height: c.param_or("image_height", 4.0)?,
            gaps: c.param_or("gaps", "adaptive".to_string())?,
            word_gap: c.param_or("word_gap", 0.5)?,
            dot_gap: c.param_or("dot_gap", 0.5)?,
            image_merge: c.param_or("image_merge", 1.0)?,
            min_image: c.param_or("min_image", 2.0)?,
        })
    }
}

/// The segmenter as a plain value (for benchmarks and tests).
pub struct Cca(pub CcaParams);

/// Union-find with path halving.
pub(crate) struct Sets(Vec<usize>);

impl Sets {
    pub(crate) fn new(n: usize) -> Sets {
        Sets((0..n).collect())
    }
    pub(crate) fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct B {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl B {
    fn of(c: &Component) -> B {
        B {
            x0: c.x,
            y0: c.y,
            x1: c.x + c.w,
            y1: c.y + c.h,
        }
    }
    fn join(self, o: B) -> B {
        B {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }
    fn grow(self, m: u32) -> B {
        B {
            x0: self.x0.saturating_sub(m),
            y0: self.y0.saturating_sub(m),
            x1: self.x1 + m,
            y1: self.y1 + m,
        }
    }
    fn touches(&self, o: &B) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    fn contains_center(&self, o: &B) -> bool {
        let (cx, cy) = ((o.x0 + o.x1) / 2, (o.y0 + o.y1) / 2);
        cx >= self.x0 && cx < self.x1 && cy >= self.y0 && cy < self.y1
    }
}

/// The median height of text-like components (the page's character height).
pub fn char_height(comps: &[Component], page_h: u32) -> f64 {
    let mut hs: Vec<u32> = comps
        .iter()
        .filter(|c| c.h >= 4 && c.pixels >= 8 && c.h <= page_h / 15 && c.w <= c.h * 4)
        .map(|c| c.h)
        .collect();
    if hs.is_empty() {
        return 10.0;
    }
    let mid = hs.len() / 2;
    *hs.select_nth_unstable(mid).1 as f64
}

/// Fewest same-line gaps a page needs before its word gap is learnt from them.
const MIN_GAPS: usize = 30;

/// The page's word gap (× glyph height): every text box's gap to its
/// nearest right neighbour on the same line, divided by the taller of the
/// two, splits into gaps inside words and gaps between them; the threshold
/// is Otsu's on those ratios (64 bins over 0..3), kept within 0.3..1.5.
/// Pages with fewer than [`MIN_GAPS`] such gaps use `fallback`.
/// `boxes` must be sorted by `x0`.
fn adaptive_word_gap<T>(boxes: &[(B, T)], ch: f64, fallback: f64) -> f64 {
    const BINS: usize = 64;
    const TOP: f64 = 3.0;
    let mut hist = [0u64; BINS];
    let mut count = 0;
    for (i, (a, _)) in boxes.iter().enumerate() {
        let ha = (a.y1 - a.y0) as f64;
        let mut best: Option<f64> = None;
        for (b, _) in &boxes[i + 1..] {
            let hb = (b.y1 - b.y0) as f64;
            let hmax = ha.max(hb);
            if b.x0 as f64 > a.x1 as f64 + TOP * hmax.max(1.0) {
                break;
            }
            let vov = a.y1.min(b.y1) as f64 - a.y0.max(b.y0) as f64;
            if b.x0 < a.x1 || vov < 0.5 * ha.min(hb) {
                continue;
            }
            let r = (b.x0 - a.x1) as f64 / gap_unit(ha, hb, ch);
            best = Some(best.map_or(r, |x: f64| x.min(r)));
        }
        if let Some(r) = best.filter(|&r| r < TOP) {
            hist[(r / TOP * BINS as f64) as usize] += 1;
            count += 1;
        }
    }
    if count < MIN_GAPS {
        return fallback;
    }
    let t = valley_bin(&hist);
    ((t as f64 + 0.5) / BINS as f64 * TOP).clamp(0.3, 1.5)
}

/// What a gap between two glyphs of heights `ha` and `hb` is measured in:
/// the smaller height (an x-height beside an ascender measures the line's
/// type, not the taller glyph), never below the page's character height
/// `ch` (so a period's gap is not measured in its own tiny height).
fn gap_unit(ha: f64, hb: f64, ch: f64) -> f64 {
    ha.min(hb).max(ch).max(1.0)
}

/// The valley of a two-mode histogram: Otsu's threshold splits it into two
/// classes, and the valley is the bin between the two class means with the
/// fewest counts over it and its neighbours (the leftmost of ties), since
/// the optimum of Otsu's criterion sits between the means, not where the
/// modes' tails meet. Returns a bin index (the threshold is its centre).
fn valley_bin(hist: &[u64]) -> usize {
    let n = hist.len();
    let Some(last) = otsu_split(hist) else {
        return 1;
    };
    let split = last + 1;
    let mass = |r: std::ops::Range<usize>| -> (f64, f64) {
        let w: f64 = hist[r.clone()].iter().map(|&h| h as f64).sum();
        let m: f64 = r.clone().map(|i| i as f64 * hist[i] as f64).sum();
        (w, m)
    };
    // Otsu's split leaves both classes non-empty.
    let ((w0, m0), (w1, m1)) = (mass(0..split), mass(split..n));
    let (lo, hi) = ((m0 / w0).ceil() as usize, (m1 / w1).floor() as usize);
    let around = |i: usize| {
        hist[i.saturating_sub(1)..(i + 2).min(n)]
            .iter()
            .sum::<u64>()
    };
    (lo..=hi.max(lo))
        .min_by_key(|&i| (around(i), i))
        .unwrap_or(split)
}

/// Segments one page.
pub fn segment(p: &CcaParams, page: &Image) -> Vec<Region> {
    let bin = p.prep.run(page);
    let comps = components(&bin, Connectivity::Eight);
    segment_components(p, &comps, page.width as u32, page.height as u32)
}

/// Classifies and groups labelled components into regions.
pub fn segment_components(
    p: &CcaParams,
    comps: &[Component],
    width: u32,
    height: u32,
) -> Vec<Region> {
    let ch = char_height(comps, height);
    let speck = ((p.speck * ch) as u32).max(1);
    let comps: Vec<&Component> = comps
        .iter()
        .filter(|c| c.w > speck || c.h > speck)
        .collect();

    // Image parts: tall components; merged when close.
    let tall = (p.image_height * ch) as u32;
    let (img_parts, text): (Vec<&Component>, Vec<&Component>) =
        comps.iter().partition(|c| c.h > tall);
    let margin = (p.image_merge * ch).round() as u32;
    let mut images: Vec<B> = img_parts.iter().map(|c| B::of(c)).collect();
    loop {
        let mut merged = false;
        let mut out: Vec<B> = Vec::with_capacity(images.len());
        for b in images {
            if let Some(o) = out.iter_mut().find(|o| o.grow(margin).touches(&b)) {
                *o = o.join(b);
                merged = true;
            } else {
                out.push(b);
            }
        }
        images = out;
        if !merged {
            break;
        }
    }
    // Fragments inside an image region belong to it.
    let mut text_boxes: Vec<(B, &Component)> = Vec::with_capacity(text.len());
    for c in text {
        let b = B::of(c);
        if let Some(img) = images
            .iter_mut()
            .find(|i| i.grow(margin).contains_center(&b))
        {
            *img = img.join(b);
        } else {
            text_boxes.push((b, c));
        }
    }

    // Words: link neighbours on a line, and dots to their glyphs.
    text_boxes.sort_by_key(|(b, _)| b.x0);
    let n = text_boxes.len();
    let max_h = text_boxes
        .iter()
        .map(|(b, _)| b.y1 - b.y0)
        .max()
        .unwrap_or(0) as f64;
    let word_gap = match p.gaps.as_str() {
        "fixed" => p.word_gap,
        _ => adaptive_word_gap(&text_boxes, ch, p.word_gap),
    };
    let reach = (word_gap * max_h).ceil() as u32 + 1;
    let mut sets = Sets::new(n);
    for i in 0..n {
        let a = text_boxes[i].0;
        let ha = (a.y1 - a.y0) as f64;
        for (j, &(b, _)) in text_boxes.iter().enumerate().skip(i + 1) {
            if b.x0 > a.x1 + reach {
                break;
            }
            let hb = (b.y1 - b.y0) as f64;
            let (hmax, hmin) = (ha.max(hb), ha.min(hb));
            // Negative when they overlap horizontally.
            let hgap = b.x0 as f64 - a.x1 as f64;
            let vov = a.y1.min(b.y1) as f64 - a.y0.max(b.y0) as f64;
            let linked = if vov >= 0.3 * hmin {
                hgap <= word_gap * gap_unit(ha, hb, ch)
            } else if hgap < 0.0 && hmin < 0.45 * hmax {
                -vov <= p.dot_gap * hmax
            } else {
                false
            };
            if linked {
                sets.union(i, j);
            }
        }
    }
    let mut words: Vec<Option<B>> = vec![None; n];
    for (i, &(b, _)) in text_boxes.iter().enumerate() {
        let r = sets.find(i);
        words[r] = Some(words[r].map_or(b, |w| w.join(b)));
    }

    let min_word = (0.5 * ch) as u32;
    let min_img = (p.min_image * ch) as u32;
    let mut out = Vec::new();
    for w in words.into_iter().flatten() {
        if w.y1 - w.y0 >= min_word.max(1) {
            out.push(region(
                RegionKind::Word,
                w.x0,
                w.y0,
                w.x1.min(width),
                w.y1.min(height),
            ));
        }
    }
    for b in images {
        if b.x1 - b.x0 >= min_img || b.y1 - b.y0 >= min_img {
            out.push(region(
                RegionKind::Image,
                b.x0,
                b.y0,
                b.x1.min(width),
                b.y1.min(height),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x0: u32, x1: u32, h: u32) -> (B, ()) {
        (
            B {
                x0,
                y0: 20 - h,
                x1,
                y1: 20,
            },
            (),
        )
    }

    /// A line of 3-glyph words: glyphs 8 px wide, `inside` px apart, words
    /// `between` px apart, all 10 px tall.
    fn line(words: usize, inside: u32, between: u32) -> Vec<(B, ())> {
        let mut out = Vec::new();
        let mut x = 0;
        for _ in 0..words {
            for g in 0..3 {
                out.push(b(x, x + 8, 10));
                x += 8 + if g < 2 { inside } else { between };
            }
        }
        out
    }

    #[test]
    fn the_valley_lies_between_the_modes_not_at_otsus_split() {
        // A narrow mode at 2..4 and a wide one over 10..30: Otsu would split
        // near the middle of the means; the valley is where no gap falls.
        let mut h = [0u64; 32];
        h[2] = 50;
        h[3] = 80;
        h[4] = 20;
        h[11..30].fill(10);
        let v = valley_bin(&h);
        assert!((6..=10).contains(&v), "valley at {v}");
        assert_eq!(valley_bin(&[0, 5, 0, 0, 0, 0, 5, 0]), 3);
    }

    #[test]
    fn the_word_gap_is_learnt_between_inner_and_outer_gaps() {
        // Inner gaps 2 px (0.2 × height), outer 8 px (0.8): the learnt gap
        // separates them; the fixed default 0.5 would too, but a page with
        // inner gaps of 6 px (broken glyphs, 0.6) and outer gaps of 14 px
        // needs more than 0.5.
        let g = adaptive_word_gap(&line(20, 2, 8), 10.0, 0.5);
        assert!(g > 0.2 && g < 0.8, "{g}");
        let g = adaptive_word_gap(&line(20, 6, 14), 10.0, 0.5);
        assert!(g > 0.6 && g < 1.4, "{g}");
        // Too few gaps: the fallback.
        assert_eq!(adaptive_word_gap(&line(3, 2, 8), 10.0, 0.5), 0.5);
    }

    #[test]
    fn a_period_gap_is_measured_in_character_heights() {
        assert_eq!(gap_unit(2.0, 10.0, 8.0), 8.0);
        assert_eq!(gap_unit(12.0, 16.0, 8.0), 12.0);
        assert_eq!(gap_unit(0.0, 0.0, 0.0), 1.0);
    }
}
