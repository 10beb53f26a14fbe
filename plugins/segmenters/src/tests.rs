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
    let mut s = Segmenters::new("cca", &config(&[("binarize", "otsu".into())])).unwrap();
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
