use super::*;
use crate::model::{contractive, kl_sparsity};
use rand::Rng;
use serde_json::json;
use std::cell::RefCell;
use std::path::PathBuf;

/// Records what a fit reports.
#[derive(Default)]
struct Recorder {
    step: u64,
    epoch: u32,
    reports: Vec<(String, bool, u64, u32, f64)>,
    infos: RefCell<Vec<(String, String)>>,
    previews: RefCell<Vec<(String, usize, usize)>>,
    dir: Option<PathBuf>,
}

impl Recorder {
    fn series(&self, name: &str, val: bool) -> Vec<(u32, f64)> {
        self.reports
            .iter()
            .filter(|r| r.0 == name && r.1 == val)
            .map(|r| (r.3, r.4))
            .collect()
    }
}

impl Reporter for Recorder {
    fn at(&mut self, step: u64, epoch: u32) {
        self.step = step;
        self.epoch = epoch;
    }
    fn report(&mut self, name: &str, value: f64) {
        self.reports
            .push((name.into(), false, self.step, self.epoch, value));
    }
    fn report_val(&mut self, name: &str, value: f64) {
        self.reports
            .push((name.into(), true, self.step, self.epoch, value));
    }
    fn log(&self, _: &str) {}
    fn info(&self, key: &str, value: &str) {
        self.infos.borrow_mut().push((key.into(), value.into()));
    }
    fn progress(&self, _: u64, _: u64) {}
    fn preview(&self, name: &str, image: &Image) {
        self.previews
            .borrow_mut()
            .push((name.into(), image.height, image.width));
    }
    fn should_stop(&self) -> bool {
        false
    }
    fn checkpoint_dir(&self) -> Option<PathBuf> {
        self.dir.clone()
    }
}

/// `n` 8×8 images: one of four bar/blob prototypes, shifted, with noise.
fn images(n: usize, seed: u64) -> Vec<OwnedImage> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let kind = rng.gen_range(0..4);
            let off = rng.gen_range(0..3);
            let mut data = vec![0.0f32; 64];
            for y in 0..8 {
                for x in 0..8 {
                    let on = match kind {
                        0 => x == 2 + off || x == 3 + off,
                        1 => y == 2 + off || y == 3 + off,
                        2 => x == y,
                        _ => (2 + off..5 + off).contains(&x) && (2..5).contains(&y),
                    };
                    let v: f32 = if on { 0.9 } else { 0.05 };
                    data[y * 8 + x] = (v + rng.gen_range(-0.05..0.05)).clamp(0.0, 1.0);
                }
            }
            OwnedImage {
                height: 8,
                width: 8,
                channels: 1,
                data,
            }
        })
        .collect()
}

fn dataset(imgs: &[OwnedImage]) -> Dataset<'_> {
    Dataset {
        images: imgs.iter().map(OwnedImage::as_image).collect(),
        texts: vec![],
    }
}

fn config(params: serde_json::Value, epochs: u32) -> Config {
    Config {
        params: params.as_object().cloned().unwrap_or_default(),
        train: TrainSettings {
            epochs,
            batch_size: 16,
            optimizer: "adam".into(),
            lr: 5e-3,
            weight_decay: 0.0,
            seed: 3,
            device: "cpu".into(),
            ..TrainSettings::default()
        },
    }
}

fn small_params(variant: &str) -> serde_json::Value {
    match variant {
        "convolutional" => json!({"dropout": 0.0}),
        "linear" => json!({"code_size": 8}),
        "contractive" => json!({"code_size": 8, "lambda": 1e-3}),
        "overcomplete" => json!({"code_size": 96, "hidden": []}),
        _ => json!({"code_size": 8, "hidden": [16]}),
    }
}

#[test]
fn every_variant_trains_and_its_loss_decreases() {
    let train = images(96, 1);
    let val = images(32, 2);
    for variant in config::VARIANTS {
        let mut ae = Autoencoders::new(variant, &config(small_params(variant), 10)).unwrap();
        let mut rec = Recorder::default();
        ae.fit_with(&dataset(&train), &dataset(&val), &mut rec)
            .unwrap_or_else(|e| panic!("{variant}: {e}"));
        let epochs = rec.series("epoch_loss", false);
        assert_eq!(epochs.len(), 10, "{variant}");
        let (first, last) = (epochs[0].1, epochs[9].1);
        // The output bias starts at the mean image, so the first epoch is
        // already near the mean-image loss; what follows is learned.
        assert!(
            last < 0.95 * first,
            "{variant}: epoch loss {first} → {last}"
        );
        assert_eq!(
            rec.series("loss", true).len(),
            10,
            "{variant}: val loss per epoch"
        );
        let infos = rec.infos.borrow();
        assert!(infos.contains(&("device".into(), "cpu".into())));
        assert!(infos.iter().any(|(k, _)| k == "parameters"));

        let imgs: Vec<Image> = val.iter().map(OwnedImage::as_image).collect();
        let codes = ae.encode(&imgs).unwrap();
        assert_eq!(codes.len(), 32);
        let recs = ae.reconstruct(&imgs).unwrap();
        assert_eq!((recs[0].height, recs[0].width), (8, 8));
        assert!(recs
            .iter()
            .flat_map(|r| &r.data)
            .all(|v| (0.0..=1.0).contains(v)));
        match variant {
            "sparse-l1" | "sparse-kl" => {
                assert!(!rec.series("mean_activation", false).is_empty())
            }
            "vae" => {
                assert!(!rec.series("elbo", false).is_empty());
                assert!(!rec.series("elbo", true).is_empty());
                assert_eq!(
                    rec.previews.borrow().as_slice(),
                    &[("prior_samples".to_string(), 64, 64)]
                );
            }
            _ => {}
        }
    }
}

