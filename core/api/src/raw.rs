//! The `#[repr(C)]` types that cross the plugin boundary.
//!
//! Everything here is part of the ABI: a change to any type in this module
//! (a field added, removed, reordered or retyped) requires bumping
//! [`ABI_VERSION`](crate::ABI_VERSION). Fields are only ever appended.
#![allow(unsafe_code)] // listed in ARCHITECTURE.md, "Where `unsafe` lives"

use std::ffi::c_void;
use std::marker::PhantomData;

/// Name of the one C symbol every plugin exports. It is an
/// `extern "C" fn() -> *const PluginDescriptor` returning a descriptor that
/// lives as long as the library is loaded.
pub const DESCRIPTOR_SYMBOL: &str = "workbench_plugin_descriptor";

/// Return code of every plugin function: success.
pub const STATUS_OK: i32 = 0;
/// Return code: the function failed; the message went to the [`RawError`] slot.
pub const STATUS_ERROR: i32 = 1;
/// Return code: the function panicked; the panic message went to the [`RawError`] slot.
pub const STATUS_PANIC: i32 = 2;

/// Kind code of a segmenter plugin.
pub const KIND_SEGMENTER: u32 = 1;
/// Kind code of a recognizer plugin.
pub const KIND_RECOGNIZER: u32 = 2;
/// Kind code of an autoencoder plugin.
pub const KIND_AUTOENCODER: u32 = 3;

/// Region kind code: a word.
pub const REGION_WORD: u32 = 1;
/// Region kind code: an image (figure, photo, drawing).
pub const REGION_IMAGE: u32 = 2;

/// Metric split code: training.
pub const SPLIT_TRAIN: u32 = 0;
/// Metric split code: validation.
pub const SPLIT_VAL: u32 = 1;

/// Log level code: information.
pub const LOG_INFO: u32 = 0;
/// Log level code: warning.
pub const LOG_WARN: u32 = 1;

/// A borrowed UTF-8 string: `len` bytes at `ptr` (`ptr` may be dangling when `len == 0`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawStr {
    /// First byte.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl RawStr {
    /// Borrows a Rust string. The `RawStr` must not outlive `s`.
    pub fn new(s: &str) -> Self {
        RawStr {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// Reads the string back.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes that stay valid for `'a`.
    /// Invalid UTF-8 is replaced, never trusted.
    pub unsafe fn as_str<'a>(self) -> std::borrow::Cow<'a, str> {
        if self.len == 0 || self.ptr.is_null() {
            return std::borrow::Cow::Borrowed("");
        }
        let bytes = std::slice::from_raw_parts(self.ptr, self.len);
        String::from_utf8_lossy(bytes)
    }
}

/// A borrowed image: `height × width × channels` f32 values in [0, 1], row-major,
/// channels last.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawImage {
    /// Rows.
    pub height: u32,
    /// Columns.
    pub width: u32,
    /// Channels (1 = gray, 3 = RGB).
    pub channels: u32,
    /// `height * width * channels` values.
    pub data: *const f32,
}

/// A borrowed list of images.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawImages {
    /// First image.
    pub ptr: *const RawImage,
    /// Number of images.
    pub len: usize,
}

/// A borrowed list of strings.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawStrs {
    /// First string.
    pub ptr: *const RawStr,
    /// Number of strings.
    pub len: usize,
}

/// A borrowed training or validation split: images, and (for recognizers) one
/// text per image. `texts.len` is 0 when the split has no texts.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawDataset {
    /// The images.
    pub images: RawImages,
    /// One text per image, or none.
    pub texts: RawStrs,
}

/// A region found by a segmenter, in pixels, origin top-left.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawRegion {
    /// [`REGION_WORD`] or [`REGION_IMAGE`].
    pub kind: u32,
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Confidence in [0, 1], or a negative value when the plugin has none.
    pub score: f32,
}

