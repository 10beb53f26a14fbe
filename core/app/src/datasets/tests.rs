//! Tests of the dataset kinds.

use super::*;
use crate::data::pages;
use std::path::Path;

fn spec(kind: &str, params: &str) -> Result<DatasetSpec, DatasetSpecError> {
    let params: Mapping = serde_yaml::from_str(params).unwrap();
    DatasetSpec::from_parts(kind, &params, Path::new("."))
}

#[test]
fn synthetic_pages_serve_their_words_cut_as_the_pipeline_cuts_them() {
    let s = spec(
        "synthetic-pages",
        "{train: 1, test: 1, seed: 4, serve: words, height: 24}",
    )
    .unwrap();
    assert_eq!(s.serves(), Kind::Recognizer);
    assert_eq!(s.word_height(), Some(24));
    let splits = s.load().unwrap();
    let (Split::Words(train), Split::Words(val), Split::Words(test)) =
        (&splits.train, &splits.val, &splits.test)
    else {
        panic!("word splits expected");
    };
    // One page has hundreds of words; a tenth of them validate.
    assert!(train.len() > 100, "{} training words", train.len());
    assert_eq!(val.len(), (train.len() + val.len()) / 10);
    assert!(!test.is_empty());
    for (img, text) in train.images.iter().zip(&train.texts) {
        assert_eq!(img.height, 24);
        assert!(img.width >= 1 && !text.trim().is_empty());
    }
    // The same kind without `serve` still gives pages to segmenters.
    let pages = spec("synthetic-pages", "{test: 1}").unwrap();
    assert_eq!(pages.serves(), Kind::Segmenter);
    assert_eq!(pages.word_height(), None);
}

#[test]
fn serving_words_needs_training_pages_and_texts() {
    let e = spec("synthetic-pages", "{test: 1, serve: words}").unwrap_err();
    assert_eq!(e.path, vec!["params", "train"]);
    let e = spec("synthetic-pages", "{train: 1, test: 1, serve: lines}").unwrap_err();
    assert!(e.message.contains("unknown variant"), "{}", e.message);

    let page = |text: Option<&str>| Page {
        name: "p".into(),
        width: 40,
        height: 20,
        pixels: vec![1.0; 800],
        truth: Some(pages::PageRegions {
            width: 40,
            height: 20,
            words: vec![pages::WordBox {
                text: text.map(String::from),
                x: 5.0,
                y: 5.0,
                w: 20.0,
                h: 8.0,
                ..Default::default()
            }],
            ..Default::default()
        }),
    };
    let words = page_words(&[page(Some("ink"))], 16).unwrap();
    assert_eq!(words.texts, vec!["ink"]);
    assert_eq!(words.names, vec!["p#0"]);
    assert_eq!(words.images[0].height, 16);
    let e = page_words(&[page(None)], 16).unwrap_err();
    assert!(e.to_string().contains("word 0 has no text"), "{e}");
}

#[test]
fn word_tiles_feed_autoencoders_with_a_fixed_shape() {
    let d = spec(
        "synthetic-words",
        "{train: 6, val: 2, test: 3, tile_width: 24}",
    )
    .unwrap();
    assert_eq!(d.serves(), Kind::Autoencoder);
    assert_eq!(d.tiles(), Some((24, 12)));
    assert_eq!(d.image_shape(), Some((32, 24, 1)));
    let splits = d.load().unwrap();
    let Split::Images(train) = &splits.train else {
        panic!("tiles are images")
    };
    assert_eq!((train.height, train.width, train.channels), (32, 24, 1));
    assert!(train.len() >= 6 && !train.has_labels());
    assert!(matches!(splits.test, Split::Images(ref t) if t.len() >= 3));
    let plain = spec("synthetic-words", "{train: 6, test: 3}").unwrap();
    assert_eq!(
        (plain.serves(), plain.tiles(), plain.image_shape()),
        (Kind::Recognizer, None, None)
    );
}

