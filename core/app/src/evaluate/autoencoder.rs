//! Scoring autoencoders: reconstruction error on the test split, and the
//! grid of originals over reconstructions.

use super::{images, EvalError, BATCH};
use crate::artifacts;
use crate::data::ImageSet;
use crate::host::Instance;
use crate::metrics;
use std::collections::BTreeMap;
use std::path::Path;
use workbench_api::Image;

pub(super) fn evaluate(
    instance: &mut Instance,
    test: &ImageSet,
    run_dir: &Path,
) -> Result<BTreeMap<String, f64>, EvalError> {
    let test_images = images(test);
    let mut recon_pixels: Vec<f32> = Vec::with_capacity(test.pixels.len());
    let mut recon_all = Vec::with_capacity(test.len());
    for chunk in test_images.chunks(BATCH) {
        let recon = instance.reconstruct(chunk)?;
        for r in &recon {
            recon_pixels.extend_from_slice(&r.data);
        }
        recon_all.extend(recon);
    }
    let rec = metrics::reconstruction(&test.pixels, &recon_pixels, test.image_len())?;
    let code = instance.encode(&test_images[..test_images.len().min(BATCH)])?;
    let mut out = BTreeMap::new();
    out.insert("mse".to_string(), rec.mse);
    out.insert("rmse".to_string(), rec.rmse);
    out.insert("bce".to_string(), rec.bce);
    out.insert("psnr".to_string(), rec.psnr);
    out.insert(
        "code_size".to_string(),
        code.first().map(|c| c.len()).unwrap_or(0) as f64,
    );

    // Originals over reconstructions, 16 columns.
    let n = test.len().min(16);
    let originals: Vec<Image> = test_images[..n].to_vec();
    let recons: Vec<Image> = recon_all[..n].iter().map(|r| r.as_image()).collect();
    let picture = artifacts::grid(&[originals, recons]);
    artifacts::save_png(
        &run_dir.join("artifacts").join("reconstructions.png"),
        &picture,
    )?;
    Ok(out)
}
