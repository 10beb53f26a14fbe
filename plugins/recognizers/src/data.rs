//! Word images into network input, texts into labels.
//!
//! - An image becomes the white-on-black window around its ink ([`ink`]:
//!   polarity, levels and the ink box are found whatever the crop), widened
//!   by a margin (and, in training, a random [`Jitter`]), resized to the
//!   model height keeping its aspect ratio (width clamped to
//!   `[width_factor, max_width]`). A crop without ink becomes one blank
//!   step.
//! - A batch right-pads every image with background (0) to the widest one,
//!   rounded up to the width factor, and records each sample's real number
//!   of output steps (`ceil(width / factor)`), the CTC input length.
//! - The charset is sorted unique characters; label = index + 1 (0 is the
//!   blank). At inference a character outside the charset can never be
//!   produced; in training, words with such characters are counted and
//!   left out ([`encode`] names the character).

use crate::augment::Jitter;
use crate::ink;
use workbench_api::{Image, PluginError};

/// A preprocessed word image: `height × width`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// Columns.
    pub width: usize,
    /// Values, background ≈ 0.
    pub data: Vec<f32>,
}

/// The window around the ink, resized to `height` (see the module notes).
pub fn prepare(img: &Image, height: usize, factor: usize, max_width: usize) -> Prepared {
    prepare_with(img, height, factor, max_width, &Jitter::NONE)
}

/// [`prepare`] with a training jitter of the window.
pub fn prepare_with(
    img: &Image,
    height: usize,
    factor: usize,
    max_width: usize,
    jitter: &Jitter,
) -> Prepared {
    let factor = factor.max(1);
    let found = ink::find(img);
    let Some((x0, y0, x1, y1)) = found.ink else {
        return Prepared {
            width: factor,
            data: vec![0.0; height * factor],
        };
    };
    let ink_h = (y1 - y0) as f32;
    let m = ink::MARGIN * ink_h;
    let [l, t, r, b] = jitter.pad.map(|p| p * ink_h + m);
    let window = (x0 as f32 - l, y0 as f32 - t, x1 as f32 + r, y1 as f32 + b);
    let (ww, wh) = (window.2 - window.0, window.3 - window.1);
    let nw = ((ww * height as f32 / wh * jitter.stretch).round() as usize)
        .clamp(factor, max_width.max(factor));
    let data = ink::resample(&found.data, found.width, found.height, window, nw, height);
    Prepared { width: nw, data }
}

/// A padded batch: `(B, 1, height, width)` values and each sample's steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Padded width (a multiple of the width factor).
    pub width: usize,
    /// `B · height · width` values.
    pub data: Vec<f32>,
    /// Output steps per sample.
    pub lengths: Vec<usize>,
}

/// Pads `items` to one width; `min_steps[i]` (if given) widens sample `i`
/// so it has at least that many output steps (CTC needs
/// `steps ≥ label length + adjacent repeats`).
pub fn batch(
    items: &[&Prepared],
    height: usize,
    factor: usize,
    min_steps: Option<&[usize]>,
) -> Batch {
    let lengths: Vec<usize> = items
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let own = p.width.div_ceil(factor);
            min_steps.map_or(own, |m| own.max(m[i])).max(1)
        })
        .collect();
    let steps = lengths.iter().copied().max().unwrap_or(1);
    let width = steps * factor;
    let mut data = vec![0.0; items.len() * height * width];
    for (i, p) in items.iter().enumerate() {
        for y in 0..height {
            let dst = (i * height + y) * width;
            data[dst..dst + p.width].copy_from_slice(&p.data[y * p.width..(y + 1) * p.width]);
        }
    }
    Batch {
        width,
        data,
        lengths,
    }
}

/// Sorted unique characters of `texts`.
pub fn charset_of(texts: &[&str]) -> String {
    let mut chars: Vec<char> = texts.iter().flat_map(|t| t.chars()).collect();
    chars.sort_unstable();
    chars.dedup();
    chars.into_iter().collect()
}

/// Labels of `text` (index in `charset` + 1); an error names a character
/// outside the charset.
pub fn encode(text: &str, charset: &[char]) -> Result<Vec<usize>, PluginError> {
    text.chars()
        .map(|ch| {
            charset
                .iter()
                .position(|&c| c == ch)
                .map(|i| i + 1)
                .ok_or_else(|| {
                    PluginError::new(format!(
                        "text {text:?} has the character {ch:?}, which is not in the charset {:?}",
                        charset.iter().collect::<String>()
                    ))
                })
        })
        .collect()
}

/// Text of `labels`.
pub fn decode(labels: &[usize], charset: &[char]) -> String {
    labels
        .iter()
        .filter_map(|&l| l.checked_sub(1).and_then(|i| charset.get(i)))
        .collect()
}

/// Levenshtein distance in Unicode scalar values (for the monitoring CER):
/// `strsim`'s, the same the workbench scores CER with.
pub fn levenshtein(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}
