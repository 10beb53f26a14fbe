//! Connected-component labelling with per-component statistics.
//!
//! Two passes over *runs* (maximal horizontal stretches of ink) with a
//! union-find over run labels:
//!
//! 1. each row is scanned for runs, eight bytes at a time through the long
//!    stretches of background and of ink (pages are mostly background); a
//!    run takes the label of the first run of the row above that touches it
//!    and unions with every other one;
//! 2. the union-find, whose parents always point to smaller indices, is
//!    flattened into consecutive labels in one forward sweep, and statistics
//!    are summed per run, never per pixel.
//!
//! [`label`] also paints the label image (one `fill` per run); [`components`]
//! skips it when only the statistics are wanted. Nothing is allocated per
//! pixel or per run beyond two growing vectors.

use crate::binarize::Binary;

/// Which neighbours touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connectivity {
    /// Left, right, up, down.
    Four,
    /// The four plus the diagonals.
    Eight,
}

/// One connected component.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component {
    /// Leftmost column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width of the bounding box.
    pub w: u32,
    /// Height of the bounding box.
    pub h: u32,
    /// Ink pixels.
    pub pixels: u64,
    /// Mean column of its pixels.
    pub cx: f64,
    /// Mean row of its pixels.
    pub cy: f64,
}

impl Component {
    /// Area of the bounding box, `w · h`.
    pub fn bbox_area(&self) -> u64 {
        self.w as u64 * self.h as u64
    }

    /// Share of the bounding box that is ink.
    pub fn density(&self) -> f64 {
        self.pixels as f64 / self.bbox_area().max(1) as f64
    }
}

/// A label image and the components it numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Labeling {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Per pixel: 0 for background, `i + 1` for a pixel of `components[i]`.
    pub labels: Vec<u32>,
    /// Components in order of their first pixel in raster order.
    pub components: Vec<Component>,
}

#[derive(Clone, Copy)]
struct Run {
    start: u32,
    end: u32,
    label: u32,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

#[inline(always)]
fn word(row: &[u8], x: usize) -> u64 {
    u64::from_le_bytes(row[x..x + 8].try_into().unwrap())
}

/// Appends the runs of one row (ink is any non-zero byte).
#[inline]
fn row_runs(row: &[u8], runs: &mut Vec<Run>) {
    let n = row.len();
    let mut x = 0;
    while x < n {
        while x + 8 <= n && word(row, x) == 0 {
            x += 8;
        }
        while x < n && row[x] == 0 {
            x += 1;
        }
        if x >= n {
            break;
        }
        let start = x;
        // Skip words with no zero byte.
        while x + 8 <= n {
            let v = word(row, x);
            if (v.wrapping_sub(ONES) & !v & HIGHS) != 0 {
                break;
            }
            x += 8;
        }
        while x < n && row[x] != 0 {
            x += 1;
        }
        runs.push(Run {
            start: start as u32,
            end: x as u32,
            label: 0,
        });
    }
}

#[inline(always)]
fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let p = parent[i as usize];
        parent[i as usize] = parent[p as usize];
        i = p;
    }
    i
}

#[inline(always)]
fn union(parent: &mut [u32], a: u32, b: u32) -> u32 {
    let ra = find(parent, a);
    let rb = find(parent, b);
    // The smaller index becomes the root: parents always point backwards.
    if ra < rb {
        parent[rb as usize] = ra;
        ra
    } else {
        parent[ra as usize] = rb;
        rb
    }
}

