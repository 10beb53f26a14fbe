//! The glue the export macros expand to: `extern "C"` functions generic over
//! the plugin type, each catching panics and turning errors into codes.
//!
//! Nothing here is meant to be called by hand; it is public only so that the
//! macros can name it from the plugin crate.
#![allow(unsafe_code)] // listed in ARCHITECTURE.md, "Where `unsafe` lives"

use crate::raw::*;
use crate::{
    Autoencoder, Config, Context, Dataset, Image, Kind, Lifecycle, OwnedImage, PluginError,
    Recognizer, Region, RegionKind, Segmenter,
};
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::OnceLock;

/// What the glue needs of an adapted plugin: its kind, the plugin (whose
/// [`Lifecycle`] serves every kind alike), and the calls only some kinds
/// answer.
pub trait Exported: Sized + 'static {
    /// The kind the descriptor announces.
    const KIND: Kind;
    /// The plugin type.
    type Plugin: Lifecycle;
    /// Adapts a plugin.
    fn wrap(plugin: Self::Plugin) -> Self;
    /// The adapted plugin.
    fn plugin(&mut self) -> &mut Self::Plugin;
    /// Autoencoders only.
    fn encode(&mut self, _images: &[Image]) -> Result<Vec<Vec<f32>>, PluginError> {
        Err(unsupported("encode", Self::KIND))
    }
    /// Autoencoders only.
    fn reconstruct(&mut self, _images: &[Image]) -> Result<Vec<OwnedImage>, PluginError> {
        Err(unsupported("reconstruct", Self::KIND))
    }
    /// Segmenters only.
    fn segment(&mut self, _page: &Image) -> Result<Vec<Region>, PluginError> {
        Err(unsupported("segment", Self::KIND))
    }
    /// Recognizers only.
    fn recognize(&mut self, _images: &[Image]) -> Result<Vec<(String, f32)>, PluginError> {
        Err(unsupported("recognize", Self::KIND))
    }
}

fn unsupported(what: &str, kind: Kind) -> PluginError {
    PluginError::new(format!("`{what}` is not available on a {kind} plugin"))
}

/// A fresh instance, or one loaded from `dir`.
fn create_plugin<E: Exported>(
    variant: &str,
    config: &Config,
    dir: Option<&Path>,
) -> Result<E, PluginError> {
    match dir {
        Some(dir) => E::Plugin::load(variant, config, dir).map(E::wrap),
        None => E::Plugin::new(variant, config).map(E::wrap),
    }
}

