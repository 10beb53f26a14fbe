//! Pages with ground truth, in the pages format of docs/CONTRACTS.md: a directory of
//! `NAME.png` (or `.jpg`/`.jpeg`) each with `NAME.json`:
//! `{"width": W, "height": H, "words": [{"text"?, "x", "y", "w", "h"}],
//! "images": [{"x", "y", "w", "h"}]}`, pixels, origin top-left. The same
//! JSON shape is what `workbench segment` writes (with an optional `score`).
//! Pages made from PDFs add `font_box`, `block` and `line` to words and a
//! `graphics` list of vector-drawing regions. Pages may sit in
//! subdirectories (one per document); directories holding `labels.csv`
//! (word crops) are skipped.

use super::DataError;
use crate::metrics::BBox;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A word box.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WordBox {
    /// The word, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Confidence, in segmenter output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The font box `[x, y, w, h]` (from a PDF's text layer), where the
    /// word's box is its ink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_box: Option<[f64; 4]>,
    /// Block number on the page, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u32>,
    /// Line number on the page, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// An image-region box.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageBox {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Confidence, in segmenter output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl WordBox {
    /// The box alone, for the metrics.
    pub fn bbox(&self) -> BBox {
        BBox {
            x: self.x,
            y: self.y,
            w: self.w,
            h: self.h,
        }
    }
}

impl ImageBox {
    /// The box alone, for the metrics.
    pub fn bbox(&self) -> BBox {
        BBox {
            x: self.x,
            y: self.y,
            w: self.w,
            h: self.h,
        }
    }
}

/// The regions of one page: ground truth, or a segmenter's output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PageRegions {
    /// Page width in pixels.
    pub width: u32,
    /// Page height in pixels.
    pub height: u32,
    /// Word boxes.
    pub words: Vec<WordBox>,
    /// Image regions (may be empty; a missing list reads as empty).
    #[serde(default)]
    pub images: Vec<ImageBox>,
    /// Vector graphics regions (drawings, diagrams; from PDFs), scored with
    /// `images` as figure regions; absent reads as empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub graphics: Vec<ImageBox>,
}

impl PageRegions {
    /// Image and graphics regions together: the figure regions a segmenter
    /// is scored against.
    pub fn figures(&self) -> impl Iterator<Item = &ImageBox> {
        self.images.iter().chain(&self.graphics)
    }
}

