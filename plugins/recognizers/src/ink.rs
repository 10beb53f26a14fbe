//! Finding a word's ink in a crop of any kind, so that the reader sees the
//! same input however the word was cut: ink-tight, at line height, with a
//! generous margin, light on dark or dark on light, at any resolution.
//!
//! 1. Gray (mean of the channels).
//! 2. Polarity and levels: Otsu's split of a 64-bin histogram separates
//!    two classes; the larger one (border pixels count three times, so a
//!    tight crop of a bold word still finds its paper) is the background.
//!    Values are mapped so the background's median is 0 and the ink's
//!    median is 1 (clamped): low contrast, grey backgrounds and light text
//!    on dark all become the same white-on-black input. A crop whose two
//!    classes differ by less than [`MIN_CONTRAST`] has no ink.
//! 3. The ink box: rows with ink form runs; the run with the most ink is
//!    the word's body, and runs close above or below it (i dots, accents,
//!    ascenders cut by a blank row) join it while the gap is at most
//!    `max(2, 0.2 ×` the band's height`)`, and so do runs with at least
//!    half its ink within its own height (a colon's dots). Fragments of neighbouring lines
//!    that a line-height cut takes in stay out. Across, slivers touching
//!    the left or right edge, separated from the rest by a word gap and
//!    narrower than half the band, are a neighbour's and are dropped.
//! 4. The ink box, widened by [`MARGIN`] of its height on every side (plus
//!    the training jitter), is resized to the model height keeping its
//!    aspect ratio: box-filtered when shrinking, bilinear when enlarging.

use workbench_api::Image;

/// Smallest difference between paper and ink levels (0..1) that is ink.
pub const MIN_CONTRAST: f32 = 0.08;
/// Margin around the ink box, as a fraction of its height.
pub const MARGIN: f32 = 0.08;

/// A crop as white-on-black values in `0..=1`, with its ink box.
#[derive(Clone, Debug, PartialEq)]
pub struct Inked {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Values, background 0, ink 1.
    pub data: Vec<f32>,
    /// `(x0, y0, x1, y1)`, exclusive ends; `None` when the crop has no ink.
    pub ink: Option<(usize, usize, usize, usize)>,
}

/// Gray values of `img` (channel mean), row-major.
fn gray(img: &Image) -> Vec<f32> {
    let c = img.channels.max(1);
    (0..img.height * img.width)
        .map(|p| img.data[p * c..(p + 1) * c].iter().sum::<f32>() / c as f32)
        .collect()
}

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, f32::total_cmp).1
}

/// Polarity and levels (step 2), then the ink box (step 3).
pub fn find(img: &Image) -> Inked {
    let (w, h) = (img.width, img.height);
    let g = gray(img);
    if g.is_empty() {
        return Inked {
            width: w,
            height: h,
            data: g,
            ink: None,
        };
    }
    const BINS: usize = 64;
    let bin = |v: f32| ((v.clamp(0.0, 1.0) * (BINS - 1) as f32).round()) as usize;
    let mut hist = vec![0u64; BINS];
    for &v in &g {
        hist[bin(v)] += 1;
    }
    let blank = |g: Vec<f32>| Inked {
        width: w,
        height: h,
        data: vec![0.0; g.len()],
        ink: None,
    };
    let Some(split) = workbench_vision::binarize::otsu_split(&hist) else {
        return blank(g);
    };
    let dark = |v: f32| bin(v) <= split;
    // Class sizes, border pixels weighted three times.
    let (mut n_dark, mut n_light) = (0u64, 0u64);
    for y in 0..h {
        for x in 0..w {
            let weight = if y == 0 || x == 0 || y + 1 == h || x + 1 == w {
                3
            } else {
                1
            };
            if dark(g[y * w + x]) {
                n_dark += weight;
            } else {
                n_light += weight;
            }
        }
    }
    let ink_is_dark = n_light >= n_dark;
    let (ink_v, paper_v): (Vec<f32>, Vec<f32>) = g.iter().partition(|&&v| dark(v) == ink_is_dark);
    let (ink_level, paper) = (median(ink_v), median(paper_v));
    if (ink_level - paper).abs() < MIN_CONTRAST {
        return blank(g);
    }
    let scale = 1.0 / (ink_level - paper);
    let data: Vec<f32> = g
        .iter()
        .map(|&v| ((v - paper) * scale).clamp(0.0, 1.0))
        .collect();
    let ink = ink_box(&data, w, h);
    Inked {
        width: w,
        height: h,
        data,
        ink,
    }
}

