//! The plugin host: finding plugin libraries in the configured directories,
//! reading their descriptors, refusing what is not a usable plugin, and
//! calling loaded plugins safely.
//!
//! Nothing is loaded from a directory the user did not configure: the spec's
//! `plugins:` directories, `WORKBENCH_PLUGIN_PATH`, and the directory of the
//! workbench binary.

mod discover;
mod instance;
mod library;

pub use discover::{discover, find_plugin, search_dirs, Discovery, Refusal, SearchDir};
pub use instance::{HostContext, Instance};
pub use library::{Library, PluginEntry};

use std::path::PathBuf;

/// Predictions are requested from a plugin in batches of this many images.
pub const BATCH: usize = 512;

/// Errors of the plugin host.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A configured plugin directory does not exist.
    #[error("plugin directory {dir} (from {origin}) does not exist")]
    MissingDir {
        /// The directory.
        dir: PathBuf,
        /// Where it was configured.
        origin: String,
    },
    /// A library could not be used as a plugin.
    #[error("{file}: {reason}")]
    Refused {
        /// The library.
        file: PathBuf,
        /// Why.
        reason: String,
    },
    /// No library in the configured directories is the plugin wanted.
    #[error("plugin `{plugin}` not found: {reason} (plugins were searched in: {searched})")]
    NotFound {
        /// Plugin name.
        plugin: String,
        /// Why none fits.
        reason: String,
        /// The searched directories, for the message.
        searched: String,
    },
    /// A plugin function reported an error.
    #[error("plugin `{plugin}` failed in {function}: {message}")]
    Call {
        /// Plugin name.
        plugin: String,
        /// The function.
        function: &'static str,
        /// The plugin's message.
        message: String,
    },
    /// A plugin broke the ABI contract (wrong output count, sizes, ...).
    #[error("plugin `{plugin}` broke the ABI contract in {function}: {message}")]
    Contract {
        /// Plugin name.
        plugin: String,
        /// The function.
        function: &'static str,
        /// What was wrong.
        message: String,
    },
}
