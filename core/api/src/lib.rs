//! The plugin ABI of the workbench: what a segmenter, recognizer or
//! autoencoder plugin links against.
//!
//! # Writing a plugin
//!
//! A plugin is a `cdylib` crate that depends on this crate, implements
//! [`Lifecycle`] (what every kind has) and one of the safe traits
//! [`Segmenter`], [`Recognizer`] or [`Autoencoder`] (what its kind does), and
//! calls the matching export macro once. It writes no `unsafe`:
//!
//! ```
//! use workbench_api::*;
//! use std::path::Path;
//!
//! /// Reconstructs every image as its mean gray value.
//! pub struct MeanGray;
//!
//! impl Lifecycle for MeanGray {
//!     fn info() -> PluginInfo {
//!         PluginInfo {
//!             name: "mean-gray".into(),
//!             version: "0.1.0".into(),
//!             variants: vec![VariantInfo::new("mean", "every pixel becomes the image mean", vec![])],
//!         }
//!     }
//!     fn new(_variant: &str, _config: &Config) -> Result<Self, PluginError> { Ok(MeanGray) }
//!     fn load(_v: &str, _c: &Config, _dir: &Path) -> Result<Self, PluginError> { Ok(MeanGray) }
//!     fn fit(&mut self, _t: &Dataset, _v: &Dataset, ctx: &mut Context) -> Result<(), PluginError> {
//!         ctx.report("loss", 0.0);
//!         Ok(())
//!     }
//!     fn save(&self, _dir: &Path) -> Result<(), PluginError> { Ok(()) }
//! }
//!
//! impl Autoencoder for MeanGray {
//!     fn encode(&mut self, images: &[Image]) -> Result<Vec<Vec<f32>>, PluginError> {
//!         Ok(images.iter().map(|i| vec![i.data.iter().sum::<f32>() / i.data.len() as f32]).collect())
//!     }
//!     fn reconstruct(&mut self, images: &[Image]) -> Result<Vec<OwnedImage>, PluginError> {
//!         Ok(images.iter().map(|i| {
//!             let m = i.data.iter().sum::<f32>() / i.data.len() as f32;
//!             OwnedImage { data: vec![m; i.data.len()], ..i.to_owned_image() }
//!         }).collect())
//!     }
//! }
//!
//! export_autoencoder!(MeanGray);
//! ```
//!
//! # The contract
//!
//! - The library exports one C symbol, [`DESCRIPTOR_SYMBOL`], an
//!   `extern "C" fn() -> *const PluginDescriptor`. The descriptor's first
//!   field is the [`ABI_VERSION`] the plugin was built with; a host refuses
//!   any other version (and says to rebuild the plugin), an unknown kind, or a
//!   null descriptor.
//! - Data crosses as borrowed buffers: images as (height, width, channels,
//!   f32 data in [0, 1], row-major, channels last), texts as UTF-8
//!   (pointer, length). Outputs of unknown size come back through host
//!   callbacks ([`raw::RawSink`]) that copy during the call. Config crosses as
//!   a UTF-8 JSON string (`{"params": {...}, "train": {...}}`, see [`Config`]),
//!   with every parameter the variant declares filled in by the host after it
//!   checked types and ranges against the variant's [`ParamSpec`]s.
//! - No panic crosses the boundary: every exported function catches unwinds
//!   and returns [`raw::STATUS_PANIC`] with the message `panic in <fn>: ...`.
//!   A plugin that aborts or crashes takes down only its own run, because the
//!   host runs every run in a child process.
//! - During `fit` the plugin reports through the [`Context`]: scalar signals
//!   per step or epoch (a non-finite `*loss*` marks the run diverged), log
//!   lines, progress, preview images and run facts; it checks
//!   [`Context::should_stop`] at least once per step and returns early when
//!   asked.
//! - Models save and load themselves (safetensors is the convention) in a
//!   directory the host gives, so `workbench recognize/ocr/reconstruct` can
//!   reuse a trained run.
//! - Plugins predict, the host scores: metrics that compare variants are never
//!   computed by a plugin.
//!
//! The types in [`raw`] are the ABI. Changing any of them requires bumping
//! [`ABI_VERSION`].

mod context;
#[doc(hidden)]
pub mod export;
pub mod raw;
mod traits;
mod types;

pub use context::Context;
pub use raw::{PluginDescriptor, DESCRIPTOR_SYMBOL};
pub use traits::{Autoencoder, Lifecycle, Recognizer, Segmenter};
pub use types::{
    Config, Dataset, Image, Kind, OwnedImage, ParamKind, ParamSpec, PluginError, PluginInfo,
    Region, RegionKind, TrainSettings, VariantInfo,
};

/// Version of the binary interface. Change it whenever anything in [`raw`]
/// changes; hosts refuse plugins built with another value.
pub const ABI_VERSION: u32 = 1;

/// Version of this crate, recorded in every descriptor.
pub const API_VERSION: &str = env!("CARGO_PKG_VERSION");

#[doc(hidden)]
#[macro_export]
macro_rules! __export_plugin {
    ($adapter:ty) => {
        /// The plugin descriptor (see `workbench_api`'s crate docs).
        // The one exported symbol; listed in ARCHITECTURE.md, "Where `unsafe` lives".
        #[allow(unsafe_code)]
        #[no_mangle]
        pub extern "C" fn workbench_plugin_descriptor() -> *const $crate::PluginDescriptor {
            static HOLDER: ::std::sync::OnceLock<$crate::raw::DescriptorHolder> =
                ::std::sync::OnceLock::new();
            $crate::export::descriptor::<$adapter>(&HOLDER)
        }
    };
}

/// Exports a type implementing [`Autoencoder`] as this library's plugin.
#[macro_export]
macro_rules! export_autoencoder {
    ($ty:ty) => {
        $crate::__export_plugin!($crate::export::AsAutoencoder<$ty>);
    };
}

/// Exports a type implementing [`Segmenter`] as this library's plugin.
#[macro_export]
macro_rules! export_segmenter {
    ($ty:ty) => {
        $crate::__export_plugin!($crate::export::AsSegmenter<$ty>);
    };
}

/// Exports a type implementing [`Recognizer`] as this library's plugin.
#[macro_export]
macro_rules! export_recognizer {
    ($ty:ty) => {
        $crate::__export_plugin!($crate::export::AsRecognizer<$ty>);
    };
}

/// The README's plugin example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
