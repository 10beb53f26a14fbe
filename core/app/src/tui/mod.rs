//! The terminal UI: watch, compare and steer every run live.
//!
//! A view over the same [`ExperimentState`](crate::state::ExperimentState)
//! the headless mode uses. The scheduler runs on a background thread and
//! forwards every update over a channel ([`runner`]); the UI thread applies
//! them to its own copy, handles keys ([`app`]), does file reads in
//! [`loader`], and draws with pure functions ([`view`]) at most 30 times a
//! second, only when something changed.

pub mod app;
pub mod chart;
pub mod config_diff;
pub mod graphics;
pub mod images;
pub mod loader;
pub mod runner;
pub mod system;
pub mod table;
pub mod terminal;
pub mod theme;
pub mod view;

#[cfg(test)]
mod tests;

pub use runner::{browse, run_experiment};
