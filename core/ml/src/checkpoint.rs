//! Checkpoints: a [`ParamStore`] (and optionally an [`Optimizer`]'s state)
//! in one safetensors file, so training can resume where it stopped and a
//! trained model can be loaded again.
//!
//! Layout (all tensors F32, little endian, row-major):
//! - `param.<name>`: every parameter and buffer, with its logical shape;
//! - `opt.m.<name>`, `opt.v.<name>`: the optimizer's moment estimates, flat,
//!   where they exist.
//!
//! Metadata (strings): `format` = `workbench-ml-checkpoint`,
//! `format_version` = `1`, `epoch` (epochs completed), `step` (optimisation
//! steps completed), and with an optimizer `optimizer` (its name),
//! `optimizer_steps`, `lr`; plus whatever the caller puts in
//! [`CheckpointMeta::extra`] (model configuration, image shape, ...).
//!
//! Files are written to a temporary name in the same directory and renamed,
//! so a crash never leaves a half-written checkpoint. [`epoch_file`] and
//! [`LAST_FILE`] name the per-epoch files and the fixed name of the newest.

use crate::optim::{Optimizer, Slot};
use crate::params::ParamStore;
use crate::MlError;
use ::safetensors::tensor::TensorView;
use ::safetensors::{Dtype, SafeTensors};
use dfdx::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

const FORMAT: &str = "workbench-ml-checkpoint";
const FORMAT_VERSION: &str = "1";

/// The fixed name of the newest checkpoint in a checkpoint directory.
pub const LAST_FILE: &str = "last.safetensors";

/// The fixed name of the best checkpoint (by the watched validation
/// metric) in a checkpoint directory.
pub const BEST_FILE: &str = "best.safetensors";

/// `epoch-N.safetensors`.
pub fn epoch_file(epoch: u32) -> String {
    format!("epoch-{epoch}.safetensors")
}

/// What a checkpoint says besides its tensors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckpointMeta {
    /// Epochs completed.
    pub epoch: u32,
    /// Optimisation steps completed.
    pub step: u64,
    /// Caller-defined strings (must not reuse the reserved keys).
    pub extra: BTreeMap<String, String>,
}

const RESERVED: [&str; 7] = [
    "format",
    "format_version",
    "epoch",
    "step",
    "optimizer",
    "optimizer_steps",
    "lr",
];

