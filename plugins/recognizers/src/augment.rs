//! Training-time augmentation, seeded per (run seed, epoch, sample), so a
//! resumed run sees what it would have seen.
//!
//! - **Crop jitter** ([`Jitter`]): the window cut around the found ink
//!   grows by 0–30 % of the ink height on each side independently, and the
//!   word is stretched 0.8–1.2× in width. Inference uses no jitter.
//! - **Appearance** ([`appearance`]), on the normalised white-on-black
//!   input, each with its own probability: stroke weight (a 2-pixel
//!   horizontal max or min filter: bolder or thinner), shear (±0.2),
//!   3×3 blur, Gaussian noise (σ ≤ 0.12), and lower contrast — what
//!   kraken's and docTR's default augmentations do to a line or a word.

use rand::Rng;

/// How the window around the ink is cut.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Jitter {
    /// Extra margin left, top, right, bottom, in ink heights.
    pub pad: [f32; 4],
    /// Width scale.
    pub stretch: f32,
}

impl Jitter {
    /// No jitter: what inference uses.
    pub const NONE: Jitter = Jitter {
        pad: [0.0; 4],
        stretch: 1.0,
    };

    /// A random jitter.
    pub fn random(rng: &mut impl Rng) -> Jitter {
        Jitter {
            pad: std::array::from_fn(|_| {
                if rng.gen_bool(0.5) {
                    rng.gen_range(0.0..0.3)
                } else {
                    0.0
                }
            }),
            stretch: rng.gen_range(0.8..1.2),
        }
    }
}

/// Applies random appearance changes to a `height × width` input in place.
pub fn appearance(data: &mut [f32], width: usize, height: usize, rng: &mut impl Rng) {
    if width == 0 || height == 0 {
        return;
    }
    if rng.gen_bool(0.25) {
        let bolder = rng.gen_bool(0.5);
        for y in 0..height {
            let row = &mut data[y * width..(y + 1) * width];
            for x in (1..width).rev() {
                row[x] = if bolder {
                    row[x].max(row[x - 1])
                } else {
                    row[x].min(row[x - 1])
                };
            }
        }
    }
    if rng.gen_bool(0.3) {
        shear(data, width, height, rng.gen_range(-0.2..0.2));
    }
    if rng.gen_bool(0.3) {
        blur(data, width, height);
    }
    if rng.gen_bool(0.3) {
        let sigma = rng.gen_range(0.02..0.12f32);
        for v in data.iter_mut() {
            *v += sigma * workbench_ml::params::standard_normal(rng);
        }
    }
    if rng.gen_bool(0.3) {
        let c = rng.gen_range(0.5..1.0f32);
        let floor = rng.gen_range(0.0..(1.0 - c) * 0.5);
        for v in data.iter_mut() {
            *v = *v * c + floor;
        }
    }
    for v in data.iter_mut() {
        *v = v.clamp(0.0, 1.0);
    }
}

/// Shifts each row by `s · (y − centre)` columns (linear interpolation).
fn shear(data: &mut [f32], width: usize, height: usize, s: f32) {
    let centre = height as f32 / 2.0;
    let mut row = vec![0.0; width];
    for y in 0..height {
        let shift = s * (y as f32 - centre);
        let src = &data[y * width..(y + 1) * width];
        for (x, out) in row.iter_mut().enumerate() {
            let fx = x as f32 - shift;
            let x0 = fx.floor();
            let t = fx - x0;
            let get = |i: f32| {
                if i < 0.0 || i >= width as f32 {
                    0.0
                } else {
                    src[i as usize]
                }
            };
            *out = get(x0) * (1.0 - t) + get(x0 + 1.0) * t;
        }
        data[y * width..(y + 1) * width].copy_from_slice(&row);
    }
}

/// A 3×3 box blur (edges replicate).
fn blur(data: &mut [f32], width: usize, height: usize) {
    let src = data.to_vec();
    for y in 0..height {
        for x in 0..width {
            let mut sum = 0.0;
            for dy in [-1isize, 0, 1] {
                for dx in [-1isize, 0, 1] {
                    let yy = (y as isize + dy).clamp(0, height as isize - 1) as usize;
                    let xx = (x as isize + dx).clamp(0, width as isize - 1) as usize;
                    sum += src[yy * width + xx];
                }
            }
            data[y * width + x] = sum / 9.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn appearance_keeps_the_size_and_the_range_and_is_seeded() {
        let base: Vec<f32> = (0..8 * 20).map(|i| ((i % 7) as f32) / 6.0).collect();
        let run = |seed| {
            let mut d = base.clone();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for _ in 0..5 {
                appearance(&mut d, 20, 8, &mut rng);
            }
            d
        };
        let a = run(1);
        assert_eq!(a.len(), base.len());
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(a, run(1));
        assert_ne!(a, run(2));
    }

    #[test]
    fn shear_moves_rows_the_other_way_round_the_centre() {
        let mut d = vec![0.0; 4 * 5];
        for y in 0..4 {
            d[y * 5 + 2] = 1.0;
        }
        shear(&mut d, 5, 4, 1.0);
        // Row 0 is 2 above the centre: shifted 2 left; row 3 one right.
        assert_eq!(d[0], 1.0);
        assert_eq!(d[3 * 5 + 3], 1.0);
    }

    #[test]
    fn jitter_only_widens_the_window() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for _ in 0..100 {
            let j = Jitter::random(&mut rng);
            assert!(j.pad.iter().all(|p| (0.0..0.3).contains(p)));
            assert!((0.8..1.2).contains(&j.stretch));
        }
    }
}
