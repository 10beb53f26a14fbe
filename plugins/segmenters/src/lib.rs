//! The `segmenters` plugin: three classic page segmenters that split a page
//! into word regions and image regions.
//!
//! - `cca`: binarize (Otsu, or Sauvola under uneven light), label connected
//!   components, drop specks, tell text from images by size relative to the
//!   page's typical character height, group characters into words by gaps
//!   relative to their height, merge image fragments into regions;
//! - `cca-dilate`: the textbook baseline: binarize, dilate horizontally,
//!   label, every blob is a word (large ones images);
//! - `xy-cut`: recursive projection-profile cuts into blocks, lines, words.

mod cca;
mod common;
mod dilate;
mod xycut;

pub use cca::{char_height, Cca, CcaParams};
pub use common::Prep;
use workbench_api::*;

/// The plugin: one of the variants, configured.
pub enum Segmenters {
    /// Connected components with classification and grouping.
    Cca(CcaParams),
    /// Dilate horizontally, label.
    Dilate(dilate::DilateParams),
    /// Recursive XY-cut.
    XyCut(xycut::XyParams),
}

impl Lifecycle for Segmenters {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "segmenters".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            variants: vec![
                VariantInfo::new(
                    "cca",
                    "connected components, text/image classification, words by gaps",
                    cca::params(),
                ),
                VariantInfo::new(
                    "cca-dilate",
                    "baseline: binarize, dilate horizontally, label blobs as words",
                    dilate::params(),
                ),
                VariantInfo::new(
                    "xy-cut",
                    "recursive projection-profile cuts into blocks, lines, words",
                    xycut::params(),
                ),
            ],
        }
    }

    fn new(variant: &str, config: &Config) -> Result<Self, PluginError> {
        match variant {
            "cca" => Ok(Segmenters::Cca(CcaParams::from_config(config)?)),
            "cca-dilate" => Ok(Segmenters::Dilate(dilate::DilateParams::from_config(
                config,
            )?)),
            "xy-cut" => Ok(Segmenters::XyCut(xycut::XyParams::from_config(config)?)),
            other => Err(PluginError::new(format!("unknown variant `{other}`"))),
        }
    }
}

impl Segmenter for Segmenters {
    fn segment(&mut self, page: &Image) -> Result<Vec<Region>, PluginError> {
        if page.width == 0 || page.height == 0 {
            return Ok(Vec::new());
        }
        if page.data.len() != page.width * page.height * page.channels {
            return Err(PluginError::new("page buffer does not match its size"));
        }
        Ok(match self {
            Segmenters::Cca(p) => cca::segment(p, page),
            Segmenters::Dilate(p) => dilate::segment(p, page),
            Segmenters::XyCut(p) => xycut::segment(p, page),
        })
    }
}

export_segmenter!(Segmenters);

#[cfg(test)]
mod tests;
