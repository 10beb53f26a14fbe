//! The ground truth of one PDF page (`data pdf`): each word of the text
//! layer gets its ink-tight box from the text rendered alone; figures come
//! from the raster and vector layers rendered alone (raster `images`; vector
//! `graphics` less rules, frames and shaded boxes that hold words).

use super::pages::{ImageBox, PageRegions, WordBox};
use super::pdf::PdfWord;
use image::{GrayImage, RgbImage};
use workbench_vision::{components, dilate, label, long_runs, Binary, Connectivity};

/// Axis-aligned pixel box `[x0, y0, x1, y1)`.
type PixBox = [u32; 4];

/// Where a layer's ink is, as a binary image.
fn mask_of(width: usize, height: usize, is_ink: impl Fn(usize, usize) -> bool) -> Binary {
    let mut b = Binary::new(width, height);
    for y in 0..height {
        for x in 0..width {
            b.data[y * width + x] = u8::from(is_ink(x, y));
        }
    }
    b
}

/// How far a pixel is from the magenta page the layers are drawn on.
fn magenta_distance(p: &image::Rgb<u8>) -> u32 {
    let [r, g, b] = p.0;
    (255 - r as u32) + g as u32 + (255 - b as u32)
}

/// The three content layers of one page, rendered alone.
pub(super) struct Layers {
    /// Text alone, gray (255 = paper).
    pub(super) text: GrayImage,
    /// Vector drawings alone over magenta.
    pub(super) vector: RgbImage,
    /// Raster images alone over magenta.
    pub(super) raster: RgbImage,
}

/// The bounding box of the pixels of `b` (clipped to the image) where
/// `ink` holds, if any.
fn ink_box(b: PixBox, w: u32, h: u32, ink: impl Fn(u32, u32) -> bool) -> Option<PixBox> {
    let (x0, y0, x1, y1) = (b[0].min(w), b[1].min(h), b[2].min(w), b[3].min(h));
    let mut out: Option<PixBox> = None;
    for y in y0..y1 {
        for x in x0..x1 {
            if ink(x, y) {
                let o = out.get_or_insert([x, y, x + 1, y + 1]);
                o[0] = o[0].min(x);
                o[1] = o[1].min(y);
                o[2] = o[2].max(x + 1);
                o[3] = o[3].max(y + 1);
            }
        }
    }
    out
}

/// Gray levels below this are ink in the text layer.
const TEXT_INK: u8 = 170;

/// One word's ink-tight box: the text layer's ink inside its font box
/// (grown by two pixels across and one down and up, for overhangs) that
/// belongs to glyphs centred in the font box, so the descenders of the line
/// above and the ascenders of the line below, reaching into a tightly set
/// line's font box, are not the word's; for text the text layer cannot show
/// (white on dark), the pixels of the page that stand out from the font
/// box's median. `None` for invisible words.
fn word_ink(font: PixBox, layers: &Layers, page: &GrayImage) -> Option<PixBox> {
    let (w, h) = page.dimensions();
    let grown = [
        font[0].saturating_sub(2),
        font[1].saturating_sub(1),
        font[2] + 2,
        font[3] + 1,
    ];
    if let Some(b) = own_glyphs_ink(font, grown, &layers.text) {
        return Some(b);
    }
    let mut values: Vec<u8> = Vec::new();
    for y in font[1].min(h)..font[3].min(h) {
        for x in font[0].min(w)..font[2].min(w) {
            values.push(page.get_pixel(x, y).0[0]);
        }
    }
    if values.is_empty() {
        return None;
    }
    let mid = values.len() / 2;
    let median = *values.select_nth_unstable(mid).1 as i32;
    ink_box(font, w, h, |x, y| {
        (page.get_pixel(x, y).0[0] as i32 - median).abs() > 60
    })
}

/// The ink box, within `grown`, of the text layer's glyphs (8-connected
/// components, seen whole in a window a font height above and below)
/// whose centre of ink lies in the font box; `None` without such ink.
fn own_glyphs_ink(font: PixBox, grown: PixBox, text: &GrayImage) -> Option<PixBox> {
    let (w, h) = text.dimensions();
    let tall = font[3].saturating_sub(font[1]).max(1);
    let win = [
        grown[0].min(w),
        font[1].saturating_sub(tall).min(h),
        grown[2].min(w),
        (font[3] + tall).min(h),
    ];
    let (ww, wh) = ((win[2] - win[0]) as usize, (win[3] - win[1]) as usize);
    if ww == 0 || wh == 0 {
        return None;
    }
    let mask = mask_of(ww, wh, |x, y| {
        text.get_pixel(win[0] + x as u32, win[1] + y as u32).0[0] < TEXT_INK
    });
    let lab = label(&mask, Connectivity::Eight);
    let inside = |v: f64, lo: u32, hi: u32| v >= lo as f64 && v < hi as f64;
    let own: Vec<bool> = lab
        .components
        .iter()
        .map(|c| {
            inside(win[0] as f64 + c.cx, font[0], font[2])
                && inside(win[1] as f64 + c.cy, font[1], font[3])
        })
        .collect();
    ink_box(grown, w, h, |x, y| {
        if x < win[0] || y < win[1] || x >= win[2] || y >= win[3] {
            return false;
        }
        let l = lab.labels[(y - win[1]) as usize * ww + (x - win[0]) as usize];
        l > 0 && own[l as usize - 1]
    })
}

