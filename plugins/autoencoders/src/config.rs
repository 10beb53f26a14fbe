//! The variants, their parameters ([`ParamSpec`]s) and the model
//! configuration read from a run's [`Config`].

use serde::{Deserialize, Serialize};
use workbench_api::{Config, ParamSpec, PluginError, VariantInfo};
use workbench_ml::corrupt::Noise;
use workbench_ml::layers::Activation;

/// Every variant's name.
pub const VARIANTS: [&str; 9] = [
    "linear",
    "undercomplete",
    "overcomplete",
    "sparse-l1",
    "sparse-kl",
    "denoising",
    "contractive",
    "convolutional",
    "vae",
];

/// What is added to the reconstruction loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Penalty {
    /// None.
    None,
    /// `λ · mean over the batch of Σⱼ |hⱼ|` on the code.
    L1 {
        /// Weight λ.
        lambda: f32,
    },
    /// `β · Σⱼ KL(ρ ‖ ρ̂ⱼ)`, `ρ̂ⱼ` the batch mean of code unit `j`.
    Kl {
        /// Target activation ρ.
        rho: f32,
        /// Weight β.
        beta: f32,
    },
    /// `λ · mean over the batch of ‖∂h/∂a‖²_F` for the code layer.
    Contractive {
        /// Weight λ.
        lambda: f32,
    },
}

/// The reconstruction loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// Mean squared error per value.
    Mse,
    /// Binary cross-entropy per value (on the output logits).
    Bce,
    /// Square root of the MSE.
    Rmse,
}

/// Which network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArchKind {
    /// Dense encoder/decoder.
    Dense,
    /// The convolutional model.
    Conv,
    /// Variational (dense).
    Vae,
}

/// Everything that fixes a model (saved with it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// The variant.
    pub variant: String,
    /// Network kind.
    pub arch: ArchKind,
    /// Code size (dense and VAE).
    pub code_size: usize,
    /// Hidden layer widths of the encoder (the decoder mirrors them).
    pub hidden: Vec<usize>,
    /// Hidden activation name.
    pub activation: String,
    /// Code activation name.
    pub code_activation: String,
    /// Whether the output goes through a sigmoid.
    pub sigmoid_output: bool,
    /// Reconstruction loss.
    pub loss: LossKind,
    /// Penalty on the code.
    pub penalty: Penalty,
    /// Training-time corruption (`gaussian`/`masking`) and its level.
    pub noise: Option<(String, f32)>,
    /// VAE: `bernoulli` or `gaussian` decoder.
    pub decoder: String,
    /// VAE: weight of the KL term.
    pub beta: f32,
    /// Convolutional: `light` or `full`.
    pub size: String,
    /// Convolutional: dropout before the dense layers.
    pub dropout: f32,
}

impl ModelConfig {
    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        Activation::from_name(&self.activation).unwrap_or(Activation::Relu)
    }

    /// The code activation.
    pub fn code_activation(&self) -> Activation {
        Activation::from_name(&self.code_activation).unwrap_or(Activation::Identity)
    }

    /// The training noise, if any.
    pub fn noise(&self) -> Option<(Noise, f32)> {
        self.noise
            .as_ref()
            .and_then(|(k, l)| Noise::from_name(k).ok().map(|n| (n, *l)))
    }
}

const ACTIVATIONS: &[&str] = &["relu", "sigmoid", "tanh", "gelu", "identity"];

fn common(code: i64, hidden: &[i64], act: &str, code_act: &str, loss: &str) -> Vec<ParamSpec> {
    vec![
        ParamSpec::int("code_size", code, 1, 65536, "size of the code"),
        ParamSpec::int_list(
            "hidden",
            hidden,
            1,
            65536,
            "encoder hidden layer widths (the decoder mirrors them)",
        ),
        ParamSpec::choice("activation", act, ACTIVATIONS, "hidden-layer activation"),
        ParamSpec::choice(
            "code_activation",
            code_act,
            ACTIVATIONS,
            "code-layer activation",
        ),
        ParamSpec::choice("loss", loss, &["mse", "bce", "rmse"], "reconstruction loss"),
        ParamSpec::bool(
            "resume",
            false,
            "resume from the last checkpoint in the run's checkpoint directory",
        ),
    ]
}

