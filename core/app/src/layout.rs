//! The page pipeline's layout half: word boxes into blocks, lines and
//! reading order, how a word is cut from a page for a reader
//! ([`word_images`]), and the page's own two outputs (page JSON as
//! docs/CONTRACTS.md fixes it, plain text; the XML formats for other tools
//! are `ocr_formats`). Segmenting and recognizing are plugin calls (see
//! `ocr`); this module decides only where words go.
//!
//! Reading order comes from a recursive XY-cut over the word boxes: a band
//! of the page is cut across at the widest empty horizontal gap of at least
//! one word height (paragraphs, headings), or else down at the widest empty
//! vertical gap of at least two word heights (columns); the leaves are
//! blocks, read top to bottom across horizontal cuts and left to right
//! across vertical ones. Inside a block, words sharing at least half of the
//! smaller height vertically form a line, read left to right.

use crate::data::words::normalize;
use crate::metrics::BBox;
use serde::{Deserialize, Serialize};
use workbench_api::{Image, OwnedImage};

/// A recognized word on a page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OcrWord {
    /// The text read.
    pub text: String,
    /// The recognizer's confidence in [0, 1].
    pub confidence: f32,
    /// Where it is, in pixels.
    pub bbox: BBox,
}

/// A page after the pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct OcrPage {
    /// Page width.
    pub width: u32,
    /// Page height.
    pub height: u32,
    /// The words.
    pub words: Vec<OcrWord>,
    /// Image regions.
    pub images: Vec<BBox>,
    /// Blocks in reading order, each a list of lines, each a list of word
    /// indices in reading order.
    pub blocks: Vec<Vec<Vec<usize>>>,
}

fn median_height(boxes: &[BBox], idx: &[usize]) -> f64 {
    let mut h: Vec<f64> = idx.iter().map(|&i| boxes[i].h).collect();
    h.sort_by(f64::total_cmp);
    h.get(h.len() / 2).copied().unwrap_or(1.0).max(1.0)
}

/// The widest gap along one axis between the intervals, as (gap, cut position).
fn widest_gap(intervals: &mut [(f64, f64)]) -> Option<(f64, f64)> {
    intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(f64, f64)> = None;
    let mut reach = intervals.first()?.1;
    for &(start, end) in intervals.iter().skip(1) {
        if start > reach {
            let gap = start - reach;
            if best.is_none_or(|(g, _)| gap > g) {
                best = Some((gap, (start + reach) / 2.0));
            }
        }
        reach = reach.max(end);
    }
    best
}

fn xy_cut(boxes: &[BBox], idx: Vec<usize>, unit: f64, out: &mut Vec<Vec<usize>>) {
    if idx.len() <= 1 {
        if !idx.is_empty() {
            out.push(idx);
        }
        return;
    }
    let mut rows: Vec<(f64, f64)> = idx
        .iter()
        .map(|&i| (boxes[i].y, boxes[i].y + boxes[i].h))
        .collect();
    if let Some((gap, at)) = widest_gap(&mut rows) {
        if gap >= unit {
            let (top, bottom): (Vec<usize>, Vec<usize>) = idx
                .iter()
                .partition(|&&i| boxes[i].y + boxes[i].h / 2.0 < at);
            xy_cut(boxes, top, unit, out);
            xy_cut(boxes, bottom, unit, out);
            return;
        }
    }
    let mut cols: Vec<(f64, f64)> = idx
        .iter()
        .map(|&i| (boxes[i].x, boxes[i].x + boxes[i].w))
        .collect();
    if let Some((gap, at)) = widest_gap(&mut cols) {
        if gap >= 2.0 * unit {
            let (left, right): (Vec<usize>, Vec<usize>) = idx
                .iter()
                .partition(|&&i| boxes[i].x + boxes[i].w / 2.0 < at);
            xy_cut(boxes, left, unit, out);
            xy_cut(boxes, right, unit, out);
            return;
        }
    }
    out.push(idx);
}

/// Lines of one block, top to bottom, each left to right.
fn lines_of(boxes: &[BBox], mut block: Vec<usize>) -> Vec<Vec<usize>> {
    block.sort_by(|&a, &b| {
        (boxes[a].y + boxes[a].h / 2.0).total_cmp(&(boxes[b].y + boxes[b].h / 2.0))
    });
    let mut lines: Vec<(f64, f64, Vec<usize>)> = Vec::new();
    for i in block {
        let b = boxes[i];
        let joined = lines.iter_mut().rev().take(3).find(|(top, bottom, _)| {
            let overlap = (bottom.min(b.y + b.h) - top.max(b.y)).max(0.0);
            overlap >= 0.5 * (bottom - top).min(b.h)
        });
        match joined {
            Some((top, bottom, words)) => {
                *top = top.min(b.y);
                *bottom = bottom.max(b.y + b.h);
                words.push(i);
            }
            None => lines.push((b.y, b.y + b.h, vec![i])),
        }
    }
    lines
        .into_iter()
        .map(|(_, _, mut words)| {
            words.sort_by(|&a, &b| boxes[a].x.total_cmp(&boxes[b].x));
            words
        })
        .collect()
}

/// Blocks, lines and words of a page in reading order (indices into `boxes`).
pub fn reading_order(boxes: &[BBox]) -> Vec<Vec<Vec<usize>>> {
    let all: Vec<usize> = (0..boxes.len()).collect();
    let unit = median_height(boxes, &all);
    let mut blocks = Vec::new();
    xy_cut(boxes, all, unit, &mut blocks);
    blocks.into_iter().map(|b| lines_of(boxes, b)).collect()
}

