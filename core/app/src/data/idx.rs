//! The IDX file format used by MNIST (raw or gzipped) and loading an MNIST-style folder.
//!
//! Layout: a big-endian magic `00 00 TT DD` (TT = element type, 0x08 = unsigned byte;
//! DD = number of dimensions), then each dimension as a big-endian u32, then the data.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Cursor, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::{DataError, ImageSet};

/// Largest payload accepted, in bytes (2^31).
const MAX_BYTES: usize = 1 << 31;
/// Element type byte for unsigned bytes.
const TYPE_U8: u8 = 0x08;

/// An n-dimensional array of unsigned bytes read from an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions, outermost first (e.g. `[n, 28, 28]` for MNIST images).
    pub dims: Vec<usize>,
    /// The elements in row-major order; `data.len()` is the product of `dims`.
    pub data: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes, gunzipping it first when it starts with the gzip magic.
///
/// Never panics and never allocates more than the file really holds (plus a small bound).
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
    read(path, Some(&|_| true))
}

/// Reads the items (slices along the first dimension) of an IDX file that
/// `keep` selects by index, streaming: only those are held in memory, and
/// the whole file is still checked. The first dimension of the result is
/// the number kept.
pub fn read_idx_items(path: &Path, keep: &dyn Fn(usize) -> bool) -> Result<IdxArray, DataError> {
    read(path, Some(keep))
}

/// The dimensions an IDX file's header announces, without reading its
/// data; an uncompressed file shorter than its header announces is refused.
pub fn read_idx_dims(path: &Path) -> Result<Vec<usize>, DataError> {
    Ok(read(path, None)?.dims)
}

/// Reads the header, and the items `keep` selects (`None`: the header only).
fn read(path: &Path, keep: Option<&dyn Fn(usize) -> bool>) -> Result<IdxArray, DataError> {
    let corrupt = |reason: String| DataError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("not a valid IDX file: {reason}"),
    };
    let file = File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut file = BufReader::new(file);

    // Sniff the first two bytes and put them back in front of the stream.
    let mut sniff = [0u8; 2];
    let got = read_full(&mut file, &mut sniff).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let head = Cursor::new(sniff[..got].to_vec()).chain(file);
    let gzipped = got == 2 && sniff == [0x1f, 0x8b];
    let mut reader: Box<dyn Read> = if gzipped {
        Box::new(MultiGzDecoder::new(head))
    } else {
        Box::new(head)
    };
    let read_err = |source: io::Error| -> DataError {
        if gzipped
            && matches!(
                source.kind(),
                io::ErrorKind::InvalidData
                    | io::ErrorKind::InvalidInput
                    | io::ErrorKind::UnexpectedEof
            )
        {
            corrupt(format!("bad gzip data: {source}"))
        } else {
            DataError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };

    let mut magic = [0u8; 4];
    let got = read_full(&mut reader, &mut magic).map_err(read_err)?;
    if got < 4 {
        return Err(corrupt(format!(
            "truncated header: file holds only {got} byte(s)"
        )));
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(corrupt(format!(
            "bad magic number 0x{:02x}{:02x}{:02x}{:02x} (IDX files start with two zero bytes, e.g. 0x00000803)",
            magic[0], magic[1], magic[2], magic[3]
        )));
    }
    if magic[2] != TYPE_U8 {
        let name = match magic[2] {
            0x09 => "signed byte",
            0x0B => "i16",
            0x0C => "i32",
            0x0D => "f32",
            0x0E => "f64",
            _ => "unknown type",
        };
        return Err(corrupt(format!(
            "element type 0x{:02x} ({name}) is not supported; only unsigned bytes (0x08) are",
            magic[2]
        )));
    }
    let ndims = magic[3] as usize;
    if !(1..=4).contains(&ndims) {
        return Err(corrupt(format!(
            "{ndims} dimensions; only 1 to 4 are supported"
        )));
    }

    let mut dim_bytes = [0u8; 16];
    let want = 4 * ndims;
    let got = read_full(&mut reader, &mut dim_bytes[..want]).map_err(read_err)?;
    if got < want {
        return Err(corrupt(format!(
            "truncated header: {ndims} dimensions announced but only {got} of {want} dimension bytes present"
        )));
    }
    let mut dims = Vec::with_capacity(ndims);
    let mut expected: usize = 1;
    for (k, b) in dim_bytes[..want].chunks_exact(4).enumerate() {
        let d = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if d == 0 {
            return Err(corrupt(format!("dimension {k} is zero")));
        }
        expected = match expected.checked_mul(d) {
            Some(p) if p <= MAX_BYTES => p,
            _ => {
                return Err(corrupt(format!(
                    "header announces more than {MAX_BYTES} bytes of data (dims so far {:?} x {d})",
                    dims
                )));
            }
        };
        dims.push(d);
    }
    let truncated = |found: u64| {
        corrupt(format!(
            "truncated: expected {expected} bytes of data, found {found}"
        ))
    };
    let Some(keep) = keep else {
        // An uncompressed file's size says whether the data is all there.
        let header = 4 + want as u64;
        if let (false, Ok(meta)) = (gzipped, std::fs::metadata(path)) {
            if meta.len() < header + expected as u64 {
                return Err(truncated(meta.len().saturating_sub(header)));
            }
        }
        return Ok(IdxArray {
            dims,
            data: Vec::new(),
        });
    };

    // Item by item, so a lying header cannot make us read or allocate
    // without bound and only the kept items are held.
    let item = expected / dims[0];
    let mut data = Vec::new();
    let mut buf = vec![0u8; item];
    let mut kept = 0;
    for i in 0..dims[0] {
        let got = read_full(&mut reader, &mut buf).map_err(read_err)?;
        if got < item {
            return Err(truncated((i * item + got) as u64));
        }
        if keep(i) {
            data.extend_from_slice(&buf);
            kept += 1;
        }
    }
    if read_full(&mut reader, &mut [0u8; 1]).map_err(read_err)? > 0 {
        return Err(corrupt(format!(
            "trailing bytes after the {expected} bytes of data announced by the header"
        )));
    }
    dims[0] = kept;
    Ok(IdxArray { dims, data })
}

