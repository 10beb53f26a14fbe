//! A live plugin instance and the safe calls into it. Host callbacks given to
//! the plugin copy what they receive and never unwind into plugin code.
#![allow(unsafe_code)] // listed in ARCHITECTURE.md, "Where `unsafe` lives"

use super::{HostError, Library};
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use workbench_api::raw::*;
use workbench_api::{Config, Image, OwnedImage, Region, RegionKind};

/// What the host does with the signals a plugin sends during `fit`.
pub trait HostContext {
    /// A scalar signal; `split` is [`SPLIT_TRAIN`] or [`SPLIT_VAL`].
    fn report(&mut self, name: &str, value: f64, split: u32, step: u64, epoch: u32);
    /// A log line.
    fn log(&mut self, level: u32, message: &str);
    /// Progress of the fit.
    fn progress(&mut self, done: u64, total: u64);
    /// A preview image.
    fn preview(&mut self, name: &str, image: Image<'_>);
    /// A fact for the summary.
    fn info(&mut self, key: &str, value: &str);
    /// Whether the plugin should stop.
    fn should_stop(&mut self) -> bool;
}

/// The vtable shape of `encode`, `reconstruct` and `recognize`.
type ImagesFn =
    unsafe extern "C" fn(*mut c_void, RawImages, *const RawSink, *const RawError) -> i32;

/// A created plugin instance; destroyed on drop.
pub struct Instance {
    lib: Library,
    ptr: *mut c_void,
}

struct ErrorSlot(Option<String>);

extern "C" fn set_error(user: *mut c_void, message: RawStr) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `user` is the `ErrorSlot` passed with this call; the
        // message is valid during the call.
        let slot = unsafe { &mut *(user as *mut ErrorSlot) };
        slot.0 = Some(unsafe { message.as_str() }.into_owned());
    }));
}

/// Everything a sink may receive, copied.
#[derive(Default)]
struct Collected {
    vectors: Vec<(usize, Vec<f32>)>,
    images: Vec<(usize, OwnedImage)>,
    texts: Vec<(usize, String, f32)>,
    regions: Vec<Region>,
}

fn collected<'a>(user: *mut c_void) -> &'a mut Collected {
    // SAFETY: `user` is the `Collected` passed with the call that invokes the sink.
    unsafe { &mut *(user as *mut Collected) }
}

extern "C" fn sink_vector(user: *mut c_void, index: usize, data: *const f32, len: usize) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let v = if len == 0 || data.is_null() {
            Vec::new()
        } else {
            // SAFETY: the plugin passes `len` valid floats for this call.
            unsafe { std::slice::from_raw_parts(data, len) }.to_vec()
        };
        collected(user).vectors.push((index, v));
    }));
}

extern "C" fn sink_image(user: *mut c_void, index: usize, image: RawImage) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let len = image.height as usize * image.width as usize * image.channels as usize;
        let data = if len == 0 || image.data.is_null() {
            Vec::new()
        } else {
            // SAFETY: the plugin passes an image with `len` valid floats.
            unsafe { std::slice::from_raw_parts(image.data, len) }.to_vec()
        };
        collected(user).images.push((
            index,
            OwnedImage {
                height: image.height as usize,
                width: image.width as usize,
                channels: image.channels as usize,
                data,
            },
        ));
    }));
}

extern "C" fn sink_text(user: *mut c_void, index: usize, text: RawStr, confidence: f32) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: valid during the call.
        let text = unsafe { text.as_str() }.into_owned();
        collected(user).texts.push((index, text, confidence));
    }));
}

extern "C" fn sink_region(user: *mut c_void, r: RawRegion) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let kind = if r.kind == REGION_IMAGE {
            RegionKind::Image
        } else {
            RegionKind::Word
        };
        collected(user).regions.push(Region {
            kind,
            x: r.x,
            y: r.y,
            w: r.w,
            h: r.h,
            score: (r.score >= 0.0).then_some(r.score),
        });
    }));
}

fn ctx<'a>(user: *mut c_void) -> &'a mut dyn HostContext {
    // SAFETY: `user` is the `&mut dyn HostContext` passed with `fit`.
    unsafe { &mut **(user as *mut &mut dyn HostContext) }
}

extern "C" fn ctx_report(
    user: *mut c_void,
    name: RawStr,
    value: f64,
    split: u32,
    step: u64,
    epoch: u32,
) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: valid during the call.
        let name = unsafe { name.as_str() };
        ctx(user).report(&name, value, split, step, epoch);
    }));
}

extern "C" fn ctx_log(user: *mut c_void, level: u32, message: RawStr) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: valid during the call.
        let message = unsafe { message.as_str() };
        ctx(user).log(level, &message);
    }));
}