/// The variants with their parameters and defaults.
///
/// Penalty weights are scaled for a reconstruction loss that is a *mean*
/// over pixels (the literature's λ = 0.1, β = 3 go with losses summed over
/// the 784 pixels, so divide by about 10³): on MNIST at code size 49 a
/// contractive λ of 1e-3 or a KL β of 0.1 made the penalty dominate and the
/// model collapse to the mean image.
pub fn variants() -> Vec<VariantInfo> {
    let mut out = Vec::new();
    let mut linear = common(32, &[], "identity", "identity", "mse");
    linear.retain(|p| p.name != "hidden" && p.name != "activation" && p.name != "code_activation");
    out.push(VariantInfo::new(
        "linear",
        "one linear encoder and decoder, no activations (learns the PCA subspace)",
        linear,
    ));
    out.push(VariantInfo::new(
        "undercomplete",
        "dense 784-500-300-100-300-500-784, ReLU, sigmoid output",
        common(100, &[500, 300], "relu", "relu", "mse"),
    ));
    let mut over = common(1024, &[], "relu", "relu", "mse");
    over.push(ParamSpec::float(
        "l1",
        1e-4,
        0.0,
        10.0,
        "L1 activity penalty weight on the code",
    ));
    out.push(VariantInfo::new(
        "overcomplete",
        "code wider than the input, kept in check by an L1 activity penalty",
        over,
    ));
    let mut l1 = common(128, &[256], "relu", "relu", "mse");
    l1.push(ParamSpec::float(
        "l1",
        1e-4,
        0.0,
        10.0,
        "L1 penalty weight on code activations",
    ));
    out.push(VariantInfo::new(
        "sparse-l1",
        "L1 penalty on the code activations",
        l1,
    ));
    let mut kl = common(128, &[256], "relu", "sigmoid", "mse");
    kl.push(ParamSpec::float(
        "rho",
        0.05,
        1e-4,
        0.9999,
        "target mean activation ρ",
    ));
    kl.push(ParamSpec::float(
        "beta",
        0.01,
        0.0,
        100.0,
        "weight of Σ KL(ρ‖ρ̂)",
    ));
    out.push(VariantInfo::new(
        "sparse-kl",
        "KL divergence between a target ρ and each code unit's mean activation",
        kl,
    ));
    let mut den = common(64, &[256], "relu", "relu", "mse");
    den.push(ParamSpec::choice(
        "noise",
        "masking",
        &["masking", "gaussian"],
        "training corruption (and the host's test corruption)",
    ));
    den.push(ParamSpec::float(
        "noise_level",
        0.3,
        0.0,
        1.0,
        "masking fraction p, or Gaussian σ",
    ));
    out.push(VariantInfo::new(
        "denoising",
        "trained to reconstruct clean images from corrupted ones",
        den,
    ));
    let mut con = common(64, &[], "sigmoid", "sigmoid", "mse");
    con.push(ParamSpec::float(
        "lambda",
        1e-4,
        0.0,
        100.0,
        "weight of the Jacobian penalty λ·‖J‖²_F",
    ));
    out.push(VariantInfo::new(
        "contractive",
        "reconstruction + λ·‖J_encoder‖²_F (closed form for the sigmoid code layer)",
        con,
    ));
    out.push(VariantInfo::new(
        "convolutional",
        "conv encoder with batch norm and pooling to a 7×7 code, dense bottleneck, conv decoder",
        vec![
            ParamSpec::choice(
                "size",
                "light",
                &["light", "full"],
                "`full`: the course-notes model (64/128/256 channels, ~418k parameters); `light`: 16/32/32",
            ),
            ParamSpec::float("dropout", 0.2, 0.0, 0.95, "dropout on the flattened code"),
            ParamSpec::choice(
                "activation",
                "relu",
                ACTIVATIONS,
                "activation of the two code-wide dense layers after the code",
            ),
            ParamSpec::choice("loss", "rmse", &["mse", "bce", "rmse"], "reconstruction loss"),
            ParamSpec::bool(
                "resume",
                false,
                "resume from the last checkpoint in the run's checkpoint directory",
            ),
        ],
    ));
    let mut vae = common(16, &[400], "relu", "identity", "bce");
    vae.retain(|p| p.name != "code_activation" && p.name != "loss");
    vae.push(ParamSpec::choice(
        "decoder",
        "bernoulli",
        &["bernoulli", "gaussian"],
        "likelihood of the decoder: Bernoulli (BCE) or unit-variance Gaussian (½·squared error)",
    ));
    vae.push(ParamSpec::float(
        "beta",
        1.0,
        0.0,
        100.0,
        "weight of the KL term (β-VAE)",
    ));
    out.push(VariantInfo::new(
        "vae",
        "variational: Gaussian encoder, reparameterisation, loss = recon + β·KL",
        vae,
    ));
    out
}

fn bad(msg: String) -> PluginError {
    PluginError::new(msg)
}