/// Reads until `buf` is full or the stream ends; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Writes `data` (row-major, `dims` outermost first) as an unsigned-byte IDX file, gzipped when `gzip` is set.
pub fn write_idx(path: &Path, dims: &[usize], data: &[u8], gzip: bool) -> Result<(), DataError> {
    let invalid = |reason: String| DataError::InvalidParam {
        name: "dims".to_string(),
        reason,
    };
    if !(1..=4).contains(&dims.len()) {
        return Err(invalid(format!(
            "{} dimensions given; IDX supports 1 to 4",
            dims.len()
        )));
    }
    if let Some(d) = dims.iter().find(|&&d| d == 0 || d > u32::MAX as usize) {
        return Err(invalid(format!(
            "dimension {d} is out of range (1 to {})",
            u32::MAX
        )));
    }
    let product = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&p| p <= MAX_BYTES);
    if product != Some(data.len()) {
        return Err(invalid(format!(
            "dims {dims:?} do not describe the {} data bytes given",
            data.len()
        )));
    }

    let write_err = |source: io::Error| DataError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(write_err)?;
    let mut out: Box<dyn Write> = if gzip {
        Box::new(GzEncoder::new(BufWriter::new(file), Compression::default()))
    } else {
        Box::new(BufWriter::new(file))
    };
    let mut header = vec![0u8, 0, TYPE_U8, dims.len() as u8];
    for &d in dims {
        header.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.write_all(&header).map_err(write_err)?;
    out.write_all(data).map_err(write_err)?;
    out.flush().map_err(write_err)?;
    drop(out); // finishes the gzip stream
    Ok(())
}

/// The four MNIST file names (without `.gz`): train images, train labels, test images, test labels.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Loads `(train, test)` from an MNIST-style folder; each file may be raw or gzipped (`.gz` appended).
pub fn load_mnist_dir(dir: &Path) -> Result<(ImageSet, ImageSet), DataError> {
    load_mnist_dir_limited(dir, None, 0, None)
}

