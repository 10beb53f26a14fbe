//! Word recognizers trained with CTC loss on dfdx (plugin `recognizers`).
//!
//! Variants (see [`model`] for the layer diagram):
//! - `crnn`: conv blocks (conv, batch norm, ReLU, pooling that halves the
//!   height more than the width) → a feature sequence along the width →
//!   2-layer bidirectional LSTM → linear → log-softmax over blank + charset;
//! - `crnn-gru`: the same with GRUs;
//! - `conv-ctc`: no recurrence, convolutions along the width only.
//!
//! Images are preprocessed as [`data`] describes. The charset comes from
//! the training and validation texts (sorted unique characters) or from the `charset`
//! parameter, and is saved with the model; characters outside it can never
//! be recognized. Decoding is greedy (`beam_width` = 1) or prefix beam
//! search, optionally limited to the words of a `lexicon` file (words with
//! characters outside the charset are dropped from it). Training reports
//! `loss` per step; validation `loss`, `cer` and `word_accuracy` (shown as
//! `val_*`; a monitoring CER, the host computes the official one) and `lr`
//! per epoch; logs a few decoded validation samples; follows the
//! `lr_schedule`; keeps the epoch with the lowest validation CER (ties: the
//! lower loss) as the model, and stops early after `patience` epochs
//! without an improvement of more than `min_delta`; leaves out (counting
//! and listing them) words with characters outside a given charset;
//! checkpoints each epoch (and the best) into the host's checkpoint
//! directory and resumes from the last one, early-stopping state included,
//! when `resume: true`.

pub mod augment;
pub mod data;
pub mod ink;
pub mod model;

use augment::Jitter;
use data::{batch, prepare, Prepared};
use dfdx::prelude::*;
use model::{Architecture, Network};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use workbench_api::*;
use workbench_ml::checkpoint::{self, CheckpointMeta};
use workbench_ml::ctc::{ctc_loss, min_input_length};
use workbench_ml::decode::{beam_search, greedy, sample, Lexicon};
use workbench_ml::device::{resolve, DeviceChoice, OnDevice, ResolvedDevice};
use workbench_ml::on_device;
use workbench_ml::schedule::{Schedule, Watch};
use workbench_ml::{Optimizer, OptimizerKind, ParamStore};

const MODEL_FILE: &str = "recognizer.safetensors";
/// Words per forward pass when reading (sorted by width first).
const INFER_BATCH: usize = 64;

/// Where training signals go: the host's [`Context`] in a run, a recorder in tests.
pub trait Monitor {
    /// A training signal at `step`/`epoch`.
    fn report(&mut self, step: u64, epoch: u32, name: &str, value: f64);
    /// A validation signal.
    fn report_val(&mut self, step: u64, epoch: u32, name: &str, value: f64);
    /// A log line.
    fn log(&mut self, message: &str);
    /// A run fact.
    fn info(&mut self, key: &str, value: &str);
    /// Progress of the whole fit.
    fn progress(&mut self, done: u64, total: u64);
    /// Whether to stop now.
    fn should_stop(&mut self) -> bool;
    /// Per-epoch checkpoint directory.
    fn checkpoint_dir(&mut self) -> Option<PathBuf>;
}

impl Monitor for Context<'_> {
    fn report(&mut self, step: u64, epoch: u32, name: &str, value: f64) {
        self.set_step(step);
        self.set_epoch(epoch);
        Context::report(self, name, value);
    }
    fn report_val(&mut self, step: u64, epoch: u32, name: &str, value: f64) {
        self.set_step(step);
        self.set_epoch(epoch);
        Context::report_val(self, name, value);
    }
    fn log(&mut self, message: &str) {
        Context::log(self, message);
    }
    fn info(&mut self, key: &str, value: &str) {
        Context::info(self, key, value);
    }
    fn progress(&mut self, done: u64, total: u64) {
        Context::progress(self, done, total);
    }
    fn should_stop(&mut self) -> bool {
        Context::should_stop(self)
    }
    fn checkpoint_dir(&mut self) -> Option<PathBuf> {
        Context::checkpoint_dir(self)
    }
}

fn ml(e: impl std::fmt::Display) -> PluginError {
    PluginError::new(e.to_string())
}

/// Settings read from the config that are not part of the architecture.
#[derive(Clone, Debug)]
struct Settings {
    max_width: usize,
    beam_width: usize,
    lexicon: String,
    resume: bool,
    augment: String,
    train: TrainSettings,
}

