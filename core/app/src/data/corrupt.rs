//! Deterministic input corruption, for scoring denoising models on noisy
//! test inputs against clean targets.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::str::FromStr;

/// How inputs are corrupted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Noise {
    /// Add N(0, σ²) to every value, then clamp to [0, 1].
    Gaussian(f32),
    /// Set each value to 0 with probability p.
    Masking(f32),
}

impl Noise {
    /// `gaussian` or `masking` with its level (σ or p).
    pub fn new(kind: &str, level: f32) -> Result<Noise, String> {
        if !(level.is_finite() && level >= 0.0) {
            return Err(format!(
                "noise level must be a non-negative number, not {level}"
            ));
        }
        match kind {
            "gaussian" => Ok(Noise::Gaussian(level)),
            "masking" if level <= 1.0 => Ok(Noise::Masking(level)),
            "masking" => Err(format!("masking fraction must be in [0, 1], not {level}")),
            other => Err(format!(
                "unknown noise `{other}` (expected gaussian or masking)"
            )),
        }
    }

    /// Corrupts `pixels` in place, the same way for the same seed.
    pub fn apply(&self, pixels: &mut [f32], seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        match *self {
            Noise::Gaussian(sigma) => {
                let normal = rand::distributions::Standard;
                for p in pixels.iter_mut() {
                    // Box-Muller from two uniforms keeps this dependency-free.
                    let u1: f32 = rng.sample::<f32, _>(normal).max(f32::MIN_POSITIVE);
                    let u2: f32 = rng.sample::<f32, _>(normal);
                    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos();
                    *p = (*p + sigma * z).clamp(0.0, 1.0);
                }
            }
            Noise::Masking(frac) => {
                for p in pixels.iter_mut() {
                    if rng.gen::<f32>() < frac {
                        *p = 0.0;
                    }
                }
            }
        }
    }
}

impl FromStr for Noise {
    type Err = String;
    /// `gaussian:0.3` or `masking:0.5`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, level) = s
            .split_once(':')
            .ok_or_else(|| format!("expected KIND:LEVEL, found `{s}`"))?;
        let level: f32 = level
            .parse()
            .map_err(|_| format!("`{level}` is not a number"))?;
        Noise::new(kind, level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_zeroes_about_the_fraction_and_is_deterministic() {
        let mut a = vec![1.0f32; 10_000];
        Noise::Masking(0.3).apply(&mut a, 7);
        let zeros = a.iter().filter(|v| **v == 0.0).count();
        assert!((2700..3300).contains(&zeros), "{zeros}");
        let mut b = vec![1.0f32; 10_000];
        Noise::Masking(0.3).apply(&mut b, 7);
        assert_eq!(a, b);
    }

    #[test]
    fn gaussian_noise_has_the_asked_spread_and_stays_in_range() {
        let mut a = vec![0.5f32; 20_000];
        Noise::Gaussian(0.1).apply(&mut a, 1);
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        let var = a.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / a.len() as f32;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        assert!((var.sqrt() - 0.1).abs() < 0.01, "{}", var.sqrt());
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn bad_noise_is_refused() {
        assert!(Noise::new("salt", 0.1).is_err());
        assert!(Noise::new("masking", 1.5).is_err());
        assert_eq!("masking:0.5".parse::<Noise>(), Ok(Noise::Masking(0.5)));
    }
}
