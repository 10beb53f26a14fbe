//! Ruling lines: long, thin horizontal and vertical strokes (table grids,
//! rules, frames, underlines). A pixel is on a horizontal line when it lies
//! on a horizontal ink run at least `min_len` long and the stack of such
//! pixels above and below it is at most `max_thick` tall (so filled areas,
//! whose long runs stack up, are not lines); vertical lines likewise.

use crate::binarize::Binary;

/// The ruling-line pixels of `img` (1 = line).
pub fn ruling_lines(img: &Binary, min_len: usize, max_thick: usize) -> Binary {
    let (w, h) = (img.width, img.height);
    let mut out = Binary::new(w, h);
    if w == 0 || h == 0 || min_len == 0 {
        return out;
    }
    // Horizontal: long runs per row, then thin stacks per column.
    let mut long = vec![0u8; w * h];
    for y in 0..h {
        let row = &img.data[y * w..(y + 1) * w];
        mark_long_runs(row, min_len, &mut long[y * w..(y + 1) * w]);
    }
    for x in 0..w {
        let mut y = 0;
        while y < h {
            if long[y * w + x] == 0 {
                y += 1;
                continue;
            }
            let s = y;
            while y < h && long[y * w + x] != 0 {
                y += 1;
            }
            if y - s <= max_thick {
                for yy in s..y {
                    out.data[yy * w + x] = 1;
                }
            }
        }
    }
    // Vertical: the same on columns.
    let mut col = vec![0u8; h];
    let mut mark = vec![0u8; h];
    let mut vlong = vec![0u8; w * h];
    for x in 0..w {
        for (y, c) in col.iter_mut().enumerate() {
            *c = img.data[y * w + x];
        }
        mark.fill(0);
        mark_long_runs(&col, min_len, &mut mark);
        for (y, &m) in mark.iter().enumerate() {
            vlong[y * w + x] = m;
        }
    }
    for y in 0..h {
        let row = &vlong[y * w..(y + 1) * w];
        let mut x = 0;
        while x < w {
            if row[x] == 0 {
                x += 1;
                continue;
            }
            let s = x;
            while x < w && row[x] != 0 {
                x += 1;
            }
            if x - s <= max_thick {
                out.data[y * w + s..y * w + x].fill(1);
            }
        }
    }
    out
}

/// The pixels of `img` on a horizontal or a vertical run of ink at least
/// `min_len` long, however thick (rules, grids, frames and filled boxes).
pub fn long_runs(img: &Binary, min_len: usize) -> Binary {
    let (w, h) = (img.width, img.height);
    let mut out = Binary::new(w, h);
    if min_len == 0 {
        return out;
    }
    for y in 0..h {
        mark_long_runs(
            &img.data[y * w..(y + 1) * w],
            min_len,
            &mut out.data[y * w..(y + 1) * w],
        );
    }
    let (mut col, mut mark) = (vec![0u8; h], vec![0u8; h]);
    for x in 0..w {
        for (y, c) in col.iter_mut().enumerate() {
            *c = img.data[y * w + x];
        }
        mark.fill(0);
        mark_long_runs(&col, min_len, &mut mark);
        for (y, &m) in mark.iter().enumerate() {
            out.data[y * w + x] |= m;
        }
    }
    out
}

/// Sets `mark` to 1 over every run of ink in `line` at least `min_len` long.
fn mark_long_runs(line: &[u8], min_len: usize, mark: &mut [u8]) {
    let mut x = 0;
    let n = line.len();
    while x < n {
        if line[x] == 0 {
            x += 1;
            continue;
        }
        let s = x;
        while x < n && line[x] != 0 {
            x += 1;
        }
        if x - s >= min_len {
            mark[s..x].fill(1);
        }
    }
}

/// `img` without the pixels set in `remove`.
pub fn subtract(img: &Binary, remove: &Binary) -> Binary {
    let mut out = img.clone();
    for (v, &r) in out.data.iter_mut().zip(&remove.data) {
        if r != 0 {
            *v = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_runs_keep_thick_ones_too() {
        let img = Binary::from_ascii(&["####..#", "####..#", "....#.#"]);
        assert_eq!(
            long_runs(&img, 3),
            Binary::from_ascii(&["####..#", "####..#", "......#"])
        );
    }

    #[test]
    fn grid_lines_are_found_glyphs_and_blocks_are_not() {
        let img = Binary::from_ascii(&[
            "####################......",
            "#........#.........#......",
            "#..##....#...#.#...#..####",
            "#..##....#...###...#..####",
            "#........#.........#..####",
            "####################..####",
            "......................####",
        ]);
        let lines = ruling_lines(&img, 6, 1);
        let text = subtract(&img, &lines);
        // The frame and its middle bar go; the glyphs inside and the filled
        // block on the right (thick) stay.
        assert_eq!(
            text,
            Binary::from_ascii(&[
                "..........................",
                "..........................",
                "...##........#.#......####",
                "...##........###......####",
                "......................####",
                "......................####",
                "......................####",
            ])
        );
    }
}
