//! Reading an image file a user names, with bounds: only a regular file
//! (a FIFO or a device would block or never end), at most
//! [`MAX_FILE_BYTES`] on disk, and at most [`MAX_SIDE`] pixels a side and
//! [`MAX_PIXELS`] pixels in all once decoded, checked from the header
//! before any pixel is decoded (`image::Limits`), so a small file that
//! claims a huge picture is refused instead of filling memory.

use super::DataError;
use image::{DynamicImage, ImageReader, Limits};
use std::io::Read;
use std::path::Path;

/// Largest image file read (bytes).
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Largest width or height (a 600 dpi A2 page is about 10,000 × 14,000).
pub const MAX_SIDE: u32 = 16_384;
/// Largest number of pixels (120 megapixels).
pub const MAX_PIXELS: u64 = 120_000_000;

fn refuse(path: &Path, reason: String) -> DataError {
    DataError::Corrupt {
        path: path.to_path_buf(),
        reason,
    }
}

/// Decodes the image at `path` within the bounds above.
pub fn open(path: &Path) -> Result<DynamicImage, DataError> {
    let meta = std::fs::metadata(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(refuse(path, "is not a regular file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(refuse(
            path,
            format!(
                "is {} MB; images of at most {} MB are read",
                meta.len() >> 20,
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    decode(path, &bytes)
}

/// Decodes `bytes` (read from `path`, named in errors) within the bounds.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<DynamicImage, DataError> {
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| refuse(path, format!("not a readable image: {e}")))?;
    if reader.format().is_none() {
        return Err(refuse(
            path,
            "not a readable image (not PNG, JPEG or another known format)".into(),
        ));
    }
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| refuse(path, format!("not a readable image: {e}")))?;
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(refuse(
            path,
            format!(
                "is {w} × {h} pixels; images of at most {MAX_SIDE} pixels a side and {} megapixels are read",
                MAX_PIXELS / 1_000_000
            ),
        ));
    }
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| refuse(path, format!("not a readable image: {e}")))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    reader
        .decode()
        .map_err(|e| refuse(path, format!("not a readable image: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_file_claiming_a_huge_picture_is_refused_before_decoding() {
        let dir = tempfile::tempdir().unwrap();
        // A 20,000 × 1 PNG is only 0.02 megapixels, but wider than MAX_SIDE ...
        let wide = dir.path().join("wide.png");
        image::GrayImage::new(20_000, 1).save(&wide).unwrap();
        assert!(open(&wide).is_err(), "wider than MAX_SIDE");
        let ok = dir.path().join("ok.png");
        image::GrayImage::new(300, 40).save(&ok).unwrap();
        assert_eq!(open(&ok).unwrap().width(), 300);
        // ... a header claiming 16,000 × 16,000 (256 megapixels) is not.
        let mut png = std::fs::read(&ok).unwrap();
        // IHDR width and height are bytes 16..24.
        png[16..20].copy_from_slice(&16_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&16_000u32.to_be_bytes());
        // The IHDR chunk's CRC (over type and data, bytes 12..29) follows.
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = decode(Path::new("big.png"), &png).unwrap_err().to_string();
        assert!(err.contains("16000 × 16000"), "{err}");
    }

    /// CRC-32 (IEEE), as PNG chunks carry it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let err = open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let text = dir.path().join("x.png");
        std::fs::write(&text, "not an image").unwrap();
        let err = open(&text).unwrap_err().to_string();
        assert!(err.contains("not a readable image"), "{err}");
    }
}
