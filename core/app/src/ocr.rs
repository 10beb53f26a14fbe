//! Reading a page with plugins: segment, cut the words as the layout
//! module cuts them, clean them with the recognizer's `preprocess` run if it
//! has one, recognize them, and order them. Shared by `workbench ocr` and
//! pipeline scoring.

use crate::host::{HostError, Instance, BATCH};
use crate::layout::{word_images, OcrPage, OcrWord};
use crate::metrics::BBox;
use crate::preprocess::{PreprocessError, Preprocessor};
use workbench_api::{Image, RegionKind};

/// Why reading a page failed.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// The segmenter or the recognizer failed.
    #[error(transparent)]
    Host(#[from] HostError),
    /// The recognizer's preprocess run failed.
    #[error(transparent)]
    Preprocess(#[from] PreprocessError),
}

/// The whole pipeline on one gray page: segment, crop every word region,
/// clean the crops with the recognizer's `preprocess` run if it has one,
/// recognize the crops (scaled to `height`), and order the words.
pub fn ocr_page(
    segmenter: &mut Instance,
    recognizer: &mut Instance,
    preprocess: Option<&mut Preprocessor>,
    page: &Image<'_>,
    height: usize,
) -> Result<OcrPage, OcrError> {
    let regions = segmenter.segment(page)?;
    let bbox = |r: &workbench_api::Region| BBox {
        x: r.x as f64,
        y: r.y as f64,
        w: r.w as f64,
        h: r.h as f64,
    };
    let word_boxes: Vec<BBox> = regions
        .iter()
        .filter(|r| r.kind == RegionKind::Word)
        .map(bbox)
        .collect();
    let images: Vec<BBox> = regions
        .iter()
        .filter(|r| r.kind == RegionKind::Image)
        .map(bbox)
        .collect();
    let mut crops = word_images(page, &word_boxes, height);
    if let Some(pre) = preprocess {
        pre.apply(&mut crops)?;
    }
    let borrowed: Vec<Image> = crops.iter().map(|c| c.as_image()).collect();
    let mut texts = Vec::with_capacity(borrowed.len());
    for chunk in borrowed.chunks(BATCH) {
        texts.extend(recognizer.recognize(chunk)?);
    }
    let words = word_boxes
        .into_iter()
        .zip(texts)
        .map(|(bbox, (text, confidence))| OcrWord {
            text,
            confidence,
            bbox,
        })
        .collect();
    Ok(OcrPage::new(
        page.width as u32,
        page.height as u32,
        words,
        images,
    ))
}