/// Reads a variant's configuration (defaults from [`variants`] where the
/// config lacks a parameter).
pub fn model_config(variant: &str, config: &Config) -> Result<ModelConfig, PluginError> {
    let info = variants()
        .into_iter()
        .find(|v| v.name == variant)
        .ok_or_else(|| {
            bad(format!(
                "unknown variant `{variant}` of plugin `autoencoders` (expected one of: {})",
                VARIANTS.join(", ")
            ))
        })?;
    let get = |name: &str| -> serde_json::Value {
        config.params.get(name).cloned().unwrap_or_else(|| {
            info.params
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.default.clone())
                .unwrap_or(serde_json::Value::Null)
        })
    };
    let as_usize = |name: &str| -> Result<usize, PluginError> {
        get(name)
            .as_u64()
            .filter(|v| *v >= 1)
            .map(|v| v as usize)
            .ok_or_else(|| bad(format!("parameter `{name}` must be a positive integer")))
    };
    let as_f32 = |name: &str| -> Result<f32, PluginError> {
        get(name)
            .as_f64()
            .map(|v| v as f32)
            .ok_or_else(|| bad(format!("parameter `{name}` must be a number")))
    };
    let as_str =
        |name: &str, default: &str| -> String { get(name).as_str().unwrap_or(default).to_string() };
    let hidden: Vec<usize> = match get("hidden") {
        serde_json::Value::Null => vec![],
        v => serde_json::from_value::<Vec<i64>>(v)
            .map_err(|e| bad(format!("parameter `hidden`: {e}")))?
            .into_iter()
            .map(|h| {
                usize::try_from(h)
                    .ok()
                    .filter(|h| *h >= 1)
                    .ok_or_else(|| bad(format!("parameter `hidden`: width {h} must be ≥ 1")))
            })
            .collect::<Result<_, _>>()?,
    };
    let loss = match as_str("loss", "mse").as_str() {
        "mse" => LossKind::Mse,
        "bce" => LossKind::Bce,
        "rmse" => LossKind::Rmse,
        other => return Err(bad(format!("parameter `loss`: unknown loss `{other}`"))),
    };
    for name in ["activation", "code_activation"] {
        if let Some(a) = get(name).as_str() {
            Activation::from_name(a).map_err(|e| bad(format!("parameter `{name}`: {e}")))?;
        }
    }
    let mut cfg = ModelConfig {
        variant: variant.to_string(),
        arch: ArchKind::Dense,
        code_size: if variant == "convolutional" {
            49
        } else {
            as_usize("code_size")?
        },
        hidden,
        activation: as_str("activation", "relu"),
        code_activation: as_str("code_activation", "identity"),
        sigmoid_output: true,
        loss,
        penalty: Penalty::None,
        noise: None,
        decoder: "bernoulli".into(),
        beta: 1.0,
        size: "light".into(),
        dropout: 0.0,
    };
    match variant {
        "linear" => {
            cfg.hidden.clear();
            cfg.activation = "identity".into();
            cfg.code_activation = "identity".into();
            cfg.sigmoid_output = false;
            if loss == LossKind::Bce {
                return Err(bad(
                    "variant `linear` has no sigmoid output, so `loss: bce` does not apply (use mse or rmse)".into(),
                ));
            }
        }
        "overcomplete" | "sparse-l1" => {
            cfg.penalty = Penalty::L1 {
                lambda: as_f32("l1")?,
            }
        }
        "sparse-kl" => {
            cfg.penalty = Penalty::Kl {
                rho: as_f32("rho")?,
                beta: as_f32("beta")?,
            };
            if cfg.code_activation != "sigmoid" {
                return Err(bad(
                    "variant `sparse-kl` needs `code_activation: sigmoid` (ρ̂ must lie in (0, 1))"
                        .into(),
                ));
            }
        }
        "contractive" => {
            cfg.penalty = Penalty::Contractive {
                lambda: as_f32("lambda")?,
            };
            if cfg.code_activation != "sigmoid" {
                return Err(bad(
                    "variant `contractive` needs `code_activation: sigmoid` (the penalty is the sigmoid layer's closed form)".into(),
                ));
            }
        }
        "denoising" => {
            let kind = as_str("noise", "masking");
            Noise::from_name(&kind).map_err(|e| bad(format!("parameter `noise`: {e}")))?;
            cfg.noise = Some((kind, as_f32("noise_level")?));
        }
        "convolutional" => {
            cfg.arch = ArchKind::Conv;
            cfg.size = as_str("size", "light");
            cfg.dropout = as_f32("dropout")?;
            cfg.hidden.clear();
        }
        "vae" => {
            cfg.arch = ArchKind::Vae;
            cfg.decoder = as_str("decoder", "bernoulli");
            cfg.beta = as_f32("beta")?;
            cfg.code_activation = "identity".into();
            cfg.loss = if cfg.decoder == "gaussian" {
                LossKind::Mse
            } else {
                LossKind::Bce
            };
        }
        _ => {}
    }
    Ok(cfg)
}

/// The `resume` parameter.
pub fn resume(config: &Config) -> bool {
    config
        .params
        .get("resume")
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}
