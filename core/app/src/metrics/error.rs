//! The error type shared by every metric function.

use thiserror::Error;

/// Why a metric could not be computed from its inputs.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MetricError {
    /// Two inputs that must pair up element by element (or pixel by pixel) have different lengths.
    #[error("length mismatch in {what}: {left} vs {right}")]
    LengthMismatch {
        what: &'static str,
        left: usize,
        right: usize,
    },
    /// An input that the metric divides by is empty (no samples, no reference characters, ...).
    #[error("cannot compute a metric from empty input: {what}")]
    Empty { what: &'static str },
    /// A scalar argument or an input value lies outside the range the metric accepts.
    #[error("{what} = {value} is out of range (expected {expected})")]
    OutOfRange {
        what: &'static str,
        value: f64,
        expected: &'static str,
    },
}
