//! A synthetic binarized page for benchmarks: lines of text-like blobs in
//! two columns plus a few figures, deterministic from a seed.

use crate::binarize::Binary;

/// A2480 × 3508 (A4 at 300 dpi) is what the benchmark uses.
pub const A4_300DPI: (usize, usize) = (2480, 3508);

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n.max(1)
    }
}

fn fill(img: &mut Binary, x: usize, y: usize, w: usize, h: usize) {
    for yy in y..(y + h).min(img.height) {
        let row = &mut img.data[yy * img.width..(yy + 1) * img.width];
        for v in row.iter_mut().take((x + w).min(img.width)).skip(x) {
            *v = 1;
        }
    }
}

/// A `width × height` page of text-like blobs (glyphs of 2–4 strokes, about
/// 30 px tall, in words and lines, two columns) and three figures (a filled
/// block, a frame, a hatched box).
pub fn text_page(width: usize, height: usize, seed: u64) -> Binary {
    let mut img = Binary::new(width, height);
    let mut rng = Lcg(seed ^ 0x9E37_79B9_7F4A_7C15);
    let margin = width / 12;
    let col_gap = width / 20;
    let col_w = (width - 2 * margin - col_gap) / 2;
    let (glyph_h, line_h) = (30usize, 50usize);
    for col in 0..2 {
        let x_start = margin + col * (col_w + col_gap);
        let mut y = margin;
        while y + line_h < height - margin {
            // Leave room for the figures.
            if (col == 1 && (height / 3..height / 3 + 500).contains(&y))
                || (col == 0 && (2 * height / 3..2 * height / 3 + 400).contains(&y))
            {
                y += line_h;
                continue;
            }
            let mut x = x_start;
            while x + 40 < x_start + col_w {
                let letters = 2 + rng.below(8) as usize;
                for _ in 0..letters {
                    let gw = 12 + rng.below(10) as usize;
                    if x + gw >= x_start + col_w {
                        break;
                    }
                    // A vertical stem, a bar, sometimes a bowl side or a dot.
                    let tall = rng.below(3) == 0;
                    let top = if tall { y } else { y + glyph_h / 3 };
                    fill(&mut img, x, top, 3, y + glyph_h - top);
                    let bar_y = top + rng.below((y + glyph_h - top - 3) as u32) as usize;
                    fill(&mut img, x, bar_y, gw - 2, 3);
                    if rng.below(2) == 0 {
                        fill(
                            &mut img,
                            x + gw - 5,
                            y + glyph_h / 3,
                            3,
                            glyph_h - glyph_h / 3,
                        );
                    }
                    if rng.below(5) == 0 {
                        fill(&mut img, x + gw / 2, y + 2, 3, 3);
                    }
                    x += gw + 3;
                }
                x += 18;
            }
            y += line_h;
        }
    }
    let x1 = margin + col_w + col_gap;
    fill(&mut img, x1, height / 3, col_w, 450);
    let (fx, fy) = (margin, 2 * height / 3);
    fill(&mut img, fx, fy, col_w, 4);
    fill(&mut img, fx, fy + 350, col_w, 4);
    fill(&mut img, fx, fy, 4, 354);
    fill(&mut img, fx + col_w - 4, fy, 4, 354);
    for i in 0..20 {
        fill(&mut img, fx + 20 + i * (col_w - 40) / 20, fy + 20, 2, 310);
    }
    img
}
