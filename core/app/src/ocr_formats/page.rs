//! PAGE XML 2019-07-15
//! (`http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15`).
//! `Metadata` names the software and when the file was made; `Page` the
//! image and its size. A `TextRegion` per block, each with its `Coords`,
//! `TextLine`s (`Coords`, a `Baseline`, `Word`s with `Coords` and a
//! `TextEquiv` holding the confidence and the text) and the line's and the
//! region's text as `TextEquiv`; image regions are `ImageRegion`s. The
//! `ReadingOrder` is one `OrderedGroup` naming the text regions in reading
//! order (the order the regions also appear in); image regions are not in
//! it, as the layout does not place them in the text's flow.
//!
//! The layout knows boxes, not baselines: a line's `Baseline` is an
//! estimate, a straight line across the line's box at the median of its
//! words' bottom edges (most words have no descender, so the median bottom
//! sits on the baseline).

use super::{confidence, escape, line_text, word_box, words_box, Px, SOFTWARE, VERSION};
use crate::layout::OcrPage;
use std::fmt::Write;

/// PAGE's `points`: the four corners of a box, clockwise from the top left.
fn points(b: Px) -> String {
    format!(
        "{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}",
        x0 = b.x0,
        y0 = b.y0,
        x1 = b.x1,
        y1 = b.y1
    )
}

/// The estimated baseline of a line (see the module comment).
fn baseline(page: &OcrPage, line: &[usize]) -> String {
    let b = words_box(page, line);
    let mut bottoms: Vec<u32> = line.iter().map(|&i| word_box(page, i).y1).collect();
    bottoms.sort_unstable();
    let y = bottoms.get(bottoms.len() / 2).copied().unwrap_or(b.y1);
    format!("{},{y} {},{y}", b.x0, b.x1)
}

