//! Learning-rate schedules and early stopping on a validation metric that
//! should fall (a loss, a CER).
//!
//! - `constant`: the base rate throughout.
//! - `cosine`: per step, from the base rate down to a twentieth of it at
//!   the last step of the last epoch.
//! - `plateau`: the base rate, halved after every two epochs in a row
//!   without improvement (down to a thousandth of it).
//!
//! [`Watch`] keeps the best value (ties broken by a second key, a loss),
//! the epoch it came from and how many epochs have passed without an
//! improvement; its state is four numbers, saved with checkpoints so a
//! resumed run stops where the uninterrupted one would.

use crate::MlError;

/// How the learning rate moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// The base rate throughout.
    Constant,
    /// Cosine decay per step to `base / 20`.
    Cosine,
    /// Halve after two epochs without improvement.
    Plateau,
}

impl Schedule {
    /// Parses `constant`, `cosine` or `plateau`.
    pub fn from_name(name: &str) -> Result<Schedule, MlError> {
        match name {
            "constant" | "" => Ok(Schedule::Constant),
            "cosine" => Ok(Schedule::Cosine),
            "plateau" => Ok(Schedule::Plateau),
            other => Err(MlError::Config(format!(
                "unknown learning-rate schedule `{other}` (constant, cosine, plateau)"
            ))),
        }
    }

    /// The rate at `step` (1-based) of `total` steps, after `stale` epochs
    /// without improvement.
    pub fn lr(&self, base: f64, step: u64, total: u64, stale: u32) -> f64 {
        match self {
            Schedule::Constant => base,
            Schedule::Cosine => {
                let t = (step.saturating_sub(1) as f64 / total.max(1) as f64).min(1.0);
                let floor = base / 20.0;
                floor + (base - floor) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
            Schedule::Plateau => (base * 0.5f64.powi((stale / 2) as i32)).max(base / 1000.0),
        }
    }
}

/// The best value of a falling metric so far.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Watch {
    /// Best value seen (`INFINITY` before the first).
    pub best: f64,
    /// The second key of the best epoch (a loss): among equal values the
    /// lower one is the better checkpoint.
    pub best_tiebreak: f64,
    /// Epoch of the best value (0 before the first).
    pub best_epoch: u32,
    /// Epochs since the last improvement by more than `min_delta`.
    pub stale: u32,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            best: f64::INFINITY,
            best_tiebreak: f64::INFINITY,
            best_epoch: 0,
            stale: 0,
        }
    }
}

impl Watch {
    /// Records `value` (and its `tiebreak`) at `epoch`; true when this
    /// epoch is the best so far: a lower value, or the same value with a
    /// lower tiebreak. Only a fall of more than `min_delta` (the first
    /// finite value always counts) resets the epochs without improvement.
    pub fn update(&mut self, epoch: u32, value: f64, tiebreak: f64, min_delta: f64) -> bool {
        if !value.is_finite() {
            self.stale += 1;
            return false;
        }
        if self.best.is_infinite() || value < self.best - min_delta {
            self.stale = 0;
        } else {
            self.stale += 1;
        }
        let better = value < self.best || (value == self.best && tiebreak < self.best_tiebreak);
        if better {
            self.best = value;
            self.best_tiebreak = tiebreak;
            self.best_epoch = epoch;
        }
        better
    }

    /// Whether `patience` epochs have passed without improvement (never
    /// when `patience` is 0).
    pub fn exhausted(&self, patience: u32) -> bool {
        patience > 0 && self.stale >= patience
    }

    /// The state as text (saved with checkpoints).
    pub fn to_text(&self) -> String {
        format!(
            "{},{},{},{}",
            self.best, self.best_tiebreak, self.best_epoch, self.stale
        )
    }

    /// [`Watch::to_text`] read back.
    pub fn from_text(s: &str) -> Option<Watch> {
        let mut it = s.split(',');
        let w = Watch {
            best: it.next()?.parse().ok()?,
            best_tiebreak: it.next()?.parse().ok()?,
            best_epoch: it.next()?.parse().ok()?,
            stale: it.next()?.parse().ok()?,
        };
        it.next().is_none().then_some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_falls_from_the_base_to_a_twentieth() {
        let s = Schedule::Cosine;
        assert!((s.lr(1.0, 1, 100, 0) - 1.0).abs() < 1e-12);
        assert!((s.lr(1.0, 101, 100, 0) - 0.05).abs() < 1e-12);
        let mid = s.lr(1.0, 51, 100, 0);
        assert!((mid - 0.525).abs() < 1e-9, "{mid}");
        assert_eq!(Schedule::Constant.lr(0.1, 50, 100, 7), 0.1);
    }

    #[test]
    fn plateau_halves_every_two_stale_epochs() {
        let s = Schedule::Plateau;
        assert_eq!(s.lr(1.0, 1, 1, 1), 1.0);
        assert_eq!(s.lr(1.0, 1, 1, 2), 0.5);
        assert_eq!(s.lr(1.0, 1, 1, 5), 0.25);
        assert_eq!(s.lr(1.0, 1, 1, 100), 0.001);
    }

    #[test]
    fn watch_counts_epochs_without_a_real_improvement() {
        let mut w = Watch::default();
        assert!(w.update(1, 0.5, 9.0, 0.01));
        // Better, but by less than min_delta: kept, yet not an improvement.
        assert!(w.update(2, 0.495, 9.0, 0.01));
        assert_eq!(w.stale, 1);
        assert!(w.update(3, 0.3, 9.0, 0.01));
        assert!(!w.update(4, f64::NAN, 0.0, 0.0));
        assert!(!w.update(5, 0.4, 0.0, 0.0));
        // The same value with a lower loss is the better checkpoint.
        assert!(!w.update(6, 0.3, 9.5, 0.0));
        assert!(w.update(7, 0.3, 8.0, 0.0));
        assert_eq!((w.best, w.best_epoch, w.stale), (0.3, 7, 4));
        assert!(w.exhausted(4));
        assert!(!w.exhausted(5));
        assert!(!w.exhausted(0));
        assert_eq!(Watch::from_text(&w.to_text()), Some(w));
        assert_eq!(Watch::from_text("1,2,3"), None);
        assert!(Schedule::from_name("linear").is_err());
    }
}
