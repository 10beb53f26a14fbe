//! `workbench reconstruct`: run a trained autoencoder on image files.

use super::{failure, usage, Exit};
use crate::host::Instance;
use crate::metrics;
use crate::plan::WorkerJob;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use workbench_api::{Image, Kind};

/// Reads an image file as gray values in [0, 1], resized to `h × w`. With
/// `match_digits`, images that are mostly light (dark ink on paper) are
/// inverted to match digit datasets (light ink on black); the second value
/// says whether that happened.
pub fn read_gray(
    path: &Path,
    h: usize,
    w: usize,
    match_digits: bool,
) -> anyhow::Result<(Vec<f32>, bool)> {
    let img = crate::data::image_file::open(path)
        .map_err(|e| anyhow!(e.to_string()))?
        .to_luma8();
    let resized = image::imageops::resize(
        &img,
        w as u32,
        h as u32,
        image::imageops::FilterType::Triangle,
    );
    let mut data: Vec<f32> = resized.pixels().map(|p| p.0[0] as f32 / 255.0).collect();
    let mean = data.iter().sum::<f32>() / data.len().max(1) as f32;
    let invert = match_digits && mean > 0.5;
    if invert {
        data.iter_mut().for_each(|v| *v = 1.0 - *v);
    }
    Ok((data, invert))
}

/// Where the one-shot commands look for the plugins of finished runs:
/// `WORKBENCH_PLUGIN_PATH` and the binary's directory, never the run
/// directory.
pub(crate) fn plugin_dirs() -> Vec<crate::host::SearchDir> {
    crate::host::search_dirs(&[])
}

/// Opens a finished run of `kind` with its saved model; its problems are
/// the user's input problems.
pub(crate) fn open_run(run_dir: &Path, kind: Kind) -> Result<(WorkerJob, Instance), Exit> {
    crate::trained::open_trained(run_dir, kind, &plugin_dirs()).map_err(usage)
}

/// Opens the recognizer `reference` names (a run directory or
/// `EXPERIMENT/NAME` under `results`), or the bundled reader without one.
pub(crate) fn open_reader(
    reference: Option<&str>,
    results: &Path,
) -> Result<(WorkerJob, Instance), Exit> {
    let dir = match reference {
        None => crate::trained::bundled_reader().map_err(usage)?,
        Some(r) => crate::trained::find_trained(Path::new("."), r, results, "recognizer").map_err(
            |(message, hint)| {
                usage(anyhow!(
                    "{message}{}",
                    hint.map(|h| format!(" ({h})")).unwrap_or_default()
                ))
            },
        )?,
    };
    open_run(&dir, Kind::Recognizer)
}

pub(crate) fn cmd_reconstruct(
    run_dir: &Path,
    images: &[PathBuf],
    out: Option<&Path>,
) -> Result<i32, Exit> {
    super::distinct_stems(images)?;
    let (job, mut instance) = open_run(run_dir, Kind::Autoencoder)?;
    let plan = &job.plan;
    let (h, w, c) = plan.dataset.image_shape().ok_or_else(|| {
        usage(anyhow!(
            "run {} was trained on images of varying size",
            job.run_id
        ))
    })?;

    // Word tiles are dark ink on paper, as word images are: no inversion.
    let digits = plan.dataset.tiles().is_none();
    let mut inputs = Vec::new();
    for path in images {
        let (data, inverted) = read_gray(path, h, w, digits).map_err(usage)?;
        if c != 1 {
            return Err(usage(anyhow!(
                "run {} expects {c}-channel images",
                job.run_id
            )));
        }
        inputs.push((path, data, inverted));
    }
    let borrowed: Vec<Image> = inputs
        .iter()
        .map(|(_, d, _)| Image {
            height: h,
            width: w,
            channels: 1,
            data: d,
        })
        .collect();
    let recon = instance.reconstruct(&borrowed).map_err(failure)?;
    let out_dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| run_dir.join("reconstructions"));
    println!("file,reconstruction,mse,psnr,inverted");
    for ((path, data, inverted), r) in inputs.iter().zip(&recon) {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".into());
        let target = out_dir.join(format!("{stem}.png"));
        let pair = crate::artifacts::grid(&[vec![
            Image {
                height: h,
                width: w,
                channels: 1,
                data,
            },
            r.as_image(),
        ]]);
        crate::artifacts::save_png(&target, &pair).map_err(failure)?;
        let m = metrics::reconstruction(data, &r.data, h * w).map_err(failure)?;
        println!(
            "{},{},{},{},{}",
            path.display(),
            target.display(),
            m.mse,
            m.psnr,
            inverted
        );
    }
    Ok(0)
}
