//! Tests of the plugin through its trait methods (the maths is tested in
//! `model`).

use super::*;
use crate::model::tests::{known_spectrum, Rng};

fn config(components: i64, whiten: bool) -> Config {
    let mut c = Config::default();
    c.params.insert("components".into(), components.into());
    c.params.insert("whiten".into(), whiten.into());
    c
}

fn images(data: &[f32], h: usize, w: usize, c: usize) -> Vec<Image<'_>> {
    data.chunks_exact(h * w * c)
        .map(|px| Image {
            height: h,
            width: w,
            channels: c,
            data: px,
        })
        .collect()
}

fn dataset<'a>(imgs: &[Image<'a>]) -> Dataset<'a> {
    Dataset {
        images: imgs.to_vec(),
        texts: vec![],
    }
}

/// Random "images" in [0, 1] with some structure (a few smooth patterns
/// mixed with noise) so the components matter.
fn random_images(seed: u64, n: usize, d: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        let (a, b) = (rng.uniform(), rng.uniform());
        for p in 0..d {
            let t = p as f64 / d as f64;
            let v =
                0.5 + 0.3 * a * (6.0 * t).sin() + 0.2 * b * (13.0 * t).cos() + 0.05 * rng.uniform();
            out.push(v.clamp(0.0, 1.0) as f32);
        }
    }
    out
}

fn fit(pca: &mut Pca, train: &[Image], val: &[Image]) -> FitStats {
    pca.fit_core(&dataset(train), &dataset(val), || false, |_, _| {})
        .unwrap()
        .expect("not stopped")
}

fn mse_of(images: &[Image], rec: &[OwnedImage]) -> f64 {
    let a: Vec<f32> = images.iter().flat_map(|i| i.data.iter().copied()).collect();
    let b: Vec<f32> = rec.iter().flat_map(|i| i.data.iter().copied()).collect();
    mse(&a, &b)
}

#[test]
fn info_declares_the_variant_and_parameters() {
    let info = Pca::info();
    assert_eq!(info.name, "pca");
    assert_eq!(info.variants.len(), 1);
    let v = &info.variants[0];
    assert_eq!(v.name, "pca");
    let names: Vec<&str> = v.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["components", "whiten"]);
    assert_eq!(v.params[0].kind, ParamKind::Int { min: 1, max: 4096 });
    assert_eq!(v.params[0].default, serde_json::json!(16));
    assert_eq!(v.params[1].default, serde_json::json!(false));
    assert!(Pca::new("other", &Config::default()).is_err());
}

#[test]
fn reported_train_mse_matches_encode_reconstruct() {
    let (h, w) = (6, 5);
    let data = random_images(1, 120, h * w);
    let val_data = random_images(2, 30, h * w);
    let train = images(&data, h, w, 1);
    let val = images(&val_data, h, w, 1);
    let mut pca = Pca::new("pca", &config(4, false)).unwrap();
    let stats = fit(&mut pca, &train, &val);

    let rec = pca.reconstruct(&train).unwrap();
    assert_eq!(rec.len(), train.len());
    assert!(rec
        .iter()
        .all(|r| (r.height, r.width, r.channels) == (h, w, 1)));
    assert!(rec
        .iter()
        .flat_map(|r| &r.data)
        .all(|&v| (0.0..=1.0).contains(&v)));
    assert_eq!(mse_of(&train, &rec), stats.train_mse);
    let val_rec = pca.reconstruct(&val).unwrap();
    assert_eq!(Some(mse_of(&val, &val_rec)), stats.val_mse);

    // Codes have k values, and decoding them by hand gives the same
    // reconstruction (before clamping, which is a no-op on most pixels).
    let codes = pca.encode(&train).unwrap();
    assert!(codes.iter().all(|c| c.len() == 4));
    let model = &pca.fitted.as_ref().unwrap().model;
    for (code, (img, r)) in codes.iter().zip(train.iter().zip(&rec)).take(5) {
        for p in 0..h * w {
            let v: f64 = model.mean[p]
                + (0..4)
                    .map(|j| model.components[(p, j)] * code[j] as f64)
                    .sum::<f64>();
            assert!((v.clamp(0.0, 1.0) as f32 - r.data[p]).abs() < 1e-5);
        }
        assert_eq!(img.data.len(), r.data.len());
    }
    assert!(stats.explained_variance > 0.9 && stats.explained_variance <= 1.0);
    assert_eq!(stats.method, Method::Covariance);
    // Empty validation split: no validation MSE.
    let stats = fit(&mut pca, &train, &[]);
    assert_eq!(stats.val_mse, None);
}

