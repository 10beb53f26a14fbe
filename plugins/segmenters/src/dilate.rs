//! `cca-dilate`: the textbook baseline. Binarize, dilate horizontally so the
//! letters of a word run together, label; every blob is a word, tall blobs
//! are images.

use crate::cca::char_height;
use crate::common::{prep_params, region, Prep};
use workbench_api::{Config, Image, ParamSpec, PluginError, Region, RegionKind};
use workbench_vision::{components, dilate, Connectivity};

/// Parameters of `cca-dilate`.
#[derive(Clone, Debug, PartialEq)]
pub struct DilateParams {
    /// Preprocessing.
    pub prep: Prep,
    /// Horizontal dilation radius × char height.
    pub dilate_x: f64,
    /// Blobs taller than this × char height are images.
    pub image_height: f64,
    /// Blobs lower than this × char height are dropped.
    pub min_height: f64,
}

/// The parameters `cca-dilate` declares.
pub fn params() -> Vec<ParamSpec> {
    let mut p = prep_params();
    p.extend([
        ParamSpec::float(
            "dilate_x",
            0.25,
            0.0,
            5.0,
            "horizontal dilation radius (× char height)",
        ),
        ParamSpec::float(
            "image_height",
            3.0,
            1.2,
            50.0,
            "blobs taller than this (× char height) are images",
        ),
        ParamSpec::float(
            "min_height",
            0.3,
            0.0,
            5.0,
            "blobs lower than this (× char height) are dropped",
        ),
    ]);
    p
}

impl DilateParams {
    /// Reads the parameters; those the config lacks take their declared
    /// defaults.
    pub fn from_config(c: &Config) -> Result<DilateParams, PluginError> {
        let c = &c.with_defaults(&params());
        Ok(DilateParams {
            prep: Prep::from_config(c)?,
            dilate_x: c.param("dilate_x")?,
            image_height: c.param("image_height")?,
            min_height: c.param("min_height")?,
        })
    }
}

/// Segments one page.
pub fn segment(p: &DilateParams, page: &Image) -> Vec<Region> {
    let bin = p.prep.run(page);
    let (w, h) = (page.width as u32, page.height as u32);
    let ch = char_height(&components(&bin, Connectivity::Eight), h);
    let rx = (p.dilate_x * ch).round() as usize;
    let blobs = components(&dilate(&bin, rx, 0), Connectivity::Eight);
    let rx = rx as u32;
    let mut out = Vec::new();
    for b in blobs {
        let (x0, x1) = (
            (b.x + rx).min(w),
            (b.x + b.w).saturating_sub(rx).max(b.x + rx + 1).min(w),
        );
        if (b.h as f64) < p.min_height * ch || x1 <= x0 {
            continue;
        }
        let kind = if b.h as f64 > p.image_height * ch {
            RegionKind::Image
        } else {
            RegionKind::Word
        };
        out.push(region(kind, x0, b.y, x1, b.y + b.h));
    }
    out
}
