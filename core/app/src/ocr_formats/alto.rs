//! ALTO v4 (`http://www.loc.gov/standards/alto/ns-v4#`, valid against
//! alto-4-4.xsd and the earlier 4.x schemas: it uses nothing newer than
//! 4.0). Measurement unit pixel; the source image's file name; one
//! `OCRProcessing` step naming the software and when it ran. The page is
//! one `PrintSpace` covering the whole image: a `TextBlock` per block in
//! reading order, `TextLine`s, `String`s with `CONTENT` and `WC` (the
//! confidence in [0, 1]) and an `SP` for the gap between two words; image
//! regions follow as `Illustration`s. ALTO's reading order is the order of
//! the blocks in the file.

use super::{confidence, escape, word_box, words_box, Px, SOFTWARE, VERSION};
use crate::layout::OcrPage;
use std::fmt::Write;

fn position(b: Px) -> String {
    format!(
        "HPOS=\"{}\" VPOS=\"{}\" WIDTH=\"{}\" HEIGHT=\"{}\"",
        b.x0,
        b.y0,
        b.w(),
        b.h()
    )
}

/// The page as ALTO v4; `image_name` is the page image's file name and
/// `processed` the time of the run (an `xsd:dateTime`, e.g. RFC 3339 UTC).
pub fn alto(page: &OcrPage, image_name: &str, processed: &str) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v4# \
         http://www.loc.gov/standards/alto/v4/alto-4-4.xsd\">\n",
    );
    out.push_str("  <Description>\n    <MeasurementUnit>pixel</MeasurementUnit>\n");
    let _ = write!(
        out,
        "    <sourceImageInformation>\n      <fileName>{}</fileName>\n    </sourceImageInformation>\n",
        escape(image_name)
    );
    let _ = write!(
        out,
        "    <OCRProcessing ID=\"ocr_1\">\n      <ocrProcessingStep>\n        \
         <processingDateTime>{}</processingDateTime>\n        <processingSoftware>\n          \
         <softwareName>{SOFTWARE}</softwareName>\n          \
         <softwareVersion>{VERSION}</softwareVersion>\n        </processingSoftware>\n      \
         </ocrProcessingStep>\n    </OCRProcessing>\n",
        escape(processed)
    );
    out.push_str("  </Description>\n  <Layout>\n");
    let _ = writeln!(
        out,
        "    <Page ID=\"page_1\" PHYSICAL_IMG_NR=\"1\" WIDTH=\"{}\" HEIGHT=\"{}\">",
        page.width, page.height
    );
    let _ = writeln!(
        out,
        "      <PrintSpace ID=\"space_1\" {}>",
        position(Px::page(page))
    );
    let mut string_id = 0;
    for (b, block) in page.blocks.iter().enumerate() {
        let _ = writeln!(
            out,
            "        <TextBlock ID=\"block_{}\" {}>",
            b + 1,
            position(words_box(page, block.iter().flatten()))
        );
        for (l, line) in block.iter().enumerate() {
            let line_box = words_box(page, line);
            let _ = writeln!(
                out,
                "          <TextLine ID=\"line_{}_{}\" {}>",
                b + 1,
                l + 1,
                position(line_box)
            );
            for (k, &i) in line.iter().enumerate() {
                let here = word_box(page, i);
                if k > 0 {
                    // The gap from the previous word's right edge to this
                    // word's left edge (zero where they touch or overlap).
                    let before = word_box(page, line[k - 1]);
                    let _ = writeln!(
                        out,
                        "            <SP HPOS=\"{}\" VPOS=\"{}\" WIDTH=\"{}\"/>",
                        before.x1,
                        line_box.y0,
                        here.x0.saturating_sub(before.x1)
                    );
                }
                string_id += 1;
                let w = &page.words[i];
                let _ = writeln!(
                    out,
                    "            <String ID=\"string_{string_id}\" {} CONTENT=\"{}\" WC=\"{}\"/>",
                    position(here),
                    escape(&w.text),
                    confidence(w.confidence)
                );
            }
            out.push_str("          </TextLine>\n");
        }
        out.push_str("        </TextBlock>\n");
    }
    for (i, img) in page.images.iter().enumerate() {
        let _ = writeln!(
            out,
            "        <Illustration ID=\"image_{}\" {}/>",
            i + 1,
            position(Px::of(img, page))
        );
    }
    out.push_str("      </PrintSpace>\n    </Page>\n  </Layout>\n</alto>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{elements, sample};
    use super::*;
    use std::collections::BTreeSet;

    const WHEN: &str = "2024-05-01T12:00:00Z";

    #[test]
    fn strings_come_in_reading_order_with_spaces_between_them() {
        let xml = alto(&sample(), "p.png", WHEN);
        let flow: Vec<String> = elements(&xml, "CONTENT")
            .into_iter()
            .filter(|(name, _)| matches!(name.as_str(), "TextBlock" | "TextLine" | "String" | "SP"))
            .map(|(name, content)| content.unwrap_or(name))
            .collect();
        assert_eq!(
            flow,
            [
                "TextBlock",
                "TextLine",
                "\"Title\"",
                "SP",
                "Page",
                "TextBlock",
                "TextLine",
                "a<b&c",
                "TextLine",
                "left2",
                "SP",
                "left2b",
                "TextBlock",
                "TextLine",
                "it's>",
                "TextLine",
                "right2",
            ]
        );
        // Escaped in the file, as XML must be.
        assert!(xml.contains("CONTENT=\"a&lt;b&amp;c\""), "{xml}");
        assert!(xml.contains("CONTENT=\"&quot;Title&quot;\""), "{xml}");
    }

    #[test]
    fn geometry_confidence_and_description_are_written() {
        let xml = alto(&sample(), "a&b.png", WHEN);
        for needle in [
            "<MeasurementUnit>pixel</MeasurementUnit>",
            "<fileName>a&amp;b.png</fileName>",
            "<processingDateTime>2024-05-01T12:00:00Z</processingDateTime>",
            "<softwareName>workbench</softwareName>",
            "<Page ID=\"page_1\" PHYSICAL_IMG_NR=\"1\" WIDTH=\"300\" HEIGHT=\"200\">",
            "<PrintSpace ID=\"space_1\" HPOS=\"0\" VPOS=\"0\" WIDTH=\"300\" HEIGHT=\"200\">",
            // left2 (10..60) then left2b (70..130): a 10-pixel space.
            "<SP HPOS=\"60\" VPOS=\"55\" WIDTH=\"10\"/>",
            "<String ID=\"string_5\" HPOS=\"70\" VPOS=\"55\" WIDTH=\"60\" HEIGHT=\"10\" CONTENT=\"left2b\" WC=\"1\"/>",
            "CONTENT=\"it&#39;s&gt;\" WC=\"0\"",
            // The second image is clamped to the page.
            "<Illustration ID=\"image_2\" HPOS=\"250\" VPOS=\"150\" WIDTH=\"50\" HEIGHT=\"50\"/>",
        ] {
            assert!(xml.contains(needle), "{needle} missing in\n{xml}");
        }
    }

    #[test]
    fn ids_are_unique() {
        let xml = alto(&sample(), "p.png", WHEN);
        let ids: Vec<String> = elements(&xml, "ID")
            .into_iter()
            .filter_map(|(_, id)| id)
            .collect();
        assert_eq!(ids.len(), 1 + 1 + 1 + 3 + 5 + 7 + 2);
        assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    }

    #[test]
    fn an_empty_page_is_an_empty_print_space() {
        let page = OcrPage::new(10, 20, vec![], vec![]);
        let xml = alto(&page, "p.png", WHEN);
        let names: Vec<String> = elements(&xml, "ID").into_iter().map(|(n, _)| n).collect();
        assert_eq!(names.last().unwrap(), "PrintSpace");
    }
}