fn bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn ck_err(path: &Path, message: impl Into<String>) -> MlError {
    MlError::Checkpoint {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Writes `store` (and `opt`) with `meta` to `path` atomically.
pub fn save<D: Device<f32>>(
    path: &Path,
    store: &ParamStore<D>,
    opt: Option<&Optimizer<D>>,
    meta: &CheckpointMeta,
) -> Result<(), MlError> {
    let mut names: Vec<String> = Vec::new();
    let mut data: Vec<(Vec<usize>, Vec<u8>)> = Vec::new();
    for p in store.params() {
        names.push(format!("param.{}", p.name));
        data.push((p.shape.clone(), bytes(&p.value.as_vec())));
    }
    let mut metadata: HashMap<String, String> = HashMap::new();
    for (k, v) in &meta.extra {
        if RESERVED.contains(&k.as_str()) {
            return Err(ck_err(path, format!("metadata key `{k}` is reserved")));
        }
        metadata.insert(k.clone(), v.clone());
    }
    metadata.insert("format".into(), FORMAT.into());
    metadata.insert("format_version".into(), FORMAT_VERSION.into());
    metadata.insert("epoch".into(), meta.epoch.to_string());
    metadata.insert("step".into(), meta.step.to_string());
    if let Some(opt) = opt {
        let (t, slots) = opt.state();
        metadata.insert("optimizer".into(), opt.kind.name().into());
        metadata.insert("optimizer_steps".into(), t.to_string());
        metadata.insert("lr".into(), opt.lr.to_string());
        for (i, slot, values) in slots {
            let prefix = match slot {
                Slot::M => "opt.m.",
                Slot::V => "opt.v.",
            };
            names.push(format!("{prefix}{}", store.params()[i].name));
            data.push((vec![values.len()], bytes(&values)));
        }
    }
    let views = names
        .iter()
        .zip(&data)
        .map(|(n, (shape, b))| {
            TensorView::new(Dtype::F32, shape.clone(), b)
                .map(|v| (n.as_str(), v))
                .map_err(|e| ck_err(path, format!("tensor `{n}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tmp = path.with_extension("safetensors.tmp");
    ::safetensors::serialize_to_file(views, Some(metadata), &tmp)
        .map_err(|e| ck_err(&tmp, e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|source| MlError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads only the metadata of a checkpoint.
pub fn read_meta(path: &Path) -> Result<CheckpointMeta, MlError> {
    let bytes = read(path)?;
    parse_meta(path, &bytes).map(|(m, _)| m)
}

fn read(path: &Path) -> Result<Vec<u8>, MlError> {
    std::fs::read(path).map_err(|source| MlError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn parse_meta(
    path: &Path,
    bytes: &[u8],
) -> Result<(CheckpointMeta, HashMap<String, String>), MlError> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| ck_err(path, e.to_string()))?;
    let map = header
        .metadata()
        .clone()
        .ok_or_else(|| ck_err(path, "no metadata"))?;
    let get = |k: &str| {
        map.get(k)
            .cloned()
            .ok_or_else(|| ck_err(path, format!("metadata `{k}` is missing")))
    };
    if get("format")? != FORMAT {
        return Err(ck_err(path, format!("not a {FORMAT} file")));
    }
    let version = get("format_version")?;
    if version != FORMAT_VERSION {
        return Err(ck_err(
            path,
            format!("format version {version} is not supported (expected {FORMAT_VERSION})"),
        ));
    }
    let epoch = get("epoch")?;
    let step = get("step")?;
    let meta = CheckpointMeta {
        epoch: epoch
            .parse()
            .map_err(|_| ck_err(path, format!("epoch {epoch:?} is not a count")))?,
        step: step
            .parse()
            .map_err(|_| ck_err(path, format!("step {step:?} is not a count")))?,
        extra: map
            .iter()
            .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    Ok((meta, map))
}

fn floats(path: &Path, st: &SafeTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>, MlError> {
    let t = st
        .tensor(name)
        .map_err(|_| ck_err(path, format!("tensor `{name}` is missing")))?;
    if t.dtype() != Dtype::F32 {
        return Err(ck_err(
            path,
            format!("tensor `{name}` is {:?}, expected F32", t.dtype()),
        ));
    }
    if t.shape() != shape {
        return Err(ck_err(
            path,
            format!(
                "tensor `{name}` has shape {:?}, the model expects {shape:?}",
                t.shape()
            ),
        ));
    }
    Ok(t.data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Loads a checkpoint into `store` (every parameter must be there with the
/// same shape) and, when given, `opt` (its moments and step count; its
/// learning rate stays the caller's; an optimizer-less file leaves `opt`
/// fresh).
pub fn load<D: Device<f32>>(
    path: &Path,
    store: &mut ParamStore<D>,
    opt: Option<&mut Optimizer<D>>,
) -> Result<CheckpointMeta, MlError> {
    let bytes = read(path)?;
    let (meta, map) = parse_meta(path, &bytes)?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| ck_err(path, e.to_string()))?;
    let mut values = Vec::new();
    for p in store.params() {
        values.push(floats(path, &st, &format!("param.{}", p.name), &p.shape)?);
    }
    for (i, v) in values.into_iter().enumerate() {
        store.set_values(crate::ParamId(i), v)?;
    }
    if let (Some(opt), Some(name)) = (opt, map.get("optimizer")) {
        if name != opt.kind.name() {
            return Err(ck_err(
                path,
                format!(
                    "saved with optimizer `{name}`, cannot resume with `{}`",
                    opt.kind.name()
                ),
            ));
        }
        let t: u64 = map
            .get("optimizer_steps")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ck_err(path, "metadata `optimizer_steps` is missing or bad"))?;
        let mut slots = Vec::new();
        for (i, p) in store.params().iter().enumerate() {
            for (slot, prefix) in [(Slot::M, "opt.m."), (Slot::V, "opt.v.")] {
                let name = format!("{prefix}{}", p.name);
                if st.tensor(&name).is_ok() {
                    slots.push((i, slot, floats(path, &st, &name, &[p.numel()])?));
                }
            }
        }
        let n = store.params().len();
        opt.set_state(store.device(), n, t, slots);
    }
    Ok(meta)
}

/// The newest checkpoint in `dir` ([`LAST_FILE`]), if there is one.
pub fn latest(dir: &Path) -> Option<PathBuf> {
    let p = dir.join(LAST_FILE);
    p.is_file().then_some(p)
}

/// Writes `epoch-N.safetensors` and [`LAST_FILE`] into `dir`.
pub fn save_epoch<D: Device<f32>>(
    dir: &Path,
    store: &ParamStore<D>,
    opt: Option<&Optimizer<D>>,
    meta: &CheckpointMeta,
) -> Result<PathBuf, MlError> {
    std::fs::create_dir_all(dir).map_err(|source| MlError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let path = dir.join(epoch_file(meta.epoch));
    save(&path, store, opt, meta)?;
    save(&dir.join(LAST_FILE), store, opt, meta)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::OptimizerKind;
    use crate::params::Init;

    #[test]
    fn round_trip_restores_values_optimizer_and_meta() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ParamStore::new(Cpu::default(), 1);
        let w = store.add("w", &[3, 2], Init::Normal(1.0));
        store.add_buffer("rm", &[2], Init::Constant(0.5));
        let mut opt = Optimizer::new(OptimizerKind::from_name("adam").unwrap(), 0.01, 0.0);
        let mut grads = store
            .flat::<OwnedTape<f32, Cpu>>(w)
            .square()
            .sum()
            .backward();
        let g = store.gradients(&mut grads).unwrap();
        opt.step(&mut store, &g).unwrap();
        let mut meta = CheckpointMeta {
            epoch: 3,
            step: 17,
            ..Default::default()
        };
        meta.extra.insert("variant".into(), "vae".into());
        let path = save_epoch(dir.path(), &store, Some(&opt), &meta).unwrap();
        assert!(path.ends_with("epoch-3.safetensors"));
        assert_eq!(latest(dir.path()).unwrap(), dir.path().join(LAST_FILE));

        let mut other = ParamStore::new(Cpu::default(), 99);
        other.add("w", &[3, 2], Init::Zeros);
        other.add_buffer("rm", &[2], Init::Zeros);
        let mut opt2 = Optimizer::new(OptimizerKind::from_name("adam").unwrap(), 0.01, 0.0);
        let got = load(&path, &mut other, Some(&mut opt2)).unwrap();
        assert_eq!(got, meta);
        assert_eq!(read_meta(&path).unwrap(), meta);
        assert_eq!(other.values(w), store.values(w));
        assert_eq!(other.values(crate::ParamId(1)), vec![0.5, 0.5]);
        assert_eq!(opt2.state(), opt.state());

        // A model of another shape is refused with a message naming the tensor.
        let mut wrong = ParamStore::new(Cpu::default(), 0);
        wrong.add("w", &[2, 3], Init::Zeros);
        let err = load(&path, &mut wrong, None).unwrap_err().to_string();
        assert!(err.contains("param.w"), "{err}");
        // A different optimizer is refused.
        let mut sgd = Optimizer::new(OptimizerKind::Sgd { momentum: 0.9 }, 0.01, 0.0);
        assert!(load(&path, &mut other, Some(&mut sgd)).is_err());
    }
}