/// A model on device `D`.
struct Model<D: Device<f32>> {
    arch: Architecture,
    chars: Vec<char>,
    net: Network,
    store: ParamStore<D>,
}

impl<D: Device<f32>> Model<D> {
    fn new(dev: D, arch: Architecture, seed: u64) -> Self {
        let mut store = ParamStore::new(dev, seed);
        let net = Network::new(&mut store, &arch);
        Model {
            chars: arch.charset.chars().collect(),
            arch,
            net,
            store,
        }
    }

    fn prepare(&self, images: &[Image], max_width: usize) -> Vec<Prepared> {
        let f = self.arch.width_factor();
        images
            .iter()
            .map(|i| prepare(i, self.arch.height, f, max_width))
            .collect()
    }

    /// Log-probabilities `(T, B, K)` on the host and the per-sample lengths.
    fn infer(&mut self, items: &[&Prepared]) -> (Vec<f32>, (usize, usize, usize), Vec<usize>) {
        let (h, f) = (self.arch.height, self.arch.width_factor());
        let b = batch(items, h, f, None);
        let x = self
            .store
            .device()
            .tensor_from_vec(b.data, (items.len(), 1, h, b.width));
        let lp = self.net.forward(&mut self.store, x, &b.lengths, false);
        let shape = *lp.shape();
        (lp.as_vec(), shape, b.lengths)
    }

