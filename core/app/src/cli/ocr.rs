//! `workbench ocr`: the page pipeline. Segment a page with a segmenter
//! plugin, read every word region with a trained recognizer run, and write
//! the words with positions (JSON), the text in reading order, hOCR, ALTO
//! and PAGE XML (the XML formats are `ocr_formats`).

use super::reconstruct::open_reader;
use super::{failure, usage, Exit};
use crate::host::{discover, search_dirs, Instance};
use crate::ocr::ocr_page;
use crate::ocr_formats;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use workbench_api::{Config, Image, Kind};

/// Output formats of `workbench ocr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OcrFormat {
    /// Words with boxes, text and confidence (the page JSON of docs/CONTRACTS.md).
    Json,
    /// Plain text in reading order.
    Txt,
    /// hOCR (XHTML) for viewers and other OCR tools.
    Hocr,
    /// ALTO v4 XML (libraries' and digitization tools' layout format).
    Alto,
    /// PAGE XML 2019-07-15 (ground-truth and layout-analysis tools).
    Page,
}

impl OcrFormat {
    /// What `--format` writes when none is given.
    pub const DEFAULT: [OcrFormat; 3] = [OcrFormat::Json, OcrFormat::Txt, OcrFormat::Hocr];

    /// The output file's name ending after the page's stem.
    pub fn extension(self) -> &'static str {
        match self {
            OcrFormat::Json => "json",
            OcrFormat::Txt => "txt",
            OcrFormat::Hocr => "hocr",
            OcrFormat::Alto => "alto.xml",
            OcrFormat::Page => "page.xml",
        }
    }
}

/// Finds the segmenter plugin offering `spec` (`VARIANT` or `PLUGIN/VARIANT`).
fn segmenter(spec: &str) -> Result<(crate::host::Library, String), Exit> {
    let discovery = discover(&search_dirs(&[])).map_err(usage)?;
    let (plugin, variant) = match spec.split_once('/') {
        Some((p, v)) => (Some(p), v),
        None => (None, spec),
    };
    let found = discovery.plugins.iter().find(|lib| {
        lib.entry.kind == Kind::Segmenter
            && plugin.is_none_or(|p| lib.entry.name == p)
            && lib.entry.variants.iter().any(|v| v.name == variant)
    });
    match found {
        Some(lib) => Ok((lib.clone(), variant.to_string())),
        None => {
            let offered: Vec<String> = discovery
                .plugins
                .iter()
                .filter(|l| l.entry.kind == Kind::Segmenter)
                .flat_map(|l| {
                    l.entry
                        .variants
                        .iter()
                        .map(move |v| format!("{}/{}", l.entry.name, v.name))
                })
                .collect();
            Err(usage(anyhow!(
                "no segmenter offers `{spec}` (available: {}; searched {})",
                if offered.is_empty() {
                    "none".to_string()
                } else {
                    offered.join(", ")
                },
                discovery.searched_list()
            )))
        }
    }
}

/// Reads a page as gray values in [0, 1].
fn read_page(path: &Path) -> anyhow::Result<(u32, u32, Vec<f32>)> {
    let img = crate::data::image_file::open(path)
        .map_err(|e| anyhow!(e.to_string()))?
        .to_luma8();
    let (w, h) = img.dimensions();
    Ok((w, h, img.pixels().map(|p| p.0[0] as f32 / 255.0).collect()))
}

pub(crate) fn cmd_ocr(
    segmenter_spec: &str,
    recognizer: Option<&str>,
    results: &Path,
    pages: &[PathBuf],
    out: &Path,
    formats: &[OcrFormat],
) -> Result<i32, Exit> {
    let (lib, variant) = segmenter(segmenter_spec)?;
    let defaults = crate::spec::resolve::check_params(
        &Default::default(),
        &lib.entry
            .variants
            .iter()
            .find(|v| v.name == variant)
            .expect("found above")
            .params,
    )
    .map_err(|p| failure(anyhow!("segmenter defaults rejected: {:?}", p)))?;
    let mut seg = Instance::create(
        &lib,
        &variant,
        &Config {
            params: defaults,
            train: Default::default(),
        },
        None,
    )
    .map_err(failure)?;
    let (job, mut recognizer) = open_reader(recognizer, results)?;
    let height = job.plan.dataset.word_height_or_default();
    let mut pre = crate::preprocess::of_recognizer(&job, &super::reconstruct::plugin_dirs())
        .map_err(usage)?;
    let formats = if formats.is_empty() {
        OcrFormat::DEFAULT.to_vec()
    } else {
        formats.to_vec()
    };
    super::distinct_stems(pages)?;
    std::fs::create_dir_all(out)
        .map_err(|e| failure(anyhow!("cannot create {}: {e}", out.display())))?;
    for path in pages {
        let (w, h, gray) = read_page(path).map_err(usage)?;
        let image = Image {
            height: h as usize,
            width: w as usize,
            channels: 1,
            data: &gray,
        };
        let page =
            ocr_page(&mut seg, &mut recognizer, pre.as_mut(), &image, height).map_err(failure)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "page".into());
        let name = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        for &f in &formats {
            let body = match f {
                OcrFormat::Json => serde_json::to_string_pretty(&page.json()).expect("json") + "\n",
                OcrFormat::Txt => page.text() + "\n",
                OcrFormat::Hocr => ocr_formats::hocr(&page, &name),
                OcrFormat::Alto => ocr_formats::alto(&page, &name, &now),
                OcrFormat::Page => ocr_formats::page_xml(&page, &name, &now),
            };
            let target = out.join(format!("{stem}.{}", f.extension()));
            crate::results::write_atomic(&target, body.as_bytes()).map_err(failure)?;
            println!("{}", target.display());
        }
    }
    Ok(0)
}
