//! Word-image datasets: a directory with `labels.csv` (`filename,text`, as
//! docs/CONTRACTS.md fixes it) and the images it names, read into gray images of a
//! fixed height.

use super::DataError;
use std::path::{Path, PathBuf};
use workbench_api::OwnedImage;

/// Word images (gray, values in [0, 1], one channel, varying width) with
/// their texts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WordSet {
    /// The images.
    pub images: Vec<OwnedImage>,
    /// One text per image.
    pub texts: Vec<String>,
    /// Where each image came from (file name, or a generated name).
    pub names: Vec<String>,
}

impl WordSet {
    /// Number of words.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// Moves the last `n` words into a new set.
    pub fn split_off_tail(&mut self, n: usize) -> WordSet {
        let at = self.len().saturating_sub(n);
        WordSet {
            images: self.images.split_off(at),
            texts: self.texts.split_off(at),
            names: self.names.split_off(at),
        }
    }

    /// Keeps the first `n` words.
    pub fn truncate(&mut self, n: usize) {
        self.images.truncate(n);
        self.texts.truncate(n);
        self.names.truncate(n);
    }
}

/// Widest word image, in heights (a 100,000 × 1 image would otherwise
/// become millions of columns).
pub const MAX_WORD_ASPECT: usize = 64;

/// Converts a decoded image to gray values in [0, 1] and scales it to
/// `height` rows keeping its aspect ratio (width at least 1, at most
/// [`MAX_WORD_ASPECT`] heights).
pub fn normalize(img: &image::DynamicImage, height: usize) -> OwnedImage {
    let gray = img.to_luma8();
    let (w, h) = gray.dimensions();
    // A word wider than MAX_WORD_ASPECT heights is squeezed to that.
    let new_w = ((w as f64 * height as f64 / h.max(1) as f64).round() as u32)
        .clamp(1, (MAX_WORD_ASPECT * height) as u32);
    let resized = image::imageops::resize(
        &gray,
        new_w,
        height as u32,
        image::imageops::FilterType::Triangle,
    );
    OwnedImage {
        height,
        width: new_w as usize,
        channels: 1,
        data: resized.pixels().map(|p| p.0[0] as f32 / 255.0).collect(),
    }
}

