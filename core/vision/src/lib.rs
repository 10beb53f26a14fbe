//! Image primitives for page segmentation, with no dependencies:
//!
//! - [`gray`]: f32 images (any channel count) to 8-bit gray, 3×3 median;
//! - [`binarize`]: Otsu's global threshold and Sauvola's local one (over an
//!   integral image), producing a [`Binary`] image where 1 is ink;
//! - [`morph`]: rectangular dilation and erosion, separable and linear-time;
//! - [`lines`]: ruling lines (long thin horizontal and vertical strokes);
//! - [`label`]: connected-component labelling (4- or 8-connectivity) with
//!   per-component statistics, the hot loop of a segmenter.
//!
//! Architecture invariant: this crate knows nothing of plugins, the ABI or
//! the app; it works on plain buffers.

pub mod binarize;
pub mod gray;
pub mod label;
pub mod lines;
pub mod morph;
pub mod testpage;

pub use binarize::{otsu_split, otsu_threshold, sauvola, threshold, Binary};
pub use gray::{median3, to_gray, Gray};
pub use label::{components, label, Component, Connectivity, Labeling};
pub use lines::{long_runs, ruling_lines, subtract};
pub use morph::{dilate, erode};
