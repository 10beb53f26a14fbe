//! `cca`: connected components, classified into text and image parts, text
//! grouped into words.

use crate::common::{prep_params, region, Prep};
use workbench_api::{Config, Image, ParamSpec, PluginError, Region, RegionKind};
use workbench_vision::{components, Component, Connectivity};

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
        ParamSpec::float(
            "word_gap",
            0.5,
            0.05,
            5.0,
            "gap (× glyph height) below which glyphs join a word",
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
    let reach = (p.word_gap * max_h).ceil() as u32 + 1;
    let mut sets = Sets::new(n);
    for i in 0..n {
        let a = text_boxes[i].0;
        let ha = (a.y1 - a.y0) as f64;
        for j in i + 1..n {
            let b = text_boxes[j].0;
            if b.x0 > a.x1 + reach {
                break;
            }
            let hb = (b.y1 - b.y0) as f64;
            let (hmax, hmin) = (ha.max(hb), ha.min(hb));
            // Negative when they overlap horizontally.
            let hgap = b.x0 as f64 - a.x1 as f64;
            let vov = a.y1.min(b.y1) as f64 - a.y0.max(b.y0) as f64;
            let linked = if vov >= 0.3 * hmin {
                hgap <= p.word_gap * hmax
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
    for i in 0..n {
        let r = sets.find(i);
        let b = text_boxes[i].0;
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