/// Whether the file name `file` stays inside the directory it is joined
/// to: relative, with no `..` (a dataset never names files outside itself).
fn stays_inside(file: &str) -> bool {
    use std::path::Component;
    Path::new(file)
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Reads a word directory: `labels.csv` with header `filename,text` (UTF-8;
/// texts may contain commas, quoted as CSV does), each named image decoded
/// and normalized to `height`. A missing or unreadable image, an empty text
/// or a malformed line is an error naming the line.
pub fn read_words_dir(dir: &Path, height: usize) -> Result<WordSet, DataError> {
    read_labels(&dir.join("labels.csv"), height)
}

/// [`read_words_dir`] for a labels file of any name: the images it names
/// are relative to its directory.
pub fn read_labels(labels: &Path, height: usize) -> Result<WordSet, DataError> {
    let labels = labels.to_path_buf();
    let dir = labels.parent().unwrap_or(Path::new("."));
    let bytes = std::fs::read(&labels).map_err(|source| DataError::Io {
        path: labels.clone(),
        source,
    })?;
    let corrupt = |reason: String| DataError::Corrupt {
        path: labels.clone(),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| corrupt(e.to_string()))?
        .clone();
    if headers.iter().collect::<Vec<_>>() != ["filename", "text"] {
        return Err(corrupt(format!(
            "the header must be `filename,text`, found `{}`",
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    }
    let mut set = WordSet::default();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| corrupt(format!("line {line}: {e}")))?;
        let (file, text) = (record.get(0).unwrap_or(""), record.get(1).unwrap_or(""));
        if text.is_empty() {
            return Err(corrupt(format!("line {line}: `{file}` has an empty text")));
        }
        if !stays_inside(file) {
            return Err(DataError::BadPage {
                path: labels.clone(),
                reason: format!(
                    "line {line}: `{file}` is outside the dataset directory {} (file names must be relative and must not use `..`)",
                    dir.display()
                ),
            });
        }
        let path: PathBuf = dir.join(file);
        if !path.is_file() {
            return Err(corrupt(format!(
                "line {line}: names {}, which does not exist",
                path.display()
            )));
        }
        let img = super::image_file::open(&path).map_err(|e| match e {
            DataError::Corrupt { path, reason } => DataError::Corrupt {
                path,
                reason: format!("{reason} (named on line {line} of labels.csv)"),
            },
            e => e,
        })?;
        set.images.push(normalize(&img, height));
        set.texts.push(text.to_string());
        set.names.push(file.to_string());
    }
    if set.is_empty() {
        return Err(corrupt("lists no images".into()));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_png(path: &Path, w: u32, h: u32) {
        let img = image::GrayImage::from_fn(w, h, |x, _| image::Luma([(x * 7 % 256) as u8]));
        img.save(path).unwrap();
    }

    #[test]
    fn reads_labels_with_quoted_commas_and_normalizes_height() {
        let dir = tempfile::tempdir().unwrap();
        write_png(&dir.path().join("a.png"), 40, 20);
        write_png(&dir.path().join("b.png"), 10, 10);
        std::fs::write(
            dir.path().join("labels.csv"),
            "filename,text\na.png,\"hello, world\"\nb.png,é\n",
        )
        .unwrap();
        let set = read_words_dir(dir.path(), 32).unwrap();
        assert_eq!(set.texts, ["hello, world", "é"]);
        assert_eq!((set.images[0].height, set.images[0].width), (32, 64));
        assert_eq!((set.images[1].height, set.images[1].width), (32, 32));
        assert!(set.images[0].data.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn file_names_outside_the_directory_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("words");
        std::fs::create_dir(&dir).unwrap();
        write_png(&root.path().join("outside.png"), 8, 8);
        write_png(&dir.join("a.png"), 8, 8);
        for name in ["../outside.png", "sub/../../outside.png"] {
            std::fs::write(
                dir.join("labels.csv"),
                format!("filename,text\na.png,ok\n{name},x\n"),
            )
            .unwrap();
            let err = read_words_dir(&dir, 16).unwrap_err().to_string();
            assert!(
                err.contains("line 3") && err.contains("outside the dataset directory"),
                "{err}"
            );
        }
        let absolute = root.path().join("outside.png");
        std::fs::write(
            dir.join("labels.csv"),
            format!("filename,text\n{},x\n", absolute.display()),
        )
        .unwrap();
        let err = read_words_dir(&dir, 16).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("outside"), "{err}");
        assert!(stays_inside("a/./b.png") && stays_inside("a.png"));
    }

    #[test]
    fn bad_inputs_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        write_png(&dir.path().join("a.png"), 8, 8);
        std::fs::write(
            dir.path().join("labels.csv"),
            "filename,text\na.png,ok\nmissing.png,x\n",
        )
        .unwrap();
        let err = read_words_dir(dir.path(), 32).unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("missing.png") && err.contains("does not exist"),
            "{err}"
        );

        std::fs::write(dir.path().join("labels.csv"), "filename,text\na.png,\n").unwrap();
        let err = read_words_dir(dir.path(), 32).unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("empty text"),
            "{err}"
        );

        std::fs::write(dir.path().join("bad.png"), b"\x89PNG\r\n\x1a\ngarbage").unwrap();
        std::fs::write(dir.path().join("labels.csv"), "filename,text\nbad.png,x\n").unwrap();
        let err = read_words_dir(dir.path(), 32).unwrap_err().to_string();
        assert!(
            err.contains("bad.png") && err.contains("not a readable image"),
            "{err}"
        );

        std::fs::write(dir.path().join("labels.csv"), "file,label\n").unwrap();
        let err = read_words_dir(dir.path(), 32).unwrap_err().to_string();
        assert!(err.contains("header must be `filename,text`"), "{err}");

        let err = read_words_dir(&dir.path().join("nope"), 32)
            .unwrap_err()
            .to_string();
        assert!(err.contains("labels.csv"), "{err}");
    }
}
