//! `autoencoders`: the autoencoder family on dfdx, trained with
//! `workbench-ml`'s runtime-shaped layers and optimizers.
//!
//! Variants (parameters and defaults in [`config::variants`]; the network and
//! loss of each in [`model`]):
//!
//! | variant | network | loss |
//! |---|---|---|
//! | `linear` | `d → code → d`, no activations | MSE (learns the PCA subspace) |
//! | `undercomplete` | `784-500-300-100-300-500-784`, ReLU, sigmoid out | MSE |
//! | `overcomplete` | `d → 1024 → d` | MSE + L1 activity penalty |
//! | `sparse-l1` | `d → 256 → 128 → 256 → d` | MSE + λ·Σ\|h\| |
//! | `sparse-kl` | same, sigmoid code | MSE + β·Σ KL(ρ‖ρ̂) |
//! | `denoising` | `d → 256 → 64 → 256 → d` | MSE of clean targets from corrupted inputs |
//! | `contractive` | `d → 64` sigmoid `→ d` | MSE + λ·‖J‖²_F |
//! | `convolutional` | conv/BN/pool encoder to 7×7, dense, conv decoder | RMSE |
//! | `vae` | `d → 400 → (μ, log σ²)`, `z → 400 → d` | recon + β·KL |
//!
//! Training settings (optimizer, lr, batch size, epochs, weight decay, seed,
//! device) come from the spec's `train:` block; see [`fit`] for what is
//! reported and how checkpoints and `resume: true` work. The trained model
//! is saved as `autoencoder.safetensors` ([`io`]).
//!
//! The denoising variant's corruption is [`workbench_ml::corrupt`], seeded
//! per `(seed + epoch, sample index)`; its `noise`/`noise_level` parameters
//! tell the host how to corrupt test inputs for scoring.

pub mod config;
pub mod fit;
pub mod io;
pub mod model;

use config::{model_config, ModelConfig};
use dfdx::prelude::*;
use fit::{FitSettings, Reporter};
use model::Model;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use workbench_api::*;
use workbench_ml::device::{self, DeviceChoice, OnDevice, ResolvedDevice};
use workbench_ml::on_device;

workbench_ml::per_device!(Models => Model);

/// A trained (or untrained) model on the device its run resolved to.
type DeviceModel = OnDevice<Models>;

/// The autoencoder plugin.
pub struct Autoencoders {
    cfg: ModelConfig,
    train: TrainSettings,
    resume: bool,
    net: Option<DeviceModel>,
}

/// `(height, width, channels)`.
type Shape = (usize, usize, usize);

/// Images as rows of `C·H·W` values (channel-major), checked against `shape`
/// (or the first image's).
pub fn to_rows(images: &[Image], shape: Option<Shape>) -> Result<(Vec<f32>, Shape), PluginError> {
    let shape = match (shape, images.first()) {
        (Some(s), _) => s,
        (None, Some(i)) => (i.height, i.width, i.channels),
        (None, None) => (0, 0, 0),
    };
    let (h, w, c) = shape;
    let mut out = Vec::with_capacity(images.len() * h * w * c);
    for (i, img) in images.iter().enumerate() {
        if (img.height, img.width, img.channels) != shape || img.data.len() != h * w * c {
            return Err(PluginError::new(format!(
                "image {i} is {}×{}×{} but the model works on {h}×{w}×{c}",
                img.height, img.width, img.channels
            )));
        }
        if c == 1 {
            out.extend_from_slice(img.data);
        } else {
            for ch in 0..c {
                out.extend(img.data.iter().skip(ch).step_by(c));
            }
        }
    }
    Ok((out, shape))
}

/// Channel-major rows back to images.
pub fn from_rows(rows: &[f32], (h, w, c): Shape) -> Vec<OwnedImage> {
    rows.chunks_exact(h * w * c)
        .map(|row| {
            let mut data = vec![0.0; row.len()];
            for ch in 0..c {
                for p in 0..h * w {
                    data[p * c + ch] = row[ch * h * w + p];
                }
            }
            OwnedImage {
                height: h,
                width: w,
                channels: c,
                data,
            }
        })
        .collect()
}

