//! The ABI's `#[repr(C)]` types, field by field: size, alignment and every
//! offset on 64-bit targets. A change here is an ABI change: bump
//! `ABI_VERSION`, and only ever add fields at the end (ARCHITECTURE.md,
//! "Plugin ABI"). The tidy test checks that every `#[repr(C)]` type of
//! `workbench-api` is listed here.
#![cfg(target_pointer_width = "64")]

use std::mem::{align_of, offset_of, size_of};
use workbench_api::raw::*;

#[test]
fn strings_and_slices() {
    assert_eq!((size_of::<RawStr>(), align_of::<RawStr>()), (16, 8));
    assert_eq!((offset_of!(RawStr, ptr), offset_of!(RawStr, len)), (0, 8));
    assert_eq!(size_of::<RawStrs>(), 16);
    assert_eq!((offset_of!(RawStrs, ptr), offset_of!(RawStrs, len)), (0, 8));
    assert_eq!(size_of::<RawImages>(), 16);
    assert_eq!(
        (offset_of!(RawImages, ptr), offset_of!(RawImages, len)),
        (0, 8)
    );
}

#[test]
fn images_datasets_and_regions() {
    assert_eq!(size_of::<RawImage>(), 24);
    assert_eq!(
        [
            offset_of!(RawImage, height),
            offset_of!(RawImage, width),
            offset_of!(RawImage, channels),
            offset_of!(RawImage, data),
        ],
        [0, 4, 8, 16]
    );
    assert_eq!(size_of::<RawDataset>(), 32);
    assert_eq!(
        [
            offset_of!(RawDataset, images),
            offset_of!(RawDataset, texts)
        ],
        [0, 16]
    );
    assert_eq!((size_of::<RawRegion>(), align_of::<RawRegion>()), (24, 4));
    assert_eq!(
        [
            offset_of!(RawRegion, kind),
            offset_of!(RawRegion, x),
            offset_of!(RawRegion, y),
            offset_of!(RawRegion, w),
            offset_of!(RawRegion, h),
            offset_of!(RawRegion, score),
        ],
        [0, 4, 8, 12, 16, 20]
    );
}

#[test]
fn callbacks() {
    assert_eq!(size_of::<RawError>(), 16);
    assert_eq!(
        [offset_of!(RawError, user), offset_of!(RawError, set)],
        [0, 8]
    );
    assert_eq!(size_of::<RawSink>(), 40);
    assert_eq!(
        [
            offset_of!(RawSink, user),
            offset_of!(RawSink, vector),
            offset_of!(RawSink, image),
            offset_of!(RawSink, text),
            offset_of!(RawSink, region),
        ],
        [0, 8, 16, 24, 32]
    );
    assert_eq!(size_of::<RawContext>(), 72);
    assert_eq!(
        [
            offset_of!(RawContext, user),
            offset_of!(RawContext, report),
            offset_of!(RawContext, log),
            offset_of!(RawContext, progress),
            offset_of!(RawContext, preview),
            offset_of!(RawContext, info),
            offset_of!(RawContext, should_stop),
            offset_of!(RawContext, checkpoint_dir),
        ],
        [0, 8, 16, 24, 32, 40, 48, 56]
    );
}

#[test]
fn descriptor_and_vtable() {
    assert_eq!(size_of::<PluginVTable>(), 64);
    assert_eq!(
        [
            offset_of!(PluginVTable, create),
            offset_of!(PluginVTable, destroy),
            offset_of!(PluginVTable, fit),
            offset_of!(PluginVTable, save),
            offset_of!(PluginVTable, encode),
            offset_of!(PluginVTable, reconstruct),
            offset_of!(PluginVTable, segment),
            offset_of!(PluginVTable, recognize),
        ],
        [0, 8, 16, 24, 32, 40, 48, 56]
    );
    assert_eq!(size_of::<RawVariant>(), 48);
    assert_eq!(
        [
            offset_of!(RawVariant, name),
            offset_of!(RawVariant, description),
            offset_of!(RawVariant, params_json),
        ],
        [0, 16, 32]
    );
    assert_eq!(size_of::<PluginDescriptor>(), 136);
    assert_eq!(
        [
            offset_of!(PluginDescriptor, abi_version),
            offset_of!(PluginDescriptor, kind),
            offset_of!(PluginDescriptor, name),
            offset_of!(PluginDescriptor, version),
            offset_of!(PluginDescriptor, api_version),
            offset_of!(PluginDescriptor, variants),
            offset_of!(PluginDescriptor, n_variants),
            offset_of!(PluginDescriptor, vtable),
        ],
        [0, 4, 8, 24, 40, 56, 64, 72]
    );
}
