//! `cca`: connected components, classified into text and figure parts,
//! text grouped into words.
//!
//! [`segment`] binarizes (light text on dark ground handled by `Prep`),
//! takes ruling lines and containers out ([`figures`]), finds figures (tall
//! parts, continuous-tone areas, screenshots, a drawing's lines; a lone
//! large glyph is a word) and groups the rest into
//! words ([`words`]); the boxes are [`geometry`]'s.

mod figures;
mod geometry;
mod words;

use crate::common::{prep_params, region, Prep};
use figures::{containers, drawings, photos, screens};
use geometry::Bounds;
use words::group_words;
use workbench_api::{Config, Image, ParamSpec, PluginError, Region, RegionKind};
use workbench_vision::{
    components, label, ruling_lines, subtract, Binary, Component, Connectivity, Gray,
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
    /// Image regions whose longer side is below this × char height are dropped.
    pub min_image: f64,
    /// Take ruling lines (table grids, frames, rules) out before labelling.
    pub rules: bool,
    /// Text-like words inside a drawing stay words (its labels).
    pub figure_text: bool,
    /// Find continuous-tone images (photos, renderings) by their tones.
    pub photos: bool,
    /// Find screenshots on a light ground by the variety of their light tones.
    pub screens: bool,
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
            "an image region's longer side is at least this (× char height)",
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
        ParamSpec::bool(
            "screens",
            true,
            "find screenshots on a light ground by the variety of their light tones",
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
            screens: c.param("screens")?,
        })
    }
}

/// The segmenter as a plain value (for benchmarks and tests).
pub struct Cca(pub CcaParams);

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
        let toned = images(p, &gray, &bin, otsu, ch);
        return regions(p, &comps, &[], &toned, &info(ch));
    }
    let lab = label(&bin, Connectivity::Eight);
    let ch = char_height(&lab.components, height);
    let toned = images(p, &gray, &bin, otsu, ch);
    // Ruling lines (table grids, frames, rules, underlines) come out
    // before the words are grouped, so the words in a table's cells are
    // free; the lines of a drawing (axes, boxes of a plot) stay in it.
    let min_len = (RULE_LENGTH * ch).max(8.0) as usize;
    let thick = ((RULE_THICKNESS * ch).round() as usize).max(2);
    let mut lines = ruling_lines(&bin, min_len, thick);
    let container = containers(p, &lab, ch);
    if lines.count() == 0 && !container.contains(&true) {
        return regions(p, &lab.components, &[], &toned, &info(ch));
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
    regions(p, &rest, &lines, &toned, &info(ch))
}

/// The images found by their tones rather than their ink: photos and
/// screenshots. Their whole box counts as ink, so the words inside them
/// (a screenshot's menus and text) are theirs, not the page's.
fn images(p: &CcaParams, gray: &Gray, bin: &Binary, otsu: u8, ch: f64) -> Vec<Figure> {
    photos(p, gray, otsu, ch)
        .into_iter()
        .chain(screens(p, gray, bin, otsu, ch))
        .map(|b| Figure {
            b,
            ink: b.area(),
            parts: 1,
        })
        .collect()
}

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

/// A figure being assembled: its box, the ink of its parts and how many
/// parts (components, images, lines, words) it has taken in.
#[derive(Clone, Copy, Debug)]
struct Figure {
    b: Bounds,
    ink: u64,
    parts: u32,
}

impl Figure {
    /// Takes in another part: its box and its ink.
    fn take(&mut self, o: Figure) {
        self.b = self.b.join(o.b);
        self.ink += o.ink;
        self.parts += o.parts;
    }
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
                o.take(f);
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
/// taken out before labelling, if any; `toned`: the images found by their
/// tones) and its character height `ch`.
fn regions(
    p: &CcaParams,
    comps: &[Component],
    lines: &[Component],
    toned: &[Figure],
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
                parts: 1,
            })
            .chain(toned.iter().copied())
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
                    f.take(Figure {
                        b,
                        ink: l.pixels,
                        parts: 1,
                    });
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
    let mut texty: Vec<Bounds> = Vec::new();
    let mut flat: Vec<Bounds> = Vec::new();
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
                f.take(Figure {
                    b: w.b,
                    ink: w.ink,
                    parts: 1,
                });
                continue;
            }
        }
        if w.b.h() >= min_word {
            texty.push(w.b);
        } else if w.b.w() as f64 >= DASH_WIDTH * ch {
            flat.push(w.b);
        }
    }
    // Flat words are dashes and ellipses (`—`, `...`) when a word of text
    // height stands beside them on their line; the dashes of a drawing's
    // dashed line stand beside each other only.
    let reach = (DASH_REACH * ch).round() as u32;
    let beside = |b: &Bounds| {
        let cy = (b.y0 + b.y1) / 2;
        texty
            .iter()
            .any(|t| (t.y0..=t.y1).contains(&cy) && t.x0 <= b.x1 + reach && b.x0 <= t.x1 + reach)
    };
    let dashes: Vec<Bounds> = flat.into_iter().filter(|b| beside(b)).collect();
    let clipped = |kind, b: Bounds| region(kind, b.x0, b.y0, b.x1.min(width), b.y1.min(height));
    let mut out: Vec<Region> = texty
        .iter()
        .chain(&dashes)
        .map(|&b| clipped(RegionKind::Word, b))
        .collect();
    let min_img = (p.min_image * ch) as u32;
    for f in figs {
        let b = f.b;
        if big_glyph(&f, ch) {
            out.push(clipped(RegionKind::Word, b));
        } else if b.w().max(b.h()) >= min_img && b.w().min(b.h()) as f64 >= FIGURE_SHORT * ch {
            out.push(clipped(RegionKind::Image, b));
        }
    }
    out
}

/// Whether a figure is one large glyph (a chapter number, a drop
/// capital): a single component with nothing joined to it, shaped and
/// inked as a letter is, at most [`GLYPH_HEIGHT`] character heights tall
/// (an image found by its tones counts its whole box as ink, so it never
/// is one).
fn big_glyph(f: &Figure, ch: f64) -> bool {
    let b = f.b;
    let density = f.ink as f64 / b.area().max(1) as f64;
    f.parts == 1
        && (b.h() as f64) <= GLYPH_HEIGHT * ch
        && (b.w() as f64) <= GLYPH_WIDTH * b.h() as f64
        && (GLYPH_INK.0..=GLYPH_INK.1).contains(&density)
}

/// A large glyph is at most this tall (× char height)...
const GLYPH_HEIGHT: f64 = 12.0;
/// ... at most this wide (× its height)...
const GLYPH_WIDTH: f64 = 1.2;
/// ... and its ink covers this share of its box.
const GLYPH_INK: (f64, f64) = (0.2, 0.65);

/// A figure's shorter side is at least this (× char height): thinner
/// marks are bars and rules.
const FIGURE_SHORT: f64 = 1.5;

/// Words flatter than half a character height are kept when at least this
/// wide (× char height): dashes and ellipses.
const DASH_WIDTH: f64 = 0.8;
/// ... and a word of text height on their line is at most this far
/// (× char height).
const DASH_REACH: f64 = 1.5;
/// Words inside a drawing shorter than this (× char height) are not labels
/// (a screenshot's small print)...
const LABEL_MIN: f64 = 0.7;
/// ... nor those taller than this.
const LABEL_HEIGHT: f64 = 3.0;
/// A figure whose parts' ink covers less than this share of its box is a
/// drawing (strokes), whose text-like parts are labels.
const DRAWING_DENSITY: f64 = 0.25;
