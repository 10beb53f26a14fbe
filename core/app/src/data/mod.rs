//! Datasets for the workbench: the in-memory [`ImageSet`], IDX/MNIST files, the embedded synthetic digits and the MNIST download.

pub mod corrupt;
pub mod degrade;
pub mod fetch;
pub mod fonts;
pub mod idx;
pub mod image_file;
pub mod pages;
pub mod pdf;
pub mod pdf_truth;
pub mod pdf_words;
pub mod synthetic_digits;
pub mod synthetic_pages;
pub mod synthetic_words;
pub mod tiles;
pub mod words;

use std::path::PathBuf;

/// Equally sized images (values in \[0,1\], row-major, channels last) with one class label each (labels may be empty when unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    /// Channels per pixel (1 = gray, 3 = RGB).
    pub channels: usize,
    /// All images back to back, `len() * image_len()` values.
    pub pixels: Vec<f32>,
    /// One label per image, or empty when the labels are unknown.
    pub labels: Vec<u8>,
}

impl ImageSet {
    /// An empty set of `height`×`width`×`channels` images.
    pub fn new(height: usize, width: usize, channels: usize) -> Self {
        ImageSet {
            height,
            width,
            channels,
            pixels: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        match self.image_len() {
            0 => 0,
            n => self.pixels.len() / n,
        }
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Borrowed views of every image, in order.
    pub fn images(&self) -> Vec<workbench_api::Image<'_>> {
        (0..self.len())
            .map(|i| workbench_api::Image {
                height: self.height,
                width: self.width,
                channels: self.channels,
                data: self.image(i),
            })
            .collect()
    }

    /// Values per image: `height * width * channels`.
    pub fn image_len(&self) -> usize {
        self.height * self.width * self.channels
    }

    /// True when every image has a label.
    pub fn has_labels(&self) -> bool {
        !self.labels.is_empty() && self.labels.len() == self.len()
    }

    /// The values of image `i` (panics when `i >= len()`, like slice indexing).
    pub fn image(&self, i: usize) -> &[f32] {
        let n = self.image_len();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// Appends one image with its label.
    ///
    /// Panics when `pixels` is not `image_len()` long, or when the set is a non-empty unlabelled one.
    pub fn push(&mut self, pixels: &[f32], label: u8) {
        assert_eq!(
            pixels.len(),
            self.image_len(),
            "ImageSet::push: image has {} values, expected {}",
            pixels.len(),
            self.image_len()
        );
        assert_eq!(
            self.labels.len(),
            self.len(),
            "ImageSet::push: cannot add a labelled image to an unlabelled set"
        );
        self.pixels.extend_from_slice(pixels);
        self.labels.push(label);
    }

    /// A new set holding copies of the images at `indices` (in that order, repeats allowed).
    ///
    /// Panics when an index is out of range.
    pub fn subset(&self, indices: &[usize]) -> ImageSet {
        let mut out = ImageSet::new(self.height, self.width, self.channels);
        out.pixels.reserve(indices.len() * self.image_len());
        let labelled = self.has_labels();
        for &i in indices {
            out.pixels.extend_from_slice(self.image(i));
            if labelled {
                out.labels.push(self.labels[i]);
            }
        }
        out
    }

    /// Moves the last `n` images (all of them if there are fewer) into a new set, e.g. to carve a validation split.
    pub fn split_off_tail(&mut self, n: usize) -> ImageSet {
        let len = self.len();
        let n = n.min(len);
        let keep = len - n;
        let labelled = self.has_labels();
        let mut out = ImageSet::new(self.height, self.width, self.channels);
        out.pixels = self.pixels.split_off(keep * self.image_len());
        if labelled {
            out.labels = self.labels.split_off(keep);
        }
        out
    }

    /// Image `i` as an 8-bit picture: gray for 1 channel, gray+alpha for 2, RGB for 3, RGBA for 4,
    /// and the channel mean as gray for any other count. Panics when `i >= len()`.
    pub fn to_image(&self, i: usize) -> image::DynamicImage {
        let img = self.image(i);
        let (w, h) = (self.width as u32, self.height as u32);
        let to_u8 = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        let bytes: Vec<u8> = match self.channels {
            1..=4 => img.iter().map(|&v| to_u8(v)).collect(),
            c => img
                .chunks_exact(c.max(1))
                .map(|px| to_u8(px.iter().sum::<f32>() / c as f32))
                .collect(),
        };
        let built = match self.channels {
            2 => image::GrayAlphaImage::from_raw(w, h, bytes).map(image::DynamicImage::ImageLumaA8),
            3 => image::RgbImage::from_raw(w, h, bytes).map(image::DynamicImage::ImageRgb8),
            4 => image::RgbaImage::from_raw(w, h, bytes).map(image::DynamicImage::ImageRgba8),
            _ => image::GrayImage::from_raw(w, h, bytes).map(image::DynamicImage::ImageLuma8),
        };
        // The buffer length always equals w*h*channels, so from_raw cannot fail.
        built.unwrap_or_else(|| image::DynamicImage::new_luma8(w, h))
    }
}

/// Errors reading or making datasets. One doc line per variant; messages quote the file path.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file or folder could not be created or written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file is not what it should be (an IDX file with a bad magic, an
    /// unreadable image, a malformed page JSON or labels.csv, ...); the
    /// reason says which.
    #[error("{}: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// A dataset folder lacks one of the expected files.
    #[error("{} has no {name} (or {name}.gz)", dir.display())]
    Missing { dir: PathBuf, name: String },
    /// Files that must agree do not (e.g. image and label counts differ).
    #[error("dataset files do not match: {reason}")]
    Mismatch { reason: String },
    /// A download failed (offline, server error, or a bad file came back).
    #[error("cannot download {url}: {reason}")]
    Download { url: String, reason: String },
    /// A page image or its JSON is unreadable or incomplete.
    #[error("{}: {reason}", path.display())]
    BadPage { path: PathBuf, reason: String },
    /// A parameter is out of its valid range.
    #[error("invalid {name}: {reason}")]
    InvalidParam { name: String, reason: String },
    /// A font file is missing or is no font.
    #[error(transparent)]
    Font(#[from] fonts::FontError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(n: usize) -> ImageSet {
        let mut s = ImageSet::new(2, 3, 1);
        for i in 0..n {
            s.push(&[i as f32 / 10.0; 6], i as u8);
        }
        s
    }

    #[test]
    fn push_len_image() {
        let s = set_of(4);
        assert_eq!(s.len(), 4);
        assert!(!s.is_empty());
        assert_eq!(s.image_len(), 6);
        assert_eq!(s.image(2), &[0.2; 6]);
        assert!(ImageSet::new(28, 28, 1).is_empty());
    }

    #[test]
    #[should_panic]
    fn push_wrong_length_panics() {
        ImageSet::new(2, 2, 1).push(&[0.0; 3], 0);
    }

    #[test]
    fn subset_and_split() {
        let mut s = set_of(5);
        let sub = s.subset(&[4, 1, 1]);
        assert_eq!(sub.labels, vec![4, 1, 1]);
        assert_eq!(sub.image(0), s.image(4));
        let tail = s.split_off_tail(2);
        assert_eq!(s.len(), 3);
        assert_eq!(tail.len(), 2);
        assert_eq!(tail.labels, vec![3, 4]);
        assert_eq!(s.labels, vec![0, 1, 2]);
        let all = s.split_off_tail(10);
        assert_eq!(all.len(), 3);
        assert!(s.is_empty());
    }

    #[test]
    fn unlabelled_subset_and_split() {
        let mut s = ImageSet::new(1, 1, 1);
        s.pixels = vec![0.0, 0.5, 1.0];
        assert_eq!(s.len(), 3);
        let sub = s.subset(&[2]);
        assert!(sub.labels.is_empty());
        let tail = s.split_off_tail(1);
        assert_eq!(tail.pixels, vec![1.0]);
        assert!(tail.labels.is_empty());
    }

    #[test]
    fn to_image_gray_and_rgb() {
        let s = set_of(2);
        match s.to_image(1) {
            image::DynamicImage::ImageLuma8(g) => {
                assert_eq!(g.dimensions(), (3, 2));
                assert_eq!(g.get_pixel(0, 0).0[0], 26);
            }
            other => panic!("expected gray, got {:?}", other.color()),
        }
        let mut c = ImageSet::new(1, 2, 3);
        c.push(&[1.0, 0.0, 0.0, 0.0, 0.0, 2.0], 0);
        match c.to_image(0) {
            image::DynamicImage::ImageRgb8(g) => {
                assert_eq!(g.get_pixel(0, 0).0, [255, 0, 0]);
                assert_eq!(g.get_pixel(1, 0).0, [0, 0, 255]);
            }
            other => panic!("expected rgb, got {:?}", other.color()),
        }
    }
}
