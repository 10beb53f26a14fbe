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
