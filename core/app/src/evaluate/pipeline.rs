//! Scoring the whole page pipeline: a segmenter's words read by a trained
//! recognizer, against pages whose ground-truth words have texts.
//!
//! `ocr_cer` is Σ Levenshtein(predicted page text, true page text) / Σ len(true
//! page text), both in reading order (the CER of docs/CONTRACTS.md, over pages instead of
//! words); a predicted word counts for `ocr_word_precision/recall/f1` when its
//! box matches a ground-truth box at IoU ≥ 0.5 one-to-one and its text is
//! equal; `ocr_bow_precision/recall/f1` compare the pages' words as bags
//! (multisets of texts, positions ignored), summed over pages — the
//! bag-of-words score OCR engines are compared by.

use super::EvalError;
use crate::data::pages::Page;
use crate::host::Instance;
use crate::layout::{OcrPage, OcrWord};
use crate::metrics::{levenshtein, match_boxes_where, BBox};
use crate::ocr::ocr_page;
use crate::preprocess::Preprocessor;
use std::collections::{BTreeMap, HashMap};

/// The size of the multiset intersection of two bags of words.
pub fn bag_overlap<'a>(
    a: impl IntoIterator<Item = &'a str>,
    b: impl IntoIterator<Item = &'a str>,
) -> usize {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for w in a {
        *counts.entry(w).or_default() += 1;
    }
    let mut common = 0;
    for w in b {
        if let Some(c) = counts.get_mut(w).filter(|c| **c > 0) {
            *c -= 1;
            common += 1;
        }
    }
    common
}

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
    let (mut bag_common, mut bag_pred, mut bag_truth) = (0usize, 0usize, 0usize);
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
        let read_texts = read
            .words
            .iter()
            .map(|w| w.text.as_str())
            .filter(|t| !t.is_empty());
        let true_texts = truth_page.words.iter().map(|w| w.text.as_str());
        bag_common += bag_overlap(read_texts.clone(), true_texts.clone());
        bag_pred += read_texts.count();
        bag_truth += true_texts.count();
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
    let f1 = |p: f64, r: f64| {
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    };
    let (bp, br) = (ratio(bag_common, bag_pred), ratio(bag_common, bag_truth));
    out.insert("ocr_bow_precision".to_string(), bp);
    out.insert("ocr_bow_recall".to_string(), br);
    out.insert("ocr_bow_f1".to_string(), f1(bp, br));
    let (precision, recall) = (ratio(matched, predicted), ratio(matched, truth));
    out.insert("ocr_cer".to_string(), distance as f64 / length as f64);
    out.insert("ocr_word_precision".to_string(), precision);
    out.insert("ocr_word_recall".to_string(), recall);
    out.insert("ocr_word_f1".to_string(), f1(precision, recall));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::bag_overlap;

    #[test]
    fn bags_count_repeated_words_once_per_occurrence() {
        assert_eq!(
            bag_overlap(["the", "the", "cat"], ["the", "cat", "cat", "dog"]),
            2
        );
        assert_eq!(bag_overlap([], ["a"]), 0);
    }
}