#[test]
fn test_noise_corrupts_only_the_test_words_and_the_same_way_each_time() {
    let clean = spec("synthetic-words", "{train: 4, val: 1, test: 3, seed: 2}").unwrap();
    let noisy = spec(
        "synthetic-words",
        "{train: 4, val: 1, test: 3, seed: 2, test_noise: gaussian:0.3}",
    )
    .unwrap();
    let (c, n, n2) = (
        clean.load().unwrap(),
        noisy.load().unwrap(),
        noisy.load().unwrap(),
    );
    let words = |s: &Split| match s {
        Split::Words(w) => w.clone(),
        _ => panic!("word split"),
    };
    assert_eq!(words(&c.train), words(&n.train));
    assert_eq!(words(&c.val), words(&n.val));
    let (ct, nt) = (words(&c.test), words(&n.test));
    assert_eq!(ct.texts, nt.texts);
    assert_ne!(ct.images, nt.images);
    assert_eq!(nt, words(&n2.test));
    let diff: f32 = ct.images[0]
        .data
        .iter()
        .zip(&nt.images[0].data)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / ct.images[0].data.len() as f32;
    assert!(diff > 0.05, "{diff}");
}

#[test]
fn synthetic_words_without_new_options_are_unchanged() {
    let d = spec("synthetic-words", "{train: 12, val: 3, test: 5, seed: 9}").unwrap();
    let splits = d.load().unwrap();
    let words = |s: &Split| match s {
        Split::Words(w) => crate::data::synthetic_words::fingerprint(w),
        _ => panic!("word split"),
    };
    assert_eq!(
        [
            words(&splits.train),
            words(&splits.val),
            words(&splits.test)
        ],
        [
            12265052599281983393,
            8202209661460557738,
            5292572743197053063
        ]
    );
}

#[test]
fn synthetic_words_draw_in_named_fonts_and_sample_a_text_file() {
    let dir = tempfile::tempdir().unwrap();
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fonts");
    std::fs::write(dir.path().join("words.txt"), "alpha --beta gamma.delta()\n").unwrap();
    let params: Mapping = serde_yaml::from_str(&format!(
        "{{train: 8, val: 2, test: 3, fonts: ['{}'], text: words.txt, sizes: [10, 20], blur: [0, 1], jpeg: [50, 90], stroke: 0.5, rotation: 3, shear: 0.2, contrast: [0.5, 1]}}",
        assets.display()
    ))
    .unwrap();
    let d = DatasetSpec::from_parts("synthetic-words", &params, dir.path()).unwrap();
    let DatasetSpec::SyntheticWords(p) = &d else {
        panic!("synthetic-words")
    };
    assert_eq!(
        p.text.as_deref(),
        Some(dir.path().join("words.txt").as_path())
    );
    let splits = d.load().unwrap();
    let Split::Words(train) = &splits.train else {
        panic!("word split")
    };
    assert_eq!(train.len(), 8);
    for t in &train.texts {
        assert!(
            ["alpha", "--beta", "gamma.delta()"].contains(&t.as_str()),
            "{t}"
        );
    }
    // The same spec gives the same words.
    let again = d.load().unwrap();
    assert!(matches!(&again.train, Split::Words(w) if w == train));
}

#[test]
fn bad_fonts_and_texts_are_refused_at_their_key_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let at = |params: &str| {
        let params: Mapping = serde_yaml::from_str(params).unwrap();
        DatasetSpec::from_parts("synthetic-words", &params, dir.path()).unwrap_err()
    };
    let e = at("{fonts: [no-such-fonts]}");
    assert_eq!(e.path, ["params", "fonts"]);
    assert!(
        e.message.contains("no-such-fonts") && e.message.contains("does not exist"),
        "{e:?}"
    );
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let e = at("{fonts: [empty]}");
    assert!(e.message.contains("holds no .ttf or .otf font"), "{e:?}");
    std::fs::write(dir.path().join("broken.otf"), b"not a font").unwrap();
    let e = at("{fonts: [broken.otf]}");
    assert_eq!(e.path, ["params", "fonts"]);
    assert!(e.message.contains("broken.otf"), "{e:?}");
    let e = at("{fonts: []}");
    assert!(e.message.contains("lists no font"), "{e:?}");
    let e = at("{text: missing.txt}");
    assert_eq!(e.path, ["params", "text"]);
    assert!(e.message.contains("missing.txt"), "{e:?}");
    std::fs::write(dir.path().join("blank.txt"), " \n\t").unwrap();
    assert!(at("{text: blank.txt}").message.contains("holds no word"));
    let e = at("{text_mix: 0.5}");
    assert_eq!(e.path, ["params", "text_mix"]);
    let e = at("{sizes: [30, 10]}");
    assert_eq!(e.path, ["params", "sizes"]);
    let e = at("{jpeg: [0, 90]}");
    assert_eq!(e.path, ["params", "jpeg"]);
    let e = at("{rotation: 45}");
    assert_eq!(e.path, ["params", "rotation"]);
    let e = at("{stroke: 2}");
    assert_eq!(e.path, ["params", "stroke"]);
}

