//! Saving and loading a trained model as `autoencoder.safetensors`, a
//! [`workbench_ml::checkpoint`] file without optimizer state whose metadata
//! also holds `model_config` (the [`ModelConfig`] as JSON) and `height`,
//! `width`, `channels`. The per-epoch training checkpoints carry the same
//! metadata, so a checkpoint can be loaded as a model too.

use crate::config::ModelConfig;
use crate::model::Model;
use dfdx::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use workbench_api::PluginError;
use workbench_ml::checkpoint::{self, CheckpointMeta};

/// File name inside the model directory.
pub const FILE_NAME: &str = "autoencoder.safetensors";

/// The metadata that lets a file be loaded as a model.
pub fn meta_extra<D: Device<f32>>(model: &Model<D>) -> BTreeMap<String, String> {
    let (h, w, c) = model.shape;
    [
        (
            "model_config",
            serde_json::to_string(&model.cfg).expect("config serialises"),
        ),
        ("height", h.to_string()),
        ("width", w.to_string()),
        ("channels", c.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Writes `dir/autoencoder.safetensors`.
pub fn save<D: Device<f32>>(model: &Model<D>, dir: &Path) -> Result<(), PluginError> {
    let meta = CheckpointMeta {
        epoch: 0,
        step: 0,
        extra: meta_extra(model),
    };
    checkpoint::save(&dir.join(FILE_NAME), &model.store, None, &meta)
        .map_err(|e| PluginError::new(e.to_string()))
}

/// Reads a model saved by [`save`] (or a training checkpoint) from `path`.
pub fn load_file<D: Device<f32>>(path: &Path, dev: D) -> Result<Model<D>, PluginError> {
    let bad = |m: String| PluginError::new(format!("{}: {m}", path.display()));
    let meta = checkpoint::read_meta(path).map_err(|e| PluginError::new(e.to_string()))?;
    let get = |k: &str| {
        meta.extra
            .get(k)
            .ok_or_else(|| bad(format!("metadata `{k}` is missing")))
    };
    let cfg: ModelConfig = serde_json::from_str(get("model_config")?)
        .map_err(|e| bad(format!("metadata `model_config`: {e}")))?;
    let dim = |k: &str| -> Result<usize, PluginError> {
        get(k)?
            .parse()
            .map_err(|_| bad(format!("metadata `{k}` is not a count")))
    };
    let shape = (dim("height")?, dim("width")?, dim("channels")?);
    let mut model = Model::new(cfg, shape, dev, 0).map_err(bad)?;
    checkpoint::load(path, &mut model.store, None).map_err(|e| PluginError::new(e.to_string()))?;
    Ok(model)
}

/// Reads `dir/autoencoder.safetensors`.
pub fn load<D: Device<f32>>(dir: &Path, dev: D) -> Result<Model<D>, PluginError> {
    load_file(&dir.join(FILE_NAME), dev)
}
