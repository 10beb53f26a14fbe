use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn count(rows: &[&str], conn: Connectivity) -> usize {
    let img = Binary::from_ascii(rows);
    let n = components(&img, conn).len();
    assert_eq!(label(&img, conn).components.len(), n);
    n
}

#[test]
fn known_images() {
    let img = [
        "##..#....",
        "##..#..#.",
        "....#..#.",
        ".......##",
        "#........",
    ];
    assert_eq!(count(&img, Connectivity::Four), 4);
    assert_eq!(count(&img, Connectivity::Eight), 4);
    // A ring is one component holding a hole.
    let ring = ["#####", "#...#", "#.#.#", "#...#", "#####"];
    assert_eq!(count(&ring, Connectivity::Eight), 2);
    // A U joins two arms only at the bottom: the second pass must merge labels.
    let u = ["#...#", "#...#", "#####"];
    assert_eq!(count(&u, Connectivity::Four), 1);
    // A W shape merges three provisional labels.
    let w = ["#.#.#", "#.#.#", "#####"];
    assert_eq!(count(&w, Connectivity::Four), 1);
}

#[test]
fn four_versus_eight() {
    let diag = ["#..", ".#.", "..#"];
    assert_eq!(count(&diag, Connectivity::Four), 3);
    assert_eq!(count(&diag, Connectivity::Eight), 1);
    let anti = ["..#", ".#.", "#.."];
    assert_eq!(count(&anti, Connectivity::Four), 3);
    assert_eq!(count(&anti, Connectivity::Eight), 1);
    let checker = ["#.#.", ".#.#", "#.#.", ".#.#"];
    assert_eq!(count(&checker, Connectivity::Four), 8);
    assert_eq!(count(&checker, Connectivity::Eight), 1);
}

#[test]
fn borders_and_long_runs() {
    // Runs touching both borders, longer than a word of eight bytes.
    let full = "#".repeat(37);
    let gap = format!("#{}#", ".".repeat(35));
    let img = [full.as_str(), gap.as_str(), full.as_str()];
    let l = label(&Binary::from_ascii(&img), Connectivity::Four);
    assert_eq!(l.components.len(), 1);
    let c = l.components[0];
    assert_eq!((c.x, c.y, c.w, c.h, c.pixels), (0, 0, 37, 3, 37 * 2 + 2));
    let corner = ["#..#", "....", "#..#"];
    assert_eq!(count(&corner, Connectivity::Eight), 4);
}

#[test]
fn one_pixel_and_empty_images() {
    assert_eq!(count(&["#"], Connectivity::Eight), 1);
    assert_eq!(count(&["."], Connectivity::Eight), 0);
    let empty = Binary::new(0, 0);
    assert!(label(&empty, Connectivity::Eight).components.is_empty());
    assert!(components(&Binary::new(5, 0), Connectivity::Four).is_empty());
    assert!(components(&Binary::new(0, 5), Connectivity::Four).is_empty());
    let l = label(&Binary::from_ascii(&["#"]), Connectivity::Four);
    assert_eq!(l.labels, vec![1]);
    let c = l.components[0];
    assert_eq!((c.cx, c.cy, c.bbox_area()), (0.0, 0.0, 1));
}

#[test]
fn statistics_of_a_known_component() {
    let img = ["......", ".###..", ".#....", ".#...."];
    let l = label(&Binary::from_ascii(&img), Connectivity::Eight);
    let c = l.components[0];
    assert_eq!((c.x, c.y, c.w, c.h, c.pixels), (1, 1, 3, 3, 5));
    assert!((c.cx - (1.0 + 2.0 + 3.0 + 1.0 + 1.0) / 5.0).abs() < 1e-12);
    assert!((c.cy - (1.0 * 3.0 + 2.0 + 3.0) / 5.0).abs() < 1e-12);
    assert_eq!(c.bbox_area(), 9);
}

/// The simplest correct labelling: flood fill from every unlabelled pixel in
/// raster order, so labels are numbered like [`label`]'s.
fn flood(img: &Binary, conn: Connectivity) -> (Vec<u32>, usize) {
    let (w, h) = (img.width as i64, img.height as i64);
    let mut labels = vec![0u32; img.data.len()];
    let mut next = 0;
    let n4: &[(i64, i64)] = &[(-1, 0), (1, 0), (0, -1), (0, 1)];
    let n8: &[(i64, i64)] = &[
        (-1, 0),
        (1, 0),
        (0, -1),
        (0, 1),
        (-1, -1),
        (1, -1),
        (-1, 1),
        (1, 1),
    ];
    let nbrs = if conn == Connectivity::Four { n4 } else { n8 };
    for start in 0..img.data.len() {
        if img.data[start] == 0 || labels[start] != 0 {
            continue;
        }
        next += 1;
        labels[start] = next;
        let mut stack = vec![start];
        while let Some(p) = stack.pop() {
            let (x, y) = (p as i64 % w, p as i64 / w);
            for (dx, dy) in nbrs {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx >= w || ny >= h {
                    continue;
                }
                let q = (ny * w + nx) as usize;
                if img.data[q] != 0 && labels[q] == 0 {
                    labels[q] = next;
                    stack.push(q);
                }
            }
        }
    }
    (labels, next as usize)
}

/// Property: on random images of random size and density, the labelling
/// equals flood fill's (same numbering, since both number components by
/// their first pixel in raster order), and the statistics match a direct
/// count.
#[test]
fn matches_flood_fill_on_random_images() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    for case in 0..600 {
        let w = rng.gen_range(1..40);
        let h = rng.gen_range(1..30);
        let density: f64 = rng.gen_range(0.05..0.95);
        let mut img = Binary::new(w, h);
        for v in img.data.iter_mut() {
            *v = u8::from(rng.gen_bool(density));
        }
        for conn in [Connectivity::Four, Connectivity::Eight] {
            let (want, n) = flood(&img, conn);
            let got = label(&img, conn);
            assert_eq!(got.components.len(), n, "case {case} {conn:?}");
            assert_eq!(got.labels, want, "case {case} {conn:?}");
            assert_eq!(components(&img, conn), got.components);
            for (i, c) in got.components.iter().enumerate() {
                let (mut x0, mut y0, mut x1, mut y1, mut px) = (usize::MAX, usize::MAX, 0, 0, 0);
                for (p, &l) in want.iter().enumerate() {
                    if l as usize == i + 1 {
                        let (x, y) = (p % w, p / w);
                        x0 = x0.min(x);
                        y0 = y0.min(y);
                        x1 = x1.max(x + 1);
                        y1 = y1.max(y + 1);
                        px += 1;
                    }
                }
                assert_eq!(
                    (
                        c.x as usize,
                        c.y as usize,
                        c.w as usize,
                        c.h as usize,
                        c.pixels as usize
                    ),
                    (x0, y0, x1 - x0, y1 - y0, px),
                    "case {case} component {i}"
                );
            }
        }
    }
}
