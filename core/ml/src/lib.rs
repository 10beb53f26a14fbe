//! Shared ML parts for workbench plugins, built on dfdx: device choice now;
//! layers, optimizers and checkpoints as the model families arrive.
//!
//! Plugins depend on this crate; the app never does (it scores outputs, it
//! does not train).

pub mod device;

pub use device::{DeviceChoice, DeviceError, ResolvedDevice};
