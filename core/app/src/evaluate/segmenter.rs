//! Scoring segmenters on pages with ground truth: word and image boxes
//! matched one-to-one at IoU ≥ 0.5 (micro-averaged over the test set), and
//! pixel-level background/text/image classification.

use super::EvalError;
use crate::data::pages::{ImageBox, Page, PageRegions, WordBox};
use crate::metrics::{match_boxes, BBox};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;
use workbench_api::{Region, RegionKind};

/// Counts summed over pages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentationCounts {
    /// Word boxes: matched, predicted, ground truth.
    pub words: (usize, usize, usize),
    /// Image boxes: matched, predicted, ground truth.
    pub images: (usize, usize, usize),
    /// Pixels classified right (background, text or image).
    pub pixels_right: u64,
    /// All pixels.
    pub pixels: u64,
    /// Text pixels: predicted and true, predicted, true.
    pub text: (u64, u64, u64),
    /// Image pixels: predicted and true, predicted, true.
    pub image: (u64, u64, u64),
}

/// The regions of a page as segmenter output (the pages JSON shape, docs/CONTRACTS.md).
pub fn to_page_regions(width: usize, height: usize, regions: &[Region]) -> PageRegions {
    let mut out = PageRegions {
        graphics: Vec::new(),
        width: width as u32,
        height: height as u32,
        words: Vec::new(),
        images: Vec::new(),
    };
    for r in regions {
        let (x, y, w, h) = (r.x as f64, r.y as f64, r.w as f64, r.h as f64);
        let score = r.score.map(|s| s as f64);
        match r.kind {
            RegionKind::Word => out.words.push(WordBox {
                text: None,
                x,
                y,
                w,
                h,
                score,
                ..Default::default()
            }),
            RegionKind::Image => out.images.push(ImageBox { x, y, w, h, score }),
        }
    }
    out
}

fn word_boxes(r: &PageRegions) -> Vec<BBox> {
    r.words.iter().map(|b| b.bbox()).collect()
}

/// Figure regions: raster images and vector graphics together.
fn image_boxes(r: &PageRegions) -> Vec<BBox> {
    r.figures().map(|b| b.bbox()).collect()
}

/// The predicted words that are not inside a true raster image: text in
/// screenshots and photos is not in the ground truth, so it is neither
/// right nor wrong.
fn scored_words(pred: &PageRegions, truth: &PageRegions) -> Vec<BBox> {
    let inside = |w: &BBox, i: &BBox| {
        let (cx, cy) = (w.x + w.w / 2.0, w.y + w.h / 2.0);
        cx >= i.x && cx < i.x + i.w && cy >= i.y && cy < i.y + i.h
    };
    let rasters: Vec<BBox> = truth.images.iter().map(|b| b.bbox()).collect();
    word_boxes(pred)
        .into_iter()
        .filter(|w| !rasters.iter().any(|i| inside(w, i)))
        .collect()
}

/// Paints 0 background, 1 text, 2 image (words over images).
fn class_map(r: &PageRegions, width: usize, height: usize) -> Vec<u8> {
    let mut map = vec![0u8; width * height];
    let mut paint = |b: &BBox, v: u8| {
        let x0 = b.x.max(0.0).round() as usize;
        let y0 = b.y.max(0.0).round() as usize;
        let x1 = ((b.x + b.w).round().max(0.0) as usize).min(width);
        let y1 = ((b.y + b.h).round().max(0.0) as usize).min(height);
        for y in y0..y1 {
            if x0 < x1 {
                map[y * width + x0..y * width + x1].fill(v);
            }
        }
    };
    for b in image_boxes(r) {
        paint(&b, 2);
    }
    for b in word_boxes(r) {
        paint(&b, 1);
    }
    map
}

impl SegmentationCounts {
    /// Adds one page: `pred` against `truth`, on a `width × height` page.
    pub fn add(&mut self, pred: &PageRegions, truth: &PageRegions, width: usize, height: usize) {
        let w = match_boxes(&scored_words(pred, truth), &word_boxes(truth), 0.5);
        self.words.0 += w.matched;
        self.words.1 += w.predicted;
        self.words.2 += w.truth;
        let i = match_boxes(&image_boxes(pred), &image_boxes(truth), 0.5);
        self.images.0 += i.matched;
        self.images.1 += i.predicted;
        self.images.2 += i.truth;
        let p = class_map(pred, width, height);
        let t = class_map(truth, width, height);
        for (&a, &b) in p.iter().zip(&t) {
            self.pixels_right += u64::from(a == b);
            self.text.0 += u64::from(a == 1 && b == 1);
            self.text.1 += u64::from(a == 1);
            self.text.2 += u64::from(b == 1);
            self.image.0 += u64::from(a == 2 && b == 2);
            self.image.1 += u64::from(a == 2);
            self.image.2 += u64::from(b == 2);
        }
        self.pixels += (width * height) as u64;
    }

