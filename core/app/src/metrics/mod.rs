//! Evaluation metrics with fixed, documented definitions (CER/WER, box matching,
//! classification, reconstruction, anomaly detection) and the better-direction of a metric name.

mod anomaly;
mod boxes;
mod classification;
mod direction;
mod error;
mod reconstruction;
mod text;
mod text_report;

pub use anomaly::{anomaly_detection, auroc, percentile, AnomalyMetrics};
pub use boxes::{match_boxes, match_boxes_where, BBox, BoxMatch};
pub use classification::{classification, Classification};
pub use direction::{direction, Direction};
pub use error::MetricError;
pub use reconstruction::{
    per_image_mse, psnr_from_mse, reconstruction, ReconstructionMetrics, PSNR_MSE_FLOOR,
};
pub use text::{levenshtein, text_metrics, TextMetrics};
pub use text_report::TextReport;