/// The page as PAGE XML 2019-07-15; `image_name` is the page image's file
/// name and `created` the time the file is made (an `xsd:dateTime`, e.g.
/// RFC 3339 UTC), written as both `Created` and `LastChange`.
pub fn page_xml(page: &OcrPage, image_name: &str, created: &str) -> String {
    const NS: &str = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15";
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<PcGts xmlns=\"{NS}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"{NS} {NS}/pagecontent.xsd\">"
    );
    let created = escape(created);
    let _ = write!(
        out,
        "  <Metadata>\n    <Creator>{SOFTWARE} {VERSION}</Creator>\n    \
         <Created>{created}</Created>\n    <LastChange>{created}</LastChange>\n  </Metadata>\n"
    );
    let _ = writeln!(
        out,
        "  <Page imageFilename=\"{}\" imageWidth=\"{}\" imageHeight=\"{}\">",
        escape(image_name),
        page.width,
        page.height
    );
    if !page.blocks.is_empty() {
        out.push_str(
            "    <ReadingOrder>\n      <OrderedGroup id=\"ro_1\" caption=\"reading order\">\n",
        );
        for b in 0..page.blocks.len() {
            let _ = writeln!(
                out,
                "        <RegionRefIndexed index=\"{b}\" regionRef=\"r_{}\"/>",
                b + 1
            );
        }
        out.push_str("      </OrderedGroup>\n    </ReadingOrder>\n");
    }
    for (b, block) in page.blocks.iter().enumerate() {
        let r = format!("r_{}", b + 1);
        let _ = writeln!(
            out,
            "    <TextRegion id=\"{r}\">\n      <Coords points=\"{}\"/>",
            points(words_box(page, block.iter().flatten()))
        );
        for (l, line) in block.iter().enumerate() {
            let id = format!("{r}_l_{}", l + 1);
            let _ = writeln!(
                out,
                "      <TextLine id=\"{id}\">\n        <Coords points=\"{}\"/>\n        <Baseline points=\"{}\"/>",
                points(words_box(page, line)),
                baseline(page, line)
            );
            for (k, &i) in line.iter().enumerate() {
                let w = &page.words[i];
                let _ = write!(
                    out,
                    "        <Word id=\"{id}_w_{}\">\n          <Coords points=\"{}\"/>\n          \
                     <TextEquiv conf=\"{}\">\n            <Unicode>{}</Unicode>\n          \
                     </TextEquiv>\n        </Word>\n",
                    k + 1,
                    points(word_box(page, i)),
                    confidence(w.confidence),
                    escape(&w.text)
                );
            }
            let _ = write!(
                out,
                "        <TextEquiv>\n          <Unicode>{}</Unicode>\n        </TextEquiv>\n      </TextLine>\n",
                escape(&line_text(page, line))
            );
        }
        let text: Vec<String> = block.iter().map(|line| line_text(page, line)).collect();
        let _ = write!(
            out,
            "      <TextEquiv>\n        <Unicode>{}</Unicode>\n      </TextEquiv>\n    </TextRegion>\n",
            // Lines joined by newlines, written as `&#10;` like every
            // newline `escape` writes.
            escape(&text.join("\n"))
        );
    }
    for (i, img) in page.images.iter().enumerate() {
        let _ = writeln!(
            out,
            "    <ImageRegion id=\"i_{}\">\n      <Coords points=\"{}\"/>\n    </ImageRegion>",
            i + 1,
            points(Px::of(img, page))
        );
    }
    out.push_str("  </Page>\n</PcGts>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{elements, sample};
    use super::*;
    use std::collections::BTreeSet;

    const WHEN: &str = "2024-05-01T12:00:00Z";

    #[test]
    fn the_reading_order_names_the_regions_in_the_order_they_come() {
        let xml = page_xml(&sample(), "p.png", WHEN);
        let refs: Vec<String> = elements(&xml, "regionRef")
            .into_iter()
            .filter_map(|(_, r)| r)
            .collect();
        let regions: Vec<String> = elements(&xml, "id")
            .into_iter()
            .filter(|(name, _)| name == "TextRegion")
            .filter_map(|(_, id)| id)
            .collect();
        assert_eq!(refs, ["r_1", "r_2", "r_3"]);
        assert_eq!(regions, refs);
        assert!(xml.contains("<RegionRefIndexed index=\"0\" regionRef=\"r_1\"/>"));
    }

    #[test]
    fn text_is_escaped_and_kept_at_every_level() {
        let xml = page_xml(&sample(), "a<b>.png", WHEN);
        for needle in [
            "imageFilename=\"a&lt;b&gt;.png\" imageWidth=\"300\" imageHeight=\"200\"",
            "<Created>2024-05-01T12:00:00Z</Created>",
            "<LastChange>2024-05-01T12:00:00Z</LastChange>",
            // A word: its box and its text with the confidence.
            "<Word id=\"r_2_l_1_w_1\">\n          <Coords points=\"10,40 60,40 60,50 10,50\"/>\n          <TextEquiv conf=\"0.25\">\n            <Unicode>a&lt;b&amp;c</Unicode>",
            // A line's text and its baseline.
            "<Baseline points=\"10,65 130,65\"/>",
            "<Unicode>left2 left2b</Unicode>",
            // A region's text: its lines.
            "<Unicode>a&lt;b&amp;c&#10;left2 left2b</Unicode>",
            "<Unicode>it&#39;s&gt;</Unicode>",
            "<ImageRegion id=\"i_2\">\n      <Coords points=\"250,150 300,150 300,200 250,200\"/>",
        ] {
            assert!(xml.contains(needle), "{needle} missing in\n{xml}");
        }
    }

    #[test]
    fn ids_are_unique() {
        let xml = page_xml(&sample(), "p.png", WHEN);
        let ids: Vec<String> = elements(&xml, "id")
            .into_iter()
            .filter_map(|(_, id)| id)
            .collect();
        assert_eq!(ids.len(), 1 + 3 + 5 + 7 + 2);
        assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    }

    #[test]
    fn an_empty_page_has_no_reading_order() {
        let page = OcrPage::new(10, 20, vec![], vec![]);
        let xml = page_xml(&page, "p.png", WHEN);
        assert!(!xml.contains("ReadingOrder"), "{xml}");
        elements(&xml, "id");
    }
}