extern "C" fn ctx_progress(user: *mut c_void, done: u64, total: u64) {
    let _ = catch_unwind(AssertUnwindSafe(|| ctx(user).progress(done, total)));
}

extern "C" fn ctx_preview(user: *mut c_void, name: RawStr, image: RawImage) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let len = image.height as usize * image.width as usize * image.channels as usize;
        if len == 0 || image.data.is_null() {
            return;
        }
        // SAFETY: valid during the call.
        let data = unsafe { std::slice::from_raw_parts(image.data, len) };
        let name = unsafe { name.as_str() };
        ctx(user).preview(
            &name,
            Image {
                height: image.height as usize,
                width: image.width as usize,
                channels: image.channels as usize,
                data,
            },
        );
    }));
}

extern "C" fn ctx_info(user: *mut c_void, key: RawStr, value: RawStr) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: valid during the call.
        let (key, value) = unsafe { (key.as_str(), value.as_str()) };
        ctx(user).info(&key, &value);
    }));
}

extern "C" fn ctx_should_stop(user: *mut c_void) -> bool {
    catch_unwind(AssertUnwindSafe(|| ctx(user).should_stop())).unwrap_or(true)
}

fn raw_images(images: &[Image<'_>]) -> Vec<RawImage> {
    images
        .iter()
        .map(|i| RawImage {
            height: i.height as u32,
            width: i.width as u32,
            channels: i.channels as u32,
            data: i.data.as_ptr(),
        })
        .collect()
}

fn raw_dataset<'a>(images: &'a [RawImage], texts: &'a [RawStr]) -> RawDataset {
    RawDataset {
        images: RawImages {
            ptr: images.as_ptr(),
            len: images.len(),
        },
        texts: RawStrs {
            ptr: texts.as_ptr(),
            len: texts.len(),
        },
    }
}

impl Instance {
    /// Creates an instance of `variant`; loads a saved model from `model_dir`
    /// when given.
    pub fn create(
        lib: &Library,
        variant: &str,
        config: &Config,
        model_dir: Option<&Path>,
    ) -> Result<Instance, HostError> {
        let config_json = serde_json::to_string(config).expect("configs serialize");
        let dir = model_dir
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut out: *mut c_void = std::ptr::null_mut();
        let mut this = Instance {
            lib: lib.clone(),
            ptr: std::ptr::null_mut(),
        };
        this.call("create", |err| unsafe {
            (lib.vtable().create)(
                RawStr::new(variant),
                RawStr::new(&config_json),
                RawStr::new(&dir),
                &mut out,
                err,
            )
        })?;
        if out.is_null() {
            return Err(this.contract("create", "returned success but no instance".into()));
        }
        this.ptr = out;
        Ok(this)
    }

    fn plugin(&self) -> &str {
        &self.lib.entry.name
    }

    fn contract(&self, function: &'static str, message: String) -> HostError {
        HostError::Contract {
            plugin: self.plugin().to_string(),
            function,
            message,
        }
    }

    /// Calls a plugin function with an error slot and maps its status.
    fn call(
        &self,
        function: &'static str,
        f: impl FnOnce(*const RawError) -> i32,
    ) -> Result<(), HostError> {
        let mut slot = ErrorSlot(None);
        let err = RawError {
            user: &mut slot as *mut ErrorSlot as *mut c_void,
            set: set_error,
        };
        let status = f(&err);
        if status == STATUS_OK {
            return Ok(());
        }
        let message = slot
            .0
            .unwrap_or_else(|| format!("failed with status {status} and no message"));
        Err(HostError::Call {
            plugin: self.plugin().to_string(),
            function,
            message,
        })
    }

    fn with_sink(
        &self,
        function: &'static str,
        f: impl FnOnce(*const RawSink, *const RawError) -> i32,
    ) -> Result<Collected, HostError> {
        let mut out = Collected::default();
        let sink = RawSink {
            user: &mut out as *mut Collected as *mut c_void,
            vector: sink_vector,
            image: sink_image,
            text: sink_text,
            region: sink_region,
        };
        self.call(function, |err| f(&sink, err))?;
        Ok(out)
    }