/// Where a plugin function writes its error message. The host copies the
/// message during the call.
#[repr(C)]
pub struct RawError {
    /// Host data.
    pub user: *mut c_void,
    /// Stores the message.
    pub set: extern "C" fn(user: *mut c_void, message: RawStr),
}

/// Host callbacks that receive outputs of unknown size. The host copies
/// everything during the call; pointers are not kept.
#[repr(C)]
pub struct RawSink {
    /// Host data.
    pub user: *mut c_void,
    /// A vector (a code) for input `index`.
    pub vector: extern "C" fn(user: *mut c_void, index: usize, data: *const f32, len: usize),
    /// An image (a reconstruction) for input `index`.
    pub image: extern "C" fn(user: *mut c_void, index: usize, image: RawImage),
    /// A text (a recognition) with a confidence in [0, 1] for input `index`.
    pub text: extern "C" fn(user: *mut c_void, index: usize, text: RawStr, confidence: f32),
    /// A region of the page being segmented.
    pub region: extern "C" fn(user: *mut c_void, region: RawRegion),
}

/// The training context the host gives to `fit`: how a plugin reports signals
/// and learns that it should stop.
#[repr(C)]
pub struct RawContext {
    /// Host data.
    pub user: *mut c_void,
    /// A scalar signal (`loss`, `lr`, `kl`, ...) at a step and epoch, for a split
    /// ([`SPLIT_TRAIN`] or [`SPLIT_VAL`]).
    pub report: extern "C" fn(
        user: *mut c_void,
        name: RawStr,
        value: f64,
        split: u32,
        step: u64,
        epoch: u32,
    ),
    /// A log line at a level ([`LOG_INFO`], [`LOG_WARN`]).
    pub log: extern "C" fn(user: *mut c_void, level: u32, message: RawStr),
    /// Progress: `done` of `total` units (steps) of the whole fit.
    pub progress: extern "C" fn(user: *mut c_void, done: u64, total: u64),
    /// A preview image (reconstruction grid, decoded samples, ...) under a name.
    pub preview: extern "C" fn(user: *mut c_void, name: RawStr, image: RawImage),
    /// A fact about the run (`device`, `parameters`, ...) for its summary.
    pub info: extern "C" fn(user: *mut c_void, key: RawStr, value: RawStr),
    /// Whether the plugin should stop training now (cancelled, diverged).
    pub should_stop: extern "C" fn(user: *mut c_void) -> bool,
    /// Directory for per-epoch checkpoints (exists; empty string when none).
    pub checkpoint_dir: RawStr,
}

/// Host-called functions of a plugin. Functions that do not apply to the
/// plugin's kind return [`STATUS_ERROR`].
#[repr(C)]
pub struct PluginVTable {
    /// Creates an instance of `variant` from the JSON config; when `model_dir`
    /// is not empty, loads a saved model from it instead of starting fresh.
    pub create: unsafe extern "C" fn(
        variant: RawStr,
        config_json: RawStr,
        model_dir: RawStr,
        out: *mut *mut c_void,
        err: *const RawError,
    ) -> i32,
    /// Frees an instance.
    pub destroy: unsafe extern "C" fn(instance: *mut c_void),
    /// Trains on `train`, validating on `val`, reporting through `ctx`.
    pub fit: unsafe extern "C" fn(
        instance: *mut c_void,
        ctx: *const RawContext,
        train: RawDataset,
        val: RawDataset,
        err: *const RawError,
    ) -> i32,
    /// Saves the trained model into the existing directory `dir`.
    pub save: unsafe extern "C" fn(instance: *mut c_void, dir: RawStr, err: *const RawError) -> i32,
    /// Autoencoders: the code of each image, through `sink.vector`.
    pub encode: unsafe extern "C" fn(
        instance: *mut c_void,
        images: RawImages,
        sink: *const RawSink,
        err: *const RawError,
    ) -> i32,
    /// Autoencoders: the reconstruction of each image, through `sink.image`.
    pub reconstruct: unsafe extern "C" fn(
        instance: *mut c_void,
        images: RawImages,
        sink: *const RawSink,
        err: *const RawError,
    ) -> i32,
    /// Segmenters: the regions of one page, through `sink.region`.
    pub segment: unsafe extern "C" fn(
        instance: *mut c_void,
        page: RawImage,
        sink: *const RawSink,
        err: *const RawError,
    ) -> i32,
    /// Recognizers: the text of each word image, through `sink.text`.
    pub recognize: unsafe extern "C" fn(
        instance: *mut c_void,
        images: RawImages,
        sink: *const RawSink,
        err: *const RawError,
    ) -> i32,
}

