//! Image artifacts of runs: PNG grids of originals over reconstructions and
//! single images, written atomically.

use crate::results::{write_atomic, ResultsError};
use image::{GrayImage, ImageFormat, Luma, Rgb, RgbImage};
use std::path::Path;
use workbench_api::Image;

/// Lays out rows of equally sized images into one grid with a 1-pixel gap.
/// Gray images stay gray; any colour image makes the grid RGB.
pub fn grid(rows: &[Vec<Image<'_>>]) -> image::DynamicImage {
    let cell_h = rows.iter().flatten().map(|i| i.height).max().unwrap_or(1);
    let cell_w = rows.iter().flatten().map(|i| i.width).max().unwrap_or(1);
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(1).max(1);
    let (w, h) = (
        (cols * (cell_w + 1) + 1) as u32,
        (rows.len().max(1) * (cell_h + 1) + 1) as u32,
    );
    let color = rows.iter().flatten().any(|i| i.channels >= 3);
    let to_u8 = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    if color {
        let mut out = RgbImage::from_pixel(w, h, Rgb([64, 64, 64]));
        for (r, row) in rows.iter().enumerate() {
            for (c, img) in row.iter().enumerate() {
                for y in 0..img.height {
                    for x in 0..img.width {
                        let px = if img.channels >= 3 {
                            [
                                to_u8(img.get(y, x, 0)),
                                to_u8(img.get(y, x, 1)),
                                to_u8(img.get(y, x, 2)),
                            ]
                        } else {
                            [to_u8(img.get(y, x, 0)); 3]
                        };
                        let (ox, oy) = (c * (cell_w + 1) + 1 + x, r * (cell_h + 1) + 1 + y);
                        out.put_pixel(ox as u32, oy as u32, Rgb(px));
                    }
                }
            }
        }
        image::DynamicImage::ImageRgb8(out)
    } else {
        let mut out = GrayImage::from_pixel(w, h, Luma([64]));
        for (r, row) in rows.iter().enumerate() {
            for (c, img) in row.iter().enumerate() {
                for y in 0..img.height {
                    for x in 0..img.width {
                        let (ox, oy) = (c * (cell_w + 1) + 1 + x, r * (cell_h + 1) + 1 + y);
                        out.put_pixel(ox as u32, oy as u32, Luma([to_u8(img.get(y, x, 0))]));
                    }
                }
            }
        }
        image::DynamicImage::ImageLuma8(out)
    }
}

/// One image as a PNG-ready picture.
pub fn single(img: &Image<'_>) -> image::DynamicImage {
    grid(&[vec![*img]])
}

/// Writes a PNG atomically.
pub fn save_png(path: &Path, picture: &image::DynamicImage) -> Result<(), ResultsError> {
    let mut bytes = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)
        .map_err(|e| ResultsError::Invalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_places_cells_with_gaps() {
        let a = [1.0f32; 4];
        let b = [0.0f32; 4];
        let img = |d: &'static [f32]| Image {
            height: 2,
            width: 2,
            channels: 1,
            data: d,
        };
        let a: &'static [f32] = Box::leak(Box::new(a));
        let b: &'static [f32] = Box::leak(Box::new(b));
        let g = grid(&[vec![img(a), img(b)], vec![img(b), img(a)]]).to_luma8();
        assert_eq!(g.dimensions(), (7, 7));
        assert_eq!(g.get_pixel(1, 1).0, [255]);
        assert_eq!(g.get_pixel(4, 1).0, [0]);
        assert_eq!(g.get_pixel(3, 1).0, [64]);
        assert_eq!(g.get_pixel(4, 4).0, [255]);
    }
}

/// Ten colours that stay apart on white (the "tab10" palette).
pub const PALETTE: [[u8; 3]; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// Maps data coordinates into a plot area with a margin.
struct Frame {
    x: (f64, f64),
    y: (f64, f64),
    w: u32,
    h: u32,
    margin: u32,
}

impl Frame {
    fn new(points: impl Iterator<Item = (f64, f64)>, w: u32, h: u32, margin: u32) -> Frame {
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for (x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite()) {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if !x0.is_finite() {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        if x1 - x0 < 1e-12 {
            x1 = x0 + 1.0;
        }
        if y1 - y0 < 1e-12 {
            y1 = y0 + 1.0;
        }
        Frame {
            x: (x0, x1),
            y: (y0, y1),
            w,
            h,
            margin,
        }
    }

    fn to_px(&self, x: f64, y: f64) -> (i64, i64) {
        let m = self.margin as f64;
        let px = m + (x - self.x.0) / (self.x.1 - self.x.0) * (self.w as f64 - 2.0 * m);
        let py =
            self.h as f64 - m - (y - self.y.0) / (self.y.1 - self.y.0) * (self.h as f64 - 2.0 * m);
        (px.round() as i64, py.round() as i64)
    }

    fn axes(&self, img: &mut RgbImage) {
        let (m, w, h) = (self.margin, self.w, self.h);
        let grey = Rgb([160, 160, 160]);
        for x in m..w - m {
            img.put_pixel(x, h - m, grey);
            img.put_pixel(x, m, grey);
        }
        for y in m..=h - m {
            img.put_pixel(m, y, grey);
            img.put_pixel(w - m, y, grey);
        }
    }
}

fn plot(img: &mut RgbImage, x: i64, y: i64, color: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, color);
    }
}

/// A scatter plot of 2-D points coloured by class (white background, 3×3 dots).
pub fn scatter(points: &[(f64, f64)], classes: &[u8]) -> RgbImage {
    let (w, h) = (480, 480);
    let mut img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    let frame = Frame::new(points.iter().copied(), w, h, 12);
    frame.axes(&mut img);
    for (&(x, y), &c) in points.iter().zip(classes) {
        let (px, py) = frame.to_px(x, y);
        let color = Rgb(PALETTE[c as usize % PALETTE.len()]);
        for dy in -1..=1 {
            for dx in -1..=1 {
                plot(&mut img, px + dx, py + dy, color);
            }
        }
    }
    img
}

#[cfg(test)]
mod chart_tests {
    use super::*;

    #[test]
    fn scatter_draws_each_class_in_its_colour() {
        let img = scatter(&[(0.0, 0.0), (1.0, 1.0)], &[0, 3]);
        let has = |c: [u8; 3]| img.pixels().any(|p| p.0 == c);
        assert!(has(PALETTE[0]) && has(PALETTE[3]) && !has(PALETTE[1]));
        // Lowest point at bottom-left, highest at top-right.
        assert_eq!(img.get_pixel(12, 480 - 12).0, PALETTE[0]);
        assert_eq!(img.get_pixel(480 - 12, 12).0, PALETTE[3]);
    }
}
