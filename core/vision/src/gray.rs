//! 8-bit gray images.

/// An 8-bit gray image, row-major; 0 is black, 255 white.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gray {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width * height` values.
    pub data: Vec<u8>,
}

impl Gray {
    /// A `width × height` image filled with `value`.
    pub fn new(width: usize, height: usize, value: u8) -> Gray {
        Gray {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    /// Value at column `x`, row `y`.
    pub fn get(&self, x: usize, y: usize) -> u8 {
        self.data[y * self.width + x]
    }
}

/// Converts `height × width × channels` values in [0, 1] (channels last) to
/// gray: the Rec. 601 luma of RGB(A), the value of gray(+alpha), the channel
/// mean otherwise.
pub fn to_gray(data: &[f32], width: usize, height: usize, channels: usize) -> Gray {
    let n = width * height;
    assert_eq!(data.len(), n * channels, "to_gray: buffer size");
    let q = |v: f32| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
    let out: Vec<u8> = match channels {
        1 => data.iter().map(|&v| q(v)).collect(),
        2 => data.chunks_exact(2).map(|p| q(p[0])).collect(),
        3 | 4 => data
            .chunks_exact(channels)
            .map(|p| q(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]))
            .collect(),
        c => data
            .chunks_exact(c)
            .map(|p| q(p.iter().sum::<f32>() / c as f32))
            .collect(),
    };
    Gray {
        width,
        height,
        data: out,
    }
}

/// 3×3 median filter (borders replicate the edge), the usual cure for
/// salt-and-pepper noise.
pub fn median3(img: &Gray) -> Gray {
    let (w, h) = (img.width, img.height);
    let mut out = img.clone();
    if w < 3 || h < 3 {
        return out;
    }
    let d = &img.data;
    for y in 0..h {
        let ym = y.saturating_sub(1);
        let yp = (y + 1).min(h - 1);
        let (r0, r1, r2) = (
            &d[ym * w..ym * w + w],
            &d[y * w..y * w + w],
            &d[yp * w..yp * w + w],
        );
        let row = &mut out.data[y * w..y * w + w];
        for x in 0..w {
            let xm = x.saturating_sub(1);
            let xp = (x + 1).min(w - 1);
            let mut v = [
                r0[xm], r0[x], r0[xp], r1[xm], r1[x], r1[xp], r2[xm], r2[x], r2[xp],
            ];
            row[x] = median9(&mut v);
        }
    }
    out
}

/// Median of nine values by a min/max network.
fn median9(p: &mut [u8; 9]) -> u8 {
    #[inline(always)]
    fn s(p: &mut [u8; 9], a: usize, b: usize) {
        let (x, y) = (p[a], p[b]);
        p[a] = x.min(y);
        p[b] = x.max(y);
    }
    s(p, 1, 2);
    s(p, 4, 5);
    s(p, 7, 8);
    s(p, 0, 1);
    s(p, 3, 4);
    s(p, 6, 7);
    s(p, 1, 2);
    s(p, 4, 5);
    s(p, 7, 8);
    s(p, 0, 3);
    s(p, 5, 8);
    s(p, 4, 7);
    s(p, 3, 6);
    s(p, 1, 4);
    s(p, 2, 5);
    s(p, 4, 7);
    s(p, 4, 2);
    s(p, 6, 4);
    s(p, 4, 2);
    p[4]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median9_is_the_median() {
        let mut seed = 7u32;
        for _ in 0..2000 {
            let mut v = [0u8; 9];
            for x in v.iter_mut() {
                seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
                *x = (seed >> 24) as u8;
            }
            let mut sorted = v;
            sorted.sort();
            assert_eq!(median9(&mut v), sorted[4]);
        }
    }

    #[test]
    fn median_removes_isolated_pepper() {
        let mut g = Gray::new(5, 5, 255);
        g.data[12] = 0;
        assert!(median3(&g).data.iter().all(|&v| v == 255));
    }

    #[test]
    fn gray_of_rgb_and_gray() {
        assert_eq!(to_gray(&[1.0, 1.0, 1.0], 1, 1, 3).data, vec![255]);
        assert_eq!(to_gray(&[0.0, 0.5], 2, 1, 1).data, vec![0, 128]);
    }
}