/// Runs `(start, end, mass)` of indices whose `mass` is non-zero.
fn runs(mass: &[u32]) -> Vec<(usize, usize, u64)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < mass.len() {
        if mass[i] == 0 {
            i += 1;
            continue;
        }
        let start = i;
        let mut sum = 0u64;
        while i < mass.len() && mass[i] > 0 {
            sum += mass[i] as u64;
            i += 1;
        }
        out.push((start, i, sum));
    }
    out
}

/// Step 3 on white-on-black values.
fn ink_box(data: &[f32], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let on = |x: usize, y: usize| data[y * w + x] > 0.5;
    let rows: Vec<u32> = (0..h)
        .map(|y| (0..w).filter(|&x| on(x, y)).count() as u32)
        .collect();
    let row_runs = runs(&rows);
    let main = (0..row_runs.len()).max_by_key(|&i| row_runs[i].2)?;
    let (mut lo, mut hi) = (main, main);
    let (main_h, main_mass) = (
        (row_runs[main].1 - row_runs[main].0) as f32,
        row_runs[main].2,
    );
    loop {
        let band = (row_runs[hi].1 - row_runs[lo].0) as f32;
        let reach = (0.2 * band).max(2.0);
        // Near runs join; so do runs of at least half the main run's ink
        // within its height (the two dots of a colon, the bars of `=`).
        let joins = |i: usize, gap: usize| {
            gap as f32 <= reach || (row_runs[i].2 * 2 >= main_mass && gap as f32 <= main_h.max(2.0))
        };
        let up = lo
            .checked_sub(1)
            .filter(|&i| joins(i, row_runs[lo].0 - row_runs[i].1));
        let down = (hi + 1 < row_runs.len())
            .then_some(hi + 1)
            .filter(|&i| joins(i, row_runs[i].0 - row_runs[hi].1));
        match (up, down) {
            (None, None) => break,
            (Some(u), _) => lo = u,
            (None, Some(d)) => hi = d,
        }
    }
    let (y0, y1) = (row_runs[lo].0, row_runs[hi].1);
    let cols: Vec<u32> = (0..w)
        .map(|x| (y0..y1).filter(|&y| on(x, y)).count() as u32)
        .collect();
    let mut col_runs = runs(&cols);
    let band = (y1 - y0) as f32;
    let sliver = |r: &(usize, usize, u64), gap: usize| {
        ((r.1 - r.0) as f32) < 0.5 * band && gap as f32 >= 0.3 * band
    };
    while col_runs.len() > 1 {
        let first = col_runs[0];
        if first.0 == 0 && sliver(&first, col_runs[1].0 - first.1) {
            col_runs.remove(0);
        } else {
            break;
        }
    }
    while col_runs.len() > 1 {
        let n = col_runs.len();
        let last = col_runs[n - 1];
        if last.1 == w && sliver(&last, last.0 - col_runs[n - 2].1) {
            col_runs.pop();
        } else {
            break;
        }
    }
    let (x0, x1) = (col_runs.first()?.0, col_runs.last()?.1);
    Some((x0, y0, x1, y1))
}

