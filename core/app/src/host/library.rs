//! One loaded plugin library and the checks made before trusting it.
#![allow(unsafe_code)] // listed in ARCHITECTURE.md, "Where `unsafe` lives"

use super::HostError;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use workbench_api::raw::{PluginDescriptor, PluginVTable};
use workbench_api::{Kind, VariantInfo, ABI_VERSION, DESCRIPTOR_SYMBOL};

/// What a plugin says about itself, copied out of its descriptor.
#[derive(Clone, Debug)]
pub struct PluginEntry {
    /// Unique name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Kind.
    pub kind: Kind,
    /// ABI version (always [`ABI_VERSION`] for an accepted plugin).
    pub abi_version: u32,
    /// `workbench-api` version it was built with.
    pub api_version: String,
    /// The library file.
    pub file: PathBuf,
    /// Variants with their parameters.
    pub variants: Vec<VariantInfo>,
}

/// A loaded, checked plugin library. The vtable stays valid while this lives.
#[derive(Clone)]
pub struct Library {
    /// Descriptor facts.
    pub entry: PluginEntry,
    vtable: *const PluginVTable,
    // Declared last: dropped after everything that points into it.
    _lib: Arc<libloading::Library>,
}

// SAFETY: the vtable points into the library's static data, which is
// immutable and lives as long as `_lib`.
unsafe impl Send for Library {}

impl Library {
    /// Loads `file` and checks its descriptor: the symbol exists, the ABI
    /// version matches, the kind is known, the strings are UTF-8 and the
    /// variants' parameter specs parse.
    pub fn load(file: &Path) -> Result<Library, HostError> {
        let refuse = |reason: String| HostError::Refused {
            file: file.to_path_buf(),
            reason,
        };
        // SAFETY: loading runs the library's initialisers; only files from
        // directories the user configured are loaded.
        let lib = unsafe { libloading::Library::new(file) }
            .map_err(|e| refuse(format!("not a loadable library: {e}")))?;
        // SAFETY: the symbol's type is fixed by the ABI.
        let descriptor_fn = unsafe {
            lib.get::<extern "C" fn() -> *const PluginDescriptor>(DESCRIPTOR_SYMBOL.as_bytes())
        }
        .map_err(|_| {
            refuse(format!(
                "not a workbench plugin (no `{DESCRIPTOR_SYMBOL}` symbol)"
            ))
        })?;
        let descriptor = descriptor_fn();
        if descriptor.is_null() {
            return Err(refuse(
                "the plugin's descriptor function failed (returned null)".into(),
            ));
        }
        // SAFETY: every ABI version starts with `abi_version: u32`, so this
        // read is valid whatever version built the plugin.
        let abi = unsafe { *(descriptor as *const u32) };
        if abi != ABI_VERSION {
            return Err(refuse(format!(
                "built for plugin ABI version {abi}, but this workbench speaks version {ABI_VERSION}; rebuild the plugin against workbench-api {}",
                workbench_api::API_VERSION
            )));
        }
        // SAFETY: same ABI version, so the layout is ours.
        let d = unsafe { &*descriptor };
        let kind = Kind::from_code(d.kind)
            .ok_or_else(|| refuse(format!("unknown plugin kind code {}", d.kind)))?;
        // SAFETY: the descriptor's strings live as long as the library.
        let text = |s| unsafe { workbench_api::raw::RawStr::as_str(s) }.into_owned();
        let name = text(d.name);
        if name.is_empty() {
            return Err(refuse("the plugin has an empty name".into()));
        }
        let mut variants = Vec::new();
        if d.n_variants > 0 && d.variants.is_null() {
            return Err(refuse(
                "the descriptor lists variants but has no variant table".into(),
            ));
        }
        let raw_variants = if d.n_variants == 0 {
            &[][..]
        } else {
            // SAFETY: checked non-null; length from the same descriptor.
            unsafe { std::slice::from_raw_parts(d.variants, d.n_variants) }
        };
        for v in raw_variants {
            let vname = text(v.name);
            let params = serde_json::from_str(&text(v.params_json)).map_err(|e| {
                refuse(format!(
                    "variant `{vname}` has invalid parameter specs: {e}"
                ))
            })?;
            variants.push(VariantInfo {
                name: vname,
                description: text(v.description),
                params,
            });
        }
        if variants.is_empty() {
            return Err(refuse("the plugin offers no variants".into()));
        }
        let entry = PluginEntry {
            name,
            version: text(d.version),
            kind,
            abi_version: abi,
            api_version: text(d.api_version),
            file: file.to_path_buf(),
            variants,
        };
        let vtable: *const PluginVTable = &d.vtable;
        Ok(Library {
            entry,
            vtable,
            _lib: Arc::new(lib),
        })
    }

    pub(crate) fn vtable(&self) -> &PluginVTable {
        // SAFETY: points into the library, alive while `self` is.
        unsafe { &*self.vtable }
    }
}