/// Boxes of the components of `mask` after joining pixels `join` apart,
/// overlapping boxes merged.
fn regions(mask: &Binary, join: usize) -> Vec<PixBox> {
    let joined = if join > 0 {
        dilate(mask, join, join)
    } else {
        mask.clone()
    };
    let mut boxes: Vec<PixBox> = components(&joined, Connectivity::Eight)
        .iter()
        .filter_map(|c| {
            // Shrink back to the real ink of the component.
            ink_box(
                [c.x, c.y, c.x + c.w, c.y + c.h],
                mask.width as u32,
                mask.height as u32,
                |x, y| mask.data[y as usize * mask.width + x as usize] == 1,
            )
        })
        .collect();
    merge_overlapping(&mut boxes);
    boxes
}

fn overlaps(a: &PixBox, b: &PixBox) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

fn merge_overlapping(boxes: &mut Vec<PixBox>) {
    loop {
        let mut merged = false;
        let mut out: Vec<PixBox> = Vec::with_capacity(boxes.len());
        for b in boxes.drain(..) {
            if let Some(o) = out.iter_mut().find(|o| overlaps(o, &b)) {
                *o = [
                    o[0].min(b[0]),
                    o[1].min(b[1]),
                    o[2].max(b[2]),
                    o[3].max(b[3]),
                ];
                merged = true;
            } else {
                out.push(b);
            }
        }
        *boxes = out;
        if !merged {
            return;
        }
    }
}

/// Share of the ink inside `b` that lies on long horizontal or vertical
/// runs (rules, grids, frames, filled boxes), `run` pixels or longer.
fn rectilinear_share(mask: &Binary, b: PixBox, run: usize) -> f64 {
    let (x0, y0, x1, y1) = (b[0] as usize, b[1] as usize, b[2] as usize, b[3] as usize);
    let mut crop = Binary::new(x1 - x0, y1 - y0);
    for y in y0..y1 {
        crop.data[(y - y0) * crop.width..(y - y0 + 1) * crop.width]
            .copy_from_slice(&mask.data[y * mask.width + x0..y * mask.width + x1]);
    }
    let ruled = long_runs(&crop, run).count();
    ruled as f64 / crop.count().max(1) as f64
}

fn centre_in(b: &PixBox, w: &WordBox) -> bool {
    let (cx, cy) = (w.x + w.w / 2.0, w.y + w.h / 2.0);
    cx >= b[0] as f64 && cx < b[2] as f64 && cy >= b[1] as f64 && cy < b[3] as f64
}

fn covered_by(a: &PixBox, b: &PixBox) -> f64 {
    let ix = a[2].min(b[2]).saturating_sub(a[0].max(b[0])) as f64;
    let iy = a[3].min(b[3]).saturating_sub(a[1].max(b[1])) as f64;
    let area = ((a[2] - a[0]) as f64 * (a[3] - a[1]) as f64).max(1.0);
    ix * iy / area
}

fn image_box(b: &PixBox) -> ImageBox {
    ImageBox {
        x: b[0] as f64,
        y: b[1] as f64,
        w: (b[2] - b[0]) as f64,
        h: (b[3] - b[1]) as f64,
        score: None,
    }
}