impl OcrPage {
    /// A page from recognized words and image regions, ordered for reading.
    pub fn new(width: u32, height: u32, words: Vec<OcrWord>, images: Vec<BBox>) -> OcrPage {
        let boxes: Vec<BBox> = words.iter().map(|w| w.bbox).collect();
        let blocks = reading_order(&boxes);
        OcrPage {
            width,
            height,
            words,
            images,
            blocks,
        }
    }

    /// The text in reading order: words joined by spaces, lines by newlines,
    /// blocks by blank lines.
    pub fn text(&self) -> String {
        self.blocks
            .iter()
            .map(|block| {
                block
                    .iter()
                    .map(|line| {
                        line.iter()
                            .map(|&i| self.words[i].text.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// The page JSON (docs/CONTRACTS.md), words in reading order with their text and
    /// confidence as `score`.
    pub fn json(&self) -> serde_json::Value {
        let order = self.blocks.iter().flatten().flatten();
        let words: Vec<serde_json::Value> = order
            .map(|&i| {
                let w = &self.words[i];
                serde_json::json!({
                    "text": w.text,
                    "x": w.bbox.x.round(), "y": w.bbox.y.round(), "w": w.bbox.w.round(), "h": w.bbox.h.round(),
                    "score": w.confidence,
                })
            })
            .collect();
        let images: Vec<serde_json::Value> = self
            .images
            .iter()
            .map(|b| serde_json::json!({"x": b.x.round(), "y": b.y.round(), "w": b.w.round(), "h": b.h.round()}))
            .collect();
        serde_json::json!({"width": self.width, "height": self.height, "words": words, "images": images})
    }
}

/// Cuts a region with a margin (clamped to the page) out of a gray page.
pub fn crop(page: &Image<'_>, b: &BBox, margin: f64) -> image::DynamicImage {
    let (w, h) = (page.width as u32, page.height as u32);
    let margin = margin.max(1.0);
    let x0 = (b.x - margin).floor().clamp(0.0, w as f64 - 1.0) as u32;
    let y0 = (b.y - margin).floor().clamp(0.0, h as f64 - 1.0) as u32;
    let x1 = (b.x + b.w + margin).ceil().clamp(x0 as f64 + 1.0, w as f64) as u32;
    let y1 = (b.y + b.h + margin).ceil().clamp(y0 as f64 + 1.0, h as f64) as u32;
    let img = image::GrayImage::from_fn(x1 - x0, y1 - y0, |x, y| {
        let v = page.data[((y0 + y) * w + x0 + x) as usize * page.channels];
        image::Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
    });
    image::DynamicImage::ImageLuma8(img)
}

/// Cuts every word of a gray page for a recognizer, scaled to `height`:
/// each word's box with a small margin ([`word_margin`]). Readers find the
/// ink in whatever they are given, so a tight cut is all they need, and it
/// keeps fragments of the lines above and below out: the bundled reader
/// (after 2 of its 5 epochs) read the corpus' validation words at CER
/// 2.29 % cut this way and 3.74 % cut at the line's height plus a
/// quarter-line margin. The page pipeline and the datasets that serve a
/// page's words both cut this way.
pub fn word_images(page: &Image<'_>, boxes: &[BBox], height: usize) -> Vec<OwnedImage> {
    boxes
        .iter()
        .map(|b| normalize(&crop(page, b, word_margin(b)), height))
        .collect()
}

/// The margin around a word's box when it is cut: 15 % of its height,
/// at least 2 pixels.
pub fn word_margin(b: &BBox) -> f64 {
    (0.15 * b.h).max(2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, x: f64, y: f64) -> OcrWord {
        OcrWord {
            text: text.into(),
            confidence: 0.9,
            bbox: BBox {
                x,
                y,
                w: 10.0 * text.len() as f64,
                h: 10.0,
            },
        }
    }

    #[test]
    fn two_columns_under_a_heading_read_column_by_column() {
        // A heading across the page, then two columns of two lines each;
        // the words are given in a scrambled order.
        let words = vec![
            word("right2", 200.0, 55.0),
            word("left1", 10.0, 40.0),
            word("Title", 10.0, 10.0),
            word("right1", 200.0, 40.0),
            word("left2b", 70.0, 55.0),
            word("left2", 10.0, 55.0),
            word("Page", 70.0, 10.0),
        ];
        let page = OcrPage::new(300, 100, words, vec![]);
        assert_eq!(
            page.text(),
            "Title Page\n\nleft1\nleft2 left2b\n\nright1\nright2"
        );
        let json = page.json();
        assert_eq!(json["words"][0]["text"], "Title");
        assert_eq!(json["words"].as_array().unwrap().len(), 7);
    }

    #[test]
    fn slightly_uneven_baselines_stay_on_one_line() {
        let mut a = word("one", 0.0, 10.0);
        let mut b = word("two", 40.0, 13.0);
        a.bbox.h = 12.0;
        b.bbox.h = 9.0;
        let page = OcrPage::new(100, 40, vec![b, a], vec![]);
        assert_eq!(page.text(), "one two");
    }

    #[test]
    fn an_empty_page_has_no_text() {
        let page = OcrPage::new(10, 10, vec![], vec![]);
        assert_eq!(page.text(), "");
        assert!(page.blocks.is_empty());
    }
}