#[test]
fn more_components_never_increase_the_error() {
    let data = random_images(3, 80, 24);
    let train = images(&data, 4, 6, 1);
    let mut last = f64::INFINITY;
    for k in [1, 2, 4, 8, 24] {
        let mut pca = Pca::new("pca", &config(k, false)).unwrap();
        let stats = fit(&mut pca, &train, &[]);
        assert!(stats.train_mse <= last + 1e-12, "k = {k}");
        last = stats.train_mse;
    }
    assert!(last < 1e-10, "k = d reconstructs exactly: {last}");
}

#[test]
fn whiten_scales_codes_only() {
    let data = known_spectrum(5, 100, 12, &[0.2, 0.1, 0.05])
        .into_iter()
        .map(|v| v.clamp(0.0, 1.0))
        .collect::<Vec<_>>();
    let train = images(&data, 3, 4, 1);
    let mut plain = Pca::new("pca", &config(3, false)).unwrap();
    let mut white = Pca::new("pca", &config(3, true)).unwrap();
    fit(&mut plain, &train, &[]);
    fit(&mut white, &train, &[]);
    assert_eq!(
        plain.reconstruct(&train).unwrap(),
        white.reconstruct(&train).unwrap()
    );
    let codes = white.encode(&train).unwrap();
    for j in 0..3 {
        let var = codes.iter().map(|c| (c[j] as f64).powi(2)).sum::<f64>() / codes.len() as f64;
        assert!(
            (var - 1.0).abs() < 1e-3,
            "whitened code {j}: variance {var}"
        );
    }
}

#[test]
fn save_load_round_trip_is_identical() {
    let data = random_images(4, 60, 2 * 3 * 3);
    let train = images(&data, 2, 3, 3);
    let probe_data = random_images(5, 7, 2 * 3 * 3);
    let probe = images(&probe_data, 2, 3, 3);
    for whiten in [false, true] {
        let mut pca = Pca::new("pca", &config(5, whiten)).unwrap();
        fit(&mut pca, &train, &[]);
        let dir = tempfile::tempdir().unwrap();
        pca.save(dir.path()).unwrap();
        assert!(dir.path().join(io::FILE_NAME).is_file());

        // The file is authoritative, whatever the config at load time says.
        let mut loaded = Pca::load("pca", &config(16, !whiten), dir.path()).unwrap();
        assert_eq!(loaded.fitted, pca.fitted);
        assert_eq!(
            loaded.reconstruct(&probe).unwrap(),
            pca.reconstruct(&probe).unwrap()
        );
        assert_eq!(loaded.encode(&probe).unwrap(), pca.encode(&probe).unwrap());
    }
}

#[test]
fn load_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let err = Pca::load("pca", &Config::default(), dir.path())
        .err()
        .unwrap();
    assert!(err.message.contains("pca.safetensors"), "{err}");

    std::fs::write(dir.path().join(io::FILE_NAME), b"not a safetensors file").unwrap();
    let err = Pca::load("pca", &Config::default(), dir.path())
        .err()
        .unwrap();
    assert!(err.message.contains("not a valid PCA model"), "{err}");

    // A truncated file is refused too.
    let data = random_images(6, 20, 8);
    let train = images(&data, 2, 4, 1);
    let mut pca = Pca::new("pca", &config(2, false)).unwrap();
    fit(&mut pca, &train, &[]);
    pca.save(dir.path()).unwrap();
    let path = dir.path().join(io::FILE_NAME);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 8]).unwrap();
    let err = Pca::load("pca", &Config::default(), dir.path())
        .err()
        .unwrap();
    assert!(err.message.contains("not a valid PCA model"), "{err}");
}

