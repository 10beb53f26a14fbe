//! End-to-end tests: they build the real `workbench` binary, the PCA plugin
//! and the fixture plugins, then drive the binary as a user would.

mod harness;

mod autoencoders;
mod hostile;
mod isolation;
mod ocr;
mod pdf;
mod plugins;
mod preprocess;
mod quickstart;
mod reader;
mod resume;
mod segment;
mod slurm;
mod specs;
mod tui;
mod words;