/// One variant a plugin offers.
#[repr(C)]
pub struct RawVariant {
    /// Variant name, as written in a spec's `variant:`.
    pub name: RawStr,
    /// One line for `workbench plugins`.
    pub description: RawStr,
    /// The variant's parameters as a JSON array of [`ParamSpec`](crate::ParamSpec).
    pub params_json: RawStr,
}

/// What the descriptor symbol returns. `abi_version` is the first field in
/// every ABI version, so a host can read it before trusting anything else.
#[repr(C)]
pub struct PluginDescriptor {
    /// The [`ABI_VERSION`](crate::ABI_VERSION) the plugin was built with.
    pub abi_version: u32,
    /// [`KIND_SEGMENTER`], [`KIND_RECOGNIZER`] or [`KIND_AUTOENCODER`].
    pub kind: u32,
    /// Plugin name, unique among loaded plugins; what a spec's `plugin:` names.
    pub name: RawStr,
    /// Plugin version.
    pub version: RawStr,
    /// Version of the `workbench-api` crate the plugin was built against.
    pub api_version: RawStr,
    /// The variants.
    pub variants: *const RawVariant,
    /// Number of variants.
    pub n_variants: usize,
    /// The functions.
    pub vtable: PluginVTable,
}

/// Owns the strings a [`PluginDescriptor`] points into; built once per
/// loaded library by the export macros.
#[doc(hidden)]
pub struct DescriptorHolder {
    _strings: Vec<Box<str>>,
    _variants: Box<[RawVariant]>,
    descriptor: PluginDescriptor,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: the holder is immutable after construction and the pointers it holds
// point into heap data it owns, which never moves or changes.
unsafe impl Sync for DescriptorHolder {}
unsafe impl Send for DescriptorHolder {}

impl DescriptorHolder {
    pub(crate) fn new(
        kind: u32,
        info: &crate::PluginInfo,
        vtable: PluginVTable,
    ) -> DescriptorHolder {
        let mut strings: Vec<Box<str>> = Vec::new();
        let mut keep = |s: String| -> RawStr {
            let boxed: Box<str> = s.into_boxed_str();
            let raw = RawStr::new(&boxed);
            strings.push(boxed);
            raw
        };
        let name = keep(info.name.clone());
        let version = keep(info.version.clone());
        let api_version = keep(crate::API_VERSION.to_string());
        let variants: Box<[RawVariant]> = info
            .variants
            .iter()
            .map(|v| RawVariant {
                name: keep(v.name.clone()),
                description: keep(v.description.clone()),
                params_json: keep(
                    serde_json::to_string(&v.params).expect("parameter specs serialize"),
                ),
            })
            .collect();
        let descriptor = PluginDescriptor {
            abi_version: crate::ABI_VERSION,
            kind,
            name,
            version,
            api_version,
            variants: variants.as_ptr(),
            n_variants: variants.len(),
            vtable,
        };
        DescriptorHolder {
            _strings: strings,
            _variants: variants,
            descriptor,
            _not_send: PhantomData,
        }
    }

    /// The descriptor, valid while the holder lives.
    pub fn descriptor(&self) -> *const PluginDescriptor {
        &self.descriptor
    }
}