    /// Trains. `texts` is empty or has one entry per training/validation image.
    pub fn fit(
        &mut self,
        host: &mut dyn HostContext,
        train: (&[Image<'_>], &[&str]),
        val: (&[Image<'_>], &[&str]),
        checkpoint_dir: Option<&Path>,
    ) -> Result<(), HostError> {
        let train_images = raw_images(train.0);
        let train_texts: Vec<RawStr> = train.1.iter().map(|t| RawStr::new(t)).collect();
        let val_images = raw_images(val.0);
        let val_texts: Vec<RawStr> = val.1.iter().map(|t| RawStr::new(t)).collect();
        let checkpoint = checkpoint_dir
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut host_ref: &mut dyn HostContext = host;
        let raw_ctx = RawContext {
            user: &mut host_ref as *mut &mut dyn HostContext as *mut c_void,
            report: ctx_report,
            log: ctx_log,
            progress: ctx_progress,
            preview: ctx_preview,
            info: ctx_info,
            should_stop: ctx_should_stop,
            checkpoint_dir: RawStr::new(&checkpoint),
        };
        let ptr = self.ptr;
        let vt = self.lib.vtable();
        self.call("fit", |err| unsafe {
            (vt.fit)(
                ptr,
                &raw_ctx,
                raw_dataset(&train_images, &train_texts),
                raw_dataset(&val_images, &val_texts),
                err,
            )
        })
    }

    /// Saves the model into the existing directory `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), HostError> {
        let dir = dir.to_string_lossy().into_owned();
        let vt = self.lib.vtable();
        self.call("save", |err| unsafe {
            (vt.save)(self.ptr, RawStr::new(&dir), err)
        })
    }

    /// Calls a plugin function that takes a list of images and answers
    /// through the sink.
    fn sink_images(
        &self,
        function: &'static str,
        f: ImagesFn,
        images: &[Image<'_>],
    ) -> Result<Collected, HostError> {
        let raw = raw_images(images);
        let list = RawImages {
            ptr: raw.as_ptr(),
            len: raw.len(),
        };
        // SAFETY: `f` comes from this instance's vtable; `raw` outlives the call.
        self.with_sink(function, |sink, err| unsafe {
            f(self.ptr, list, sink, err)
        })
    }

    /// Autoencoders: one code per image.
    pub fn encode(&mut self, images: &[Image<'_>]) -> Result<Vec<Vec<f32>>, HostError> {
        let out = self.sink_images("encode", self.lib.vtable().encode, images)?;
        let codes = self.one_per_input("encode", images.len(), out.vectors)?;
        if let Some(first) = codes.first() {
            if codes.iter().any(|c| c.len() != first.len()) {
                return Err(self.contract("encode", "codes of different lengths".into()));
            }
        }
        Ok(codes)
    }

    /// Autoencoders: one reconstruction per image, of the same size.
    pub fn reconstruct(&mut self, images: &[Image<'_>]) -> Result<Vec<OwnedImage>, HostError> {
        let out = self.sink_images("reconstruct", self.lib.vtable().reconstruct, images)?;
        let recon = self.one_per_input("reconstruct", images.len(), out.images)?;
        for (i, (r, x)) in recon.iter().zip(images).enumerate() {
            if (r.height, r.width, r.channels) != (x.height, x.width, x.channels) {
                return Err(self.contract(
                    "reconstruct",
                    format!(
                        "reconstruction {i} is {}x{}x{}, its input {}x{}x{}",
                        r.height, r.width, r.channels, x.height, x.width, x.channels
                    ),
                ));
            }
        }
        Ok(recon)
    }

    /// Segmenters: the regions of one page.
    pub fn segment(&mut self, page: &Image<'_>) -> Result<Vec<Region>, HostError> {
        let raw = raw_images(std::slice::from_ref(page));
        let vt = self.lib.vtable();
        let out = self.with_sink("segment", |sink, err| unsafe {
            (vt.segment)(self.ptr, raw[0], sink, err)
        })?;
        Ok(out.regions)
    }

    /// Recognizers: text and confidence per word image.
    pub fn recognize(&mut self, images: &[Image<'_>]) -> Result<Vec<(String, f32)>, HostError> {
        let out = self.sink_images("recognize", self.lib.vtable().recognize, images)?;
        let texts = out.texts.into_iter().map(|(i, t, c)| (i, (t, c))).collect();
        self.one_per_input("recognize", images.len(), texts)
    }

    fn one_per_input<T>(
        &self,
        function: &'static str,
        n: usize,
        items: Vec<(usize, T)>,
    ) -> Result<Vec<T>, HostError> {
        if items.len() != n || items.iter().enumerate().any(|(i, (idx, _))| i != *idx) {
            return Err(self.contract(
                function,
                format!(
                    "expected exactly one output per input in order ({n}), got {}",
                    items.len()
                ),
            ));
        }
        Ok(items.into_iter().map(|(_, v)| v).collect())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: created by this library's `create`, destroyed once.
            unsafe { (self.lib.vtable().destroy)(self.ptr) }
        }
    }
}