    /// The metrics, named as `known_metrics(Kind::Segmenter)` names them.
    pub fn metrics(&self) -> BTreeMap<String, f64> {
        // Same edge cases as `match_boxes`: nothing predicted and nothing
        // true is perfect; otherwise 0/0 is 0.
        let prf = |(m, p, t): (usize, usize, usize)| {
            if p == 0 && t == 0 {
                return (1.0, 1.0, 1.0);
            }
            let pr = if p > 0 { m as f64 / p as f64 } else { 0.0 };
            let rc = if t > 0 { m as f64 / t as f64 } else { 0.0 };
            let f1 = if pr + rc > 0.0 {
                2.0 * pr * rc / (pr + rc)
            } else {
                0.0
            };
            (pr, rc, f1)
        };
        let ratio = |a: u64, b: u64, empty: f64| if b > 0 { a as f64 / b as f64 } else { empty };
        let mut out = BTreeMap::new();
        let (p, r, f) = prf(self.words);
        out.insert("word_precision".into(), p);
        out.insert("word_recall".into(), r);
        out.insert("word_f1".into(), f);
        let (p, r, f) = prf(self.images);
        out.insert("image_precision".into(), p);
        out.insert("image_recall".into(), r);
        out.insert("image_f1".into(), f);
        out.insert(
            "pixel_accuracy".into(),
            ratio(self.pixels_right, self.pixels, 1.0),
        );
        let empty = |c: (u64, u64, u64)| if c.1 == 0 && c.2 == 0 { 1.0 } else { 0.0 };
        out.insert(
            "pixel_text_precision".into(),
            ratio(self.text.0, self.text.1, empty(self.text)),
        );
        out.insert(
            "pixel_text_recall".into(),
            ratio(self.text.0, self.text.2, empty(self.text)),
        );
        out.insert(
            "pixel_image_precision".into(),
            ratio(self.image.0, self.image.1, empty(self.image)),
        );
        out.insert(
            "pixel_image_recall".into(),
            ratio(self.image.0, self.image.2, empty(self.image)),
        );
        out
    }
}

pub(super) fn evaluate(
    instance: &mut crate::host::Instance,
    test: &[Page],
    run_dir: &Path,
) -> Result<BTreeMap<String, f64>, EvalError> {
    let out_dir = crate::results::RunDir::new(run_dir).artifact("segmentation");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| EvalError::Unsupported(format!("cannot create {}: {e}", out_dir.display())))?;
    let mut counts = SegmentationCounts::default();
    let mut seconds = 0.0;
    for page in test {
        let t = Instant::now();
        let regions = instance.segment(&page.image())?;
        seconds += t.elapsed().as_secs_f64();
        let pred = to_page_regions(page.width, page.height, &regions);
        if let Some(truth) = &page.truth {
            counts.add(&pred, truth, page.width, page.height);
        }
        crate::data::pages::write_regions(&out_dir.join(format!("{}.json", page.name)), &pred)
            .map_err(|e| EvalError::Unsupported(e.to_string()))?;
    }
    let mut out = counts.metrics();
    if seconds > 0.0 {
        out.insert("pages_per_sec".into(), test.len() as f64 / seconds);
        out.insert(
            "seconds_per_page".into(),
            seconds / test.len().max(1) as f64,
        );
    }
    Ok(out)
}

/// The page in gray with word boxes in blue and image boxes in orange, and
/// a legend strip below the page (page coordinates unchanged).
pub fn overlay(page: &Page, regions: &PageRegions) -> image::RgbImage {
    let (w, h) = (page.width as u32, page.height as u32);
    let mut img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = (page.pixels[(y * w + x) as usize].clamp(0.0, 1.0) * 255.0) as u8;
        image::Rgb([v, v, v])
    });
    let mut rect = |b: BBox, color: [u8; 3]| {
        let x0 = b.x.max(0.0) as u32;
        let y0 = b.y.max(0.0) as u32;
        let x1 = ((b.x + b.w).max(1.0) as u32 - 1).min(w.saturating_sub(1));
        let y1 = ((b.y + b.h).max(1.0) as u32 - 1).min(h.saturating_sub(1));
        if x0 > x1 || y0 > y1 {
            return;
        }
        for t in 0..2u32 {
            for x in x0..=x1 {
                img.put_pixel(x, (y0 + t).min(y1), image::Rgb(color));
                img.put_pixel(x, y1.saturating_sub(t).max(y0), image::Rgb(color));
            }
            for y in y0..=y1 {
                img.put_pixel((x0 + t).min(x1), y, image::Rgb(color));
                img.put_pixel(x1.saturating_sub(t).max(x0), y, image::Rgb(color));
            }
        }
    };
    let (words, images) = (word_boxes(regions), image_boxes(regions));
    let (nw, ni) = (words.len(), images.len());
    for b in words {
        rect(b, WORD_COLOR);
    }
    for b in images {
        rect(b, IMAGE_COLOR);
    }
    crate::plot::with_legend(
        &img,
        &[
            (WORD_COLOR, format!("word box ({nw})")),
            (IMAGE_COLOR, format!("image region ({ni})")),
        ],
    )
}

