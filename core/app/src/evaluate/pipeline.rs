//! Scoring the whole page pipeline: a segmenter's words read by a trained
//! recognizer, against pages whose ground-truth words have texts.
//!
//! `ocr_cer` is Σ Levenshtein(predicted page text, true page text) / Σ len(true
//! page text), both in reading order (the CER of docs/CONTRACTS.md, over pages instead of
//! words); a predicted word counts for `ocr_word_precision/recall/f1` when its
//! box matches a ground-truth box at IoU ≥ 0.5 one-to-one and its text is
//! equal.

use super::EvalError;
use crate::data::pages::Page;
use crate::host::Instance;
use crate::layout::{OcrPage, OcrWord};
use crate::metrics::{levenshtein, match_boxes_where, BBox};
use crate::ocr::ocr_page;
use crate::preprocess::Preprocessor;
use std::collections::BTreeMap;

/// Pipeline metrics over the pages whose every ground-truth word has a text.
pub fn evaluate(
    segmenter: &mut Instance,
    recognizer: &mut Instance,
    mut preprocess: Option<&mut Preprocessor>,
    height: usize,
    pages: &[Page],
) -> Result<BTreeMap<String, f64>, EvalError> {
    let (mut distance, mut length) = (0usize, 0usize);
    let (mut matched, mut predicted, mut truth) = (0usize, 0usize, 0usize);
    let mut scored = 0;
    for page in pages {
        let Some(gt) = &page.truth else { continue };
        if gt.words.iter().any(|w| w.text.is_none()) {
            continue;
        }
        let truth_words: Vec<OcrWord> = gt
            .words
            .iter()
            .map(|w| OcrWord {
                text: w.text.clone().unwrap_or_default(),
                confidence: 1.0,
                bbox: w.bbox(),
            })
            .collect();
        let truth_page = OcrPage::new(gt.width, gt.height, truth_words, Vec::new());
        let read = ocr_page(
            segmenter,
            recognizer,
            preprocess.as_deref_mut(),
            &page.image(),
            height,
        )?;
        let (p, t): (Vec<char>, Vec<char>) = (
            read.text().chars().collect(),
            truth_page.text().chars().collect(),
        );
        distance += levenshtein(&p, &t);
        length += t.len();
        let pred_boxes: Vec<BBox> = read.words.iter().map(|w| w.bbox).collect();
        let true_boxes: Vec<BBox> = truth_page.words.iter().map(|w| w.bbox).collect();
        let m = match_boxes_where(&pred_boxes, &true_boxes, 0.5, |a, b| {
            read.words[a].text == truth_page.words[b].text
        });
        matched += m.matched;
        predicted += m.predicted;
        truth += m.truth;
        scored += 1;
    }
    let mut out = BTreeMap::new();
    if scored == 0 || length == 0 {
        return Err(EvalError::Unsupported(
            "pipeline scoring needs test pages whose ground-truth words all have texts".into(),
        ));
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let (precision, recall) = (ratio(matched, predicted), ratio(matched, truth));
    out.insert("ocr_cer".to_string(), distance as f64 / length as f64);
    out.insert("ocr_word_precision".to_string(), precision);
    out.insert("ocr_word_recall".to_string(), recall);
    out.insert(
        "ocr_word_f1".to_string(),
        if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        },
    );
    Ok(out)
}