#[test]
fn unfitted_model_refuses_to_work() {
    let data = vec![0.5f32; 16];
    let imgs = images(&data, 4, 4, 1);
    let mut pca = Pca::new("pca", &config(2, false)).unwrap();
    for err in [
        pca.encode(&imgs).err().unwrap(),
        pca.reconstruct(&imgs).map(|_| ()).err().unwrap(),
        pca.save(Path::new("/nonexistent")).err().unwrap(),
    ] {
        assert!(err.message.contains("not fitted"), "{err}");
    }
}

#[test]
fn size_mismatches_are_errors() {
    let data = random_images(7, 30, 16);
    let train = images(&data, 4, 4, 1);
    let mut pca = Pca::new("pca", &config(3, false)).unwrap();
    fit(&mut pca, &train, &[]);

    let other = vec![0.5f32; 25];
    let wrong = images(&other, 5, 5, 1);
    for err in [
        pca.encode(&wrong).err().unwrap(),
        pca.reconstruct(&wrong).map(|_| ()).err().unwrap(),
    ] {
        assert!(err.message.contains("5×5×1 (25 values)"), "{err}");
        assert!(err.message.contains("4×4×1 (16 values)"), "{err}");
    }

    // Mixed sizes in one fit.
    let mut mixed = train.clone();
    mixed.push(wrong[0]);
    let err = Pca::new("pca", &config(3, false))
        .unwrap()
        .fit_core(&dataset(&mixed), &Dataset::default(), || false, |_, _| {})
        .err()
        .unwrap();
    assert!(
        err.message.contains("5×5×1") && err.message.contains("4×4×1"),
        "{err}"
    );

    // A validation split of another size.
    let err = Pca::new("pca", &config(3, false))
        .unwrap()
        .fit_core(&dataset(&train), &dataset(&wrong), || false, |_, _| {})
        .err()
        .unwrap();
    assert!(err.message.starts_with("validation split"), "{err}");
}

#[test]
fn too_many_components_is_an_error() {
    let data = random_images(8, 30, 16);
    let train = images(&data, 4, 4, 1);
    // More components than pixels.
    let err = Pca::new("pca", &config(17, false))
        .unwrap()
        .fit_core(&dataset(&train), &Dataset::default(), || false, |_, _| {})
        .err()
        .unwrap();
    assert!(err.message.contains("components = 17"), "{err}");
    assert!(err.message.contains("min(30, 16) = 16"), "{err}");
    // More components than images.
    let err = Pca::new("pca", &config(5, false))
        .unwrap()
        .fit_core(
            &dataset(&train[..4]),
            &Dataset::default(),
            || false,
            |_, _| {},
        )
        .err()
        .unwrap();
    assert!(err.message.contains("min(4, 16) = 4"), "{err}");
    // An empty training split.
    assert!(Pca::new("pca", &config(2, false))
        .unwrap()
        .fit_core(
            &Dataset::default(),
            &Dataset::default(),
            || false,
            |_, _| {}
        )
        .is_err());
}

#[test]
fn stop_before_the_decomposition() {
    let data = random_images(9, 30, 16);
    let train = images(&data, 4, 4, 1);
    let mut pca = Pca::new("pca", &config(3, false)).unwrap();
    let out = pca
        .fit_core(&dataset(&train), &Dataset::default(), || true, |_, _| {})
        .unwrap();
    assert!(out.is_none());
    assert!(pca.fitted.is_none());
}