    /// The words of a word-list file (one per line) as a trie over this
    /// model's labels; words with characters outside the charset are left
    /// out (they could never be recognized).
    fn lexicon(&self, path: &Path) -> Result<Lexicon, PluginError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| PluginError::new(format!("lexicon {}: {e}", path.display())))?;
        Ok(Lexicon::new(text.lines().filter_map(|w| {
            let w = w.trim();
            (!w.is_empty())
                .then(|| data::encode(w, &self.chars).ok())
                .flatten()
        })))
    }

    fn recognize(
        &mut self,
        items: &[Prepared],
        beam: usize,
        lexicon: Option<&Lexicon>,
    ) -> Vec<(String, f32)> {
        // Words of similar widths share a batch, so little is padding;
        // the results go back in the order given.
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| items[i].width);
        let mut out = vec![(String::new(), 0.0f32); items.len()];
        for chunk in order.chunks(INFER_BATCH) {
            let refs: Vec<&Prepared> = chunk.iter().map(|&i| &items[i]).collect();
            let (lp, shape, lens) = self.infer(&refs);
            for (b, &len) in lens.iter().enumerate() {
                let rows = sample(&lp, shape, b, len.min(shape.0));
                let d = if beam > 1 || lexicon.is_some() {
                    beam_search(&rows, shape.2, beam.max(2), lexicon)
                } else {
                    greedy(&rows, shape.2)
                };
                out[chunk[b]] = (data::decode(&d.labels, &self.chars), d.confidence);
            }
        }
        out
    }

    /// Mean CTC loss, monitoring CER and word accuracy over `items`.
    fn evaluate(&mut self, items: &[Prepared], labels: &[Vec<usize>], texts: &[&str]) -> Scores {
        let (mut loss, mut n, mut errs, mut chars, mut right) =
            (0.0, 0usize, 0usize, 0usize, 0usize);
        let mut preds = Vec::new();
        let (h, f) = (self.arch.height, self.arch.width_factor());
        for start in (0..items.len()).step_by(32) {
            let end = (start + 32).min(items.len());
            let refs: Vec<&Prepared> = items[start..end].iter().collect();
            let need: Vec<usize> = labels[start..end]
                .iter()
                .map(|l| min_input_length(l))
                .collect();
            let b = batch(&refs, h, f, Some(&need));
            let x = self
                .store
                .device()
                .tensor_from_vec(b.data, (refs.len(), 1, h, b.width));
            let lp = self.net.forward(&mut self.store, x, &b.lengths, false);
            let shape = *lp.shape();
            let host = lp.as_vec();
            let l = ctc_loss(lp, &labels[start..end], &b.lengths).as_vec()[0];
            loss += l as f64 * refs.len() as f64;
            n += refs.len();
            for (i, &len) in b.lengths.iter().enumerate() {
                let d = greedy(&sample(&host, shape, i, len), shape.2);
                let text = data::decode(&d.labels, &self.chars);
                errs += data::levenshtein(&text, texts[start + i]);
                chars += texts[start + i].chars().count();
                right += usize::from(text == texts[start + i]);
                preds.push(text);
            }
        }
        Scores {
            loss: loss / n.max(1) as f64,
            cer: errs as f64 / chars.max(1) as f64,
            word_accuracy: right as f64 / n.max(1) as f64,
            preds,
        }
    }

    /// A training sample as the network sees it this epoch.
    fn prepare_train(&self, img: &Image, s: &Settings, rng: &mut ChaCha8Rng) -> Prepared {
        let (h, f) = (self.arch.height, self.arch.width_factor());
        let jitter = if s.augment == "none" {
            Jitter::NONE
        } else {
            Jitter::random(rng)
        };
        let mut p = data::prepare_with(img, h, f, s.max_width, &jitter);
        if s.augment == "full" {
            augment::appearance(&mut p.data, p.width, h, rng);
        }
        p
    }

    fn meta(&self, epoch: u32, step: u64, watch: Option<&Watch>) -> CheckpointMeta {
        let mut extra = BTreeMap::new();
        extra.insert(
            "arch".to_string(),
            serde_json::to_string(&self.arch).expect("arch serialises"),
        );
        if let Some(w) = watch {
            extra.insert("watch".to_string(), w.to_text());
        }
        CheckpointMeta { epoch, step, extra }
    }

    fn fit(
        &mut self,
        s: &Settings,
        train: &Dataset,
        val: &Dataset,
        mon: &mut dyn Monitor,
    ) -> Result<(), PluginError> {
        workbench_ml::threads::join_pool();
        let t = &s.train;
        let kind = OptimizerKind::from_name(&t.optimizer).map_err(ml)?;
        let schedule = Schedule::from_name(&t.lr_schedule).map_err(ml)?;
        let mut opt = Optimizer::new(kind, t.lr as f32, t.weight_decay as f32);
        let tr = Encodable::of(&train.texts, &self.chars);
        let va = Encodable::of(&val.texts, &self.chars);
        for (split, e) in [("training", &tr), ("validation", &va)] {
            if let Some(note) = e.unknown_note(split) {
                mon.log(&note);
                mon.info(&format!("{split}_words_left_out"), &e.left_out.to_string());
            }
        }
        if tr.keep.is_empty() {
            return Err(PluginError::new(format!(
                "no training word can be written with the charset {:?}",
                self.arch.charset
            )));
        }
        let images: Vec<&Image> = tr.keep.iter().map(|&i| &train.images[i]).collect();
        let val_images: Vec<Image> = va.keep.iter().map(|&i| val.images[i]).collect();
        let val_items = self.prepare(&val_images, s.max_width);
        let val_texts: Vec<&str> = va.keep.iter().map(|&i| val.texts[i]).collect();
        let need: Vec<usize> = tr.labels.iter().map(|l| min_input_length(l)).collect();
        mon.info("parameters", &self.store.num_trainable().to_string());
        mon.info("charset", &self.arch.charset);
        let (mut start_epoch, mut step) = (0u32, 0u64);
        let mut watch = Watch::default();
        let mut best: Option<Vec<Vec<f32>>> = None;
        let ckdir = mon.checkpoint_dir();
        if s.resume {
            if let Some(dir) = ckdir.as_deref() {
                let best_file = dir.join(checkpoint::BEST_FILE);
                if best_file.is_file() {
                    checkpoint::load(&best_file, &mut self.store, None).map_err(ml)?;
                    best = Some(self.store.snapshot());
                }
            }
            if let Some(last) = ckdir.as_deref().and_then(checkpoint::latest) {
                let meta = checkpoint::load(&last, &mut self.store, Some(&mut opt)).map_err(ml)?;
                start_epoch = meta.epoch;
                step = meta.step;
                if let Some(w) = meta.extra.get("watch").and_then(|w| Watch::from_text(w)) {
                    watch = w;
                }
                mon.log(&format!(
                    "resumed from {} (epoch {start_epoch})",
                    last.display()
                ));
            }
        }
        let bs = (t.batch_size as usize).max(1);
        let total = workbench_ml::train::steps_per_epoch(images.len(), bs) * t.epochs as u64;
        let (h, f) = (self.arch.height, self.arch.width_factor());
        let watched = if val_items.is_empty() {
            "train_loss"
        } else {
            "val_cer"
        };
        for epoch in start_epoch + 1..=t.epochs {
            let (mut sum, mut seen) = (0.0, 0usize);
            for idx in workbench_ml::train::epoch_batches(images.len(), bs, t.seed, epoch) {
                if mon.should_stop() {
                    return self.keep_best(best, &watch, mon);
                }
                step += 1;
                opt.lr = schedule.lr(t.lr, step, total, watch.stale) as f32;
                let refs: Vec<Prepared> = idx
                    .iter()
                    .map(|&i| {
                        let mut rng = ChaCha8Rng::seed_from_u64(
                            t.seed
                                ^ (u64::from(epoch) << 40)
                                ^ (i as u64).wrapping_mul(0x9E37_79B9),
                        );
                        self.prepare_train(images[i], s, &mut rng)
                    })
                    .collect();
                let refs: Vec<&Prepared> = refs.iter().collect();
                let m: Vec<usize> = idx.iter().map(|&i| need[i]).collect();
                let tg: Vec<Vec<usize>> = idx.iter().map(|&i| tr.labels[i].clone()).collect();
                let b = batch(&refs, h, f, Some(&m));
                let x = self
                    .store
                    .device()
                    .tensor_from_vec(b.data, (refs.len(), 1, h, b.width))
                    .retaped::<OwnedTape<f32, D>>();
                let lp = self.net.forward(&mut self.store, x, &b.lengths, true);
                let loss = ctc_loss(lp, &tg, &b.lengths);
                let value = loss.as_vec()[0] as f64;
                let mut grads = loss.backward();
                let g = self.store.gradients(&mut grads).map_err(ml)?;
                drop(grads);
                opt.step(&mut self.store, &g).map_err(ml)?;
                mon.report(step, epoch, "loss", value);
                mon.progress(step, total);
                if !value.is_finite() {
                    return Ok(());
                }
                sum += value * idx.len() as f64;
                seen += idx.len();
            }
            mon.report(step, epoch, "lr", opt.lr as f64);
            let (watched_value, tiebreak) = if val_items.is_empty() {
                let mean = sum / seen.max(1) as f64;
                (mean, mean)
            } else {
                let sc = self.evaluate(&val_items, &va.labels, &val_texts);
                mon.report_val(step, epoch, "loss", sc.loss);
                mon.report_val(step, epoch, "cer", sc.cer);
                mon.report_val(step, epoch, "word_accuracy", sc.word_accuracy);
                for (p, r) in sc.preds.iter().zip(&val_texts).take(3) {
                    mon.log(&format!("epoch {epoch}: {r:?} → {p:?}"));
                }
                (sc.cer, sc.loss)
            };
            if watch.update(epoch, watched_value, tiebreak, t.min_delta) {
                best = Some(self.store.snapshot());
                if let Some(dir) = &ckdir {
                    std::fs::create_dir_all(dir).map_err(ml)?;
                    checkpoint::save(
                        &dir.join(checkpoint::BEST_FILE),
                        &self.store,
                        None,
                        &self.meta(epoch, step, Some(&watch)),
                    )
                    .map_err(ml)?;
                }
            }
            if let Some(dir) = &ckdir {
                checkpoint::save_epoch(
                    dir,
                    &self.store,
                    Some(&opt),
                    &self.meta(epoch, step, Some(&watch)),
                )
                .map_err(ml)?;
            }
            if watch.exhausted(t.patience) {
                mon.log(&format!(
                    "early stop after epoch {epoch}: {watched} has not improved by more than {} for {} epochs",
                    t.min_delta, watch.stale
                ));
                break;
            }
        }
        self.keep_best(best, &watch, mon)
    }

    /// Puts the best epoch's weights back (the model that is saved and used).
    fn keep_best(
        &mut self,
        best: Option<Vec<Vec<f32>>>,
        watch: &Watch,
        mon: &mut dyn Monitor,
    ) -> Result<(), PluginError> {
        if let Some(values) = best {
            self.store.restore(values).map_err(ml)?;
            mon.info("best_epoch", &watch.best_epoch.to_string());
            mon.log(&format!(
                "kept the weights of epoch {} (watched value {:.5})",
                watch.best_epoch, watch.best
            ));
        }
        Ok(())
    }
}