/// One page: a gray image (values in [0, 1], row-major) and, for datasets,
/// its ground truth.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// File stem or generated name.
    pub name: String,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width * height` gray values.
    pub pixels: Vec<f32>,
    /// Ground truth, when known.
    pub truth: Option<PageRegions>,
}

impl Page {
    /// Borrows the page image (one channel).
    pub fn image(&self) -> workbench_api::Image<'_> {
        workbench_api::Image {
            height: self.height,
            width: self.width,
            channels: 1,
            data: &self.pixels,
        }
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> DataError {
    DataError::BadPage {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads a PNG or JPEG as gray values in [0, 1]: `(width, height, pixels)`.
pub fn read_gray(path: &Path) -> Result<(usize, usize, Vec<f32>), DataError> {
    let img = super::image_file::open(path)?.to_luma32f();
    let (w, h) = img.dimensions();
    Ok((w as usize, h as usize, img.into_raw()))
}

/// Reads a page JSON; the error names the file and the missing or bad field.
pub fn read_regions(path: &Path) -> Result<PageRegions, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let inner = e.into_inner();
        if at.is_empty() || at == "." {
            corrupt(path, inner.to_string())
        } else {
            corrupt(path, format!("{at}: {inner}"))
        }
    })
}

/// Writes `regions` as pretty JSON (to a temporary name, then renamed).
pub fn write_regions(path: &Path, regions: &PageRegions) -> Result<(), DataError> {
    let write = |source| DataError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(regions).expect("regions serialize");
    std::fs::write(&tmp, text + "\n").map_err(write)?;
    std::fs::rename(&tmp, path).map_err(write)
}

/// The page images of `dir` (`.png`, `.jpg`, `.jpeg`), sorted by name, then
/// those of its subdirectories (one per document, say), in name order;
/// subdirectories holding a `labels.csv` are word datasets and skipped.
pub fn page_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(dir).map_err(|source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    let mut files: Vec<PathBuf> = paths
        .iter()
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .map(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
                    .unwrap_or(false)
        })
        .cloned()
        .collect();
    files.sort();
    let mut subdirs: Vec<&PathBuf> = paths
        .iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            p.is_dir() && !name.starts_with('.') && !p.join("labels.csv").exists()
        })
        .collect();
    subdirs.sort();
    for d in subdirs {
        files.extend(page_files(d)?);
    }
    Ok(files)
}

/// Loads one page image with its `NAME.json` ground truth.
pub fn load_page(image_path: &Path) -> Result<Page, DataError> {
    let json = image_path.with_extension("json");
    if !json.is_file() {
        return Err(corrupt(
            image_path,
            format!("has no ground truth file {}", json.display()),
        ));
    }
    let truth = read_regions(&json)?;
    let (width, height, pixels) = read_gray(image_path)?;
    if (truth.width as usize, truth.height as usize) != (width, height) {
        return Err(corrupt(
            &json,
            format!(
                "says {}×{} but {} is {width}×{height}",
                truth.width,
                truth.height,
                image_path.display()
            ),
        ));
    }
    Ok(Page {
        name: image_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        width,
        height,
        pixels,
        truth: Some(truth),
    })
}

/// Loads every page of a directory in the pages format.
pub fn load_dir(dir: &Path) -> Result<Vec<Page>, DataError> {
    let files = page_files(dir)?;
    if files.is_empty() {
        return Err(DataError::Missing {
            dir: dir.to_path_buf(),
            name: "page image (NAME.png with NAME.json)".into(),
        });
    }
    files.iter().map(|f| load_page(f)).collect()
}

/// Writes a page as `dir/NAME.png` and `dir/NAME.json`.
pub fn save_page(dir: &Path, page: &Page) -> Result<(), DataError> {
    let write = |source| DataError::Write {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write)?;
    let png = dir.join(format!("{}.png", page.name));
    let bytes: Vec<u8> = page
        .pixels
        .iter()
        .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    image::GrayImage::from_raw(page.width as u32, page.height as u32, bytes)
        .expect("page buffer has width × height values")
        .save(&png)
        .map_err(|e| DataError::Write {
            path: png.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
    if let Some(t) = &page.truth {
        write_regions(&dir.join(format!("{}.json", page.name)), t)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Page {
        Page {
            name: "p1".into(),
            width: 4,
            height: 3,
            pixels: vec![1.0; 12],
            truth: Some(PageRegions {
                width: 4,
                height: 3,
                words: vec![WordBox {
                    text: Some("hi".into()),
                    x: 0.0,
                    y: 0.0,
                    w: 2.0,
                    h: 1.0,
                    ..Default::default()
                }],
                ..Default::default()
            }),
        }
    }

    #[test]
    fn round_trip_through_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        save_page(dir.path(), &page()).unwrap();
        let loaded = load_dir(dir.path()).unwrap();
        assert_eq!(loaded, vec![page()]);
    }

    #[test]
    fn outside_json_without_text_or_images_loads() {
        let r: PageRegions = serde_json::from_str(
            r#"{"width": 10, "height": 5, "words": [{"x": 1, "y": 2, "w": 3, "h": 4}]}"#,
        )
        .unwrap();
        assert_eq!(r.words[0].text, None);
        assert!(r.images.is_empty());
    }

    #[test]
    fn missing_field_names_file_and_field() {
        let dir = tempfile::tempdir().unwrap();
        save_page(dir.path(), &page()).unwrap();
        std::fs::write(
            dir.path().join("p1.json"),
            r#"{"width": 4, "height": 3, "words": [{"x": 0, "y": 0, "w": 2}]}"#,
        )
        .unwrap();
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("p1.json"), "{err}");
        assert!(
            err.contains("words[0]") && err.contains("missing field `h`"),
            "{err}"
        );
    }

    #[test]
    fn corrupt_png_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        save_page(dir.path(), &page()).unwrap();
        std::fs::write(dir.path().join("p1.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("p1.png") && err.contains("not a readable"),
            "{err}"
        );
    }

    #[test]
    fn size_mismatch_and_missing_json() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = page();
        p.truth.as_mut().unwrap().width = 7;
        save_page(dir.path(), &p).unwrap();
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("7×3") && err.contains("4×3"), "{err}");
        std::fs::remove_file(dir.path().join("p1.json")).unwrap();
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("p1.png") && err.contains("no ground truth"),
            "{err}"
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(load_dir(empty.path()).is_err());
    }
}
