//! Word images into network input, texts into labels.
//!
//! - An image becomes gray (mean of its channels), polarity-normalised so
//!   the background is near 0 and ink near 1 (an image whose mean is above
//!   0.5 is taken as dark-on-light and inverted), and resized bilinearly to
//!   the model height keeping its aspect ratio (width clamped to
//!   `[width_factor, max_width]`).
//! - A batch right-pads every image with background (0) to the widest one,
//!   rounded up to the width factor, and records each sample's real number
//!   of output steps (`ceil(width / factor)`), the CTC input length.
//! - The charset is sorted unique characters; label = index + 1 (0 is the
//!   blank). At inference a character outside the charset can never be
//!   produced; in training, a text with such a character is an error naming
//!   it.

use workbench_api::{Image, PluginError};

/// A preprocessed word image: `height × width`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// Columns.
    pub width: usize,
    /// Values, background ≈ 0.
    pub data: Vec<f32>,
}

/// Gray, polarity-normalised, resized to `height`.
pub fn prepare(img: &Image, height: usize, factor: usize, max_width: usize) -> Prepared {
    let (h, w, c) = (img.height.max(1), img.width.max(1), img.channels.max(1));
    let mut gray: Vec<f32> = (0..img.height * img.width)
        .map(|p| img.data[p * c..(p + 1) * c].iter().sum::<f32>() / c as f32)
        .collect();
    if gray.is_empty() {
        gray = vec![0.0];
    }
    let mean = gray.iter().sum::<f32>() / gray.len() as f32;
    if mean > 0.5 {
        gray.iter_mut().for_each(|v| *v = 1.0 - *v);
    }
    let (h, w) = if img.height == 0 || img.width == 0 {
        (1, 1)
    } else {
        (h, w)
    };
    let nw = ((w as f32 * height as f32 / h as f32).round() as usize)
        .clamp(factor.max(1), max_width.max(factor));
    let mut data = vec![0.0; height * nw];
    let sy = h as f32 / height as f32;
    let sx = w as f32 / nw as f32;
    for y in 0..height {
        let fy = ((y as f32 + 0.5) * sy - 0.5).clamp(0.0, (h - 1) as f32);
        let (y0, ty) = (fy.floor() as usize, fy.fract());
        let y1 = (y0 + 1).min(h - 1);
        for x in 0..nw {
            let fx = ((x as f32 + 0.5) * sx - 0.5).clamp(0.0, (w - 1) as f32);
            let (x0, tx) = (fx.floor() as usize, fx.fract());
            let x1 = (x0 + 1).min(w - 1);
            let g = |yy: usize, xx: usize| gray[yy * w + xx];
            let top = g(y0, x0) * (1.0 - tx) + g(y0, x1) * tx;
            let bot = g(y1, x0) * (1.0 - tx) + g(y1, x1) * tx;
            data[y * nw + x] = top * (1.0 - ty) + bot * ty;
        }
    }
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
