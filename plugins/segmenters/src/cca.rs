//! `cca`: connected components, classified into text and image parts, text
//! grouped into words.

use crate::common::{prep_params, region, Prep};
use workbench_api::{Config, Image, ParamSpec, PluginError, Region, RegionKind};
use workbench_vision::{
    components, label, otsu_split, ruling_lines, subtract, Binary, Component, Connectivity, Gray,
    Labeling,
};

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
    /// Take ruling lines (table grids, frames, rules) out before labelling.
    pub rules: bool,
    /// Text-like words inside a drawing stay words (its labels).
    pub figure_text: bool,
    /// Find continuous-tone images (photos, renderings) by their tones.
    pub photos: bool,
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
            0.35,
            0.0,
            3.0,
            "vertical gap (× glyph height) joining dots and accents",
        ),
        ParamSpec::float(
            "image_merge",
            3.0,
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
        ParamSpec::bool(
            "rules",
            true,
            "take ruling lines (table grids, frames, rules) out before labelling",
        ),
        ParamSpec::bool(
            "figure_text",
            true,
            "text-like words inside a drawing stay words (its labels)",
        ),
        ParamSpec::bool(
            "photos",
            true,
            "find continuous-tone images (photos, renderings) by their tones",
        ),
    ]);
    p
}

