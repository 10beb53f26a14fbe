//! Binarization: Otsu's global threshold and Sauvola's local threshold.

use crate::gray::Gray;

/// A binary image, row-major: 1 is foreground (ink), 0 background.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binary {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width * height` values, each 0 or 1.
    pub data: Vec<u8>,
}

impl Binary {
    /// An all-background image.
    pub fn new(width: usize, height: usize) -> Binary {
        Binary {
            width,
            height,
            data: vec![0; width * height],
        }
    }

    /// Builds an image from rows of `'#'` (ink) and anything else (background).
    pub fn from_ascii(rows: &[&str]) -> Binary {
        let height = rows.len();
        let width = rows.first().map(|r| r.len()).unwrap_or(0);
        let mut data = Vec::with_capacity(width * height);
        for r in rows {
            assert_eq!(r.len(), width, "from_ascii: ragged rows");
            data.extend(r.bytes().map(|b| u8::from(b == b'#')));
        }
        Binary {
            width,
            height,
            data,
        }
    }

    /// Whether (`x`, `y`) is ink.
    pub fn get(&self, x: usize, y: usize) -> bool {
        self.data[y * self.width + x] != 0
    }

    /// Number of ink pixels.
    pub fn count(&self) -> usize {
        self.data.iter().filter(|&&v| v != 0).count()
    }
}

/// Otsu's threshold: the `t` maximising the between-class variance of
/// `{v <= t}` and `{v > t}`. Returns 127 for an empty image.
pub fn otsu_threshold(img: &Gray) -> u8 {
    let mut hist = [0u64; 256];
    for &v in &img.data {
        hist[v as usize] += 1;
    }
    otsu_from_histogram(&hist)
}

/// Otsu's threshold from a 256-bin histogram.
pub fn otsu_from_histogram(hist: &[u64; 256]) -> u8 {
    otsu_split(hist).map_or(127, |t| t as u8)
}

/// Otsu's split of a histogram of any length: the last bin of the lower
/// class (the one maximising the between-class variance), or `None` when no
/// split leaves both classes non-empty.
pub fn otsu_split(hist: &[u64]) -> Option<usize> {
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w0, mut sum0) = (0u64, 0f64);
    let mut best: Option<(f64, usize)> = None;
    for (t, &count) in hist.iter().enumerate() {
        w0 += count;
        sum0 += t as f64 * count as f64;
        let w1 = total - w0;
        if w0 == 0 || w1 == 0 {
            continue;
        }
        let m0 = sum0 / w0 as f64;
        let m1 = (sum_all - sum0) / w1 as f64;
        let between = w0 as f64 * w1 as f64 * (m0 - m1) * (m0 - m1);
        if best.is_none_or(|(b, _)| between > b) {
            best = Some((between, t));
        }
    }
    best.map(|(_, t)| t)
}

/// Ink where the gray value is at most `t`.
pub fn threshold(img: &Gray, t: u8) -> Binary {
    Binary {
        width: img.width,
        height: img.height,
        data: img.data.iter().map(|&v| u8::from(v <= t)).collect(),
    }
}

/// Sauvola's local threshold: ink where `v <= m · (1 + k · (s / r − 1))`,
/// with `m` and `s` the mean and standard deviation in a `window × window`
/// square (clipped at the borders), computed from integral images so the cost
/// does not depend on the window. Typical: `k = 0.2..0.5`, `r = 128`.
pub fn sauvola(img: &Gray, window: usize, k: f64, r: f64) -> Binary {
    let (w, h) = (img.width, img.height);
    let mut out = Binary::new(w, h);
    if w == 0 || h == 0 {
        return out;
    }
    // Integral images with a zero first row and column.
    let iw = w + 1;
    let mut sum = vec![0u64; iw * (h + 1)];
    let mut sq = vec![0u64; iw * (h + 1)];
    for y in 0..h {
        let (mut rs, mut rq) = (0u64, 0u64);
        let row = &img.data[y * w..(y + 1) * w];
        for x in 0..w {
            let v = row[x] as u64;
            rs += v;
            rq += v * v;
            sum[(y + 1) * iw + x + 1] = sum[y * iw + x + 1] + rs;
            sq[(y + 1) * iw + x + 1] = sq[y * iw + x + 1] + rq;
        }
    }
    let half = window.max(1) / 2;
    for y in 0..h {
        let y0 = y.saturating_sub(half);
        let y1 = (y + half + 1).min(h);
        for x in 0..w {
            let x0 = x.saturating_sub(half);
            let x1 = (x + half + 1).min(w);
            let n = ((y1 - y0) * (x1 - x0)) as f64;
            let a = |t: &[u64]| {
                (t[y1 * iw + x1] + t[y0 * iw + x0]) as f64
                    - (t[y0 * iw + x1] + t[y1 * iw + x0]) as f64
            };
            let m = a(&sum) / n;
            let var = (a(&sq) / n - m * m).max(0.0);
            let t = m * (1.0 + k * (var.sqrt() / r - 1.0));
            out.data[y * w + x] = u8::from((img.data[y * w + x] as f64) <= t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otsu_splits_two_levels() {
        let mut g = Gray::new(10, 10, 220);
        for v in g.data.iter_mut().take(30) {
            *v = 30;
        }
        let t = otsu_threshold(&g);
        assert!((30..220).contains(&t), "{t}");
        assert_eq!(threshold(&g, t).count(), 30);
    }

    #[test]
    fn sauvola_finds_ink_under_a_shadow() {
        // Paper fades from 240 to 90 left to right; ink is 40 below the paper.
        let (w, h) = (200, 40);
        let mut g = Gray::new(w, h, 0);
        for y in 0..h {
            for x in 0..w {
                let paper = 240.0 - 150.0 * x as f64 / w as f64;
                let ink = (x % 20 < 3) && (10..30).contains(&y);
                g.data[y * w + x] = if ink { paper * 0.4 } else { paper } as u8;
            }
        }
        let b = sauvola(&g, 25, 0.3, 128.0);
        let expected = (0..w).filter(|x| x % 20 < 3).count() * 20;
        // Otsu on the whole image marks the dark right side as ink ...
        assert!(threshold(&g, otsu_threshold(&g)).count() > 2 * expected);
        // ... Sauvola finds the strokes.
        let got = b.count();
        assert!(
            got.abs_diff(expected) < expected / 10,
            "{got} vs {expected}"
        );
    }

    #[test]
    fn empty_images() {
        assert_eq!(otsu_threshold(&Gray::new(0, 0, 0)), 127);
        assert_eq!(sauvola(&Gray::new(0, 3, 0), 5, 0.3, 128.0).data.len(), 0);
    }
}