#[test]
fn bad_word_options_are_refused_at_their_key() {
    let e = spec("synthetic-words", "{tile_stride: 4}").unwrap_err();
    assert_eq!(e.path, ["params", "tile_stride"]);
    assert!(e.message.contains("needs `tile_width`"), "{e:?}");
    let e = spec("synthetic-words", "{tile_width: 16, tile_stride: 17}").unwrap_err();
    assert!(e.message.contains("between 1 and tile_width (16)"), "{e:?}");
    let e = spec("synthetic-words", "{tile_width: 2}").unwrap_err();
    assert_eq!(e.path, ["params", "tile_width"]);
    let e = spec("synthetic-words", "{test_noise: salt:0.1}").unwrap_err();
    assert_eq!(e.path, ["params", "test_noise"]);
    assert!(e.message.contains("unknown noise `salt`"), "{e:?}");
    let e = spec("synthetic-words", "{test_noise: gaussian}").unwrap_err();
    assert!(e.message.contains("expected KIND:LEVEL"), "{e:?}");
    let e = spec(
        "synthetic-words",
        "{tile_width: 16, test_noise: gaussian:0.1}",
    )
    .unwrap_err();
    assert!(e.message.contains("does not apply to tiles"), "{e:?}");
}

#[test]
fn counts_known_without_loading_are_checked_with_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    // Two pages: training on both leaves nothing to test.
    let pages_dir = dir.path().join("pages");
    for name in ["a", "b"] {
        let page = Page {
            name: name.into(),
            width: 4,
            height: 4,
            pixels: vec![1.0; 16],
            truth: Some(pages::PageRegions {
                width: 4,
                height: 4,
                ..Default::default()
            }),
        };
        pages::save_page(&pages_dir, &page).unwrap();
    }
    let params: Mapping = serde_yaml::from_str("{dir: pages, train: 2}").unwrap();
    let e = DatasetSpec::from_parts("pages", &params, dir.path()).unwrap_err();
    assert_eq!(e.path, ["params", "train"]);
    assert!(e.message.contains("leave none of the 2"), "{e:?}");
    let params: Mapping = serde_yaml::from_str("{dir: pages, train: 1}").unwrap();
    assert!(DatasetSpec::from_parts("pages", &params, dir.path()).is_ok());

    // MNIST files with 3 training images: 3 validation images leave none.
    let mnist = dir.path().join("mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    for (name, n) in [("train", 3), ("t10k", 2)] {
        crate::data::idx::write_idx(
            &mnist.join(format!("{name}-images-idx3-ubyte")),
            &[n, 28, 28],
            &vec![0; n * 28 * 28],
            false,
        )
        .unwrap();
        crate::data::idx::write_idx(
            &mnist.join(format!("{name}-labels-idx1-ubyte")),
            &[n],
            &vec![0; n],
            true,
        )
        .unwrap();
    }
    let params: Mapping = serde_yaml::from_str("{dir: mnist, val: 3}").unwrap();
    let e = DatasetSpec::from_parts("mnist", &params, dir.path()).unwrap_err();
    assert_eq!(e.path, ["params", "val"]);
    assert!(
        e.message
            .contains("3 validation images leave none of the 3"),
        "{e:?}"
    );
    let params: Mapping = serde_yaml::from_str("{dir: mnist, val: 1}").unwrap();
    assert!(DatasetSpec::from_parts("mnist", &params, dir.path()).is_ok());
}

#[test]
fn parameters_are_refused_at_their_key_without_reading_serde_messages() {
    assert!(fields_of::<PagesParams>().contains(&"serve"));
    let e = spec("synthetic-digits", "{trian: 4}").unwrap_err();
    assert_eq!(e.path, ["params", "trian"]);
    assert_eq!(e.message, "unknown key `trian`");
    assert_eq!(e.hint.as_deref(), Some("did you mean `train`?"));
    let e = spec("synthetic-digits", "{train: many}").unwrap_err();
    assert_eq!(e.path, ["params", "train"]);
    assert!(e.message.contains("invalid type"), "{e:?}");
}

