//! `workbench segment`: run a segmenter plugin on page images and write one
//! JSON per page (the pages format, docs/CONTRACTS.md), optionally an overlay PNG.
//! Where a page has ground truth beside it (`NAME.json`), the scores are
//! printed too.

use super::{failure, usage, Exit};
use crate::data::pages::{self, Page};
use crate::evaluate::segmenter::{overlay, to_page_regions, SegmentationCounts};
use crate::host::{discover, search_dirs, Instance};
use crate::spec::resolve::check_params;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use std::time::Instant;
use workbench_api::{Config, Image, Kind, Region};

/// What `workbench segment` was asked.
pub(crate) struct SegmentArgs<'a> {
    pub plugin: &'a str,
    pub variant: &'a str,
    pub set: &'a [String],
    pub pages: &'a [PathBuf],
    pub out: &'a Path,
    pub overlay: bool,
    pub plugin_dirs: &'a [PathBuf],
}

/// `KEY=VALUE` pairs as a YAML mapping (values parsed as YAML scalars).
fn parse_sets(set: &[String]) -> Result<serde_yaml::Mapping, Exit> {
    let mut m = serde_yaml::Mapping::new();
    for s in set {
        let Some((k, v)) = s.split_once('=') else {
            return Err(usage(anyhow!("--set `{s}`: expected KEY=VALUE")));
        };
        let value: serde_yaml::Value = serde_yaml::from_str(v)
            .map_err(|e| usage(anyhow!("--set `{s}`: cannot read the value: {e}")))?;
        m.insert(serde_yaml::Value::String(k.trim().to_string()), value);
    }
    Ok(m)
}

/// The image files named: files as they are, directories' page images.
fn page_files(args: &[PathBuf]) -> Result<Vec<PathBuf>, Exit> {
    let mut files = Vec::new();
    for p in args {
        if p.is_dir() {
            files.extend(pages::page_files(p).map_err(usage)?);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(usage(anyhow!("{}: no such file or directory", p.display())));
        }
    }
    if files.is_empty() {
        return Err(usage(anyhow!(
            "no page images given (PNG or JPEG files or directories)"
        )));
    }
    Ok(files)
}

pub(crate) fn cmd_segment(a: SegmentArgs<'_>) -> Result<i32, Exit> {
    let configured: Vec<(PathBuf, String)> = a
        .plugin_dirs
        .iter()
        .map(|d| (d.clone(), "--plugins".to_string()))
        .collect();
    let discovery = discover(&search_dirs(&configured)).map_err(usage)?;
    let Some(lib) = discovery.get(a.plugin) else {
        return Err(usage(anyhow!(
            "no plugin named `{}`\nplugins were searched in: {}",
            a.plugin,
            discovery.searched_list()
        )));
    };
    if lib.entry.kind != Kind::Segmenter {
        return Err(usage(anyhow!(
            "`{}` is a {} plugin, not a segmenter",
            a.plugin,
            lib.entry.kind
        )));
    }
    let Some(variant) = lib.entry.variants.iter().find(|v| v.name == a.variant) else {
        let names: Vec<String> = lib.entry.variants.iter().map(|v| v.name.clone()).collect();
        return Err(usage(anyhow!(
            "`{}` has no variant `{}` (it has: {})",
            a.plugin,
            a.variant,
            names.join(", ")
        )));
    };
    let params = check_params(&parse_sets(a.set)?, &variant.params).map_err(|problems| {
        let lines: Vec<String> = problems
            .into_iter()
            .map(|(key, msg, hint)| {
                let mut l = format!("--set {}: {msg}", key.unwrap_or_default());
                if let Some(h) = hint {
                    l.push_str(&format!(" ({h})"));
                }
                l
            })
            .collect();
        usage(anyhow!(lines.join("\n")))
    })?;
    let files = page_files(a.pages)?;
    std::fs::create_dir_all(a.out)
        .map_err(|e| failure(anyhow!("cannot create {}: {e}", a.out.display())))?;
    let config = Config {
        params,
        ..Default::default()
    };
    let mut instance = Instance::create(lib, a.variant, &config, None).map_err(failure)?;
    let (counts, scored) = segment_pages(&files, a.out, a.overlay, |page| {
        instance.segment(page).map_err(failure)
    })?;
    if scored > 0 {
        let m = counts.metrics();
        println!(
            "against the ground truth of {scored} page(s): word P/R/F1 {:.3}/{:.3}/{:.3}, image P/R/F1 {:.3}/{:.3}/{:.3}",
            m["word_precision"],
            m["word_recall"],
            m["word_f1"],
            m["image_precision"],
            m["image_recall"],
            m["image_f1"]
        );
    }
    Ok(0)
}

/// Segments every file and writes its outputs before reading the next, so
/// a plugin that fails or crashes on one page leaves the pages before it
/// written. Returns the scores against the ground truth found beside the
/// pages, and how many pages had one.
fn segment_pages(
    files: &[PathBuf],
    out: &Path,
    with_overlay: bool,
    mut segment: impl FnMut(&Image<'_>) -> Result<Vec<Region>, Exit>,
) -> Result<(SegmentationCounts, usize), Exit> {
    super::distinct_stems(files)?;
    let mut counts = SegmentationCounts::default();
    let mut scored = 0;
    for file in files {
        let (width, height, pixels) = pages::read_gray(file).map_err(usage)?;
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "page".into());
        let page = Page {
            name: name.clone(),
            width,
            height,
            pixels,
            truth: None,
        };
        let t = Instant::now();
        let regions = segment(&page.image())?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let pred = to_page_regions(width, height, &regions);
        let json = out.join(format!("{name}.json"));
        pages::write_regions(&json, &pred).map_err(failure)?;
        println!(
            "{}: {} words, {} images in {ms:.0} ms -> {}",
            file.display(),
            pred.words.len(),
            pred.images.len(),
            json.display()
        );
        if with_overlay {
            let png = out.join(format!("{name}.overlay.png"));
            overlay(&page, &pred)
                .save(&png)
                .map_err(|e| failure(anyhow!("cannot write {}: {e}", png.display())))?;
        }
        let truth_file = file.with_extension("json");
        if truth_file.is_file() && truth_file != json {
            let truth = pages::read_regions(&truth_file).map_err(usage)?;
            counts.add(&pred, &truth, width, height);
            scored += 1;
        }
    }
    Ok((counts, scored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_on_page_17_keeps_pages_1_to_16() {
        let dir = tempfile::tempdir().unwrap();
        let pages_dir = dir.path().join("pages");
        let mut files = Vec::new();
        for i in 1..=20 {
            let page = Page {
                name: format!("p{i:02}"),
                width: 8,
                height: 8,
                pixels: vec![1.0; 64],
                truth: None,
            };
            pages::save_page(&pages_dir, &page).unwrap();
            files.push(pages_dir.join(format!("p{i:02}.png")));
        }
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let mut seen = 0;
        let result = segment_pages(&files, &out, false, |_| {
            seen += 1;
            if seen == 17 {
                Err(failure(anyhow!("the plugin crashed")))
            } else {
                Ok(Vec::new())
            }
        });
        assert!(result.is_err());
        for i in 1..=20 {
            let written = out.join(format!("p{i:02}.json")).is_file();
            assert_eq!(written, i < 17, "page {i}");
        }
    }
}
