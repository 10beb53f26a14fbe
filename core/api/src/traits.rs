//! The plugin traits. Every plugin implements [`Lifecycle`], what all
//! kinds share (describe, create, load, train, save), and the trait of its
//! kind for what only that kind does, then calls the matching export macro.

use crate::{Config, Context, Dataset, Image, OwnedImage, PluginError, PluginInfo, Region};
use std::path::Path;

/// What every plugin kind has: a description, fresh and saved instances,
/// training, saving. The defaults of `load`, `fit` and `save` suit a plugin
/// that learns nothing (most segmenters): loading is creating, training and
/// saving do nothing. A plugin that learns overrides all three.
pub trait Lifecycle: Sized + 'static {
    /// Name, version and variants (with their parameters).
    fn info() -> PluginInfo;
    /// A fresh, untrained instance of `variant`.
    fn new(variant: &str, config: &Config) -> Result<Self, PluginError>;
    /// An instance saved by [`save`](Self::save) into `dir`.
    fn load(variant: &str, config: &Config, _dir: &Path) -> Result<Self, PluginError> {
        Self::new(variant, config)
    }
    /// Trains on `train`, validating on `val`, reporting through `ctx`.
    fn fit(
        &mut self,
        _train: &Dataset,
        _val: &Dataset,
        _ctx: &mut Context,
    ) -> Result<(), PluginError> {
        Ok(())
    }
    /// Saves the instance into the existing directory `dir`.
    fn save(&self, _dir: &Path) -> Result<(), PluginError> {
        Ok(())
    }
}

/// Learns codes of images and reconstructs them.
pub trait Autoencoder: Lifecycle {
    /// The code of each image (all codes have the same length).
    fn encode(&mut self, images: &[Image]) -> Result<Vec<Vec<f32>>, PluginError>;
    /// The reconstruction of each image, same size as the input.
    fn reconstruct(&mut self, images: &[Image]) -> Result<Vec<OwnedImage>, PluginError>;
}

/// Splits a page into word regions and image regions.
pub trait Segmenter: Lifecycle {
    /// The word and image regions of one page.
    fn segment(&mut self, page: &Image) -> Result<Vec<Region>, PluginError>;
}

/// Reads word images into text.
pub trait Recognizer: Lifecycle {
    /// The text and a confidence in [0, 1] for each word image.
    fn recognize(&mut self, images: &[Image]) -> Result<Vec<(String, f32)>, PluginError>;
}
