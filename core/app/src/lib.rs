//! The workbench: experiment specs, the plugin host, the run scheduler and
//! its worker processes, datasets, scoring, the results store, reports and
//! the terminal views. The `workbench` binary is a thin shell over
//! [`cli::main`].
//!
//! This crate never depends on a plugin crate; plugins are found and loaded
//! at run time through `workbench-api`'s ABI. Errors are typed per module
//! and turned into messages in [`cli`].

pub mod artifacts;
pub mod cli;
pub mod data;
pub mod datasets;
pub mod evaluate;
pub mod events;
pub mod headless;
pub mod hint;
pub mod host;
pub mod layout;
pub mod metrics;
pub mod ocr;
pub mod ocr_formats;
pub mod plan;
pub mod plot;
pub mod preprocess;
pub mod report;
pub mod results;
pub mod scheduler;
pub mod spec;
pub mod state;
pub mod trained;
pub mod tui;
pub mod worker;
