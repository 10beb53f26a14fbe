//! Images drawn with half-block characters: each terminal cell shows two
//! pixels, the upper as the foreground of `▀` and the lower as its
//! background. Decoding happens once (in the event loop, [`load`]); drawing
//! ([`HalfBlocks`]) only samples the decoded pixels.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;
use std::path::Path;

/// Largest decoded size kept in memory (pixels): more than a 200-column
/// terminal shows, so a wide grid of digits keeps its detail.
const MAX_SIDE: u32 = 1024;

/// Decoded RGB pixels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pixels {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Row-major RGB.
    pub rgb: Vec<[u8; 3]>,
}

impl Pixels {
    /// The pixel at (x, y).
    pub fn get(&self, x: u32, y: u32) -> [u8; 3] {
        self.rgb[(y * self.width + x) as usize]
    }
}

/// Decodes an image file, downsampled to at most [`MAX_SIDE`] a side.
pub fn load(path: &Path) -> Result<Pixels, String> {
    let img = image::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let img = if img.width() > MAX_SIDE || img.height() > MAX_SIDE {
        img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    let rgb = img.to_rgb8();
    Ok(Pixels {
        width: rgb.width(),
        height: rgb.height(),
        rgb: rgb.pixels().map(|p| p.0).collect(),
    })
}

/// Draws pixels into an area, keeping the aspect ratio (a cell is about
/// twice as tall as wide, so one cell holds two pixels stacked).
pub struct HalfBlocks<'a> {
    /// The image.
    pub pixels: &'a Pixels,
    /// Colours; without them, shades of `░▒▓█` by brightness.
    pub color: bool,
}

impl HalfBlocks<'_> {
    /// The size in cells the image takes in `area`.
    pub fn fitted(&self, area: Rect) -> (u16, u16) {
        let (w, h) = (self.pixels.width.max(1), self.pixels.height.max(1));
        // Target cells: cw columns, ch rows showing 2*ch pixel rows.
        let max_w = area.width as u32;
        let max_h = area.height as u32 * 2;
        let scale = f64::min(max_w as f64 / w as f64, max_h as f64 / h as f64);
        let cw = ((w as f64 * scale).floor() as u32).clamp(1, max_w.max(1));
        let ph = ((h as f64 * scale).floor() as u32).clamp(1, max_h.max(1));
        (cw as u16, ph.div_ceil(2) as u16)
    }
}

/// Where to draw `n` images of these pixel sizes in `area`, each in a
/// cell with a title line above it: the grid (columns × rows) in which the
/// smallest image is drawn largest. Returns each image's cell, title line
/// included.
pub fn grid(sizes: &[(u32, u32)], area: Rect) -> Vec<Rect> {
    let n = sizes.len();
    if n == 0 || area.is_empty() {
        return Vec::new();
    }
    let scale_in = |cols: usize| -> f64 {
        let rows = n.div_ceil(cols);
        let cw = (area.width as usize / cols).saturating_sub(1) as f64;
        let ch = ((area.height as usize / rows).saturating_sub(1) * 2) as f64;
        sizes
            .iter()
            .map(|&(w, h)| f64::min(cw / w.max(1) as f64, ch / h.max(1) as f64))
            .fold(f64::INFINITY, f64::min)
    };
    let cols = (1..=n)
        .max_by(|&a, &b| scale_in(a).total_cmp(&scale_in(b)).then(b.cmp(&a)))
        .unwrap_or(1);
    let rows = n.div_ceil(cols);
    let (cw, ch) = (area.width / cols as u16, area.height / rows as u16);
    (0..n)
        .map(|i| {
            let (c, r) = ((i % cols) as u16, (i / cols) as u16);
            Rect::new(area.x + c * cw, area.y + r * ch, cw, ch)
        })
        .collect()
}

