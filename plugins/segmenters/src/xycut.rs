//! `xy-cut`: recursive projection-profile cuts. A region splits at blank
//! rows (blocks, then lines) or blank columns (columns, then words), whichever
//! it has, until neither is wide enough; the leaves are words, tall leaves
//! images.

use crate::cca::char_height;
use crate::common::{prep_params, region, Prep};
use workbench_api::{Config, Image, ParamSpec, PluginError, Region, RegionKind};
use workbench_vision::{label, Binary, Connectivity};

/// Parameters of `xy-cut`.
#[derive(Clone, Debug, PartialEq)]
pub struct XyParams {
    /// Preprocessing.
    pub prep: Prep,
    /// Blank rows (× char height) that cut a region horizontally.
    pub row_gap: f64,
    /// Blank columns (× char height) that cut a region vertically.
    pub col_gap: f64,
    /// Components this small (× char height) are erased first.
    pub speck: f64,
    /// Leaves taller than this × char height are images.
    pub image_height: f64,
}

/// The parameters `xy-cut` declares.
pub fn params() -> Vec<ParamSpec> {
    let mut p = prep_params();
    p.extend([
        ParamSpec::float(
            "row_gap",
            0.2,
            0.0,
            10.0,
            "blank rows (× char height) that cut",
        ),
        ParamSpec::float(
            "col_gap",
            0.5,
            0.0,
            10.0,
            "blank columns (× char height) that cut",
        ),
        ParamSpec::float(
            "speck",
            0.15,
            0.0,
            2.0,
            "components this small (× char height) are erased",
        ),
        ParamSpec::float(
            "image_height",
            3.0,
            1.2,
            50.0,
            "leaves taller than this (× char height) are images",
        ),
    ]);
    p
}

impl XyParams {
    /// Reads the parameters; those the config lacks take their declared
    /// defaults.
    pub fn from_config(c: &Config) -> Result<XyParams, PluginError> {
        let c = &c.with_defaults(&params());
        Ok(XyParams {
            prep: Prep::from_config(c)?,
            row_gap: c.param("row_gap")?,
            col_gap: c.param("col_gap")?,
            speck: c.param("speck")?,
            image_height: c.param("image_height")?,
        })
    }
}

/// Segments one page.
pub fn segment(p: &XyParams, page: &Image) -> Vec<Region> {
    let mut bin = p.prep.run(page);
    let l = label(&bin, Connectivity::Eight);
    let ch = char_height(&l.components, page.height as u32);
    let speck = (p.speck * ch) as u32;
    for (v, &lab) in bin.data.iter_mut().zip(&l.labels) {
        if lab != 0 {
            let c = &l.components[lab as usize - 1];
            if c.w <= speck && c.h <= speck {
                *v = 0;
            }
        }
    }
    let gaps = (
        ((p.row_gap * ch).round() as usize).max(1),
        ((p.col_gap * ch).round() as usize).max(1),
    );
    let mut leaves = Vec::new();
    cut(&bin, (0, 0, bin.width, bin.height), gaps, &mut leaves, 0);
    leaves
        .into_iter()
        .map(|(x0, y0, x1, y1)| {
            let kind = if (y1 - y0) as f64 > p.image_height * ch {
                RegionKind::Image
            } else {
                RegionKind::Word
            };
            region(kind, x0 as u32, y0 as u32, x1 as u32, y1 as u32)
        })
        .collect()
}

type Rect = (usize, usize, usize, usize);

/// Spans of non-blank entries separated by at least `gap` blanks.
fn spans(profile: &[u32], gap: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    let mut blank = 0;
    for (i, &v) in profile.iter().enumerate() {
        if v > 0 {
            match (start, out.last_mut()) {
                (None, Some(last)) if blank < gap => {
                    start = Some(last.0);
                    out.pop();
                }
                (None, _) => start = Some(i),
                _ => {}
            }
            blank = 0;
        } else {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
            blank += 1;
        }
    }
    if let Some(s) = start {
        out.push((s, profile.len()));
    }
    out
}

fn cut(
    bin: &Binary,
    (x0, y0, x1, y1): Rect,
    gaps: (usize, usize),
    out: &mut Vec<Rect>,
    depth: usize,
) {
    let w = bin.width;
    let mut rows = vec![0u32; y1 - y0];
    let mut cols = vec![0u32; x1 - x0];
    for y in y0..y1 {
        let line = &bin.data[y * w + x0..y * w + x1];
        for (i, &v) in line.iter().enumerate() {
            rows[y - y0] += v as u32;
            cols[i] += v as u32;
        }
    }
    let r = spans(&rows, gaps.0);
    let c = spans(&cols, gaps.1);
    if r.is_empty() || c.is_empty() {
        return;
    }
    // Tight box of the ink.
    let tight = (
        x0 + c[0].0,
        y0 + r[0].0,
        x0 + c[c.len() - 1].1,
        y0 + r[r.len() - 1].1,
    );
    if depth > 64 || (r.len() == 1 && c.len() == 1) {
        out.push(tight);
        return;
    }
    if r.len() > 1 {
        for (a, b) in r {
            cut(
                bin,
                (tight.0, y0 + a, tight.2, y0 + b),
                gaps,
                out,
                depth + 1,
            );
        }
    } else {
        for (a, b) in c {
            cut(
                bin,
                (x0 + a, tight.1, x0 + b, tight.3),
                gaps,
                out,
                depth + 1,
            );
        }
    }
}
