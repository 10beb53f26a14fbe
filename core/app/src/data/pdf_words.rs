//! Word crops of converted pages (`data pdf --words`): each word's ink-tight
//! box plus a 2-pixel margin, cut from the page image, as a word dataset
//! (`labels.csv` with `filename,text`, the images beside it).

use super::pages::PageRegions;
use super::pdf::PdfError;
use super::DataError;
use image::GrayImage;
use std::path::{Path, PathBuf};

/// Margin around the ink, in pixels.
const MARGIN: f64 = 2.0;

/// A word dataset being written.
pub struct Crops {
    dir: PathBuf,
    rows: Vec<(String, String)>,
}

fn write_err(path: &Path, e: impl ToString) -> PdfError {
    PdfError::Data(DataError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })
}

impl Crops {
    /// Crops will go to `dir`.
    pub fn new(dir: &Path) -> Crops {
        Crops {
            dir: dir.to_path_buf(),
            rows: Vec::new(),
        }
    }

    /// Cuts every word of `truth` that has a text from `page`.
    pub fn add(
        &mut self,
        name: &str,
        page: &GrayImage,
        truth: &PageRegions,
    ) -> Result<(), PdfError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| write_err(&self.dir, e))?;
        let (pw, ph) = page.dimensions();
        for (i, w) in truth.words.iter().enumerate() {
            let Some(text) = &w.text else { continue };
            let x0 = (w.x - MARGIN).floor().max(0.0) as u32;
            let y0 = (w.y - MARGIN).floor().max(0.0) as u32;
            let x1 = ((w.x + w.w + MARGIN).ceil() as u32).min(pw);
            let y1 = ((w.y + w.h + MARGIN).ceil() as u32).min(ph);
            if x1 <= x0 || y1 <= y0 {
                continue;
            }
            let crop = image::imageops::crop_imm(page, x0, y0, x1 - x0, y1 - y0).to_image();
            let file = format!("{name}-w{i:04}.png");
            let path = self.dir.join(&file);
            crop.save(&path).map_err(|e| write_err(&path, e))?;
            self.rows.push((file, text.clone()));
        }
        Ok(())
    }

    /// Writes `labels.csv`.
    pub fn finish(self) -> Result<(), PdfError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| write_err(&self.dir, e))?;
        let path = self.dir.join("labels.csv");
        let mut w = csv::Writer::from_path(&path).map_err(|e| write_err(&path, e))?;
        w.write_record(["filename", "text"])
            .map_err(|e| write_err(&path, e))?;
        for (f, t) in &self.rows {
            w.write_record([f, t]).map_err(|e| write_err(&path, e))?;
        }
        w.flush().map_err(|e| write_err(&path, e))
    }
}