impl CcaParams {
    /// Reads the parameters; those the config lacks take their declared
    /// defaults.
    pub fn from_config(c: &Config) -> Result<CcaParams, PluginError> {
        let c = &c.with_defaults(&params());
        Ok(CcaParams {
            prep: Prep::from_config(c)?,
            speck: c.param("speck")?,
            image_height: c.param("image_height")?,
            gaps: c.param("gaps")?,
            word_gap: c.param("word_gap")?,
            dot_gap: c.param("dot_gap")?,
            image_merge: c.param("image_merge")?,
            min_image: c.param("min_image")?,
            rules: c.param("rules")?,
            figure_text: c.param("figure_text")?,
            photos: c.param("photos")?,
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

/// A box by its edges, `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug)]
struct Bounds {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl Bounds {
    fn of(c: &Component) -> Bounds {
        Bounds {
            x0: c.x,
            y0: c.y,
            x1: c.x + c.w,
            y1: c.y + c.h,
        }
    }
    fn join(self, o: Bounds) -> Bounds {
        Bounds {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }
    fn grow(self, m: u32) -> Bounds {
        Bounds {
            x0: self.x0.saturating_sub(m),
            y0: self.y0.saturating_sub(m),
            x1: self.x1 + m,
            y1: self.y1 + m,
        }
    }
    fn touches(&self, o: &Bounds) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    fn w(&self) -> u32 {
        self.x1 - self.x0
    }
    fn h(&self) -> u32 {
        self.y1 - self.y0
    }
    fn area(&self) -> u64 {
        self.w() as u64 * self.h() as u64
    }
    fn cx(&self) -> f64 {
        (self.x0 + self.x1) as f64 / 2.0
    }
    fn contains_center(&self, o: &Bounds) -> bool {
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
    let (gray, bin, otsu) = p.prep.run_gray(page);
    let (width, height) = (page.width as u32, page.height as u32);
    let info = |ch| PageInfo {
        gray: &gray,
        otsu,
        ch,
        width,
        height,
    };
    if !p.rules {
        let comps = components(&bin, Connectivity::Eight);
        let ch = char_height(&comps, height);
        let photos = photos(p, &gray, otsu, ch);
        return regions(p, &comps, &[], &photos, &info(ch));
    }
    let lab = label(&bin, Connectivity::Eight);
    let ch = char_height(&lab.components, height);
    let photos = photos(p, &gray, otsu, ch);
    // Ruling lines (table grids, frames, rules, underlines) come out
    // before the words are grouped, so the words in a table's cells are
    // free; the lines of a drawing (axes, boxes of a plot) stay in it.
    let min_len = (RULE_LENGTH * ch).max(8.0) as usize;
    let thick = ((RULE_THICKNESS * ch).round() as usize).max(2);
    let mut lines = ruling_lines(&bin, min_len, thick);
    let container = containers(p, &lab, ch);
    if lines.count() == 0 && !container.contains(&true) {
        return regions(p, &lab.components, &[], &photos, &info(ch));
    }
    let drawing = drawings(p, &lab, &lines, ch);
    for (v, &l) in lines.data.iter_mut().zip(&lab.labels) {
        if *v != 0 && l > 0 && drawing[l as usize - 1] && !container[l as usize - 1] {
            *v = 0;
        }
    }
    // Containers (a slide's block, a boxed note) go whole, lines or not.
    let mut removed = lines.clone();
    for (v, &l) in removed.data.iter_mut().zip(&lab.labels) {
        if l > 0 && container[l as usize - 1] {
            *v = 1;
        }
    }
    let rest = components(&subtract(&bin, &removed), Connectivity::Eight);
    let lines = components(&lines, Connectivity::Eight);
    regions(p, &rest, &lines, &photos, &info(ch))
}

/// Containers: tall components that frame text (a slide's block with its
/// title bar and shadow, a boxed note, a table's outline): almost none of
/// their own ink lies in their interior (their box less a fifth on each
/// side and a third at the top, where title bars are), and body-size text
/// set as letters lies inside.
fn containers(p: &CcaParams, lab: &Labeling, ch: f64) -> Vec<bool> {
    let comps = &lab.components;
    let tall = (p.image_height * ch) as u32;
    let glyph = |c: &Component| (c.h as f64) >= 0.3 * ch && (c.h as f64) <= 2.0 * ch;
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
            let b = Bounds::of(c);
            let mut inside: Vec<Bounds> = comps
                .iter()
                .filter(|g| glyph(g) && b.contains_center(&Bounds::of(g)))
                .map(Bounds::of)
                .collect();
            let mut hs: Vec<u32> = inside.iter().map(|g| g.h()).collect();
            if hs.is_empty() {
                return false;
            }
            let mid = hs.len() / 2;
            let body = *hs.select_nth_unstable(mid).1 as f64 >= TABLE_TEXT * ch;
            body && lettered(&mut inside) >= TABLE_GLYPHS
        })
        .collect()
}

/// A container's own ink covers less than this share of its interior.
const CONTAINER_INK: f64 = 0.02;

/// Photographs, renderings and other continuous-tone images, which a
/// global threshold breaks into blobs: large areas darker than the paper
/// that cover much of their box and vary in tone (a shaded or dark box
/// behind text is one flat tone, and stays text), and that do not run off
/// the page (as uneven light does). `t`: the page's Otsu threshold.
fn photos(p: &CcaParams, gray: &Gray, t: u8, ch: f64) -> Vec<Bounds> {
    if !p.photos {
        return Vec::new();
    }
    let mut hist = [0u64; 256];
    for &g in &gray.data {
        hist[g as usize] += 1;
    }
    // The paper: the median of the pixels lighter than the threshold.
    let light: u64 = hist[t as usize + 1..].iter().sum();
    let (mut acc, mut paper) = (0u64, 255u8);
    for (v, &c) in hist.iter().enumerate().skip(t as usize + 1) {
        acc += c;
        if acc * 2 >= light {
            paper = v as u8;
            break;
        }
    }
    let tone = paper.saturating_sub(PHOTO_TONE);
    if tone <= t {
        return Vec::new();
    }
    let mask = workbench_vision::threshold(gray, tone);
    let big = (p.image_height * ch) as u32;
    let w = gray.width;
    components(&mask, Connectivity::Eight)
        .iter()
        .filter(|c| c.w > big && c.h > big)
        .filter(|c| {
            let edges = [
                c.x == 0,
                c.y == 0,
                c.x + c.w >= gray.width as u32,
                c.y + c.h >= gray.height as u32,
            ];
            edges.iter().filter(|&&e| e).count() < 2
        })
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

/// Darker than the paper by this many gray levels is image tone...
const PHOTO_TONE: u8 = 24;
/// ... covering this share of the area's box...
const PHOTO_FILL: f64 = 0.5;
/// ... with at least this spread of its tones between ink and paper (a
/// standard deviation in gray levels).
const PHOTO_SPREAD: f64 = 8.0;

/// Which components are drawings whose ruling lines stay: tall ones,
/// except tables and frames (nearly all ruling lines, with text inside).
fn drawings(p: &CcaParams, lab: &Labeling, lines: &Binary, ch: f64) -> Vec<bool> {
    let comps = &lab.components;
    let mut on_line = vec![0u64; comps.len()];
    for (&v, &l) in lines.data.iter().zip(&lab.labels) {
        if v != 0 && l > 0 {
            on_line[l as usize - 1] += 1;
        }
    }
    let tall = (p.image_height * ch) as u32;
    let glyph = |c: &Component| (c.h as f64) >= 0.3 * ch && (c.h as f64) <= 2.0 * ch;
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
            let b = Bounds::of(c);
            let mut inside: Vec<Bounds> = comps
                .iter()
                .filter(|g| glyph(g) && b.contains_center(&Bounds::of(g)))
                .map(Bounds::of)
                .collect();
            let lettered = lettered(&mut inside);
            // A table's text is set about as large as the page's; a
            // screenshot's is smaller.
            let mut hs: Vec<u32> = inside.iter().map(|g| g.h()).collect();
            let mid = hs.len() / 2;
            let small = hs.is_empty() || (*hs.select_nth_unstable(mid).1 as f64) < TABLE_TEXT * ch;
            lettered < TABLE_GLYPHS || lettered * 2 < inside.len() || small
        })
        .collect()
}

/// How many of `glyphs` have a neighbour set as letters are: on the same
/// row, at most a third of their height away (a table's text has them;
/// the marks of a plot, spaced by their own size, do not).
fn lettered(glyphs: &mut [Bounds]) -> usize {
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
const TABLE_TEXT: f64 = 0.75;
/// A tall component with at least this share of its ink on ruling lines...
const TABLE_RULED: f64 = 0.9;
/// ... and at least this many glyphs inside set as letters (most of them)
/// is a table or a frame.
const TABLE_GLYPHS: usize = 8;

/// What grouping needs to know of the page besides its components.
struct PageInfo<'a> {
    /// The gray page.
    gray: &'a Gray,
    /// Its Otsu threshold.
    otsu: u8,
    /// Its character height.
    ch: f64,
    /// Columns.
    width: u32,
    /// Rows.
    height: u32,
}

/// Ruling lines are at least this long (× char height)...
const RULE_LENGTH: f64 = 3.0;
/// ... and at most this thick.
const RULE_THICKNESS: f64 = 0.25;

/// A figure being assembled: its box and the ink of its parts.
#[derive(Clone, Copy, Debug)]
struct Figure {
    b: Bounds,
    ink: u64,
}

/// Merges figures whose boxes come within `margin` of each other.
/// Parts closer than `near` always merge; parts up to `margin` apart merge
/// when they sit side by side or one above the other (their boxes overlap
/// over half the smaller one across the gap), as the panels of one figure
/// do, and a figure beside a column of text does not.
fn merge_figures(mut figs: Vec<Figure>, near: u32, margin: u32) -> Vec<Figure> {
    let aligned = |a: &Bounds, b: &Bounds| {
        let xov = a.x1.min(b.x1) as f64 - a.x0.max(b.x0) as f64;
        let yov = a.y1.min(b.y1) as f64 - a.y0.max(b.y0) as f64;
        xov >= 0.5 * a.w().min(b.w()) as f64 || yov >= 0.5 * a.h().min(b.h()) as f64
    };
    loop {
        let mut merged = false;
        let mut out: Vec<Figure> = Vec::with_capacity(figs.len());
        for f in figs {
            let joins = |o: &&mut Figure| {
                o.b.grow(near).touches(&f.b)
                    || (o.b.grow(margin).touches(&f.b) && aligned(&o.b, &f.b))
            };
            if let Some(o) = out.iter_mut().find(joins) {
                o.b = o.b.join(f.b);
                o.ink += f.ink;
                merged = true;
            } else {
                out.push(f);
            }
        }
        figs = out;
        if !merged {
            return figs;
        }
    }
}

/// The regions of a page from its components (`lines`: the ruling lines
/// taken out before labelling, if any) and its character height `ch`.
fn regions(
    p: &CcaParams,
    comps: &[Component],
    lines: &[Component],
    photos: &[Bounds],
    page: &PageInfo,
) -> Vec<Region> {
    let &PageInfo {
        gray,
        otsu: t,
        ch,
        width,
        height,
    } = page;
    let speck = ((p.speck * ch) as u32).max(1);
    let comps: Vec<&Component> = comps
        .iter()
        .filter(|c| c.w > speck || c.h > speck)
        .collect();

    // Figure parts: tall components; merged when close.
    let tall = (p.image_height * ch) as u32;
    let (img_parts, text): (Vec<&Component>, Vec<&Component>) =
        comps.iter().partition(|c| c.h > tall);
    let margin = (p.image_merge * ch).round() as u32;
    let near = ch.round() as u32;
    let mut figs = merge_figures(
        img_parts
            .iter()
            .map(|c| Figure {
                b: Bounds::of(c),
                ink: c.pixels,
            })
            .chain(photos.iter().map(|&b| Figure { b, ink: b.area() }))
            .collect(),
        near.min(margin),
        margin,
    );
    // Ruling lines that touch a figure are part of the drawing (axes,
    // boxes); the others (tables, rules, frames) are not figures.
    if !figs.is_empty() && !lines.is_empty() {
        let mut taken = vec![false; lines.len()];
        loop {
            let mut grew = false;
            for (l, t) in lines.iter().zip(taken.iter_mut()) {
                let b = Bounds::of(l);
                if *t {
                    continue;
                }
                if let Some(f) = figs.iter_mut().find(|f| f.b.grow(margin).touches(&b)) {
                    f.b = f.b.join(b);
                    f.ink += l.pixels;
                    *t = true;
                    grew = true;
                }
            }
            if !grew {
                break;
            }
            figs = merge_figures(figs, near.min(margin), margin);
        }
    }

    let words = group_words(p, &text, ch);
    // How dark each figure's box is on the page itself (the binary image
    // hollows out dark areas).
    for f in &mut figs {
        let b = f.b;
        let (x1, y1) = (b.x1.min(gray.width as u32), b.y1.min(gray.height as u32));
        let mut dark = 0u64;
        for y in b.y0..y1 {
            let row = &gray.data[y as usize * gray.width..];
            dark += row[b.x0 as usize..x1 as usize]
                .iter()
                .filter(|&&g| g <= t)
                .count() as u64;
        }
        f.ink = f.ink.max(dark);
    }

    // Words inside a figure: in a drawing (little ink over its box), the
    // ones that look like text are its labels and stay words; in a photo
    // or a dense figure everything belongs to the figure.
    // Words belong to a figure when they lie in it (or half a character
    // from its edge), not merely near it: captions stay words.
    let inside_margin = (0.5 * ch).round() as u32;
    let min_word = ((0.5 * ch) as u32).max(1);
    let max_label = (LABEL_HEIGHT * ch) as u32;
    let mut out = Vec::new();
    for w in words {
        let inside = figs
            .iter_mut()
            .find(|f| f.b.grow(inside_margin).contains_center(&w.b));
        if let Some(f) = inside {
            let density = f.ink as f64 / f.b.area().max(1) as f64;
            let label = p.figure_text
                && density < DRAWING_DENSITY
                && w.b.h() as f64 >= LABEL_MIN * ch
                && w.b.h() <= max_label
                && (w.glyphs >= 2 || w.b.h() as f64 >= 0.8 * ch);
            if !label {
                f.b = f.b.join(w.b);
                f.ink += w.ink;
                continue;
            }
        }
        if w.b.h() >= min_word {
            out.push(region(
                RegionKind::Word,
                w.b.x0,
                w.b.y0,
                w.b.x1.min(width),
                w.b.y1.min(height),
            ));
        }
    }
    let min_img = (p.min_image * ch) as u32;
    for f in figs {
        let b = f.b;
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

/// Words inside a drawing shorter than this (× char height) are not labels
/// (a screenshot's small print)...
const LABEL_MIN: f64 = 0.7;
/// ... nor those taller than this.
const LABEL_HEIGHT: f64 = 3.0;
/// A figure whose parts' ink covers less than this share of its box is a
/// drawing (strokes), whose text-like parts are labels.
const DRAWING_DENSITY: f64 = 0.25;

/// A word: its box, the glyphs (dot-merged columns) in it, its ink.
#[derive(Clone, Copy, Debug)]
struct Word {
    b: Bounds,
    glyphs: usize,
    ink: u64,
}

/// Groups text components into words: marks (dots, accents) join the glyph
/// they stack on; glyphs chain into lines by their nearest right neighbour
/// on the same line; each line decides its own word breaks
/// ([`line_breaks`]).
fn group_words(p: &CcaParams, text: &[&Component], ch: f64) -> Vec<Word> {
    let mut boxes: Vec<(Bounds, u64)> = text.iter().map(|c| (Bounds::of(c), c.pixels)).collect();
    boxes.sort_by_key(|(b, _)| b.x0);
    let n = boxes.len();
    // Marks onto their glyphs: horizontal overlap, a small vertical gap,
    // one much smaller than the other.
    let mut glyph = Sets::new(n);
    for i in 0..n {
        let a = boxes[i].0;
        for (j, &(b, _)) in boxes.iter().enumerate().skip(i + 1) {
            if b.x0 >= a.x1 {
                break;
            }
            let xov = a.x1.min(b.x1) as f64 - a.x0.max(b.x0) as f64;
            let (ha, hb) = (a.h() as f64, b.h() as f64);
            let (hmax, hmin) = (ha.max(hb), ha.min(hb));
            let (wa, wb) = (a.w() as f64, b.w() as f64);
            let vgap = a.y0.max(b.y0) as f64 - a.y1.min(b.y1) as f64;
            // The mark is the smaller one; above its glyph (i, j, accents)
            // within `dot_gap`, or just below it (!, ?) within less, so a
            // comma is never taken for a mark of the line above.
            let (mark, base) = if ha < hb { (a, b) } else { (b, a) };
            let reach = if mark.y1 <= base.y0 + 1 {
                p.dot_gap
            } else {
                0.6 * p.dot_gap
            };
            if xov >= 0.5 * wa.min(wb) && hmin < 0.6 * hmax && vgap <= reach * hmax {
                glyph.union(i, j);
            }
        }
    }
    let cols = join_marks(unite(&boxes, &mut glyph), ch);
    let n = cols.len();

    // Lines are chained from the glyphs of letter size (each one's
    // nearest right neighbour of similar height overlapping its rows);
    // small marks (periods, commas, hyphens, underscores, quotes) then
    // join the line whose rows they sit in.
    let core: Vec<bool> = cols
        .iter()
        .map(|(b, _)| b.h() as f64 >= CORE_HEIGHT * ch)
        .collect();
    let mut next: Vec<Option<(usize, f64)>> = vec![None; n];
    for i in (0..n).filter(|&i| core[i]) {
        let a = cols[i].0;
        let ha = a.h() as f64;
        let reach = a.x1 as f64 + LINE_REACH * ha.max(ch);
        let mut best: Option<(usize, f64)> = None;
        for (j, &(b, _)) in cols.iter().enumerate().skip(i + 1) {
            if b.x0 as f64 > reach {
                break;
            }
            if !core[j] || b.x0 <= a.x0 {
                continue;
            }
            let hb = b.h() as f64;
            let vov = a.y1.min(b.y1) as f64 - a.y0.max(b.y0) as f64;
            if vov < 0.5 * ha.min(hb) || ha.max(hb) > 3.0 * ha.min(hb) {
                continue;
            }
            let gap = b.x0 as f64 - a.x1 as f64;
            if best.is_none_or(|(_, g)| gap < g) {
                best = Some((j, gap));
            }
        }
        next[i] = best;
    }
    // Keep an edge only where it is also the neighbour's nearest left one,
    // so lines are chains.
    let mut prev: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        if let Some((j, g)) = next[i] {
            let better = prev[j].is_some_and(|k| next[k].is_some_and(|(_, gk)| gk <= g));
            if !better {
                prev[j] = Some(i);
            }
        }
    }
    let mut lines = Sets::new(n);
    for (j, p) in prev.iter().enumerate() {
        if let Some(i) = *p {
            lines.union(i, j);
        }
    }
    let mut members: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    for i in (0..n).filter(|&i| core[i]) {
        members.entry(lines.find(i)).or_default().push(i);
    }
    // A letter-size glyph alone on its "line" (a broken-off descender, a
    // bracket taller than its neighbours) is placed as marks are.
    // Units placed as marks are: the small glyphs, and "lines" of at most
    // two glyphs narrower than two character heights (a broken-off
    // descender, a quote's two ticks, a bracket taller than its
    // neighbours); a unit that fits no line stays on its own.
    let mut loose: Vec<Vec<usize>> = (0..n).filter(|&i| !core[i]).map(|i| vec![i]).collect();
    members.retain(|_, m| {
        let b = m.iter().fold(cols[m[0]].0, |b, &i| b.join(cols[i].0));
        if m.len() <= 2 && (b.w() as f64) < 2.0 * ch {
            loose.push(std::mem::take(m));
            false
        } else {
            true
        }
    });
    // Each line's rows and columns, for its marks.
    let mut bands: Vec<(usize, Bounds)> = members
        .iter()
        .map(|(&r, m)| (r, m.iter().fold(cols[m[0]].0, |b, &i| b.join(cols[i].0))))
        .collect();
    bands.sort_by_key(|(_, b)| b.x0);
    for unit in loose {
        let m = unit.iter().fold(cols[unit[0]].0, |b, &i| b.join(cols[i].0));
        let mut best: Option<(usize, f64)> = None;
        for &(r, band) in &bands {
            if band.x0 as f64 > m.x1 as f64 + LINE_REACH * band.h() as f64 {
                break;
            }
            let slack = MARK_SLACK * band.h() as f64;
            let within =
                m.y0 as f64 >= band.y0 as f64 - slack && m.y1 as f64 <= band.y1 as f64 + slack;
            let dx = if m.x0 >= band.x1 {
                (m.x0 - band.x1) as f64
            } else if m.x1 <= band.x0 {
                (band.x0 - m.x1) as f64
            } else {
                0.0
            };
            // Lines of code sit close: prefer the line the mark lies in
            // (rows first), then the nearest along the line.
            let vd =
                (band.y0 as f64 - m.y0 as f64).max(0.0) + (m.y1 as f64 - band.y1 as f64).max(0.0);
            let mid = ((m.y0 + m.y1) as f64 - (band.y0 + band.y1) as f64).abs() / 2.0;
            let score = dx + 4.0 * vd + 0.5 * mid;
            if within && dx <= LINE_REACH * band.h() as f64 && best.is_none_or(|(_, d)| score < d) {
                best = Some((r, score));
            }
        }
        let r = best.map_or(unit[0], |(r, _)| r);
        members.entry(r).or_default().extend(unit);
    }

    // Per line: the edges with their gaps in the line's unit.
    let mut chains: Vec<Chain> = Vec::with_capacity(members.len());
    for (_, mut m) in members {
        m.sort_by_key(|&i| cols[i].0.x0);
        let mut hs: Vec<u32> = m.iter().map(|&i| cols[i].0.h()).collect();
        let mid = hs.len() / 2;
        let unit = (*hs.select_nth_unstable(mid).1 as f64)
            .max(0.6 * ch)
            .max(1.0);
        let edges = m
            .windows(2)
            .map(|w| {
                let (a, b) = (cols[w[0]].0, cols[w[1]].0);
                Edge {
                    gap: (b.x0 as f64 - a.x1 as f64) / unit,
                    pitch: (b.cx() - a.cx()) / unit,
                }
            })
            .collect();
        chains.push(Chain { glyphs: m, edges });
    }
    let page_gap = match p.gaps.as_str() {
        "fixed" => p.word_gap,
        _ => page_word_gap(&chains, p.word_gap),
    };
    let mut words = Sets::new(n);
    for c in &chains {
        for (k, brk) in line_breaks(&c.edges, page_gap).into_iter().enumerate() {
            if !brk {
                words.union(c.glyphs[k], c.glyphs[k + 1]);
            }
        }
    }
    let mut out: Vec<Option<Word>> = vec![None; n];
    for (i, &(b, ink)) in cols.iter().enumerate() {
        let r = words.find(i);
        out[r] = Some(match out[r] {
            None => Word { b, glyphs: 1, ink },
            Some(w) => Word {
                b: w.b.join(b),
                glyphs: w.glyphs + 1,
                ink: w.ink + ink,
            },
        });
    }
    out.into_iter().flatten().collect()
}

/// Small marks that make one character together (the bars of `=`, the
/// dots of `:`, the ticks of `"`) joined into one: stacked with a gap of at
/// most half a character height, or side by side at most a fifth apart.
/// `cols` is sorted by `x0`, and so is the result.
fn join_marks(cols: Vec<(Bounds, u64)>, ch: f64) -> Vec<(Bounds, u64)> {
    let small = |b: &Bounds| (b.h() as f64) < CORE_HEIGHT * ch && (b.w() as f64) < 1.5 * ch;
    let n = cols.len();
    let mut sets = Sets::new(n);
    for i in 0..n {
        let a = cols[i].0;
        if !small(&a) {
            continue;
        }
        for (j, (b, _)) in cols.iter().enumerate().skip(i + 1) {
            if b.x0 as f64 > a.x1 as f64 + 0.2 * ch {
                break;
            }
            if !small(b) {
                continue;
            }
            let xov = a.x1.min(b.x1) as f64 - a.x0.max(b.x0) as f64;
            let yov = a.y1.min(b.y1) as f64 - a.y0.max(b.y0) as f64;
            let stacked = xov >= 0.5 * a.w().min(b.w()) as f64 && -yov <= 0.5 * ch;
            let paired = yov >= 0.5 * a.h().min(b.h()) as f64 && -xov <= 0.2 * ch;
            if stacked || paired {
                sets.union(i, j);
            }
        }
    }
    unite(&cols, &mut sets)
}

/// The boxes of `items` united set by set, their ink summed, sorted by
/// `(x0, y0)`.
fn unite(items: &[(Bounds, u64)], sets: &mut Sets) -> Vec<(Bounds, u64)> {
    let mut out: Vec<Option<(Bounds, u64)>> = vec![None; items.len()];
    for (i, &(b, ink)) in items.iter().enumerate() {
        let r = sets.find(i);
        out[r] = Some(match out[r] {
            None => (b, ink),
            Some((c, k)) => (c.join(b), k + ink),
        });
    }
    let mut out: Vec<(Bounds, u64)> = out.into_iter().flatten().collect();
    out.sort_by_key(|(b, _)| (b.x0, b.y0));
    out
}

/// Glyphs chain to a right neighbour at most this far (× their height).
const LINE_REACH: f64 = 5.0;
/// Glyphs at least this tall (× char height) make lines; smaller ones are
/// marks that join a line.
const CORE_HEIGHT: f64 = 0.75;
/// A mark joins a line when it lies within its rows, give or take this
/// share of the line's height (underscores, commas below the baseline).
const MARK_SLACK: f64 = 0.3;

/// One line: its glyphs left to right and the edges between them.
struct Chain {
    glyphs: Vec<usize>,
    edges: Vec<Edge>,
}

/// Between two neighbours on a line, in the line's unit (its median glyph
/// height): the gap between their boxes and the distance of their centres.
#[derive(Clone, Copy, Debug)]
struct Edge {
    gap: f64,
    pitch: f64,
}

/// The page's word gap (in line units): the valley of the histogram of
/// every line's gaps (64 bins over 0..3), within 0.2..1.5; `fallback`
/// with fewer than [`MIN_GAPS`] gaps.
fn page_word_gap(chains: &[Chain], fallback: f64) -> f64 {
    const BINS: usize = 64;
    const TOP: f64 = 3.0;
    let mut hist = [0u64; BINS];
    let mut count = 0;
    for e in chains.iter().flat_map(|c| &c.edges) {
        if (0.0..TOP).contains(&e.gap) {
            hist[(e.gap / TOP * BINS as f64) as usize] += 1;
            count += 1;
        }
    }
    if count < MIN_GAPS {
        return fallback;
    }
    let t = valley_bin(&hist);
    ((t as f64 + 0.5) / BINS as f64 * TOP).clamp(0.2, 1.5)
}

/// Which edges of a line are word breaks. A line set in a fixed pitch
/// (code: glyph centres on a grid, punctuation included) breaks where a
/// cell is skipped; other lines break where the gap exceeds the page's
/// word gap, or the line's own valley when its gaps split clearly in two.
fn line_breaks(edges: &[Edge], page_gap: f64) -> Vec<bool> {
    if let Some(pitch) = fixed_pitch(edges, page_gap) {
        return edges.iter().map(|e| e.pitch >= 1.5 * pitch).collect();
    }
    let t = line_gap(edges, page_gap).unwrap_or(page_gap);
    edges.iter().map(|e| e.gap > t).collect()
}

/// The pitch of a line whose glyph centres sit on a grid: at least six
/// edges, and eight in ten centre distances within 12% of a whole number
/// of cells (pieces less than half a cell apart left out), the cell being
/// the median distance inside words.
fn fixed_pitch(edges: &[Edge], page_gap: f64) -> Option<f64> {
    if edges.len() < 6 {
        return None;
    }
    let mut inner: Vec<f64> = edges
        .iter()
        .filter(|e| e.gap <= page_gap)
        .map(|e| e.pitch)
        .collect();
    if inner.len() < 5 {
        return None;
    }
    inner.sort_by(f64::total_cmp);
    let pitch = inner[inner.len() / 2];
    if pitch <= 0.1 {
        return None;
    }
    // Pieces sharing a cell (less than half a cell apart) say nothing.
    let spaced: Vec<f64> = edges
        .iter()
        .map(|e| e.pitch / pitch)
        .filter(|&r| r >= 0.5)
        .collect();
    let on_grid = spaced
        .iter()
        .filter(|&&r| (r - r.round()).abs() <= 0.12)
        .count();
    // Inside words every step is one cell (proportional letters, from `i`
    // to `m`, are not).
    let one_cell = inner
        .iter()
        .filter(|&&d| (d / pitch - 1.0).abs() <= 0.1)
        .count();
    (spaced.len() >= 6 && on_grid * 10 >= spaced.len() * 8 && one_cell * 10 >= inner.len() * 8)
        .then_some(pitch)
}

/// A line's own word gap when its gaps fall clearly into two groups:
/// Otsu's split of the line's gaps, kept when the wider group's mean is at
/// least three times the narrower's and the split lies within
/// 0.35..1.6 of the page's gap.
fn line_gap(edges: &[Edge], page_gap: f64) -> Option<f64> {
    if edges.len() < 8 {
        return None;
    }
    let mut g: Vec<f64> = edges.iter().map(|e| e.gap.max(0.0)).collect();
    g.sort_by(f64::total_cmp);
    let n = g.len();
    let total: f64 = g.iter().sum();
    let (mut below, mut best) = (0.0, None::<(f64, usize)>);
    for k in 1..n {
        below += g[k - 1];
        if g[k] <= g[k - 1] {
            continue;
        }
        let (w0, w1) = (k as f64, (n - k) as f64);
        let (m0, m1) = (below / w0, (total - below) / w1);
        let between = w0 * w1 * (m1 - m0) * (m1 - m0);
        if best.is_none_or(|(b, _)| between > b) {
            best = Some((between, k));
        }
    }
    let (_, k) = best?;
    let m0 = g[..k].iter().sum::<f64>() / k as f64;
    let m1 = g[k..].iter().sum::<f64>() / (n - k) as f64;
    let t = (g[k - 1] + g[k]) / 2.0;
    (m1 >= 3.0 * m0.max(0.05) && (0.35 * page_gap..=1.6 * page_gap).contains(&t)).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Edges of a line of 3-glyph words: glyphs 0.8 units wide, `inside`
    /// units apart within words, `between` between them.
    fn line(words: usize, inside: f64, between: f64) -> Vec<Edge> {
        let mut out = Vec::new();
        for w in 0..words {
            for g in 0..3 {
                if w + 1 == words && g == 2 {
                    break;
                }
                let gap = if g < 2 { inside } else { between };
                out.push(Edge {
                    gap,
                    pitch: 0.8 + gap,
                });
            }
        }
        out
    }

    fn chain(edges: Vec<Edge>) -> Chain {
        Chain {
            glyphs: (0..=edges.len()).collect(),
            edges,
        }
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
    fn the_page_word_gap_is_learnt_between_inner_and_outer_gaps() {
        let g = page_word_gap(&[chain(line(20, 0.1, 0.6))], 0.5);
        assert!(g > 0.1 && g < 0.6, "{g}");
        // Broken glyphs (inner gaps 0.6) and wide spacing (1.4).
        let g = page_word_gap(&[chain(line(20, 0.6, 1.4))], 0.5);
        assert!(g > 0.6 && g < 1.4, "{g}");
        // Too few gaps: the fallback.
        assert_eq!(page_word_gap(&[chain(line(3, 0.1, 0.6))], 0.5), 0.5);
    }

    #[test]
    fn a_monospace_line_breaks_at_skipped_cells_not_at_punctuation() {
        // `manpage.xml.ex foo`: cells of 0.6; the period's box is narrow,
        // so its gaps are wide, but its centre sits on the grid.
        let mut e = Vec::new();
        let word = "manpage.xml.ex";
        let chars: Vec<char> = word.chars().collect();
        for k in 0..chars.len() - 1 {
            let narrow = chars[k] == '.' || chars[k + 1] == '.';
            e.push(Edge {
                gap: if narrow { 0.45 } else { 0.1 },
                pitch: 0.6,
            });
        }
        e.push(Edge {
            gap: 0.7,
            pitch: 1.2,
        });
        e.extend(
            [Edge {
                gap: 0.1,
                pitch: 0.6,
            }; 2],
        );
        assert!(fixed_pitch(&e, 0.3).is_some());
        let breaks = line_breaks(&e, 0.3);
        assert_eq!(breaks.iter().filter(|&&b| b).count(), 1);
        assert!(breaks[chars.len() - 1]);
        // The same gaps with proportional centres break at the periods.
        let prop: Vec<Edge> = e
            .iter()
            .enumerate()
            .map(|(i, x)| Edge {
                pitch: x.pitch * (1.0 + 0.3 * ((i % 3) as f64)),
                ..*x
            })
            .collect();
        assert!(fixed_pitch(&prop, 0.3).is_none());
        assert!(line_breaks(&prop, 0.3).iter().filter(|&&b| b).count() > 1);
    }

    #[test]
    fn a_tight_line_finds_its_own_gap() {
        // Justified tight serif: word gaps 0.28, letter gaps up to 0.1; the
        // page's gap (0.4, from looser lines) would merge every word.
        let e = line(6, 0.08, 0.28);
        let t = line_gap(&e, 0.4).expect("a clear split");
        assert!(t > 0.08 && t < 0.28, "{t}");
        let b = line_breaks(&e, 0.4);
        assert_eq!(b.iter().filter(|&&x| x).count(), 5);
        // No clear split: the page's gap decides.
        let flat: Vec<Edge> = (0..10)
            .map(|i| Edge {
                gap: 0.1 + 0.02 * i as f64,
                pitch: 1.0,
            })
            .collect();
        assert_eq!(line_gap(&flat, 0.4), None);
    }
}