/// Like [`load_mnist_dir`], holding only what is used: of the training
/// files the first `head` images (all when `None`) and the last `tail`, in
/// file order; of the test files the first `test`.
pub fn load_mnist_dir_limited(
    dir: &Path,
    head: Option<usize>,
    tail: usize,
    test: Option<usize>,
) -> Result<(ImageSet, ImageSet), DataError> {
    let [tri, trl, tei, tel] = MNIST_FILES.map(|name| find_file(dir, name));
    let train = load_pair(&tri?, &trl?, &|i, n| {
        head.is_none_or(|h| i < h) || i + tail >= n
    })?;
    let test = load_pair(&tei?, &tel?, &|i, _| test.is_none_or(|t| i < t))?;
    if (train.height, train.width) != (test.height, test.width) {
        return Err(DataError::Mismatch {
            reason: format!(
                "train images in {} are {}x{} but test images are {}x{}",
                dir.display(),
                train.height,
                train.width,
                test.height,
                test.width
            ),
        });
    }
    Ok((train, test))
}

/// `(train, test)` image counts of an MNIST-style folder, from the headers.
pub fn mnist_counts(dir: &Path) -> Result<(usize, usize), DataError> {
    let count =
        |name: &str| -> Result<usize, DataError> { Ok(read_idx_dims(&find_file(dir, name)?)?[0]) };
    Ok((count(MNIST_FILES[0])?, count(MNIST_FILES[2])?))
}

/// `dir/name` if it exists, else `dir/name.gz`, else a Missing error.
fn find_file(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let raw = dir.join(name);
    if raw.is_file() {
        return Ok(raw);
    }
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(DataError::Missing {
        dir: dir.to_path_buf(),
        name: name.to_string(),
    })
}

