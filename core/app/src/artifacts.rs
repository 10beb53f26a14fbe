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
