//! Finding plugin libraries in the configured directories.

use super::{HostError, Library};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A directory searched for plugins, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchDir {
    /// The directory.
    pub dir: PathBuf,
    /// Where it was configured (`spec plugins[0]`, `WORKBENCH_PLUGIN_PATH`, ...).
    pub origin: String,
    /// Whether its absence is an error (configured by the user) or not (the
    /// binary's own directory).
    pub required: bool,
}

/// A library that was found but refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// The file.
    pub file: PathBuf,
    /// Why, for a person.
    pub reason: String,
}

/// What discovery found.
pub struct Discovery {
    /// Accepted plugins, in search order.
    pub plugins: Vec<Library>,
    /// Refused files, with reasons.
    pub refused: Vec<Refusal>,
    /// Where it looked.
    pub searched: Vec<SearchDir>,
}

impl Discovery {
    /// The accepted plugin named `name`.
    pub fn get(&self, name: &str) -> Option<&Library> {
        self.plugins.iter().find(|p| p.entry.name == name)
    }

    /// The searched directories, for messages.
    pub fn searched_list(&self) -> String {
        self.searched
            .iter()
            .map(|s| format!("{} ({})", s.dir.display(), s.origin))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The directories to search, in order: `configured` (e.g. the spec's
/// `plugins:`), then `WORKBENCH_PLUGIN_PATH`, then the binary's directory.
pub fn search_dirs(configured: &[(PathBuf, String)]) -> Vec<SearchDir> {
    let mut dirs: Vec<SearchDir> = configured
        .iter()
        .map(|(dir, origin)| SearchDir {
            dir: dir.clone(),
            origin: origin.clone(),
            required: true,
        })
        .collect();
    if let Some(paths) = std::env::var_os("WORKBENCH_PLUGIN_PATH") {
        for dir in std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()) {
            dirs.push(SearchDir {
                dir,
                origin: "WORKBENCH_PLUGIN_PATH".into(),
                required: true,
            });
        }
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.push(SearchDir {
            dir,
            origin: "the workbench binary's directory".into(),
            required: false,
        });
    }
    dirs
}

fn is_library(path: &Path) -> bool {
    path.is_file()
        && path.extension().and_then(|e| e.to_str()) == Some(std::env::consts::DLL_EXTENSION)
}

/// Loads every library in `dirs` and sorts it into plugins and refusals.
/// A required directory that does not exist is an error.
pub fn discover(dirs: &[SearchDir]) -> Result<Discovery, HostError> {
    let mut plugins: Vec<Library> = Vec::new();
    let mut refused = Vec::new();
    let mut seen_files = HashSet::new();
    for sd in dirs {
        if !sd.dir.is_dir() {
            if sd.required {
                return Err(HostError::MissingDir {
                    dir: sd.dir.clone(),
                    origin: sd.origin.clone(),
                });
            }
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&sd.dir)
            .map_err(|e| HostError::Refused {
                file: sd.dir.clone(),
                reason: format!("cannot list directory: {e}"),
            })?
            .flatten()
            .map(|e| e.path())
            .filter(|p| is_library(p))
            .collect();
        files.sort();
        for file in files {
            let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
            if !seen_files.insert(canonical) {
                continue;
            }
            match Library::load(&file) {
                Ok(lib) => {
                    if let Some(first) = plugins.iter().find(|p| p.entry.name == lib.entry.name) {
                        refused.push(Refusal {
                            file: file.clone(),
                            reason: format!(
                                "duplicate plugin name `{}`: already provided by {}",
                                lib.entry.name,
                                first.entry.file.display()
                            ),
                        });
                    } else {
                        plugins.push(lib);
                    }
                }
                Err(HostError::Refused { file, reason }) => refused.push(Refusal { file, reason }),
                Err(other) => return Err(other),
            }
        }
    }
    Ok(Discovery {
        plugins,
        refused,
        searched: dirs.to_vec(),
    })
}

/// Finds plugin `name` of `kind` at `version` among the libraries in `dirs`,
/// and nowhere else. `hint` (the file a run directory recorded) is only a
/// shortcut: it is loaded when it is a library directly inside one of
/// `dirs`, and otherwise ignored; what it says is never trusted, so every
/// library in `dirs` is searched when it does not hold the plugin.
pub fn find_plugin(
    dirs: &[SearchDir],
    name: &str,
    version: &str,
    kind: workbench_api::Kind,
    hint: Option<&Path>,
) -> Result<Library, HostError> {
    let matches = |lib: &Library| {
        lib.entry.name == name && lib.entry.version == version && lib.entry.kind == kind
    };
    if let Some(file) = hint.and_then(|h| inside_dirs(dirs, h)) {
        if let Ok(lib) = Library::load(&file) {
            if matches(&lib) {
                return Ok(lib);
            }
        }
    }
    let discovery = discover(dirs)?;
    let not_found = |reason: String| HostError::NotFound {
        plugin: name.to_string(),
        reason,
        searched: discovery.searched_list(),
    };
    let lib = discovery
        .get(name)
        .ok_or_else(|| not_found("no library provides it".into()))?;
    if lib.entry.kind != kind {
        return Err(not_found(format!(
            "{} provides a {} plugin of that name, not a {kind} plugin",
            lib.entry.file.display(),
            lib.entry.kind
        )));
    }
    if lib.entry.version != version {
        return Err(not_found(format!(
            "{} provides version {}, but version {version} is needed",
            lib.entry.file.display(),
            lib.entry.version
        )));
    }
    Ok(lib.clone())
}

/// `file`, canonical, when it is a library directly inside one of `dirs`.
fn inside_dirs(dirs: &[SearchDir], file: &Path) -> Option<PathBuf> {
    let file = file.canonicalize().ok()?;
    if !is_library(&file) {
        return None;
    }
    let parent = file.parent()?;
    dirs.iter()
        .filter_map(|sd| sd.dir.canonicalize().ok())
        .any(|d| d == parent)
        .then_some(file)
}