/// Resamples the `(x0, y0)–(x1, y1)` window of `src` (which may reach
/// outside it: background there) to `ow × oh`: the mean of the source area
/// under each output pixel when shrinking, bilinear when enlarging.
pub fn resample(
    src: &[f32],
    w: usize,
    h: usize,
    window: (f32, f32, f32, f32),
    ow: usize,
    oh: usize,
) -> Vec<f32> {
    let (x0, y0, x1, y1) = window;
    let (sx, sy) = ((x1 - x0) / ow as f32, (y1 - y0) / oh as f32);
    let at = |x: isize, y: isize| -> f32 {
        if x < 0 || y < 0 || x >= w as isize || y >= h as isize {
            0.0
        } else {
            src[y as usize * w + x as usize]
        }
    };
    let bilinear = |fx: f32, fy: f32| {
        let (xf, yf) = (fx.floor(), fy.floor());
        let (tx, ty) = (fx - xf, fy - yf);
        let (xi, yi) = (xf as isize, yf as isize);
        let top = at(xi, yi) * (1.0 - tx) + at(xi + 1, yi) * tx;
        let bot = at(xi, yi + 1) * (1.0 - tx) + at(xi + 1, yi + 1) * tx;
        top * (1.0 - ty) + bot * ty
    };
    // Sub-samples per output pixel along each axis when shrinking.
    let (kx, ky) = (sx.ceil().max(1.0) as usize, sy.ceil().max(1.0) as usize);
    let mut out = vec![0.0; ow * oh];
    for oy in 0..oh {
        for ox in 0..ow {
            let mut sum = 0.0;
            for j in 0..ky {
                let fy = y0 + (oy as f32 + (j as f32 + 0.5) / ky as f32) * sy - 0.5;
                for i in 0..kx {
                    let fx = x0 + (ox as f32 + (i as f32 + 0.5) / kx as f32) * sx - 0.5;
                    sum += bilinear(fx, fy);
                }
            }
            out[oy * ow + ox] = sum / (kx * ky) as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(rows: &[&str]) -> (usize, usize, Vec<f32>) {
        let (h, w) = (rows.len(), rows[0].len());
        let data = rows
            .iter()
            .flat_map(|r| r.chars().map(|c| if c == '#' { 0.1 } else { 0.9 }))
            .collect();
        (w, h, data)
    }

    fn find_in(rows: &[&str]) -> Inked {
        let (w, h, data) = image(rows);
        find(&Image {
            height: h,
            width: w,
            channels: 1,
            data: &data,
        })
    }

    #[test]
    fn dark_on_light_becomes_white_on_black_with_its_ink_box() {
        let found = find_in(&[
            "..........",
            "..#..##...",
            "..#..#.#..",
            "..####.#..",
            "..........",
        ]);
        assert_eq!(found.ink, Some((2, 1, 8, 4)));
        assert_eq!(found.data[0], 0.0);
        assert!(found.data[12] > 0.99);
    }

    #[test]
    fn light_on_dark_is_the_same_input() {
        let rows = [
            "..........",
            "..#..##...",
            "..#..#.#..",
            "..####.#..",
            "..........",
        ];
        let a = find_in(&rows);
        let (w, h, data) = image(&rows);
        let inverted: Vec<f32> = data.iter().map(|v| 1.0 - v).collect();
        let b = find(&Image {
            height: h,
            width: w,
            channels: 1,
            data: &inverted,
        });
        assert_eq!(a, b);
    }

    #[test]
    fn a_neighbouring_line_and_word_stay_out_but_an_i_dot_comes_in() {
        let found = find_in(&[
            "#.....###.##.....",
            "#................",
            ".................",
            ".................",
            ".................",
            "..........#......",
            ".................",
            "..#..#...##.....#",
            "..#..#....#.....#",
            "..####....#.....#",
            "..#..#...###.....",
            ".................",
            ".................",
            ".................",
            "...#.#....#......",
        ]);
        // Rows 5..=10 (the dot joins across one blank row); columns 2..12
        // (the sliver at the right edge is a neighbour's).
        assert_eq!(found.ink, Some((2, 5, 12, 11)));
    }

    #[test]
    fn both_dots_of_a_colon_are_ink() {
        let found = find_in(&[
            "......", "..##..", "..##..", "......", "......", "..##..", "..##..", "......",
        ]);
        assert_eq!(found.ink, Some((2, 1, 4, 7)));
    }

    #[test]
    fn a_flat_crop_has_no_ink() {
        let found = find_in(&["....", "...."]);
        assert_eq!(found.ink, None);
        assert!(found.data.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn shrinking_averages_and_enlarging_interpolates() {
        let src = vec![0.0, 1.0, 0.0, 1.0];
        // 4 columns into 2: each output is the mean of two.
        let out = resample(&src, 4, 1, (0.0, 0.0, 4.0, 1.0), 2, 1);
        assert!(out.iter().all(|v| (v - 0.5).abs() < 1e-6), "{out:?}");
        // Outside the source is background.
        let out = resample(&[1.0], 1, 1, (-1.0, 0.0, 2.0, 1.0), 3, 1);
        assert_eq!(out, vec![0.0, 1.0, 0.0]);
    }
}