impl Widget for HalfBlocks<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() || self.pixels.rgb.is_empty() {
            return;
        }
        let (cw, ch) = self.fitted(area);
        let (w, h) = (self.pixels.width, self.pixels.height);
        let (tw, th) = (cw as u32, ch as u32 * 2);
        // Each drawn pixel is the mean of the source pixels it covers (the
        // nearest one when enlarging), so thin strokes survive shrinking.
        let sample = |cx: u32, py: u32| -> [u8; 3] {
            let (x0, x1) = (cx * w / tw, ((cx + 1) * w / tw).max(cx * w / tw + 1));
            let (y0, y1) = (py * h / th, ((py + 1) * h / th).max(py * h / th + 1));
            let (x1, y1) = (x1.min(w), y1.min(h));
            let (x0, y0) = (x0.min(x1 - 1), y0.min(y1 - 1));
            let mut sum = [0u32; 3];
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = self.pixels.get(x, y);
                    for k in 0..3 {
                        sum[k] += p[k] as u32;
                    }
                }
            }
            let n = (x1 - x0) * (y1 - y0);
            sum.map(|v| (v / n) as u8)
        };
        for row in 0..ch {
            for col in 0..cw {
                let top = sample(col as u32, row as u32 * 2);
                let bottom = sample(col as u32, row as u32 * 2 + 1);
                let cell = &mut buf[(area.x + col, area.y + row)];
                if self.color {
                    cell.set_symbol("▀")
                        .set_fg(Color::Rgb(top[0], top[1], top[2]))
                        .set_bg(Color::Rgb(bottom[0], bottom[1], bottom[2]));
                } else {
                    let lum = |p: [u8; 3]| (p[0] as u32 * 3 + p[1] as u32 * 6 + p[2] as u32) / 10;
                    let l = (lum(top) + lum(bottom)) / 2;
                    let sym = match l {
                        0..=40 => " ",
                        41..=100 => "░",
                        101..=160 => "▒",
                        161..=220 => "▓",
                        _ => "█",
                    };
                    cell.set_symbol(sym);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_blocks_put_two_pixels_in_a_cell() {
        let pixels = Pixels {
            width: 2,
            height: 2,
            rgb: vec![[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]],
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
        HalfBlocks {
            pixels: &pixels,
            color: true,
        }
        .render(buf.area, &mut buf);
        let c = &buf[(0, 0)];
        assert_eq!(c.symbol(), "▀");
        assert_eq!(c.fg, Color::Rgb(255, 0, 0));
        assert_eq!(c.bg, Color::Rgb(0, 0, 255));
        assert_eq!(buf[(1, 0)].bg, Color::Rgb(255, 255, 255));
    }

    #[test]
    fn shrinking_averages_the_pixels_a_cell_covers() {
        // A one-pixel white line on black, shrunk 4×: grey, not lost.
        let mut rgb = vec![[0, 0, 0]; 8 * 8];
        for y in 0..8 {
            rgb[y * 8 + 1] = [255, 255, 255];
        }
        let pixels = Pixels {
            width: 8,
            height: 8,
            rgb,
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
        HalfBlocks {
            pixels: &pixels,
            color: true,
        }
        .render(buf.area, &mut buf);
        assert_eq!(buf[(0, 0)].fg, Color::Rgb(63, 63, 63));
        assert_eq!(buf[(1, 0)].fg, Color::Rgb(0, 0, 0));
    }

    #[test]
    fn the_grid_draws_the_smallest_image_largest() {
        let area = Rect::new(0, 0, 198, 53);
        // Two wide grids of digits (16 × 2 digits of 28 px): one above the
        // other, each the full width, a digit 12 columns wide.
        let cells = grid(&[(448, 56), (448, 56)], area);
        assert_eq!(cells, [Rect::new(0, 0, 198, 26), Rect::new(0, 26, 198, 26)]);
        let px = Pixels {
            width: 448,
            height: 56,
            rgb: vec![[0; 3]; 448 * 56],
        };
        let drawn = HalfBlocks {
            pixels: &px,
            color: true,
        }
        .fitted(Rect::new(0, 1, 197, 25));
        assert_eq!(drawn, (197, 12));
        assert!(drawn.0 as f64 / 16.0 >= 12.0, "a digit is 12 columns wide");
        // Four squares: two by two (each 98 × 50 pixels of room) beats
        // four in a row (48 × 104).
        let cells = grid(&[(28, 28); 4], area);
        assert_eq!(cells[1], Rect::new(99, 0, 99, 26));
        assert_eq!(cells[3], Rect::new(99, 26, 99, 26));
        assert!(grid(&[], area).is_empty());
        assert!(grid(&[(1, 1)], Rect::default()).is_empty());
    }
}