/// Validation scores.
struct Scores {
    loss: f64,
    cer: f64,
    word_accuracy: f64,
    preds: Vec<String>,
}

/// The words of a split that the charset can write, with their labels.
struct Encodable {
    keep: Vec<usize>,
    labels: Vec<Vec<usize>>,
    left_out: usize,
    /// Characters outside the charset with how many words have them.
    unknown: BTreeMap<char, usize>,
}

impl Encodable {
    fn of(texts: &[&str], chars: &[char]) -> Encodable {
        let mut e = Encodable {
            keep: Vec::new(),
            labels: Vec::new(),
            left_out: 0,
            unknown: BTreeMap::new(),
        };
        for (i, text) in texts.iter().enumerate() {
            match data::encode(text, chars) {
                Ok(l) => {
                    e.keep.push(i);
                    e.labels.push(l);
                }
                Err(_) => {
                    e.left_out += 1;
                    let mut seen: Vec<char> = text.chars().filter(|c| !chars.contains(c)).collect();
                    seen.sort_unstable();
                    seen.dedup();
                    for c in seen {
                        *e.unknown.entry(c).or_default() += 1;
                    }
                }
            }
        }
        e
    }

    fn unknown_note(&self, split: &str) -> Option<String> {
        if self.left_out == 0 {
            return None;
        }
        let list: Vec<String> = self
            .unknown
            .iter()
            .map(|(c, n)| format!("{c:?} ×{n}"))
            .collect();
        Some(format!(
            "{} {split} words have characters outside the charset and are left out: {}",
            self.left_out,
            list.join(", ")
        ))
    }
}