const WORD_COLOR: [u8; 3] = [30, 90, 230];
const IMAGE_COLOR: [u8; 3] = [240, 140, 0];

#[cfg(test)]
mod tests {
    use super::*;

    fn regions(words: &[(f64, f64, f64, f64)], images: &[(f64, f64, f64, f64)]) -> PageRegions {
        PageRegions {
            width: 10,
            height: 10,
            words: words
                .iter()
                .map(|&(x, y, w, h)| WordBox {
                    text: None,
                    x,
                    y,
                    w,
                    h,
                    ..Default::default()
                })
                .collect(),
            images: images
                .iter()
                .map(|&(x, y, w, h)| ImageBox {
                    x,
                    y,
                    w,
                    h,
                    score: None,
                })
                .collect(),
            graphics: Vec::new(),
        }
    }

    /// By hand: truth words A = (0,0,4,2) and B = (6,0,4,2), image (0,5,5,5).
    /// Predicted: A exactly; (6,0,2,2) over B has IoU 4/8 = 0.5, a match;
    /// a stray word at (0,3,1,1); image (0,5,5,4) with IoU 20/25 = 0.8.
    #[test]
    fn hand_computed_page() {
        let truth = regions(&[(0., 0., 4., 2.), (6., 0., 4., 2.)], &[(0., 5., 5., 5.)]);
        let pred = regions(
            &[(0., 0., 4., 2.), (6., 0., 2., 2.), (0., 3., 1., 1.)],
            &[(0., 5., 5., 4.)],
        );
        let mut c = SegmentationCounts::default();
        c.add(&pred, &truth, 10, 10);
        let m = c.metrics();
        assert!((m["word_precision"] - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(m["word_recall"], 1.0);
        assert!((m["word_f1"] - 0.8).abs() < 1e-12);
        assert_eq!(
            (m["image_precision"], m["image_recall"], m["image_f1"]),
            (1.0, 1.0, 1.0)
        );
        // Pixels: text truth 16, predicted 8 + 4 + 1 = 13, both 12.
        assert_eq!(c.text, (12, 13, 16));
        assert!((m["pixel_text_precision"] - 12.0 / 13.0).abs() < 1e-12);
        assert!((m["pixel_text_recall"] - 12.0 / 16.0).abs() < 1e-12);
        // Image truth 25, predicted 20, all inside.
        assert_eq!(c.image, (20, 20, 25));
        // Wrong pixels: 4 text missed (bg), 1 stray text, 5 image missed.
        assert!((m["pixel_accuracy"] - 90.0 / 100.0).abs() < 1e-12);
    }

    #[test]
    fn micro_average_over_pages_and_empty_pages() {
        let truth = regions(&[(0., 0., 4., 2.)], &[]);
        let mut c = SegmentationCounts::default();
        c.add(&regions(&[(0., 0., 4., 2.)], &[]), &truth, 10, 10);
        c.add(&regions(&[], &[]), &truth, 10, 10);
        let m = c.metrics();
        assert_eq!(m["word_precision"], 1.0);
        assert_eq!(m["word_recall"], 0.5);
        // No image anywhere, none predicted: perfect, as in match_boxes.
        assert_eq!(m["image_f1"], 1.0);
        assert_eq!(m["pixel_image_recall"], 1.0);
    }

    #[test]
    fn regions_to_json_shape() {
        let r = to_page_regions(
            5,
            4,
            &[
                Region {
                    kind: RegionKind::Word,
                    x: 1.0,
                    y: 1.0,
                    w: 2.0,
                    h: 1.0,
                    score: None,
                },
                Region {
                    kind: RegionKind::Image,
                    x: 0.0,
                    y: 2.0,
                    w: 5.0,
                    h: 2.0,
                    score: Some(0.5),
                },
            ],
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["words"][0]["w"], 2.0);
        assert!(json["words"][0].get("text").is_none());
        assert_eq!(json["images"][0]["score"], 0.5);
    }
}
