use super::*;

fn small() -> PagesConfig {
    PagesConfig {
        dpi: 60.0,
        ..Default::default()
    }
}

#[test]
fn deterministic_for_a_seed() {
    let a = generate(&small(), 2, 7);
    let b = generate(&small(), 2, 7);
    assert_eq!(a, b);
    assert_ne!(a[0].pixels, generate(&small(), 1, 8)[0].pixels);
    assert_eq!(a[1].name, "page-0001");
}

/// Every word box holds ink and no ink of another word; image boxes hold no
/// word's ink either (checked on the rendered clean page: dark pixels).
#[test]
fn word_boxes_hold_their_own_ink_only() {
    for (seed, skew) in [(1, 0.0), (2, 0.0), (3, 2.0)] {
        let cfg = PagesConfig {
            skew,
            images: 3,
            ..small()
        };
        // Re-render the canvas to know pixel owners.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let page = render_page(&cfg, &mut rng);
        let truth = page.truth.as_ref().unwrap();
        assert!(truth.words.len() > 50, "{} words", truth.words.len());
        let dark = |x: usize, y: usize| page.pixels[y * page.width + x] < 0.5;
        // A map of which word box covers each pixel.
        let mut cover = vec![0u32; page.width * page.height];
        for (i, b) in truth.words.iter().enumerate() {
            let mut inked = 0;
            for y in b.y as usize..(b.y + b.h) as usize {
                for x in b.x as usize..(b.x + b.w) as usize {
                    assert_eq!(
                        cover[y * page.width + x],
                        0,
                        "word boxes {i} and {} overlap",
                        cover[y * page.width + x]
                    );
                    cover[y * page.width + x] = i as u32 + 1;
                    inked += usize::from(dark(x, y));
                }
            }
            assert!(inked > 0, "word {i} {:?} has no ink", b);
        }
        for b in &truth.images {
            for y in b.y as usize..(b.y + b.h) as usize {
                for x in b.x as usize..(b.x + b.w) as usize {
                    assert_eq!(
                        cover[y * page.width + x],
                        0,
                        "image box {b:?} overlaps a word"
                    );
                }
            }
        }
        // Every dark pixel outside all boxes is at most anti-aliasing: none
        // of the ink at coverage ≥ ½ is left unowned.
        let mut loose = 0;
        for y in 0..page.height {
            for x in 0..page.width {
                let in_image = truth.images.iter().any(|b| {
                    (x as f64) >= b.x
                        && (x as f64) < b.x + b.w
                        && (y as f64) >= b.y
                        && (y as f64) < b.y + b.h
                });
                if dark(x, y) && cover[y * page.width + x] == 0 && !in_image {
                    loose += 1;
                }
            }
        }
        assert!(
            loose < 20,
            "seed {seed}: {loose} dark pixels outside every box"
        );
    }
}

#[test]
fn degradations_change_pixels_not_truth() {
    let clean = generate(&small(), 1, 5);
    let noisy = generate(
        &PagesConfig {
            noise: 0.1,
            salt_pepper: 0.02,
            blur: 0.8,
            contrast: 0.6,
            illumination: 0.4,
            ..small()
        },
        1,
        5,
    );
    assert_eq!(clean[0].truth, noisy[0].truth);
    assert_ne!(clean[0].pixels, noisy[0].pixels);
    assert!(noisy[0].pixels.iter().all(|v| (0.0..=1.0).contains(v)));
}
