//! Tests of `synthetic_digits`.

use super::*;

#[test]
fn fonts_load() {
    let fonts = embedded_fonts();
    assert_eq!(fonts.len(), EMBEDDED_FONT_NAMES.len());
    for f in fonts {
        assert!(f.glyph_id('7').0 != 0);
    }
}

#[test]
fn deterministic_per_seed() {
    let cfg = DigitsConfig::default();
    let a = generate(&cfg, 50, 7);
    let b = generate(&cfg, 50, 7);
    let c = generate(&cfg, 50, 8);
    assert_eq!(a, b);
    assert_ne!(a.pixels, c.pixels);
    let (tr, te) = generate_splits(&cfg, 30, 30, 7);
    assert_ne!(tr.pixels, te.pixels);
    assert_eq!(generate_splits(&cfg, 30, 30, 7).0, tr);
}

#[test]
fn balanced_labels_and_range() {
    let cfg = DigitsConfig::default();
    let s = generate(&cfg, 1003, 1);
    assert_eq!(s.len(), 1003);
    assert_eq!((s.height, s.width, s.channels), (28, 28, 1));
    let mut counts = [0usize; 10];
    for &l in &s.labels {
        counts[l as usize] += 1;
    }
    assert!(counts.iter().all(|&c| c == 100 || c == 101), "{counts:?}");
    // Shuffled, not 0,1,2,...
    assert!(s.labels[..20].windows(2).any(|w| w[1] != (w[0] + 1) % 10));
    assert!(s.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(generate(&cfg, 0, 1).is_empty());
}

#[test]
fn ink_present_and_centred() {
    let cfg = DigitsConfig::default();
    let s = generate(&cfg, 500, 3);
    let n = s.width;
    let mut border_total = 0.0;
    for i in 0..s.len() {
        let img = s.image(i);
        let mean = img.iter().sum::<f32>() / img.len() as f32;
        assert!(
            mean > 0.03,
            "image {i} (digit {}) too faint: {mean}",
            s.labels[i]
        );
        let mut border = Vec::new();
        for y in 0..n {
            for x in 0..n {
                if x < 2 || y < 2 || x >= n - 2 || y >= n - 2 {
                    border.push(img[y * n + x]);
                }
            }
        }
        let bmean = border.iter().sum::<f32>() / border.len() as f32;
        let dark = border.iter().filter(|&&v| v < 0.3).count() as f32 / border.len() as f32;
        assert!(dark > 0.9, "image {i}: only {dark} of the border is dark");
        assert!(bmean < mean, "image {i}: border brighter than the image");
        border_total += bmean;
    }
    assert!(border_total / (s.len() as f32) < 0.05);
}

#[test]
fn nearest_class_mean_recognises_digits() {
    let cfg = DigitsConfig::default();
    let (train, test) = generate_splits(&cfg, 2000, 500, 42);
    let d = train.image_len();
    let mut means = vec![0.0f32; 10 * d];
    let mut counts = [0f32; 10];
    for i in 0..train.len() {
        let l = train.labels[i] as usize;
        counts[l] += 1.0;
        for (m, v) in means[l * d..(l + 1) * d].iter_mut().zip(train.image(i)) {
            *m += v;
        }
    }
    for l in 0..10 {
        means[l * d..(l + 1) * d]
            .iter_mut()
            .for_each(|m| *m /= counts[l]);
    }
    let mut correct = 0;
    for i in 0..test.len() {
        let img = test.image(i);
        let best = (0..10)
            .map(|l| {
                let dist: f32 = means[l * d..(l + 1) * d]
                    .iter()
                    .zip(img)
                    .map(|(m, v)| (m - v) * (m - v))
                    .sum();
                (dist, l)
            })
            .fold((f32::MAX, 0), |a, b| if b.0 < a.0 { b } else { a })
            .1;
        if best == test.labels[i] as usize {
            correct += 1;
        }
    }
    let acc = correct as f32 / test.len() as f32;
    assert!(acc > 0.7, "nearest-class-mean accuracy {acc}");
}

#[test]
fn validate_and_clamp() {
    assert!(DigitsConfig::default().validate().is_ok());
    let bad = DigitsConfig {
        size: 3,
        scale_range: (1.2, 0.5),
        stroke: (3, -20),
        noise_sigma: f32::NAN,
        max_shear: f32::INFINITY,
        ..DigitsConfig::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(DataError::InvalidParam { .. })
    ));
    // generate never panics; it clamps.
    let s = generate(&bad, 20, 0);
    assert_eq!((s.len(), s.width), (20, 8));
    assert!(s.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn other_sizes_and_blur() {
    let cfg = DigitsConfig {
        size: 32,
        blur: true,
        noise_sigma: 0.0,
        stroke: (0, 2),
        ..DigitsConfig::default()
    };
    let s = generate(&cfg, 20, 5);
    assert_eq!(s.image_len(), 32 * 32);
    assert!(s.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!((0..20).all(|i| s.image(i).iter().any(|&v| v > 0.5)));
}