/// The ground truth of one page from its text layer and content layers.
pub(super) fn page_truth(
    words: &[PdfWord],
    layers: &Layers,
    page: &GrayImage,
    dpi: f32,
) -> PageRegions {
    let (w, h) = page.dimensions();
    let s = dpi as f64 / 72.0;
    let px = |v: f64| (v * s).max(0.0);
    let mut out = PageRegions {
        width: w,
        height: h,
        ..Default::default()
    };
    for word in words {
        let [x0, y0, x1, y1] = word.bbox;
        let font = [
            px(x0).floor() as u32,
            px(y0).floor() as u32,
            px(x1).ceil() as u32,
            px(y1).ceil() as u32,
        ];
        let Some(ink) = word_ink(font, layers, page) else {
            continue;
        };
        out.words.push(WordBox {
            text: Some(word.text.clone()),
            x: ink[0] as f64,
            y: ink[1] as f64,
            w: (ink[2] - ink[0]) as f64,
            h: (ink[3] - ink[1]) as f64,
            font_box: Some([
                round2(px(x0)),
                round2(px(y0)),
                round2(px(x1) - px(x0)),
                round2(px(y1) - px(y0)),
            ]),
            block: Some(word.block),
            line: Some(word.line),
            ..Default::default()
        });
    }
    out.words = join_touching(std::mem::take(&mut out.words));
    // Sizes scale with the resolution (given here at 150 dpi).
    let at = |v: f64| ((v * dpi as f64 / 150.0).round() as usize).max(1);
    let (wu, hu) = (w as usize, h as usize);
    let raster = mask_of(wu, hu, |x, y| {
        magenta_distance(layers.raster.get_pixel(x as u32, y as u32)) > 30
    });
    // A figure is at least a third of an inch on its longer side and a
    // ninth on its shorter (smaller marks are icons and bullets).
    let (min_side, min_long) = (at(16.0) as u32, at(48.0) as u32);
    let big_enough = |b: &PixBox| {
        let (bw, bh) = (b[2] - b[0], b[3] - b[1]);
        bw.min(bh) >= min_side && bw.max(bh) >= min_long
    };
    let images: Vec<PixBox> = regions(&raster, at(2.0))
        .into_iter()
        .filter(big_enough)
        .collect();
    let vector = mask_of(wu, hu, |x, y| {
        let p = layers.vector.get_pixel(x as u32, y as u32);
        magenta_distance(p) > 30 && p.0.iter().any(|&c| c < 235)
    });
    let thin = at(3.0) as u32;
    // The strokes of one drawing lie within a line's height of each other.
    let mut graphics: Vec<PixBox> = regions(&vector, at(20.0))
        .into_iter()
        .filter(|b| {
            let (bw, bh) = (b[2] - b[0], b[3] - b[1]);
            if bw <= thin || bh <= thin || !big_enough(b) {
                return false; // a rule, or a mark too small to be a figure
            }
            if images.iter().any(|i| covered_by(b, i) > 0.8) {
                return false; // an image's frame
            }
            let holds_words = out.words.iter().any(|wd| centre_in(b, wd));
            // Tables, frames and shaded backgrounds around text.
            !(holds_words && rectilinear_share(&vector, *b, at(15.0)) > 0.95)
        })
        .collect();
    merge_overlapping(&mut graphics);
    out.images = images.iter().map(image_box).collect();
    out.graphics = graphics.iter().map(image_box).collect();
    out
}

/// Font boxes closer than this share of their height were set without a
/// space between them.
const SOLID: f64 = 0.065;

