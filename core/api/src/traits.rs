//! The three plugin traits. A plugin implements one of them and calls the
//! matching export macro.

use crate::{Config, Context, Dataset, Image, OwnedImage, PluginError, PluginInfo, Region};
use std::path::Path;

/// Learns codes of images and reconstructs them.
pub trait Autoencoder: Sized + 'static {
    /// Name, version and variants (with their parameters).
    fn info() -> PluginInfo;
    /// A fresh, untrained model of `variant`.
    fn new(variant: &str, config: &Config) -> Result<Self, PluginError>;
    /// A model saved by [`save`](Self::save) into `dir`.
    fn load(variant: &str, config: &Config, dir: &Path) -> Result<Self, PluginError>;
    /// Trains on `train`, validating on `val`.
    fn fit(&mut self, train: &Dataset, val: &Dataset, ctx: &mut Context)
        -> Result<(), PluginError>;
    /// The code of each image (all codes have the same length).
    fn encode(&mut self, images: &[Image]) -> Result<Vec<Vec<f32>>, PluginError>;
    /// The reconstruction of each image, same size as the input.
    fn reconstruct(&mut self, images: &[Image]) -> Result<Vec<OwnedImage>, PluginError>;
    /// Saves the model into the existing directory `dir`.
    fn save(&self, dir: &Path) -> Result<(), PluginError>;
}

/// Splits a page into word regions and image regions.
pub trait Segmenter: Sized + 'static {
    /// Name, version and variants (with their parameters).
    fn info() -> PluginInfo;
    /// A segmenter of `variant`.
    fn new(variant: &str, config: &Config) -> Result<Self, PluginError>;
    /// A segmenter saved into `dir`; by default the same as [`new`](Self::new).
    fn load(variant: &str, config: &Config, _dir: &Path) -> Result<Self, PluginError> {
        Self::new(variant, config)
    }
    /// Tunes on training pages; most segmenters need no training.
    fn fit(
        &mut self,
        _train: &Dataset,
        _val: &Dataset,
        _ctx: &mut Context,
    ) -> Result<(), PluginError> {
        Ok(())
    }
    /// The word and image regions of one page.
    fn segment(&mut self, page: &Image) -> Result<Vec<Region>, PluginError>;
    /// Saves the segmenter into `dir`; by default nothing is saved.
    fn save(&self, _dir: &Path) -> Result<(), PluginError> {
        Ok(())
    }
}

/// Reads word images into text.
pub trait Recognizer: Sized + 'static {
    /// Name, version and variants (with their parameters).
    fn info() -> PluginInfo;
    /// A fresh, untrained model of `variant`.
    fn new(variant: &str, config: &Config) -> Result<Self, PluginError>;
    /// A model saved by [`save`](Self::save) into `dir`.
    fn load(variant: &str, config: &Config, dir: &Path) -> Result<Self, PluginError>;
    /// Trains on word images with their texts.
    fn fit(&mut self, train: &Dataset, val: &Dataset, ctx: &mut Context)
        -> Result<(), PluginError>;
    /// The text and a confidence in [0, 1] for each word image.
    fn recognize(&mut self, images: &[Image]) -> Result<Vec<(String, f32)>, PluginError>;
    /// Saves the model into the existing directory `dir`.
    fn save(&self, dir: &Path) -> Result<(), PluginError>;
}
