//! Deterministic input corruption, for denoising autoencoders and for the
//! host's corrupted test sets (the app calls [`corrupt`] with the same
//! arguments the plugin trained with, so "denoising PSNR" is measured on the
//! same kind of noise).
//!
//! Image `i` of a call is corrupted with its own ChaCha8 stream seeded from
//! `(seed, i)`, so the result does not depend on batching or threads, only
//! on the seed and each image's position in the list. Values are clamped to
//! [0, 1] afterwards.
//!
//! - [`Noise::Gaussian`]: add `N(0, σ²)` to every value (`level` = σ);
//! - [`Noise::Masking`]: set each value to 0 with probability `level`;
//! - [`Noise::SaltPepper`]: set each value to 0 or 1 (even odds) with
//!   probability `level`.

use crate::params::standard_normal;
use crate::MlError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A kind of corruption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noise {
    /// Additive Gaussian noise.
    Gaussian,
    /// Masking (dropout) noise.
    Masking,
    /// Salt-and-pepper noise.
    SaltPepper,
}

impl Noise {
    /// Parses `gaussian|masking|salt-pepper`.
    pub fn from_name(name: &str) -> Result<Self, MlError> {
        match name {
            "gaussian" => Ok(Noise::Gaussian),
            "masking" | "mask" => Ok(Noise::Masking),
            "salt-pepper" | "salt_pepper" => Ok(Noise::SaltPepper),
            other => Err(MlError::Config(format!(
                "unknown noise `{other}` (expected gaussian, masking or salt-pepper)"
            ))),
        }
    }
}

/// The stream of image `index` under `seed`.
fn stream(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// Corrupts one image in place with the stream for `(seed, index)`.
pub fn corrupt_one(values: &mut [f32], kind: Noise, level: f32, seed: u64, index: u64) {
    let mut rng = stream(seed, index);
    for v in values.iter_mut() {
        *v = match kind {
            Noise::Gaussian => *v + level * standard_normal(&mut rng),
            Noise::Masking => {
                if rng.gen::<f32>() < level {
                    0.0
                } else {
                    *v
                }
            }
            Noise::SaltPepper => {
                if rng.gen::<f32>() < level {
                    if rng.gen::<bool>() {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    *v
                }
            }
        }
        .clamp(0.0, 1.0);
    }
}

/// Corrupted copies of `images` (each a flat slice of values in [0, 1]).
pub fn corrupt(images: &[&[f32]], kind: Noise, level: f32, seed: u64) -> Vec<Vec<f32>> {
    images
        .iter()
        .enumerate()
        .map(|(i, img)| {
            let mut v = img.to_vec();
            corrupt_one(&mut v, kind, level, seed, i as u64);
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_image_and_of_the_right_strength() {
        let img = vec![0.5f32; 10_000];
        let a = corrupt(&[&img, &img], Noise::Masking, 0.3, 7);
        let b = corrupt(&[&img], Noise::Masking, 0.3, 7);
        assert_eq!(a[0], b[0]);
        assert_ne!(a[0], a[1]);
        let zeros = a[0].iter().filter(|v| **v == 0.0).count() as f32 / 1e4;
        assert!((zeros - 0.3).abs() < 0.02, "{zeros}");

        let g = &corrupt(&[&img], Noise::Gaussian, 0.1, 1)[0];
        let var = g.iter().map(|v| (v - 0.5) * (v - 0.5)).sum::<f32>() / 1e4;
        assert!((var.sqrt() - 0.1).abs() < 0.01, "{var}");
        assert!(g.iter().all(|v| (0.0..=1.0).contains(v)));

        let s = &corrupt(&[&img], Noise::SaltPepper, 0.2, 1)[0];
        let changed = s.iter().filter(|v| **v != 0.5).count() as f32 / 1e4;
        assert!((changed - 0.2).abs() < 0.02);
        assert!(Noise::from_name("speckle").is_err());
    }
}
