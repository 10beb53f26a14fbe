//! `workbench data`: getting real datasets.

use super::{failure, usage, Exit};
use crate::datasets::DatasetSpec;
use anyhow::anyhow;
use std::path::Path;

pub(crate) fn cmd_fetch(name: &str, dir: &Path) -> Result<i32, Exit> {
    if name != "mnist" {
        return Err(usage(anyhow!(
            "unknown dataset `{name}` (only `mnist` can be fetched)"
        )));
    }
    let files = crate::data::fetch::fetch_mnist(dir).map_err(failure)?;
    for f in &files {
        println!("{}", f.display());
    }
    // The files must load as a dataset before we call it done.
    let spec = DatasetSpec::Mnist(crate::datasets::MnistParams {
        dir: dir.to_path_buf(),
        train: None,
        val: 500,
        test: None,
    });
    let splits = spec.load().map_err(failure)?;
    println!(
        "mnist ready in {}: {} train, {} test images",
        dir.display(),
        splits.train.len() + splits.val.len(),
        splits.test.len()
    );
    Ok(0)
}

pub(crate) fn cmd_pages(
    out: &Path,
    count: usize,
    seed: u64,
    dpi: f32,
    noisy: bool,
) -> Result<i32, Exit> {
    use crate::data::synthetic_pages::{generate, PagesConfig};
    if !(20.0..=600.0).contains(&dpi) {
        return Err(usage(anyhow!("--dpi must be in [20, 600], not {dpi}")));
    }
    let mut cfg = PagesConfig {
        dpi,
        ..Default::default()
    };
    if noisy {
        // As experiments/segmenters-noisy.yaml (blur scales with resolution).
        cfg.noise = 0.08;
        cfg.salt_pepper = 0.01;
        cfg.blur = 0.7 * dpi / 150.0;
        cfg.contrast = 0.7;
        cfg.illumination = 0.35;
        cfg.skew = 1.0;
    }
    for page in generate(&cfg, count, seed) {
        crate::data::pages::save_page(out, &page).map_err(failure)?;
        println!("{}", out.join(format!("{}.png", page.name)).display());
    }
    Ok(0)
}

pub(crate) fn cmd_pdf(
    pdfs: &[std::path::PathBuf],
    out: &Path,
    opts: &crate::data::pdf::PdfOptions,
) -> Result<i32, Exit> {
    use crate::data::pdf::{convert, PdfError};
    if !(20.0..=600.0).contains(&opts.dpi) {
        return Err(usage(anyhow!(
            "--dpi must be in [20, 600], not {}",
            opts.dpi
        )));
    }
    super::distinct_stems(pdfs)?;
    let (mut pages, mut words, mut figures) = (0, 0, 0);
    for pdf in pdfs {
        let done = convert(pdf, out, opts).map_err(|e| match e {
            PdfError::Pages { .. } => usage(e),
            e => failure(e),
        })?;
        for p in &done {
            println!(
                "{}\t{} words\t{} images\t{} graphics",
                p.png.display(),
                p.words,
                p.images,
                p.graphics
            );
            words += p.words;
            figures += p.images + p.graphics;
        }
        pages += done.len();
    }
    eprintln!(
        "{pages} pages, {words} words, {figures} figure regions written to {}",
        out.display()
    );
    Ok(0)
}
