//! Saving and loading a fitted model as `pca.safetensors`.
//!
//! Tensors (all F64, little endian, row-major):
//! - `mean`: `[d]`
//! - `components`: `[k, d]`, row `j` is the `j`-th principal direction
//! - `variances`: `[k]`, training variance along each direction (`σ²/n`)
//! - `total_variance`: `[1]`, trace of the training covariance
//!
//! Metadata (strings): `format` = `workbench-pca`, `format_version` = `1`,
//! `height`, `width`, `channels` (the fitted image shape, `d = h·w·c`),
//! `components` (`k`), `whiten` (`true`/`false`).
//!
//! Values are stored as the f64 the model computes with, so a loaded model
//! reproduces the saved one's outputs bit for bit.

use crate::model::PcaModel;
use crate::Fitted;
use faer::Mat;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::Path;
use workbench_api::PluginError;

/// File name inside the model directory.
pub const FILE_NAME: &str = "pca.safetensors";
const FORMAT: &str = "workbench-pca";
const FORMAT_VERSION: &str = "1";

fn to_bytes(values: impl IntoIterator<Item = f64>) -> Vec<u8> {
    values.into_iter().flat_map(f64::to_le_bytes).collect()
}

fn view(shape: Vec<usize>, data: &[u8]) -> Result<TensorView<'_>, PluginError> {
    TensorView::new(Dtype::F64, shape, data)
        .map_err(|e| PluginError::new(format!("cannot build tensor: {e}")))
}

/// Writes `dir/pca.safetensors`.
pub fn save(fitted: &Fitted, dir: &Path) -> Result<(), PluginError> {
    let model = &fitted.model;
    let (d, k) = (model.dim(), model.k());
    let mean = to_bytes(model.mean.iter().copied());
    // The faer matrix is column-major d × k: column j is contiguous and
    // becomes row j of the row-major [k, d] tensor.
    let components =
        to_bytes((0..k).flat_map(|j| model.components.col_as_slice(j).iter().copied()));
    let variances = to_bytes(model.variances.iter().copied());
    let total = to_bytes([model.total_variance]);

    let tensors = vec![
        ("mean", view(vec![d], &mean)?),
        ("components", view(vec![k, d], &components)?),
        ("variances", view(vec![k], &variances)?),
        ("total_variance", view(vec![1], &total)?),
    ];
    let metadata: HashMap<String, String> = [
        ("format", FORMAT.to_string()),
        ("format_version", FORMAT_VERSION.to_string()),
        ("height", fitted.height.to_string()),
        ("width", fitted.width.to_string()),
        ("channels", fitted.channels.to_string()),
        ("components", k.to_string()),
        ("whiten", fitted.whiten.to_string()),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b))
    .collect();

    let path = dir.join(FILE_NAME);
    safetensors::serialize_to_file(tensors, Some(metadata), &path)
        .map_err(|e| PluginError::new(format!("cannot write {}: {e}", path.display())))
}

/// Reads `dir/pca.safetensors`.
pub fn load(dir: &Path) -> Result<Fitted, PluginError> {
    let path = dir.join(FILE_NAME);
    let bytes = std::fs::read(&path).map_err(|e| {
        PluginError::new(format!(
            "cannot read the saved PCA model {}: {e}",
            path.display()
        ))
    })?;
    parse(&bytes).map_err(|msg| {
        PluginError::new(format!(
            "{} is not a valid PCA model: {msg}",
            path.display()
        ))
    })
}

fn parse(bytes: &[u8]) -> Result<Fitted, String> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| e.to_string())?;
    let meta = header
        .metadata()
        .as_ref()
        .ok_or("the file has no metadata")?;
    let get = |key: &str| {
        meta.get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("metadata `{key}` is missing"))
    };
    let get_usize = |key: &str| -> Result<usize, String> {
        let v = get(key)?;
        v.parse()
            .map_err(|_| format!("metadata `{key}` = {v:?} is not a count"))
    };
    if get("format")? != FORMAT {
        return Err(format!("metadata `format` is not `{FORMAT}`"));
    }
    let version = get("format_version")?;
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version} is not supported (expected {FORMAT_VERSION})"
        ));
    }
    let (height, width, channels) = (
        get_usize("height")?,
        get_usize("width")?,
        get_usize("channels")?,
    );
    let k = get_usize("components")?;
    let whiten = match get("whiten")? {
        "true" => true,
        "false" => false,
        other => return Err(format!("metadata `whiten` = {other:?} is not a bool")),
    };
    let d = height
        .checked_mul(width)
        .and_then(|x| x.checked_mul(channels))
        .ok_or("image shape overflows")?;
    if d == 0 || k == 0 || k > d {
        return Err(format!(
            "inconsistent sizes: {k} components of dimension {d}"
        ));
    }

    let st = SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
    let read = |name: &str, shape: &[usize]| -> Result<Vec<f64>, String> {
        let t = st
            .tensor(name)
            .map_err(|_| format!("tensor `{name}` is missing"))?;
        if t.dtype() != Dtype::F64 {
            return Err(format!("tensor `{name}` is {:?}, expected F64", t.dtype()));
        }
        if t.shape() != shape {
            return Err(format!(
                "tensor `{name}` has shape {:?}, expected {shape:?}",
                t.shape()
            ));
        }
        let values: Vec<f64> = t
            .data()
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(format!("tensor `{name}` holds non-finite values"));
        }
        Ok(values)
    };
    let mean = read("mean", &[d])?;
    let rows = read("components", &[k, d])?;
    let variances = read("variances", &[k])?;
    let total_variance = read("total_variance", &[1])?[0];
    let components = Mat::from_fn(d, k, |p, j| rows[j * d + p]);

    Ok(Fitted {
        model: PcaModel {
            mean,
            components,
            variances,
            total_variance,
        },
        height,
        width,
        channels,
        whiten,
    })
}
