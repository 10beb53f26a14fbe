//! hOCR 1.2 (XHTML): one `ocr_carea` holding one `ocr_par` per block,
//! `ocr_line`, `ocrx_word` with `bbox` and `x_wconf`; image regions as
//! `ocr_photo`. The `ocr-capabilities` meta names exactly the classes the
//! file uses, and the file passes `hocr-check` (hocr-tools).

use super::{escape, word_box, words_box, Px, SOFTWARE, VERSION};
use crate::layout::OcrPage;

fn bbox(b: Px) -> String {
    format!("bbox {} {} {} {}", b.x0, b.y0, b.x1, b.y1)
}

/// The page as hOCR; `image_name` is the page image's file name.
pub fn hocr(page: &OcrPage, image_name: &str) -> String {
    let mut classes = vec!["ocr_page"];
    if !page.blocks.is_empty() {
        classes.extend(["ocr_carea", "ocr_par", "ocr_line", "ocrx_word"]);
    }
    if !page.images.is_empty() {
        classes.push("ocr_photo");
    }
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n");
    out.push_str("<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n");
    out.push_str(&format!("<title>{}</title>\n", escape(image_name)));
    out.push_str("<meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n");
    out.push_str(&format!(
        "<meta name=\"ocr-system\" content=\"{SOFTWARE} {VERSION}\"/>\n"
    ));
    out.push_str(&format!(
        "<meta name=\"ocr-capabilities\" content=\"{}\"/>\n</head>\n<body>\n",
        classes.join(" ")
    ));
    // The image property is a double-quoted string: its own quotes and
    // backslashes are escaped with a backslash, then the whole for XML.
    let image = image_name.replace('\\', "\\\\").replace('"', "\\\"");
    out.push_str(&format!(
        "<div class=\"ocr_page\" id=\"page_1\" title=\"{}\">\n",
        escape(&format!(
            "image \"{image}\"; {}; ppageno 0",
            bbox(Px::page(page))
        ))
    ));
    let mut word_id = 0;
    for (b, block) in page.blocks.iter().enumerate() {
        let area = bbox(words_box(page, block.iter().flatten()));
        out.push_str(&format!(
            "<div class=\"ocr_carea\" id=\"block_1_{n}\" title=\"{area}\">\n<p class=\"ocr_par\" id=\"par_1_{n}\" title=\"{area}\">\n",
            n = b + 1
        ));
        for (l, line) in block.iter().enumerate() {
            out.push_str(&format!(
                "<span class=\"ocr_line\" id=\"line_1_{}_{}\" title=\"{}\">",
                b + 1,
                l + 1,
                bbox(words_box(page, line))
            ));
            for (k, &i) in line.iter().enumerate() {
                word_id += 1;
                let w = &page.words[i];
                if k > 0 {
                    out.push(' ');
                }
                out.push_str(&format!(
                    "<span class=\"ocrx_word\" id=\"word_1_{word_id}\" title=\"{}; x_wconf {}\">{}</span>",
                    bbox(word_box(page, i)),
                    (super::unit(w.confidence) * 100.0).round() as i64,
                    escape(&w.text)
                ));
            }
            out.push_str("</span>\n");
        }
        out.push_str("</p>\n</div>\n");
    }
    for (i, img) in page.images.iter().enumerate() {
        out.push_str(&format!(
            "<div class=\"ocr_photo\" id=\"image_1_{}\" title=\"{}\"></div>\n",
            i + 1,
            bbox(Px::of(img, page))
        ));
    }
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{elements, sample};
    use super::*;
    use crate::layout::{OcrPage, OcrWord};
    use crate::metrics::BBox;
    use std::collections::BTreeSet;

    /// The classes the file uses and the ones its capabilities name.
    fn used_and_declared(h: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut used = BTreeSet::new();
        let mut declared = BTreeSet::new();
        for (_, class) in elements(h, "class") {
            used.extend(class);
        }
        let meta = h
            .lines()
            .find(|l| l.contains("ocr-capabilities"))
            .expect("capabilities");
        let content = meta.split("content=\"").nth(1).unwrap();
        for c in content[..content.find('"').unwrap()].split_whitespace() {
            declared.insert(c.to_string());
        }
        (used, declared)
    }

    #[test]
    fn hocr_has_the_classes_and_escapes_text() {
        let page = OcrPage::new(
            100,
            40,
            vec![OcrWord {
                text: "a<b&c".into(),
                confidence: 0.9,
                bbox: BBox {
                    x: 5.0,
                    y: 5.0,
                    w: 50.0,
                    h: 10.0,
                },
            }],
            vec![BBox {
                x: 1.0,
                y: 20.0,
                w: 5.0,
                h: 5.0,
            }],
        );
        let h = hocr(&page, "page \"1\".png");
        for needle in [
            "class=\"ocr_page\" id=\"page_1\" title=\"image &quot;page \\&quot;1\\&quot;.png&quot;; bbox 0 0 100 40; ppageno 0\"",
            "class=\"ocr_line\"",
            "class=\"ocrx_word\" id=\"word_1_1\" title=\"bbox 5 5 55 15; x_wconf 90\">a&lt;b&amp;c</span>",
            "class=\"ocr_photo\"",
        ] {
            assert!(h.contains(needle), "{needle} missing in\n{h}");
        }
    }

    #[test]
    fn capabilities_name_exactly_the_classes_used() {
        let full = sample();
        let no_images = OcrPage::new(full.width, full.height, full.words.clone(), vec![]);
        let only_images = OcrPage::new(full.width, full.height, vec![], full.images.clone());
        for page in [full, no_images, only_images] {
            let (used, declared) = used_and_declared(&hocr(&page, "p.png"));
            assert_eq!(used, declared);
        }
    }

    #[test]
    fn words_come_in_reading_order_with_their_text() {
        let h = hocr(&sample(), "p.png");
        let words: Vec<String> = h
            .split("class=\"ocrx_word\"")
            .skip(1)
            .map(|s| {
                let s = &s[s.find('>').unwrap() + 1..];
                s[..s.find("</span>").unwrap()].to_string()
            })
            .collect();
        assert_eq!(
            words,
            [
                "&quot;Title&quot;",
                "Page",
                "a&lt;b&amp;c",
                "left2",
                "left2b",
                "it&#39;s&gt;",
                "right2"
            ]
        );
        // Clamped and NaN confidences.
        assert!(h.contains("x_wconf 100\">left2b<"), "{h}");
        assert!(h.contains("x_wconf 0\">it&#39;s&gt;<"), "{h}");
    }
}
