//! `pca`: principal component analysis as an autoencoder, fitted in closed
//! form. The reference plugin of the workbench and the linear baseline every
//! learned autoencoder is compared against.
//!
//! Each image is a flat vector `x` of `d = height·width·channels` values.
//! Fitting computes the training mean `μ` and the `k` directions of largest
//! variance `V` (`d × k`, orthonormal); the code of an image is
//! `Vᵀ(x − μ)` and its reconstruction `μ + V·Vᵀ(x − μ)`, clamped to [0, 1].
//! Among all linear encoders/decoders with a `k`-value code, this is the one
//! with the least mean squared reconstruction error on the training data
//! (Eckart–Young): its MSE is the sum of the discarded covariance
//! eigenvalues divided by `d`. A nonlinear autoencoder that does not beat it
//! at the same code size has learned nothing a matrix could not.
//!
//! One variant, `pca`, with parameters:
//! - `components` (int, 1–4096, default 16): number of principal components,
//!   the code size; at most `min(samples, d)`.
//! - `whiten` (bool, default false): divide each code value by the standard
//!   deviation of its component, so codes have unit variance on the training
//!   data (reconstructions are unaffected).
//!
//! The decomposition runs in f64 with faer (see [`model::Method`] for which
//! one and why); there are no epochs, so `fit` reports a single epoch. The
//! model is saved as `pca.safetensors` (see [`io`]).

pub mod io;
pub mod model;

use model::{fit_pca, mse, Method, PcaModel};
use std::path::Path;
use std::time::Instant;
use workbench_api::*;

const VARIANT: &str = "pca";
const DEFAULT_COMPONENTS: i64 = 16;
const MAX_COMPONENTS: i64 = 4096;

/// The PCA autoencoder plugin.
pub struct Pca {
    components: usize,
    whiten: bool,
    fitted: Option<Fitted>,
}

/// A fitted model with the image shape it was fitted on.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    /// The principal components.
    pub model: PcaModel,
    /// Rows of the fitted images.
    pub height: usize,
    /// Columns of the fitted images.
    pub width: usize,
    /// Channels of the fitted images.
    pub channels: usize,
    /// Whether codes are whitened.
    pub whiten: bool,
}

/// What a fit measured, for the context to report.
#[derive(Clone, Debug, PartialEq)]
pub struct FitStats {
    /// Reconstruction MSE on the training split (clamped outputs, as
    /// [`Autoencoder::reconstruct`] returns them).
    pub train_mse: f64,
    /// Reconstruction MSE on the validation split, when it is not empty.
    pub val_mse: Option<f64>,
    /// Fraction of the training variance the components keep.
    pub explained_variance: f64,
    /// The decomposition used.
    pub method: Method,
    /// Seconds spent in the decomposition.
    pub seconds: f64,
}

fn shape_str(h: usize, w: usize, c: usize) -> String {
    format!("{h}×{w}×{c} ({} values)", h * w * c)
}

/// `(height, width, channels)`.
type Shape = (usize, usize, usize);

/// Copies same-sized images into one row-major `n × d` buffer; `shape` is the
/// required `(h, w, c)`, or `None` to take the first image's.
fn stack(
    images: &[Image],
    shape: Option<Shape>,
    what: &str,
    expected: &str,
) -> Result<(Vec<f32>, Shape), PluginError> {
    let shape = match (shape, images.first()) {
        (Some(s), _) => s,
        (None, Some(i)) => (i.height, i.width, i.channels),
        (None, None) => (0, 0, 0),
    };
    let d = shape.0 * shape.1 * shape.2;
    let mut data = Vec::with_capacity(images.len() * d);
    for (idx, img) in images.iter().enumerate() {
        if (img.height, img.width, img.channels) != shape {
            return Err(PluginError::new(format!(
                "{what} image {idx} is {} but {expected} {}",
                shape_str(img.height, img.width, img.channels),
                shape_str(shape.0, shape.1, shape.2)
            )));
        }
        if img.data.len() != d {
            return Err(PluginError::new(format!(
                "{what} image {idx} claims {} but holds {} values",
                shape_str(img.height, img.width, img.channels),
                img.data.len()
            )));
        }
        data.extend_from_slice(img.data);
    }
    Ok((data, shape))
}

impl Pca {
    fn fitted(&self) -> Result<&Fitted, PluginError> {
        self.fitted.as_ref().ok_or_else(|| {
            PluginError::new("the PCA model is not fitted: call fit (or load a saved model) first")
        })
    }

    /// Images as one buffer, checked against the fitted size.
    fn stack_for_model(&self, images: &[Image]) -> Result<(&Fitted, Vec<f32>), PluginError> {
        let fitted = self.fitted()?;
        let shape = (fitted.height, fitted.width, fitted.channels);
        let (data, _) = stack(images, Some(shape), "input", "the model was fitted on")?;
        Ok((fitted, data))
    }