/// An `rows × cols` grid of channel-major images of `shape`, as one image.
pub fn grid(rows_data: &[f32], (h, w, c): Shape, cols: usize) -> OwnedImage {
    let imgs = from_rows(rows_data, (h, w, c));
    let n = imgs.len();
    let rows = n.div_ceil(cols.max(1));
    let (gh, gw) = (rows * h, cols * w);
    let mut data = vec![0.0; gh * gw * c];
    for (k, img) in imgs.iter().enumerate() {
        let (r, q) = (k / cols, k % cols);
        for y in 0..h {
            for x in 0..w {
                for ch in 0..c {
                    data[((r * h + y) * gw + q * w + x) * c + ch] = img.data[(y * w + x) * c + ch];
                }
            }
        }
    }
    OwnedImage {
        height: gh,
        width: gw,
        channels: c,
        data,
    }
}

const BATCH: usize = 256;

/// What [`Autoencoders::fit_with`] needs from a model, whatever its device.
fn train_model<D: Device<f32>>(
    model: &mut Model<D>,
    train: &[f32],
    val: &[f32],
    settings: &FitSettings,
    rep: &mut dyn Reporter,
) -> Result<(), PluginError> {
    rep.info("parameters", &model.store.num_trainable().to_string());
    fit::fit(model, train, val, settings, rep)?;
    if model.cfg.variant == "vae" && !rep.should_stop() {
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ 0x9e37);
        let z = model.prior_codes(64, &mut rng);
        let samples = model.decode_values(z, &mut rng);
        let img = grid(&samples, model.shape, 8);
        rep.preview("prior_samples", &img.as_image());
    }
    Ok(())
}

fn encode_rows<D: Device<f32>>(model: &mut Model<D>, rows: &[f32]) -> Vec<Vec<f32>> {
    let d = model.dim();
    let n = rows.len() / d;
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(BATCH) {
        let end = (start + BATCH).min(n);
        let x = model
            .store
            .device()
            .tensor_from_vec(rows[start * d..end * d].to_vec(), (end - start, d));
        let code = model.encode(x);
        let k = code.shape().1;
        out.extend(code.as_vec().chunks_exact(k).map(<[f32]>::to_vec));
    }
    out
}

fn reconstruct_rows<D: Device<f32>>(model: &mut Model<D>, rows: &[f32]) -> Vec<f32> {
    let d = model.dim();
    let n = rows.len() / d;
    let mut out = Vec::with_capacity(rows.len());
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for start in (0..n).step_by(BATCH) {
        let end = (start + BATCH).min(n);
        let x = model
            .store
            .device()
            .tensor_from_vec(rows[start * d..end * d].to_vec(), (end - start, d));
        out.extend(model.reconstruct(x, &mut rng));
    }
    out
}

impl Autoencoders {
    fn settings(&self) -> FitSettings {
        FitSettings {
            epochs: self.train.epochs,
            batch_size: self.train.batch_size as usize,
            optimizer: self.train.optimizer.clone(),
            lr: self.train.lr as f32,
            weight_decay: self.train.weight_decay as f32,
            seed: self.train.seed,
            resume: self.resume,
            lr_schedule: self.train.lr_schedule.clone(),
            patience: self.train.patience,
            min_delta: self.train.min_delta,
        }
    }

