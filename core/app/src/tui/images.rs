//! Images drawn with half-block characters: each terminal cell shows two
//! pixels, the upper as the foreground of `▀` and the lower as its
//! background. Decoding happens once (in the event loop, [`load`]); drawing
//! ([`HalfBlocks`]) only samples the decoded pixels.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;
use std::path::Path;

/// Largest decoded size kept in memory (pixels).
const MAX_SIDE: u32 = 256;

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

impl Widget for HalfBlocks<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() || self.pixels.rgb.is_empty() {
            return;
        }
        let (cw, ch) = self.fitted(area);
        let (w, h) = (self.pixels.width, self.pixels.height);
        let sample = |cx: u32, py: u32| -> [u8; 3] {
            let x = (cx * w / cw as u32).min(w - 1);
            let y = (py * h / (ch as u32 * 2)).min(h - 1);
            self.pixels.get(x, y)
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
}