#[test]
fn kl_and_contractive_penalties_match_hand_computed_values() {
    let dev = Cpu::default();
    // h: 2 samples × 2 units; ρ̂ = [0.2, 0.5]
    let h = dev.tensor_from_vec(vec![0.1, 0.4, 0.3, 0.6], (2usize, 2usize));
    let rho: f32 = 0.1;
    let kl = |r: f32| rho * (rho / r).ln() + (1.0 - rho) * ((1.0 - rho) / (1.0 - r)).ln();
    let got = kl_sparsity::<Cpu, NoneTape>(h.clone(), rho).array();
    assert!((got - (kl(0.2) + kl(0.5))).abs() < 1e-5, "{got}");

    // W: 3 inputs × 2 units; column square sums [1+4+9, 0.25+0+1]
    let w = dev.tensor_from_vec(vec![1.0, 0.5, 2.0, 0.0, 3.0, 1.0], (3usize, 2usize));
    let d = |v: f32| (v * (1.0 - v)).powi(2);
    let expected = ((d(0.1) * 14.0 + d(0.4) * 1.25) + (d(0.3) * 14.0 + d(0.6) * 1.25)) / 2.0;
    let got = contractive::<Cpu, NoneTape>(h, w).array();
    assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
}

#[test]
fn l1_penalty_signal_is_lambda_times_mean_code_norm() {
    let train = images(16, 4);
    let params = json!({"code_size": 8, "hidden": [16], "l1": 0.01});
    let mut ae = Autoencoders::new("sparse-l1", &config(params, 1)).unwrap();
    let imgs: Vec<Image> = train.iter().map(OwnedImage::as_image).collect();
    let (rows, shape) = to_rows(&imgs, None).unwrap();
    let mut model = Model::new(ae.cfg.clone(), shape, Cpu::default(), 1).unwrap();
    let x = Cpu::default().tensor_from_vec(rows.clone(), (16, 64));
    let codes = model.encode(x.clone()).as_vec();
    let expected = 0.01 * codes.iter().map(|v| v.abs() as f64).sum::<f64>() / 16.0;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let out = model.loss::<NoneTape>(x.clone(), x, false, &mut rng);
    let got = out.signals.iter().find(|s| s.0 == "l1_penalty").unwrap().1;
    assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    let recon = out.signals.iter().find(|s| s.0 == "recon").unwrap().1;
    assert!((out.loss.array() as f64 - (recon + got)).abs() < 1e-6);
    ae.net = None;
}

#[test]
fn save_and_load_give_identical_reconstructions() {
    let train = images(48, 5);
    let dir = tempfile::tempdir().unwrap();
    for variant in ["undercomplete", "convolutional"] {
        let cfg = config(small_params(variant), 2);
        let mut ae = Autoencoders::new(variant, &cfg).unwrap();
        ae.fit_with(
            &dataset(&train),
            &Dataset::default(),
            &mut Recorder::default(),
        )
        .unwrap();
        let sub = dir.path().join(variant);
        std::fs::create_dir_all(&sub).unwrap();
        ae.save(&sub).unwrap();
        let mut loaded = Autoencoders::load(variant, &cfg, &sub).unwrap();
        let imgs: Vec<Image> = train.iter().map(OwnedImage::as_image).collect();
        assert_eq!(
            ae.reconstruct(&imgs).unwrap(),
            loaded.reconstruct(&imgs).unwrap(),
            "{variant}"
        );
        assert_eq!(ae.encode(&imgs).unwrap(), loaded.encode(&imgs).unwrap());
        assert!(Autoencoders::load("vae", &config(json!({}), 1), &sub).is_err());
    }
}

