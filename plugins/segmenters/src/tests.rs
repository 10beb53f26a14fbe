use super::*;
use workbench_vision::testpage::text_page;

fn page_of(bin: &workbench_vision::Binary) -> Vec<f32> {
    bin.data
        .iter()
        .map(|&v| if v != 0 { 0.05 } else { 0.95 })
        .collect()
}

fn config(pairs: &[(&str, serde_json::Value)]) -> Config {
    let mut c = Config::default();
    for (k, v) in pairs {
        c.params.insert(k.to_string(), v.clone());
    }
    c
}

#[test]
fn every_variant_segments_a_page_and_declares_its_params() {
    let bin = text_page(800, 1100, 3);
    let data = page_of(&bin);
    let img = Image {
        height: 1100,
        width: 800,
        channels: 1,
        data: &data,
    };
    for v in Segmenters::info().variants {
        assert!(!v.params.is_empty());
        let mut s = Segmenters::new(&v.name, &Config::default()).unwrap();
        let regions = s.segment(&img).unwrap();
        let words = regions
            .iter()
            .filter(|r| r.kind == RegionKind::Word)
            .count();
        let images = regions
            .iter()
            .filter(|r| r.kind == RegionKind::Image)
            .count();
        assert!(words > 40, "{}: {words} words", v.name);
        assert!(images >= 1, "{}: {images} images", v.name);
        for r in &regions {
            assert!(r.x >= 0.0 && r.y >= 0.0 && r.x + r.w <= 800.0 && r.y + r.h <= 1100.0);
        }
    }
    assert!(Segmenters::new("nope", &Config::default()).is_err());
}

#[test]
fn cca_separates_words_and_joins_dots() {
    // Two words: "i·i" (a dot over a stem, then a second glyph close by) and
    // a lone glyph far to the right; and a tall block (an image).
    let rows: Vec<String> = (0..40)
        .map(|y| {
            (0..120)
                .map(|x| {
                    let dot = (2..4).contains(&y) && (10..13).contains(&x);
                    let stem = (6..16).contains(&y) && (10..13).contains(&x);
                    let second = (6..16).contains(&y) && (15..22).contains(&x);
                    let far = (6..16).contains(&y) && (40..47).contains(&x);
                    let block = (5..40).contains(&y) && (80..115).contains(&x);
                    if dot || stem || second || far || block {
                        '#'
                    } else {
                        '.'
                    }
                })
                .collect()
        })
        .collect();
    let refs: Vec<&str> = rows.iter().map(|s| s.as_str()).collect();
    let bin = workbench_vision::Binary::from_ascii(&refs);
    let data = page_of(&bin);
    let img = Image {
        height: 40,
        width: 120,
        channels: 1,
        data: &data,
    };
    let mut s = Segmenters::new(
        "cca",
        &config(&[("binarize", "otsu".into()), ("image_height", 3.0.into())]),
    )
    .unwrap();
    let mut r = s.segment(&img).unwrap();
    r.sort_by(|a, b| a.x.total_cmp(&b.x));
    let boxes: Vec<_> = r.iter().map(|r| (r.kind, r.x, r.y, r.w, r.h)).collect();
    assert_eq!(
        boxes,
        vec![
            (RegionKind::Word, 10.0, 2.0, 12.0, 14.0),
            (RegionKind::Word, 40.0, 6.0, 7.0, 10.0),
            (RegionKind::Image, 80.0, 5.0, 35.0, 35.0),
        ]
    );
}

#[test]
fn empty_and_blank_pages() {
    let mut s = Segmenters::new("cca", &Config::default()).unwrap();
    let none = Image {
        height: 0,
        width: 0,
        channels: 1,
        data: &[],
    };
    assert!(s.segment(&none).unwrap().is_empty());
    let white = vec![1.0f32; 50 * 40];
    let img = Image {
        height: 40,
        width: 50,
        channels: 1,
        data: &white,
    };
    for v in ["cca", "cca-dilate", "xy-cut"] {
        let mut s = Segmenters::new(v, &Config::default()).unwrap();
        assert!(s.segment(&img).unwrap().is_empty(), "{v}");
    }
    let bad = Image {
        height: 4,
        width: 4,
        channels: 1,
        data: &white[..3],
    };
    assert!(s.segment(&bad).is_err());
}

/// The glyph boxes `(x0, y0, x1, y1)` of a line of text from `x` to `end`
/// at `y`: glyphs 6 × 12, four to a word, 3 apart inside words and 10
/// between them.
fn text_line(x: usize, end: usize, y: usize) -> Vec<(usize, usize, usize, usize)> {
    let mut glyphs = Vec::new();
    let mut x = x;
    while x + 6 < end {
        for _ in 0..4 {
            glyphs.push((x, y, x + 6, y + 12));
            x += 9;
        }
        x += 10;
    }
    glyphs
}