workbench_ml::per_device!(Models => Model);

/// A model on the device its run resolved to.
type DeviceModel = OnDevice<Models>;

/// The plugin: one of the three variants.
pub struct Recognizers {
    variant: String,
    settings: Settings,
    arch: Architecture,
    device: ResolvedDevice,
    /// Built at `fit` (the charset may come from the data) or `load`.
    model: Option<DeviceModel>,
}

fn params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::int(
            "height",
            32,
            8,
            256,
            "image height after resizing (a multiple of 2^blocks)",
        ),
        ParamSpec::int_list(
            "channels",
            &[16, 32, 64],
            1,
            1024,
            "output channels of each conv block",
        ),
        ParamSpec::int("hidden", 64, 4, 2048, "hidden size of the sequence layers"),
        ParamSpec::int("layers", 2, 1, 6, "recurrent (or width-convolution) layers"),
        ParamSpec::choice(
            "charset",
            "",
            &[],
            "characters to recognize; \"\" = from the training texts",
        ),
        ParamSpec::int(
            "max_width",
            512,
            16,
            8192,
            "widest resized image (longer words are squeezed)",
        ),
        ParamSpec::int(
            "beam_width",
            1,
            1,
            256,
            "1 = greedy decoding, more = prefix beam search",
        ),
        ParamSpec::choice(
            "lexicon",
            "",
            &[],
            "word-list file (one word per line) constraining beam search; \"\" = none",
        ),
        ParamSpec::choice(
            "augment",
            "crop",
            &["none", "crop", "full"],
            "training augmentation: none, crop (jittered window around the ink, width stretch) or full (crop + stroke weight, shear, blur, noise, contrast)",
        ),
        ParamSpec::bool(
            "resume",
            false,
            "resume from the last checkpoint in the run's checkpoint directory",
        ),
    ]
}

fn new_model(
    device: ResolvedDevice,
    arch: Architecture,
    seed: u64,
) -> Result<DeviceModel, PluginError> {
    arch.validate().map_err(PluginError::new)?;
    match device {
        ResolvedDevice::Cpu => Ok(OnDevice::Cpu(Model::new(
            workbench_ml::device::cpu(seed),
            arch,
            seed,
        ))),
        #[cfg(feature = "cuda")]
        ResolvedDevice::Cuda => Ok(OnDevice::Cuda(Model::new(
            workbench_ml::device::cuda(seed).map_err(ml)?,
            arch,
            seed,
        ))),
        #[cfg(not(feature = "cuda"))]
        ResolvedDevice::Cuda => Err(PluginError::new("this build has no CUDA support")),
    }
}

impl Recognizers {
    fn from_config(variant: &str, config: &Config) -> Result<Self, PluginError> {
        let config = &config.with_defaults(&params());
        let usize_param = |n: &str| config.param::<i64>(n).map(|v| v.max(0) as usize);
        let channels: Vec<i64> = config.param("channels")?;
        let arch = Architecture {
            variant: variant.to_string(),
            height: usize_param("height")?,
            channels: channels.into_iter().map(|c| c.max(1) as usize).collect(),
            hidden: usize_param("hidden")?,
            layers: usize_param("layers")?,
            charset: config.param("charset")?,
        };
        arch.validate().map_err(PluginError::new)?;
        let choice: DeviceChoice = config.train.device.parse().map_err(ml)?;
        Ok(Recognizers {
            variant: variant.to_string(),
            settings: Settings {
                max_width: usize_param("max_width")?,
                beam_width: usize_param("beam_width")?,
                lexicon: config.param("lexicon")?,
                resume: config.param("resume")?,
                augment: config.param("augment")?,
                train: config.train.clone(),
            },
            arch,
            device: resolve(choice).map_err(ml)?,
            model: None,
        })
    }