/// Declares an adapter type for one plugin kind: its kind, the plugin it
/// wraps, and the calls of that kind it forwards.
macro_rules! adapter {
    ($(#[$doc:meta])* $name:ident: $bound:ident => $kind:expr, $($method:item)*) => {
        $(#[$doc])*
        pub struct $name<T>(T);

        impl<T: $bound> Exported for $name<T> {
            const KIND: Kind = $kind;
            type Plugin = T;
            fn wrap(plugin: T) -> Self {
                Self(plugin)
            }
            fn plugin(&mut self) -> &mut T {
                &mut self.0
            }
            $($method)*
        }
    };
}

adapter! {
    /// Adapts an [`Autoencoder`].
    AsAutoencoder: Autoencoder => Kind::Autoencoder,
    fn encode(&mut self, images: &[Image]) -> Result<Vec<Vec<f32>>, PluginError> {
        self.0.encode(images)
    }
    fn reconstruct(&mut self, images: &[Image]) -> Result<Vec<OwnedImage>, PluginError> {
        self.0.reconstruct(images)
    }
}

adapter! {
    /// Adapts a [`Segmenter`].
    AsSegmenter: Segmenter => Kind::Segmenter,
    fn segment(&mut self, page: &Image) -> Result<Vec<Region>, PluginError> {
        self.0.segment(page)
    }
}

adapter! {
    /// Adapts a [`Recognizer`].
    AsRecognizer: Recognizer => Kind::Recognizer,
    fn recognize(&mut self, images: &[Image]) -> Result<Vec<(String, f32)>, PluginError> {
        self.0.recognize(images)
    }
}

/// Builds the descriptor once; returns null if building it panicked.
pub fn descriptor<E: Exported>(
    holder: &'static OnceLock<DescriptorHolder>,
) -> *const PluginDescriptor {
    let built = catch_unwind(|| {
        holder
            .get_or_init(|| {
                DescriptorHolder::new(E::KIND.code(), &E::Plugin::info(), vtable::<E>())
            })
            .descriptor()
    });
    built.unwrap_or(std::ptr::null())
}

fn vtable<E: Exported>() -> PluginVTable {
    PluginVTable {
        create: create::<E>,
        destroy: destroy::<E>,
        fit: fit::<E>,
        save: save::<E>,
        encode: encode::<E>,
        reconstruct: reconstruct::<E>,
        segment: segment::<E>,
        recognize: recognize::<E>,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// Runs `f`, catching panics; errors and panics go to `err`.
fn guard(label: &str, err: *const RawError, f: impl FnOnce() -> Result<(), PluginError>) -> i32 {
    let (code, message) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return STATUS_OK,
        Ok(Err(e)) => (STATUS_ERROR, e.message),
        Err(payload) => (
            STATUS_PANIC,
            format!("panic in {label}: {}", panic_message(payload.as_ref())),
        ),
    };
    if !err.is_null() {
        // SAFETY: the host passes a valid error slot for the duration of the call.
        let err = unsafe { &*err };
        (err.set)(err.user, RawStr::new(&message));
    }
    code
}

/// # Safety
/// `raw` must describe `len` valid images whose buffers outlive `'a`.
unsafe fn images<'a>(raw: RawImages) -> Result<Vec<Image<'a>>, PluginError> {
    if raw.len == 0 {
        return Ok(Vec::new());
    }
    if raw.ptr.is_null() {
        return Err(PluginError::new("host passed a null image list"));
    }
    std::slice::from_raw_parts(raw.ptr, raw.len)
        .iter()
        .map(|r| image(*r))
        .collect()
}

/// # Safety
/// `raw.data` must point to `height * width * channels` floats that outlive `'a`.
unsafe fn image<'a>(raw: RawImage) -> Result<Image<'a>, PluginError> {
    let len = raw.height as usize * raw.width as usize * raw.channels as usize;
    if len > 0 && raw.data.is_null() {
        return Err(PluginError::new("host passed an image with no data"));
    }
    let data = if len == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(raw.data, len)
    };
    Ok(Image {
        height: raw.height as usize,
        width: raw.width as usize,
        channels: raw.channels as usize,
        data,
    })
}

/// # Safety
/// As for [`images`], for the images and texts of a split.
unsafe fn dataset<'a>(raw: RawDataset) -> Result<Dataset<'a>, PluginError> {
    let images = images(raw.images)?;
    let texts = if raw.texts.len == 0 {
        Vec::new()
    } else {
        if raw.texts.ptr.is_null() {
            return Err(PluginError::new("host passed a null text list"));
        }
        std::slice::from_raw_parts(raw.texts.ptr, raw.texts.len)
            .iter()
            .map(|s| {
                let bytes = if s.len == 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(s.ptr, s.len)
                };
                std::str::from_utf8(bytes)
                    .map_err(|_| PluginError::new("host passed a text that is not UTF-8"))
            })
            .collect::<Result<Vec<&'a str>, _>>()?
    };
    Ok(Dataset { images, texts })
}

unsafe extern "C" fn create<E: Exported>(
    variant: RawStr,
    config_json: RawStr,
    model_dir: RawStr,
    out: *mut *mut c_void,
    err: *const RawError,
) -> i32 {
    guard("create", err, || {
        let variant = variant.as_str();
        let config: Config = serde_json::from_str(&config_json.as_str())
            .map_err(|e| PluginError::new(format!("bad config from host: {e}")))?;
        let dir = model_dir.as_str();
        let dir = (!dir.is_empty()).then(|| Path::new(dir.as_ref()).to_path_buf());
        let instance = create_plugin::<E>(&variant, &config, dir.as_deref())?;
        *out = Box::into_raw(Box::new(instance)) as *mut c_void;
        Ok(())
    })
}

unsafe extern "C" fn destroy<E: Exported>(instance: *mut c_void) {
    if instance.is_null() {
        return;
    }
    // A panic in a destructor must not cross the boundary; the instance leaks then.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(instance as *mut E))));
}

unsafe extern "C" fn fit<E: Exported>(
    instance: *mut c_void,
    ctx: *const RawContext,
    train: RawDataset,
    val: RawDataset,
    err: *const RawError,
) -> i32 {
    guard("fit", err, || {
        let this = &mut *(instance as *mut E);
        let train = dataset(train)?;
        let val = dataset(val)?;
        let mut ctx = Context::new(&*ctx);
        this.plugin().fit(&train, &val, &mut ctx)
    })
}

unsafe extern "C" fn save<E: Exported>(
    instance: *mut c_void,
    dir: RawStr,
    err: *const RawError,
) -> i32 {
    guard("save", err, || {
        let this = &mut *(instance as *mut E);
        this.plugin().save(Path::new(dir.as_str().as_ref()))
    })
}

unsafe extern "C" fn encode<E: Exported>(
    instance: *mut c_void,
    raw: RawImages,
    sink: *const RawSink,
    err: *const RawError,
) -> i32 {
    guard("encode", err, || {
        let this = &mut *(instance as *mut E);
        let codes = this.encode(&images(raw)?)?;
        let sink = &*sink;
        for (i, code) in codes.iter().enumerate() {
            (sink.vector)(sink.user, i, code.as_ptr(), code.len());
        }
        Ok(())
    })
}

unsafe extern "C" fn reconstruct<E: Exported>(
    instance: *mut c_void,
    raw: RawImages,
    sink: *const RawSink,
    err: *const RawError,
) -> i32 {
    guard("reconstruct", err, || {
        let this = &mut *(instance as *mut E);
        let outputs = this.reconstruct(&images(raw)?)?;
        let sink = &*sink;
        for (i, img) in outputs.iter().enumerate() {
            let expected = img.height * img.width * img.channels;
            if img.data.len() != expected {
                return Err(PluginError::new(format!(
                    "reconstruction {i} has {} values for a {}x{}x{} image",
                    img.data.len(),
                    img.height,
                    img.width,
                    img.channels
                )));
            }
            let raw = RawImage {
                height: img.height as u32,
                width: img.width as u32,
                channels: img.channels as u32,
                data: img.data.as_ptr(),
            };
            (sink.image)(sink.user, i, raw);
        }
        Ok(())
    })
}

unsafe extern "C" fn segment<E: Exported>(
    instance: *mut c_void,
    page: RawImage,
    sink: *const RawSink,
    err: *const RawError,
) -> i32 {
    guard("segment", err, || {
        let this = &mut *(instance as *mut E);
        let regions = this.segment(&image(page)?)?;
        let sink = &*sink;
        for r in regions {
            let raw = RawRegion {
                kind: match r.kind {
                    RegionKind::Word => REGION_WORD,
                    RegionKind::Image => REGION_IMAGE,
                },
                x: r.x,
                y: r.y,
                w: r.w,
                h: r.h,
                score: r.score.unwrap_or(-1.0),
            };
            (sink.region)(sink.user, raw);
        }
        Ok(())
    })
}

unsafe extern "C" fn recognize<E: Exported>(
    instance: *mut c_void,
    raw: RawImages,
    sink: *const RawSink,
    err: *const RawError,
) -> i32 {
    guard("recognize", err, || {
        let this = &mut *(instance as *mut E);
        let texts = this.recognize(&images(raw)?)?;
        let sink = &*sink;
        for (i, (text, confidence)) in texts.iter().enumerate() {
            (sink.text)(sink.user, i, RawStr::new(text), *confidence);
        }
        Ok(())
    })
}