    /// Everything [`Autoencoder::fit`] does except reporting: fits on
    /// `train`, then measures the training and validation MSE. Returns
    /// `Ok(None)` when `should_stop` says so before the decomposition.
    pub fn fit_core(
        &mut self,
        train: &Dataset,
        val: &Dataset,
        should_stop: impl Fn() -> bool,
        progress: impl Fn(u64, u64),
    ) -> Result<Option<FitStats>, PluginError> {
        const STEPS: u64 = 4;
        if train.is_empty() {
            return Err(PluginError::new(
                "cannot fit PCA: the training split is empty",
            ));
        }
        progress(0, STEPS);
        let (data, (h, w, c)) = stack(
            &train.images,
            None,
            "training",
            "the first training image is",
        )?;
        let (n, d) = (train.len(), h * w * c);
        if should_stop() {
            return Ok(None);
        }

        let start = Instant::now();
        let method = Method::for_shape(n, d);
        let model = fit_pca(&data, n, d, self.components).map_err(|e| {
            PluginError::new(format!(
                "cannot fit PCA on {n} images of {}: {e}",
                shape_str(h, w, c)
            ))
        })?;
        let seconds = start.elapsed().as_secs_f64();
        progress(2, STEPS);

        let train_mse = mse(&data, &model.reconstruct(&data, n));
        drop(data);
        let explained_variance = model.explained_variance_ratio();
        self.fitted = Some(Fitted {
            model,
            height: h,
            width: w,
            channels: c,
            whiten: self.whiten,
        });
        progress(3, STEPS);

        let val_mse = if val.is_empty() {
            None
        } else {
            let (fitted, vdata) = self
                .stack_for_model(&val.images)
                .map_err(|e| PluginError::new(format!("validation split: {}", e.message)))?;
            Some(mse(&vdata, &fitted.model.reconstruct(&vdata, val.len())))
        };
        progress(STEPS, STEPS);

        Ok(Some(FitStats {
            train_mse,
            val_mse,
            explained_variance,
            method,
            seconds,
        }))
    }
}

fn check_variant(variant: &str) -> Result<(), PluginError> {
    if variant == VARIANT {
        Ok(())
    } else {
        Err(PluginError::new(format!(
            "unknown variant `{variant}` of plugin `pca` (it has one variant: `{VARIANT}`)"
        )))
    }
}

impl Lifecycle for Pca {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "pca".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            variants: vec![VariantInfo::new(
                VARIANT,
                "principal component analysis in closed form: the optimal linear code for MSE",
                vec![
                    ParamSpec::int(
                        "components",
                        DEFAULT_COMPONENTS,
                        1,
                        MAX_COMPONENTS,
                        "number of principal components (the code size), at most min(samples, pixels)",
                    ),
                    ParamSpec::bool(
                        "whiten",
                        false,
                        "scale codes to unit variance on the training data",
                    ),
                ],
            )],
        }
    }

    fn new(variant: &str, config: &Config) -> Result<Self, PluginError> {
        check_variant(variant)?;
        let config = config.with_defaults(&Self::info().variants[0].params);
        let components: i64 = config.param("components")?;
        if !(1..=MAX_COMPONENTS).contains(&components) {
            return Err(PluginError::new(format!(
                "parameter `components` = {components} must be between 1 and {MAX_COMPONENTS}"
            )));
        }
        Ok(Pca {
            components: components as usize,
            whiten: config.param("whiten")?,
            fitted: None,
        })
    }

    /// The saved file is authoritative: its component count and `whiten`
    /// setting are used, whatever `config` says.
    fn load(variant: &str, config: &Config, dir: &Path) -> Result<Self, PluginError> {
        let mut pca = Self::new(variant, config)?;
        let fitted = io::load(dir)?;
        pca.components = fitted.model.k();
        pca.whiten = fitted.whiten;
        pca.fitted = Some(fitted);
        Ok(pca)
    }

    fn fit(
        &mut self,
        train: &Dataset,
        val: &Dataset,
        ctx: &mut Context,
    ) -> Result<(), PluginError> {
        ctx.set_epoch(1);
        ctx.info("device", "cpu");
        let stats = {
            let ctx_ref: &Context = ctx;
            self.fit_core(
                train,
                val,
                || ctx_ref.should_stop(),
                |done, total| ctx_ref.progress(done, total),
            )?
        };
        let Some(stats) = stats else {
            ctx.log("stopped before the decomposition");
            return Ok(());
        };
        let model = &self.fitted()?.model;
        let (k, d, floats) = (model.k(), model.dim(), model.stored_floats());
        ctx.info("parameters", &floats.to_string());
        ctx.log(&format!(
            "{k} components of {d} values from {} images via {}: {:.3} s, explained variance {:.4}",
            train.len(),
            match stats.method {
                Method::Covariance => "covariance eigendecomposition",
                Method::Svd => "thin SVD",
            },
            stats.seconds,
            stats.explained_variance,
        ));
        ctx.set_step(1);
        ctx.report("explained_variance", stats.explained_variance);
        ctx.report("loss", stats.train_mse);
        if let Some(v) = stats.val_mse {
            ctx.report_val("loss", v);
        }
        Ok(())
    }

    fn save(&self, dir: &Path) -> Result<(), PluginError> {
        io::save(self.fitted()?, dir)
    }
}

impl Autoencoder for Pca {
    fn encode(&mut self, images: &[Image]) -> Result<Vec<Vec<f32>>, PluginError> {
        let (fitted, data) = self.stack_for_model(images)?;
        let k = fitted.model.k();
        let codes = fitted.model.encode(&data, images.len(), fitted.whiten);
        Ok(codes.chunks_exact(k).map(<[f32]>::to_vec).collect())
    }

    fn reconstruct(&mut self, images: &[Image]) -> Result<Vec<OwnedImage>, PluginError> {
        let (fitted, data) = self.stack_for_model(images)?;
        let d = fitted.model.dim();
        let rec = fitted.model.reconstruct(&data, images.len());
        Ok(rec
            .chunks_exact(d)
            .map(|px| OwnedImage {
                height: fitted.height,
                width: fitted.width,
                channels: fitted.channels,
                data: px.to_vec(),
            })
            .collect())
    }
}

export_autoencoder!(Pca);

#[cfg(test)]
mod tests;