/// Pass 1: runs, row offsets, provisional labels and their union-find.
fn scan(img: &Binary, conn: Connectivity) -> (Vec<Run>, Vec<usize>, Vec<u32>) {
    let (w, h) = (img.width, img.height);
    let mut runs: Vec<Run> = Vec::with_capacity(1024);
    let mut rows = Vec::with_capacity(h + 1);
    let mut parent: Vec<u32> = Vec::with_capacity(1024);
    // 8-connectivity: a run above touches [s, e) when it overlaps [s - 1, e + 1).
    let reach = u32::from(conn == Connectivity::Eight);
    let mut prev_start = 0;
    for y in 0..h {
        let cur_start = runs.len();
        rows.push(cur_start);
        row_runs(&img.data[y * w..(y + 1) * w], &mut runs);
        let cur_end = runs.len();
        let mut j = prev_start;
        for i in cur_start..cur_end {
            let (s, e) = (runs[i].start, runs[i].end);
            // Skip runs above that end before this one can touch them.
            while j < cur_start && runs[j].end + reach <= s {
                j += 1;
            }
            let mut label = u32::MAX;
            let mut k = j;
            while k < cur_start && runs[k].start < e + reach {
                let l = runs[k].label;
                label = if label == u32::MAX {
                    l
                } else {
                    union(&mut parent, label, l)
                };
                k += 1;
            }
            if label == u32::MAX {
                label = parent.len() as u32;
                parent.push(label);
            }
            runs[i].label = label;
        }
        prev_start = cur_start;
    }
    rows.push(runs.len());
    (runs, rows, parent)
}

/// Flattens the union-find into consecutive labels (in place) and returns
/// their number.
fn flatten(parent: &mut [u32]) -> usize {
    let mut next = 0u32;
    for i in 0..parent.len() {
        let p = parent[i] as usize;
        if p == i {
            parent[i] = next;
            next += 1;
        } else {
            // p < i, so p already holds its final label.
            parent[i] = parent[p];
        }
    }
    next as usize
}

/// Sums the statistics of every component over its runs, relabelling the
/// runs with final labels on the way.
fn stats(runs: &mut [Run], rows: &[usize], parent: &[u32], n: usize) -> Vec<Component> {
    struct Acc {
        x0: u32,
        y0: u32,
        x1: u32,
        y1: u32,
        pixels: u64,
        sx: u64,
        sy: u64,
    }
    let mut acc: Vec<Acc> = (0..n)
        .map(|_| Acc {
            x0: u32::MAX,
            y0: u32::MAX,
            x1: 0,
            y1: 0,
            pixels: 0,
            sx: 0,
            sy: 0,
        })
        .collect();
    for y in 0..rows.len() - 1 {
        for run in &mut runs[rows[y]..rows[y + 1]] {
            let l = parent[run.label as usize];
            run.label = l;
            let a = &mut acc[l as usize];
            let len = (run.end - run.start) as u64;
            a.x0 = a.x0.min(run.start);
            a.x1 = a.x1.max(run.end);
            a.y0 = a.y0.min(y as u32);
            a.y1 = y as u32 + 1;
            a.pixels += len;
            // Sum of start..end.
            a.sx += (run.start as u64 + run.end as u64 - 1) * len / 2;
            a.sy += y as u64 * len;
        }
    }
    acc.into_iter()
        .map(|a| Component {
            x: a.x0,
            y: a.y0,
            w: a.x1 - a.x0,
            h: a.y1 - a.y0,
            pixels: a.pixels,
            cx: a.sx as f64 / a.pixels as f64,
            cy: a.sy as f64 / a.pixels as f64,
        })
        .collect()
}

/// The components of `img` (ink = non-zero) with their statistics, without
/// a label image.
pub fn components(img: &Binary, conn: Connectivity) -> Vec<Component> {
    let (mut runs, rows, mut parent) = scan(img, conn);
    let n = flatten(&mut parent);
    stats(&mut runs, &rows, &parent, n)
}

/// Labels the components of `img` (ink = non-zero): the label image and the
/// statistics.
pub fn label(img: &Binary, conn: Connectivity) -> Labeling {
    let (w, h) = (img.width, img.height);
    let (mut runs, rows, mut parent) = scan(img, conn);
    let n = flatten(&mut parent);
    let components = stats(&mut runs, &rows, &parent, n);
    let mut labels = vec![0u32; w * h];
    for y in 0..h {
        let line = &mut labels[y * w..(y + 1) * w];
        for run in &runs[rows[y]..rows[y + 1]] {
            line[run.start as usize..run.end as usize].fill(run.label + 1);
        }
    }
    Labeling {
        width: w,
        height: h,
        labels,
        components,
    }
}

#[cfg(test)]
mod tests;