/// A page of text lines ([`text_line`]), a toolbar-like screenshot (light tones shading from top to
/// bottom, with dark icons) and a flat shaded box with text on it.
fn page_with_screen_and_shaded_box() -> (Vec<f32>, usize, usize) {
    let (w, h) = (600usize, 500usize);
    let mut page = vec![1.0f32; w * h];
    let mut fill = |x0: usize, y0: usize, x1: usize, y1: usize, v: &dyn Fn(usize, usize) -> f32| {
        for y in y0..y1 {
            for x in x0..x1 {
                page[y * w + x] = v(x, y);
            }
        }
    };
    // The screenshot: 300 × 40 at (40, 200), tones from 0.80 to 0.92.
    fill(40, 200, 340, 240, &|_, y| {
        0.80 + 0.12 * (y - 200) as f32 / 40.0
    });
    // The shaded box: 300 × 60 at (40, 300), one tone.
    fill(40, 300, 340, 360, &|_, _| 0.85);
    // Text lines above, icons in the screenshot, text in the box.
    let mut glyphs: Vec<_> = (0..5)
        .flat_map(|l| text_line(40, 540, 40 + l * 24))
        .collect();
    glyphs.extend((0..8).map(|i| (50 + 35 * i, 208, 70 + 35 * i, 230)));
    glyphs.extend((0..2).flat_map(|l| text_line(50, 330, 312 + l * 24)));
    for (x0, y0, x1, y1) in glyphs {
        fill(x0, y0, x1, y1, &|_, _| 0.05);
    }
    (page, w, h)
}

#[test]
fn cca_finds_a_screenshot_by_its_light_tones_and_not_a_flat_shaded_box() {
    let (data, w, h) = page_with_screen_and_shaded_box();
    let img = Image {
        height: h,
        width: w,
        channels: 1,
        data: &data,
    };
    let iou = |r: &Region, (x0, y0, x1, y1): (f32, f32, f32, f32)| {
        let ix = (r.x + r.w).min(x1) - r.x.max(x0);
        let iy = (r.y + r.h).min(y1) - r.y.max(y0);
        let i = ix.max(0.0) * iy.max(0.0);
        i / (r.w * r.h + (x1 - x0) * (y1 - y0) - i)
    };
    let (screen, shaded) = ((40.0, 200.0, 340.0, 240.0), (40.0, 300.0, 340.0, 360.0));
    let images = |screens: bool| {
        let mut s = Segmenters::new("cca", &config(&[("screens", screens.into())])).unwrap();
        s.segment(&img)
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == RegionKind::Image)
            .collect::<Vec<_>>()
    };
    let found = images(true);
    assert!(
        found.iter().any(|r| iou(r, screen) >= 0.8),
        "the screenshot is an image: {found:?}"
    );
    // Its icons are its own, not words of the page.
    let mut s = Segmenters::new("cca", &Config::default()).unwrap();
    let in_screen = s
        .segment(&img)
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == RegionKind::Word && r.y > screen.1 && r.y + r.h < screen.3)
        .count();
    assert_eq!(in_screen, 0, "words inside the screenshot");
    assert!(
        found.iter().all(|r| iou(r, shaded) < 0.1),
        "the shaded box is not: {found:?}"
    );
    let without = images(false);
    assert!(
        without.iter().all(|r| iou(r, screen) < 0.5),
        "screens: false finds no screenshot: {without:?}"
    );
}

#[test]
fn cca_reads_one_large_glyph_as_a_word_and_a_solid_block_as_an_image() {
    // Text lines set the character height (12); below them a ring shaped
    // and inked as a letter `O` is (a chapter number's size), and a solid
    // block of the same size.
    let (w, h) = (400usize, 300usize);
    let mut data = vec![1.0f32; w * h];
    let mut ink = |x0: usize, y0: usize, x1: usize, y1: usize| {
        for y in y0..y1 {
            data[y * w + x0..y * w + x1].fill(0.0);
        }
    };
    for (x0, y0, x1, y1) in (0..3).flat_map(|l| text_line(20, 380, 20 + 24 * l)) {
        ink(x0, y0, x1, y1);
    }
    let (ring, block) = ((40, 150, 100, 230), (250, 150, 310, 230));
    ink(block.0, block.1, block.2, block.3);
    ink(ring.0, ring.1, ring.2, ring.3);
    for y in ring.1 + 12..ring.3 - 12 {
        data[y * w + ring.0 + 12..y * w + ring.2 - 12].fill(1.0);
    }
    let img = Image {
        height: h,
        width: w,
        channels: 1,
        data: &data,
    };
    let mut s = Segmenters::new("cca", &Config::default()).unwrap();
    let regions = s.segment(&img).unwrap();
    let at = |(x0, y0, ..): (usize, usize, usize, usize)| {
        regions
            .iter()
            .find(|r| r.x == x0 as f32 && r.y == y0 as f32)
            .map(|r| (r.kind, r.w, r.h))
    };
    assert_eq!(
        at(ring),
        Some((RegionKind::Word, 60.0, 80.0)),
        "{regions:?}"
    );
    assert_eq!(
        at(block),
        Some((RegionKind::Image, 60.0, 80.0)),
        "{regions:?}"
    );
}

#[test]
fn cca_does_not_take_a_noisy_page_for_a_screenshot() {
    // Gaussian-like noise (a sum of uniforms, deterministic) over the whole
    // page gives light tones everywhere: noise, not an image.
    let (mut data, w, h) = page_with_screen_and_shaded_box();
    let mut state = 12345u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    for v in &mut data {
        let noise: f32 = (0..4).map(|_| uniform()).sum::<f32>() * 0.08 * 1.7;
        *v = (*v + noise).clamp(0.0, 1.0);
    }
    let img = Image {
        height: h,
        width: w,
        channels: 1,
        data: &data,
    };
    let mut s = Segmenters::new("cca", &Config::default()).unwrap();
    let regions = s.segment(&img).unwrap();
    let words = regions
        .iter()
        .filter(|r| r.kind == RegionKind::Word)
        .count();
    assert!(
        regions
            .iter()
            .all(|r| r.kind == RegionKind::Word || r.w * r.h < 0.25 * (w * h) as f32),
        "{regions:?}"
    );
    assert!(words > 40, "{words} words");
}