    /// Everything [`Autoencoder::fit`] does, reporting to any [`Reporter`].
    pub fn fit_with(
        &mut self,
        train: &Dataset,
        val: &Dataset,
        rep: &mut dyn Reporter,
    ) -> Result<(), PluginError> {
        let choice: DeviceChoice = self
            .train
            .device
            .parse()
            .map_err(|e: device::DeviceError| PluginError::new(e.to_string()))?;
        let resolved = device::resolve(choice).map_err(|e| PluginError::new(e.to_string()))?;
        rep.info("device", resolved.name());
        let (train_rows, shape) = to_rows(&train.images, None)?;
        if train.is_empty() {
            return Err(PluginError::new(
                "cannot train an autoencoder: the training split is empty",
            ));
        }
        let (val_rows, _) = to_rows(&val.images, Some(shape))
            .map_err(|e| PluginError::new(format!("validation split: {}", e.message)))?;
        let seed = self.train.seed;
        let settings = self.settings();
        let mut net = match resolved {
            ResolvedDevice::Cpu => OnDevice::Cpu(
                Model::new(self.cfg.clone(), shape, device::cpu(seed), seed)
                    .map_err(PluginError::new)?,
            ),
            #[cfg(feature = "cuda")]
            ResolvedDevice::Cuda => OnDevice::Cuda(
                Model::new(
                    self.cfg.clone(),
                    shape,
                    device::cuda(seed).map_err(|e| PluginError::new(e.to_string()))?,
                    seed,
                )
                .map_err(PluginError::new)?,
            ),
            #[cfg(not(feature = "cuda"))]
            ResolvedDevice::Cuda => unreachable!("resolve refuses cuda without the feature"),
        };
        on_device!(&mut net, m => train_model(m, &train_rows, &val_rows, &settings, rep))?;
        self.net = Some(net);
        Ok(())
    }

    fn net(&mut self) -> Result<&mut DeviceModel, PluginError> {
        self.net.as_mut().ok_or_else(|| {
            PluginError::new(
                "the autoencoder is not trained: call fit (or load a saved model) first",
            )
        })
    }

    /// The image shape the model works on.
    fn shape(&mut self) -> Result<Shape, PluginError> {
        Ok(on_device!(self.net()?, m => m.shape))
    }
}

impl Lifecycle for Autoencoders {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "autoencoders".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            variants: config::variants(),
        }
    }

    fn new(variant: &str, config: &Config) -> Result<Self, PluginError> {
        Ok(Autoencoders {
            cfg: model_config(variant, config)?,
            train: config.train.clone(),
            resume: config::resume(config),
            net: None,
        })
    }

    /// Loads on the CPU; the saved configuration is authoritative.
    fn load(variant: &str, config: &Config, dir: &Path) -> Result<Self, PluginError> {
        let mut me = Self::new(variant, config)?;
        let model = io::load(dir, device::cpu(config.train.seed))?;
        if model.cfg.variant != variant {
            return Err(PluginError::new(format!(
                "{} holds a `{}` model, not `{variant}`",
                dir.display(),
                model.cfg.variant
            )));
        }
        me.cfg = model.cfg.clone();
        me.net = Some(OnDevice::Cpu(model));
        Ok(me)
    }

    fn fit(
        &mut self,
        train: &Dataset,
        val: &Dataset,
        ctx: &mut Context,
    ) -> Result<(), PluginError> {
        workbench_ml::threads::join_pool();
        self.fit_with(train, val, ctx)
    }

    fn save(&self, dir: &Path) -> Result<(), PluginError> {
        let net = self
            .net
            .as_ref()
            .ok_or_else(|| PluginError::new("the autoencoder is not trained: nothing to save"))?;
        on_device!(net, m => io::save(m, dir))
    }
}

impl Autoencoder for Autoencoders {
    fn encode(&mut self, images: &[Image]) -> Result<Vec<Vec<f32>>, PluginError> {
        let shape = self.shape()?;
        let (rows, _) = to_rows(images, Some(shape))?;
        Ok(on_device!(self.net()?, m => encode_rows(m, &rows)))
    }

    fn reconstruct(&mut self, images: &[Image]) -> Result<Vec<OwnedImage>, PluginError> {
        let shape = self.shape()?;
        let (rows, _) = to_rows(images, Some(shape))?;
        let out = on_device!(self.net()?, m => reconstruct_rows(m, &rows));
        Ok(from_rows(&out, shape))
    }
}

export_autoencoder!(Autoencoders);

#[cfg(test)]
mod tests;