#[test]
fn resume_continues_from_the_saved_epoch_as_if_never_stopped() {
    let train = images(48, 6);
    let val = images(16, 7);
    let imgs: Vec<Image> = val.iter().map(OwnedImage::as_image).collect();
    let params = json!({"code_size": 8, "hidden": [16], "noise": "masking", "noise_level": 0.2});

    // Straight through: 3 epochs.
    let mut straight = Autoencoders::new("denoising", &config(params.clone(), 3)).unwrap();
    straight
        .fit_with(&dataset(&train), &dataset(&val), &mut Recorder::default())
        .unwrap();

    // 2 epochs with checkpoints, then resume to 3.
    let dir = tempfile::tempdir().unwrap();
    let mut first = Autoencoders::new("denoising", &config(params.clone(), 2)).unwrap();
    let mut rec = Recorder {
        dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    first
        .fit_with(&dataset(&train), &dataset(&val), &mut rec)
        .unwrap();
    assert!(dir.path().join("epoch-1.safetensors").is_file());
    assert!(dir.path().join("epoch-2.safetensors").is_file());

    let mut resumed_params = params.clone();
    resumed_params["resume"] = json!(true);
    let mut second = Autoencoders::new("denoising", &config(resumed_params, 3)).unwrap();
    let mut rec2 = Recorder {
        dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    second
        .fit_with(&dataset(&train), &dataset(&val), &mut rec2)
        .unwrap();
    let epochs: Vec<u32> = rec2
        .series("epoch_loss", false)
        .iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(epochs, vec![3]);
    let first_step = rec2.reports.iter().map(|r| r.2).min().unwrap();
    assert_eq!(
        first_step, 7,
        "48 samples / 16 per batch = 3 steps per epoch"
    );

    let a = straight.reconstruct(&imgs).unwrap();
    let b = second.reconstruct(&imgs).unwrap();
    for (x, y) in a.iter().zip(&b) {
        for (u, v) in x.data.iter().zip(&y.data) {
            assert!((u - v).abs() < 1e-4, "{u} vs {v}");
        }
    }
}

#[test]
fn rows_round_trip_for_color_images_and_shapes_are_checked() {
    let img = OwnedImage {
        height: 1,
        width: 2,
        channels: 3,
        data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    };
    let (rows, shape) = to_rows(&[img.as_image()], None).unwrap();
    assert_eq!(rows, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(from_rows(&rows, shape), vec![img.clone()]);
    let other = OwnedImage {
        channels: 1,
        data: vec![0.0, 0.0],
        ..img
    };
    assert!(to_rows(&[other.as_image()], Some(shape)).is_err());
}

#[test]
fn variants_and_configs_are_checked() {
    let info = Autoencoders::info();
    assert_eq!(info.variants.len(), config::VARIANTS.len());
    assert!(Autoencoders::new("deep-belief", &Config::default()).is_err());
    assert!(Autoencoders::new("linear", &config(json!({"loss": "bce"}), 1)).is_err());
    assert!(
        Autoencoders::new("sparse-kl", &config(json!({"code_activation": "relu"}), 1)).is_err()
    );
    // The full convolutional model has the course notes' ~418k parameters.
    let cfg = model_config("convolutional", &config(json!({"size": "full"}), 1)).unwrap();
    let m = Model::new(cfg, (28, 28, 1), Cpu::default(), 0).unwrap();
    assert_eq!(m.store.num_trainable(), 418_054);
    let cfg = model_config("undercomplete", &Config::default()).unwrap();
    assert_eq!((cfg.hidden.clone(), cfg.code_size), (vec![500, 300], 100));
}

#[test]
fn early_stopping_keeps_the_best_epoch_and_the_schedule_decays() {
    let train = images(32, 8);
    let val = images(16, 9);
    let mut c = config(json!({"code_size": 8, "hidden": [16]}), 8);
    // Nothing falls by more than 1e9: every epoch after the first is stale.
    c.train.patience = 2;
    c.train.min_delta = 1e9;
    c.train.lr_schedule = "cosine".into();
    let mut ae = Autoencoders::new("undercomplete", &c).unwrap();
    let mut rec = Recorder::default();
    ae.fit_with(&dataset(&train), &dataset(&val), &mut rec)
        .unwrap();
    let epochs: Vec<u32> = rec
        .series("epoch_loss", false)
        .iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(epochs, vec![1, 2, 3]);
    let lr: Vec<f64> = rec.series("lr", false).iter().map(|e| e.1).collect();
    assert!(lr.windows(2).all(|w| w[1] < w[0]), "{lr:?}");
    // The kept weights are those of the epoch with the lowest validation loss.
    let val_loss = rec.series("loss", true);
    let best = val_loss
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0;
    assert!(
        rec.infos
            .borrow()
            .contains(&("best_epoch".into(), best.to_string())),
        "{val_loss:?} {:?}",
        rec.infos
    );
}