/// Words of one line whose ink touches or nearly touches (closer than an
/// eighth of the line's ink height, or a third where their font boxes meet)
/// are one word as a reader sees it: the
/// text layer splits logos built by kerning (`LaTeX`), subscripts and
/// math (`z0,`) into pieces no gap on the page separates. Their texts are
/// joined without a space, their boxes united.
fn join_touching(words: Vec<WordBox>) -> Vec<WordBox> {
    let mut out: Vec<WordBox> = Vec::with_capacity(words.len());
    for w in words {
        if let Some(prev) = out.last_mut() {
            let same_line = prev.line.is_some() && prev.line == w.line;
            let h = prev.h.max(w.h);
            let gap = w.x - (prev.x + prev.w);
            let vov = (prev.y + prev.h).min(w.y + w.h) - prev.y.max(w.y);
            // Font boxes that meet: no space was set between them (math
            // pieces, a kerned logo), though italic corrections leave ink
            // gaps of a few pixels.
            let set_solid = match (prev.font_box, w.font_box) {
                (Some(a), Some(b)) => b[0] - (a[0] + a[2]) < SOLID * a[3].max(b[3]),
                _ => false,
            };
            let close = gap < h / 8.0 || (set_solid && gap < h / 3.0);
            if same_line && close && gap > -(w.w.min(prev.w)) && vov > -h / 4.0 {
                let (x0, y0) = (prev.x.min(w.x), prev.y.min(w.y));
                let x1 = (prev.x + prev.w).max(w.x + w.w);
                let y1 = (prev.y + prev.h).max(w.y + w.h);
                (prev.x, prev.y, prev.w, prev.h) = (x0, y0, x1 - x0, y1 - y0);
                if let (Some(a), Some(b)) = (prev.text.as_mut(), w.text.as_ref()) {
                    a.push_str(b);
                }
                if let (Some(a), Some(b)) = (prev.font_box.as_mut(), w.font_box) {
                    let fx1 = (a[0] + a[2]).max(b[0] + b[2]);
                    let fy1 = (a[1] + a[3]).max(b[1] + b[3]);
                    a[0] = a[0].min(b[0]);
                    a[1] = a[1].min(b[1]);
                    a[2] = round2(fx1 - a[0]);
                    a[3] = round2(fy1 - a[1]);
                }
                continue;
            }
        }
        out.push(w);
    }
    out
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The layers padded (with paper) or cropped to `size`.
pub(super) fn fit_layers(l: Layers, (w, h): (u32, u32)) -> Layers {
    if l.text.dimensions() == (w, h)
        && l.vector.dimensions() == (w, h)
        && l.raster.dimensions() == (w, h)
    {
        return l;
    }
    let magenta = image::Rgb([255u8, 0, 255]);
    let text = GrayImage::from_fn(w, h, |x, y| {
        if x < l.text.width() && y < l.text.height() {
            *l.text.get_pixel(x, y)
        } else {
            image::Luma([255])
        }
    });
    let rgb = |src: &RgbImage| {
        RgbImage::from_fn(w, h, |x, y| {
            if x < src.width() && y < src.height() {
                *src.get_pixel(x, y)
            } else {
                magenta
            }
        })
    };
    Layers {
        text,
        vector: rgb(&l.vector),
        raster: rgb(&l.raster),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_grids_are_rectilinear_strokes_are_not() {
        let grid = Binary::from_ascii(&[
            "##########",
            "#....#...#",
            "#....#...#",
            "##########",
            "#....#...#",
            "##########",
        ]);
        assert!(rectilinear_share(&grid, [0, 0, 10, 6], 4) > 0.99);
        let diagonal = Binary::from_ascii(&[
            "#.........",
            ".#........",
            "..#.......",
            "...#......",
            "....#.....",
            ".....#....",
        ]);
        assert_eq!(rectilinear_share(&diagonal, [0, 0, 10, 6], 4), 0.0);
    }

    #[test]
    fn touching_words_of_a_line_join() {
        let w = |t: &str, x: f64, wd: f64, line: u32| WordBox {
            text: Some(t.into()),
            x,
            y: 10.0,
            w: wd,
            h: 16.0,
            line: Some(line),
            ..Default::default()
        };
        // `L` and `A` of a logo overlap; `z` and its subscript touch; a
        // space of 5 px separates words; another line never joins.
        let out = join_touching(vec![
            w("L", 0.0, 10.0, 0),
            w("A", 7.0, 7.0, 0),
            w("TEX", 13.0, 20.0, 0),
            w("z", 40.0, 8.0, 0),
            w("0", 49.0, 5.0, 0),
            w("next", 54.0 + 5.0, 30.0, 0),
            w("below", 89.5, 30.0, 1),
        ]);
        let texts: Vec<&str> = out.iter().map(|w| w.text.as_deref().unwrap()).collect();
        assert_eq!(texts, ["LATEX", "z0", "next", "below"]);
        assert_eq!((out[0].x, out[0].w), (0.0, 33.0));
        // Math pieces set solid (font boxes meeting) join across the few
        // pixels an italic correction leaves; the same gap between words
        // set with a space does not.
        let f = |t: &str, x: f64, wd: f64, font_x: f64, font_w: f64| WordBox {
            font_box: Some([font_x, 8.0, font_w, 20.0]),
            ..w(t, x, wd, 0)
        };
        let out = join_touching(vec![
            f("(x", 0.0, 12.0, 0.0, 13.0),
            f("1,", 15.0, 6.0, 13.0, 9.0),
            f("y", 25.0, 8.0, 26.0, 9.0),
        ]);
        let texts: Vec<&str> = out.iter().map(|w| w.text.as_deref().unwrap()).collect();
        assert_eq!(texts, ["(x1,", "y"]);
    }

    #[test]
    fn a_words_ink_leaves_out_the_neighbouring_lines_glyphs() {
        // A word `oo` (rows 10..16, font box rows 6..18) and a descender of
        // the line above reaching down into the font box (rows 0..8).
        let mut text = GrayImage::from_pixel(30, 30, image::Luma([255]));
        for y in 10..16 {
            for x in (4..8).chain(10..14) {
                text.put_pixel(x, y, image::Luma([0]));
            }
        }
        for y in 0..8 {
            text.put_pixel(16, y, image::Luma([0]));
        }
        let font = [3, 6, 18, 18];
        let grown = [1, 5, 20, 19];
        assert_eq!(own_glyphs_ink(font, grown, &text), Some([4, 10, 14, 16]));
        // The box of all the ink there would reach up to the descender.
        assert_eq!(
            ink_box(grown, 30, 30, |x, y| text.get_pixel(x, y).0[0] < TEXT_INK),
            Some([4, 5, 17, 16])
        );
    }

    #[test]
    fn overlapping_boxes_merge_transitively() {
        let mut b = vec![
            [0, 0, 10, 10],
            [20, 0, 30, 10],
            [8, 5, 22, 6],
            [50, 50, 60, 60],
        ];
        merge_overlapping(&mut b);
        b.sort();
        assert_eq!(b, vec![[0, 0, 30, 10], [50, 50, 60, 60]]);
    }
}
