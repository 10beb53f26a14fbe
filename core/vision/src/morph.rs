//! Binary morphology with rectangular structuring elements, separable and
//! linear in the image size whatever the element's size.

use crate::binarize::Binary;

/// Dilation by a `(2·rx + 1) × (2·ry + 1)` rectangle.
pub fn dilate(img: &Binary, rx: usize, ry: usize) -> Binary {
    let h = pass_rows(img, rx, true);
    pass_cols(&h, ry, true)
}

/// Erosion by a `(2·rx + 1) × (2·ry + 1)` rectangle (outside counts as ink).
pub fn erode(img: &Binary, rx: usize, ry: usize) -> Binary {
    let h = pass_rows(img, rx, false);
    pass_cols(&h, ry, false)
}

/// Per row: any (dilate) or all (erode) of the window `[x - r, x + r]`.
fn pass_rows(img: &Binary, r: usize, any: bool) -> Binary {
    let (w, h) = (img.width, img.height);
    let mut out = Binary::new(w, h);
    if r == 0 {
        out.data.copy_from_slice(&img.data);
        return out;
    }
    let mut prefix = vec![0u32; w + 1];
    for y in 0..h {
        let row = &img.data[y * w..(y + 1) * w];
        for x in 0..w {
            prefix[x + 1] = prefix[x] + u32::from(row[x] != 0);
        }
        let o = &mut out.data[y * w..(y + 1) * w];
        for x in 0..w {
            let a = x.saturating_sub(r);
            let b = (x + r + 1).min(w);
            let c = prefix[b] - prefix[a];
            o[x] = u8::from(if any { c > 0 } else { c as usize == b - a });
        }
    }
    out
}

/// Per column: any (dilate) or all (erode) of the window `[y - r, y + r]`.
fn pass_cols(img: &Binary, r: usize, any: bool) -> Binary {
    let (w, h) = (img.width, img.height);
    let mut out = Binary::new(w, h);
    if r == 0 {
        out.data.copy_from_slice(&img.data);
        return out;
    }
    // Running counts per column over the rows of the window.
    let mut count = vec![0u32; w];
    for y in 0..r.min(h) {
        for x in 0..w {
            count[x] += u32::from(img.data[y * w + x] != 0);
        }
    }
    for y in 0..h {
        if y + r < h {
            let row = &img.data[(y + r) * w..(y + r + 1) * w];
            for x in 0..w {
                count[x] += u32::from(row[x] != 0);
            }
        }
        if y > r {
            let row = &img.data[(y - r - 1) * w..(y - r) * w];
            for x in 0..w {
                count[x] -= u32::from(row[x] != 0);
            }
        }
        let n = ((y + r + 1).min(h) - y.saturating_sub(r)) as u32;
        let o = &mut out.data[y * w..(y + 1) * w];
        for x in 0..w {
            o[x] = u8::from(if any { count[x] > 0 } else { count[x] == n });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dilate_then_erode_a_point() {
        let b = Binary::from_ascii(&[".....", ".....", "..#..", ".....", "....."]);
        let d = dilate(&b, 1, 2);
        assert_eq!(
            d,
            Binary::from_ascii(&[".###.", ".###.", ".###.", ".###.", ".###."])
        );
        assert_eq!(erode(&d, 1, 2).count(), 5, "columns touch the border");
        assert_eq!(dilate(&b, 0, 0), b);
    }
}