    /// Trains with any [`Monitor`] (the plugin entry point passes the host's context).
    pub fn fit_with(
        &mut self,
        train: &Dataset,
        val: &Dataset,
        mon: &mut dyn Monitor,
    ) -> Result<(), PluginError> {
        if train.texts.len() != train.images.len() || val.texts.len() != val.images.len() {
            return Err(PluginError::new(
                "recognizers need one text per image (a word dataset)",
            ));
        }
        if self.model.is_none() {
            let mut arch = self.arch.clone();
            if arch.charset.is_empty() {
                // Validation words are scored with the same labels, so their
                // characters belong in the charset too.
                let all: Vec<&str> = train.texts.iter().chain(&val.texts).copied().collect();
                arch.charset = data::charset_of(&all);
            }
            if arch.charset.is_empty() {
                return Err(PluginError::new("the training texts are empty: no charset"));
            }
            self.model = Some(new_model(self.device, arch, self.settings.train.seed)?);
        }
        mon.info("device", self.device.name());
        let s = self.settings.clone();
        on_device!(self.model.as_mut().expect("built"), m => m.fit(&s, train, val, mon))
    }
}

impl Lifecycle for Recognizers {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "recognizers".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            variants: vec![
                VariantInfo::new(
                    "crnn",
                    "conv blocks + 2-layer bidirectional LSTM, CTC loss",
                    params(),
                ),
                VariantInfo::new(
                    "crnn-gru",
                    "conv blocks + 2-layer bidirectional GRU, CTC loss",
                    params(),
                ),
                VariantInfo::new(
                    "conv-ctc",
                    "conv blocks + convolutions along the width, CTC loss",
                    params(),
                ),
            ],
        }
    }

    fn new(variant: &str, config: &Config) -> Result<Self, PluginError> {
        Self::from_config(variant, config)
    }

    fn load(variant: &str, config: &Config, dir: &Path) -> Result<Self, PluginError> {
        let mut r = Self::from_config(variant, config)?;
        let path = dir.join(MODEL_FILE);
        let meta = checkpoint::read_meta(&path).map_err(ml)?;
        let arch: Architecture =
            serde_json::from_str(meta.extra.get("arch").ok_or_else(|| {
                PluginError::new(format!("{}: no `arch` metadata", path.display()))
            })?)?;
        let mut model = new_model(r.device, arch.clone(), 0)?;
        on_device!(&mut model, m => checkpoint::load(&path, &mut m.store, None).map_err(ml))?;
        r.arch = arch;
        r.model = Some(model);
        Ok(r)
    }

    fn fit(
        &mut self,
        train: &Dataset,
        val: &Dataset,
        ctx: &mut Context,
    ) -> Result<(), PluginError> {
        self.fit_with(train, val, ctx)
    }

    fn save(&self, dir: &Path) -> Result<(), PluginError> {
        let model = self
            .model
            .as_ref()
            .ok_or_else(|| PluginError::new(format!("`{}` is not trained", self.variant)))?;
        on_device!(model, m => checkpoint::save(&dir.join(MODEL_FILE), &m.store, None, &m.meta(0, 0, None)).map_err(ml))
    }
}

impl Recognizer for Recognizers {
    fn recognize(&mut self, images: &[Image]) -> Result<Vec<(String, f32)>, PluginError> {
        let (mw, beam) = (self.settings.max_width, self.settings.beam_width);
        let model = self
            .model
            .as_mut()
            .ok_or_else(|| PluginError::new(format!("`{}` is not trained", self.variant)))?;
        let lexicon = self.settings.lexicon.clone();
        on_device!(model, m => {
            let lex = if lexicon.is_empty() {
                None
            } else {
                Some(m.lexicon(Path::new(&lexicon))?)
            };
            let items = m.prepare(images, mw);
            Ok(m.recognize(&items, beam, lex.as_ref()))
        })
    }
}

export_recognizer!(Recognizers);

#[cfg(test)]
mod tests;