/// Reads one images file and one labels file into a gray [`ImageSet`] with
/// pixels scaled to [0,1]. Shapes and counts are checked from the headers
/// first; then only the items `keep(index, count)` selects are read into
/// memory.
fn load_pair(
    images: &Path,
    labels: &Path,
    keep: &dyn Fn(usize, usize) -> bool,
) -> Result<ImageSet, DataError> {
    let (img_dims, lab_dims) = (read_idx_dims(images)?, read_idx_dims(labels)?);
    let &[n, h, w] = img_dims.as_slice() else {
        return Err(DataError::Mismatch {
            reason: format!(
                "{} has dims {:?}; images must be 3-D (count, height, width)",
                images.display(),
                img_dims
            ),
        });
    };
    let &[m] = lab_dims.as_slice() else {
        return Err(DataError::Mismatch {
            reason: format!(
                "{} has dims {:?}; labels must be 1-D (count)",
                labels.display(),
                lab_dims
            ),
        });
    };
    if n != m {
        return Err(DataError::Mismatch {
            reason: format!(
                "{} holds {n} images but {} holds {m} labels",
                images.display(),
                labels.display()
            ),
        });
    }
    let keep = |i| keep(i, n);
    let img = read_idx_items(images, &keep)?;
    let lab = read_idx_items(labels, &keep)?;
    let mut set = ImageSet::new(h, w, 1);
    set.pixels = img.data.iter().map(|&b| b as f32 / 255.0).collect();
    set.labels = lab.data;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn sample(n: usize, h: usize, w: usize) -> Vec<u8> {
        (0..n * h * w).map(|i| (i * 7 % 256) as u8).collect()
    }

    #[test]
    fn round_trip_raw_and_gz() {
        let dir = tempfile::tempdir().unwrap();
        let data = sample(3, 4, 5);
        for gzip in [false, true] {
            let p = dir.path().join(format!("x-{gzip}.idx"));
            write_idx(&p, &[3, 4, 5], &data, gzip).unwrap();
            let bytes = std::fs::read(&p).unwrap();
            assert_eq!(bytes[..2] == [0x1f, 0x8b], gzip);
            let a = read_idx(&p).unwrap();
            assert_eq!(a.dims, vec![3, 4, 5]);
            assert_eq!(a.data, data);
        }
        // The gzip decision is by content, not by extension.
        let p = dir.path().join("labels.gz");
        write_idx(&p, &[4], &[1, 2, 3, 4], false).unwrap();
        assert_eq!(read_idx(&p).unwrap().data, vec![1, 2, 3, 4]);
    }

    #[test]
    fn write_rejects_bad_dims() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad");
        assert!(matches!(
            write_idx(&p, &[2, 2], &[0; 3], false),
            Err(DataError::InvalidParam { .. })
        ));
        assert!(write_idx(&p, &[], &[], false).is_err());
        assert!(write_idx(&p, &[1, 1, 1, 1, 1], &[0], false).is_err());
    }

    fn expect_corrupt(bytes: &[u8], needle: &str) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.idx");
        std::fs::write(&p, bytes).unwrap();
        match read_idx(&p) {
            Err(e @ DataError::Corrupt { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
                assert!(msg.contains("f.idx"), "{msg:?} lacks the path");
            }
            other => panic!("expected Corrupt containing {needle:?}, got {other:?}"),
        }
    }

    #[test]
    fn truncated_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("full.idx");
        write_idx(&p, &[2, 3, 3], &sample(2, 3, 3), false).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        expect_corrupt(
            &bytes[..bytes.len() - 5],
            "truncated: expected 18 bytes of data, found 13",
        );
        expect_corrupt(&bytes[..6], "truncated header");
        expect_corrupt(&bytes[..1], "truncated header");
        expect_corrupt(&[], "truncated header");
        let mut extra = bytes.clone();
        extra.push(0);
        expect_corrupt(&extra, "trailing");
    }

    #[test]
    fn truncated_gzip_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("full.gz");
        write_idx(&p, &[100, 10, 10], &sample(100, 10, 10), true).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let cut = dir.path().join("cut.gz");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        assert!(matches!(read_idx(&cut), Err(DataError::Corrupt { .. })));
        std::fs::write(&cut, [0x1f, 0x8b, 0, 0, 0, 0]).unwrap();
        assert!(matches!(read_idx(&cut), Err(DataError::Corrupt { .. })));
    }

    #[test]
    fn wrong_magic_and_types() {
        expect_corrupt(&[1, 2, 8, 1, 0, 0, 0, 1, 5], "bad magic");
        expect_corrupt(&[0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], "f32");
        expect_corrupt(&[0, 0, 8, 0], "0 dimensions");
        expect_corrupt(&[0, 0, 8, 5], "5 dimensions");
        expect_corrupt(&[0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 0], "zero");
        // Text files, PNGs and the like.
        expect_corrupt(b"hello world", "bad magic");
        expect_corrupt(&[0x89, b'P', b'N', b'G', 13, 10, 26, 10], "bad magic");
    }

    #[test]
    fn lying_header_is_refused_quickly() {
        let t = Instant::now();
        // 4 dims of 251 * 251 * 251 * 251 ≈ 3.97e9 bytes claimed, 3 present.
        let mut bytes = vec![0, 0, 8, 4];
        for _ in 0..4 {
            bytes.extend_from_slice(&251u32.to_be_bytes());
        }
        bytes.extend_from_slice(&[1, 2, 3]);
        expect_corrupt(&bytes, "more than");
        // 1 GiB claimed (allowed by the bound) but a tiny file: truncated, without a 1 GiB allocation.
        let mut bytes = vec![0, 0, 8, 1];
        bytes.extend_from_slice(&(1u32 << 30).to_be_bytes());
        bytes.extend_from_slice(&[1, 2, 3]);
        expect_corrupt(
            &bytes,
            "truncated: expected 1073741824 bytes of data, found 3",
        );
        // u32::MAX in one dim times another overflows the bound too.
        let mut bytes = vec![0, 0, 8, 2];
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        expect_corrupt(&bytes, "more than");
        assert!(t.elapsed().as_secs_f32() < 1.0);
    }

    #[test]
    fn missing_file_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope.idx");
        let e = read_idx(&p).unwrap_err();
        assert!(matches!(e, DataError::Io { .. }));
        assert!(e.to_string().contains("nope.idx"));
    }

    fn write_mnist(dir: &Path, n_train: usize, n_test: usize, gz: [bool; 4]) {
        let (h, w) = (4, 3);
        let files: [(usize, bool); 4] = [
            (n_train, true),
            (n_train, false),
            (n_test, true),
            (n_test, false),
        ];
        for (k, ((n, is_img), name)) in files.iter().zip(MNIST_FILES).enumerate() {
            let file = if gz[k] {
                format!("{name}.gz")
            } else {
                name.to_string()
            };
            let p = dir.join(file);
            if *is_img {
                write_idx(&p, &[*n, h, w], &sample(*n, h, w), gz[k]).unwrap();
            } else {
                let labels: Vec<u8> = (0..*n).map(|i| (i % 10) as u8).collect();
                write_idx(&p, &[*n], &labels, gz[k]).unwrap();
            }
        }
    }

    #[test]
    fn load_mnist_dir_mixed_gz_and_raw() {
        let dir = tempfile::tempdir().unwrap();
        write_mnist(dir.path(), 6, 4, [true, false, false, true]);
        let (train, test) = load_mnist_dir(dir.path()).unwrap();
        assert_eq!(
            (train.len(), train.height, train.width, train.channels),
            (6, 4, 3, 1)
        );
        assert_eq!(test.len(), 4);
        assert_eq!(train.labels, vec![0, 1, 2, 3, 4, 5]);
        let raw = sample(6, 4, 3);
        assert_eq!(train.pixels[5], raw[5] as f32 / 255.0);
        assert!(train.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn only_the_images_used_are_held() {
        let dir = tempfile::tempdir().unwrap();
        write_mnist(dir.path(), 12, 8, [true, true, false, false]);
        let (train, test) = load_mnist_dir_limited(dir.path(), Some(3), 2, Some(5)).unwrap();
        assert_eq!(
            train.labels,
            vec![0, 1, 2, 0, 1],
            "first 3 and last 2 of 12"
        );
        let raw = sample(12, 4, 3);
        assert_eq!(train.pixels[3 * 12], raw[10 * 12] as f32 / 255.0);
        assert_eq!(test.len(), 5);
        // Overlapping ranges keep each image once.
        let (train, _) = load_mnist_dir_limited(dir.path(), Some(11), 3, None).unwrap();
        assert_eq!(train.len(), 12);
    }

    #[test]
    fn a_short_uncompressed_file_is_refused_from_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.idx");
        let mut bytes = vec![0, 0, 8, 3];
        for d in [1000u32, 28, 28] {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(&[0; 784 * 10]);
        std::fs::write(&p, &bytes).unwrap();
        let e = read_idx_dims(&p).unwrap_err().to_string();
        assert!(
            e.contains("truncated: expected 784000 bytes of data, found 7840"),
            "{e}"
        );
        bytes.extend_from_slice(&[0; 784 * 990]);
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(read_idx_dims(&p).unwrap(), vec![1000, 28, 28]);
    }

    #[test]
    fn count_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        write_mnist(dir.path(), 6, 4, [false; 4]);
        write_idx(
            &dir.path().join(MNIST_FILES[3]),
            &[5],
            &[0, 1, 2, 3, 4],
            false,
        )
        .unwrap();
        let e = load_mnist_dir(dir.path()).unwrap_err();
        assert!(matches!(e, DataError::Mismatch { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains("4 images") && msg.contains("5 labels"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_rank_is_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        write_mnist(dir.path(), 6, 4, [false; 4]);
        write_idx(&dir.path().join(MNIST_FILES[0]), &[6, 12], &[0; 72], false).unwrap();
        assert!(matches!(
            load_mnist_dir(dir.path()),
            Err(DataError::Mismatch { .. })
        ));
    }

    #[test]
    fn missing_file_names_dir_and_file() {
        let dir = tempfile::tempdir().unwrap();
        write_mnist(dir.path(), 6, 4, [false; 4]);
        std::fs::remove_file(dir.path().join(MNIST_FILES[2])).unwrap();
        let e = load_mnist_dir(dir.path()).unwrap_err();
        assert!(matches!(e, DataError::Missing { .. }));
        let msg = e.to_string();
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        assert!(msg.contains("t10k-images-idx3-ubyte.gz"), "{msg}");
    }
}