#[test]
fn a_mix_adds_the_training_words_of_its_parts_and_keeps_mains_other_splits() {
    let main = "{kind: synthetic-words, params: {train: 30, val: 7, test: 9, seed: 1, height: 24}}";
    let s = spec(
        "mix",
        &format!(
            "{{main: {main}, add: [{{kind: synthetic-words, params: {{train: 20, val: 3, test: 3, seed: 2, height: 24}}}}]}}"
        ),
    )
    .unwrap();
    assert_eq!(s.serves(), Kind::Recognizer);
    assert_eq!(s.word_height(), Some(24));
    let splits = s.load().unwrap();
    assert_eq!(
        (splits.train.len(), splits.val.len(), splits.test.len()),
        (50, 7, 9)
    );
    let alone = spec(
        "synthetic-words",
        "{train: 30, val: 7, test: 9, seed: 1, height: 24}",
    )
    .unwrap()
    .load()
    .unwrap();
    assert_eq!(
        splits.train.texts()[..30],
        alone.train.texts()[..],
        "main's words come first, unchanged"
    );
    assert_eq!(splits.val.texts(), alone.val.texts());
    // The resolved spec round-trips through run.json.
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<DatasetSpec>(&json).unwrap(), s);
}

#[test]
fn mix_errors_are_located_inside_their_part() {
    let main = "{kind: synthetic-words, params: {train: 30, height: 24}}";
    let at = |params: String| {
        let e = spec("mix", &params).unwrap_err();
        (e.path.join("."), e.message)
    };
    let (path, message) = at(format!(
        "{{main: {main}, add: [{{kind: synthetic-words, params: {{height: 32}}}}]}}"
    ));
    assert_eq!(path, "params.add.0");
    assert_eq!(message, "its words are 32 pixels high, `main`'s 24");
    let (path, message) = at(format!(
        "{{main: {main}, add: [{{kind: synthetic-digits}}]}}"
    ));
    assert_eq!(path, "params.add.0");
    assert!(message.contains("feeds autoencoder runs"), "{message}");
    let (path, _) = at(format!(
        "{{main: {main}, add: [{{kind: synthetic-words, params: {{trian: 3}}}}]}}"
    ));
    assert_eq!(path, "params.add.0.params.trian");
    let (path, _) = at(format!("{{main: {main}, add: []}}"));
    assert_eq!(path, "params.add");
    let (path, message) = at("{add: []}".into());
    assert_eq!(
        (path.as_str(), message.as_str()),
        (
            "params",
            "needs `main`: the dataset giving validation and test words"
        )
    );
    let (path, _) = at(format!("{{main: {main}, add: [{{kind: mix}}]}}"));
    assert_eq!(path, "params.add.0");
}

#[test]
fn each_degradation_of_synthetic_pages_is_checked_under_its_own_name() {
    for (params, key, message) in [
        ("{skew: 99}", "skew", "must be in [0, 15], not 99"),
        ("{blur: 11}", "blur", "must be in [0, 10], not 11"),
    ] {
        let e = spec("synthetic-pages", params).unwrap_err();
        assert_eq!(e.path, vec!["params".to_string(), key.to_string()]);
        assert_eq!(e.message, message);
    }
}

#[test]
fn keep_only_leaves_one_class_in_training_and_validation_and_every_class_in_test() {
    let set = |labels: &[u8]| {
        let mut s = ImageSet::new(1, 1, 1);
        for (i, l) in labels.iter().enumerate() {
            s.push(&[i as f32], *l);
        }
        s
    };
    let mut splits = Splits::images(set(&[0, 3, 3, 1, 3]), set(&[3, 2]), set(&[0, 1, 2, 3]));
    assert_eq!(splits.keep_only(3), (3, 1));
    let Split::Images(train) = &splits.train else {
        panic!()
    };
    assert_eq!(train.labels, vec![3, 3, 3]);
    assert_eq!(train.pixels, vec![1.0, 2.0, 4.0]);
    let Split::Images(test) = &splits.test else {
        panic!()
    };
    assert_eq!(test.labels, vec![0, 1, 2, 3]);
}
