use super::*;

/// Records what training reports.
#[derive(Default)]
struct Recorder {
    train: Vec<(String, f64)>,
    val: Vec<(String, f64)>,
    logs: Vec<String>,
    infos: Vec<(String, String)>,
    dir: Option<PathBuf>,
}

impl Monitor for Recorder {
    fn report(&mut self, _: u64, _: u32, name: &str, value: f64) {
        self.train.push((name.into(), value));
    }
    fn report_val(&mut self, _: u64, _: u32, name: &str, value: f64) {
        self.val.push((name.into(), value));
    }
    fn log(&mut self, message: &str) {
        self.logs.push(message.into());
    }
    fn info(&mut self, key: &str, value: &str) {
        self.infos.push((key.into(), value.into()));
    }
    fn progress(&mut self, _: u64, _: u64) {}
    fn should_stop(&mut self) -> bool {
        false
    }
    fn checkpoint_dir(&mut self) -> Option<PathBuf> {
        self.dir.clone()
    }
}

impl Recorder {
    fn values(list: &[(String, f64)], name: &str) -> Vec<f64> {
        list.iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .collect()
    }
}

const GH: usize = 16;
const GW: usize = 6;

/// Ink of glyph `ch` at (y, x): four very different strips.
fn ink(ch: char, y: usize, x: usize) -> bool {
    match ch {
        'a' => x < 2,                                       // a bar on the left
        'b' => (y / 3).is_multiple_of(2),                   // horizontal stripes
        'c' => (4..12).contains(&y) && (1..5).contains(&x), // a block in the middle
        _ => (y * GW / GH) == x,                            // a diagonal
    }
}

/// Dark text on a light background, 2 columns between glyphs, 3 of margin.
fn render(word: &str) -> (usize, Vec<f32>) {
    let n = word.chars().count();
    let w = 6 + n * (GW + 2);
    let mut img = vec![0.95f32; GH * w];
    for (i, ch) in word.chars().enumerate() {
        let x0 = 3 + i * (GW + 2);
        for y in 0..GH {
            for x in 0..GW {
                if ink(ch, y, x) {
                    img[y * w + x0 + x] = 0.05;
                }
            }
        }
    }
    (w, img)
}

fn words(n: usize, seed: usize) -> Vec<String> {
    let chars = ['a', 'b', 'c', 'd'];
    (0..n)
        .map(|i| {
            let k = i * 7 + seed * 13;
            let len = 2 + k % 3;
            (0..len)
                .map(|j| chars[(k / 3 + j * (k % 5 + 1) + j * j) % 4])
                .collect()
        })
        .collect()
}

fn config(variant: &str, epochs: u32) -> Config {
    let mut c = Config::default();
    for p in params() {
        c.params.insert(p.name.clone(), p.default.clone());
    }
    c.params.insert("height".into(), 16.into());
    c.params
        .insert("channels".into(), serde_json::json!([8, 16]));
    c.params.insert("hidden".into(), 24.into());
    c.params.insert(
        "layers".into(),
        if variant == "conv-ctc" { 2 } else { 1 }.into(),
    );
    // The toy glyphs are learnt from 48 words: no augmentation.
    c.params.insert("augment".into(), "none".into());
    c.train = TrainSettings {
        epochs,
        batch_size: 8,
        lr: 1e-2,
        device: "cpu".into(),
        seed: 1,
        ..TrainSettings::default()
    };
    let _ = variant;
    c
}

struct Owned {
    texts: Vec<String>,
    imgs: Vec<(usize, Vec<f32>)>,
}

impl Owned {
    fn new(texts: Vec<String>) -> Self {
        let imgs = texts.iter().map(|t| render(t)).collect();
        Owned { texts, imgs }
    }
    fn dataset(&self) -> Dataset<'_> {
        Dataset {
            images: self
                .imgs
                .iter()
                .map(|(w, d)| Image {
                    height: GH,
                    width: *w,
                    channels: 1,
                    data: d,
                })
                .collect(),
            texts: self.texts.iter().map(String::as_str).collect(),
        }
    }
}

fn cer(pred: &[(String, f32)], refs: &[String]) -> f64 {
    let e: usize = pred
        .iter()
        .zip(refs)
        .map(|((p, _), r)| data::levenshtein(p, r))
        .sum();
    let n: usize = refs.iter().map(|r| r.chars().count()).sum();
    e as f64 / n as f64
}

#[test]
fn info_declares_three_variants() {
    let info = Recognizers::info();
    assert_eq!(info.name, "recognizers");
    let names: Vec<_> = info.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["crnn", "crnn-gru", "conv-ctc"]);
}

#[test]
fn preprocessing_inverts_resizes_and_pads() {
    let (w, img) = render("ab");
    let image = Image {
        height: GH,
        width: w,
        channels: 1,
        data: &img,
    };
    let p = prepare(&image, 32, 4, 512);
    // The ink box (14 × 16) widened by the margin, scaled to 32 rows.
    let m = 2.0 * ink::MARGIN * 16.0;
    assert_eq!(p.width, ((14.0 + m) * 32.0 / (16.0 + m)).round() as usize);
    assert_eq!(p.data.len(), 32 * p.width);
    // Background became ~0, ink ~1.
    assert!(p.data[0] < 0.1 && p.data.iter().cloned().fold(0.0, f32::max) > 0.9);
    let q = prepare(&image, 32, 4, 10);
    assert_eq!(q.width, 10);
    let b = batch(&[&p, &q], 32, 4, Some(&[1, 20]));
    assert_eq!(b.lengths, vec![p.width.div_ceil(4), 20]);
    assert_eq!(b.width, 4 * b.lengths[0].max(20));
    assert_eq!(data::charset_of(&["cab", "ba"]), "abc");
    assert_eq!(data::levenshtein("kitten", "sitting"), 3);
}

#[test]
fn words_outside_a_given_charset_are_counted_and_left_out() {
    let set = Owned::new(vec!["ab".into(), "ad".into(), "ba".into()]);
    let mut c = config("crnn", 1);
    c.params.insert("charset".into(), "abc".into());
    let mut r = Recognizers::new("crnn", &c).unwrap();
    let mut rec = Recorder::default();
    r.fit_with(&set.dataset(), &Dataset::default(), &mut rec)
        .unwrap();
    assert!(
        rec.logs
            .iter()
            .any(|l| l.starts_with("1 training words") && l.contains("'d' ×1")),
        "{:?}",
        rec.logs
    );
    assert!(rec
        .infos
        .contains(&("training_words_left_out".into(), "1".into())));
    // The two words left make one step (batch 8).
    assert_eq!(Recorder::values(&rec.train, "loss").len(), 1);
    // When no word is left, training is refused with the charset named.
    let none = Owned::new(vec!["dd".into()]);
    let mut r = Recognizers::new("crnn", &c).unwrap();
    let err = r
        .fit_with(
            &none.dataset(),
            &Dataset::default(),
            &mut Recorder::default(),
        )
        .unwrap_err();
    assert!(err.message.contains("\"abc\""), "{}", err.message);
    // A bad height is refused up front.
    let mut c = config("crnn", 1);
    c.params.insert("height".into(), 18.into());
    let err = Recognizers::new("crnn", &c).err().expect("refused");
    assert!(err.message.contains("height"), "{}", err.message);
}

fn train_and_check(variant: &str, epochs: u32) {
    let train = Owned::new(words(48, 0));
    let val = Owned::new(words(12, 5));
    let dir = tempfile::tempdir().unwrap();
    let mut rec = Recorder {
        dir: Some(dir.path().join("ck")),
        ..Default::default()
    };
    let c = config(variant, epochs);
    let mut r = Recognizers::new(variant, &c).unwrap();
    let before = {
        // An untrained model of the same seed: its CER on the validation set.
        let mut u = Recognizers::new(variant, &c).unwrap();
        u.model = Some(
            new_model(
                ResolvedDevice::Cpu,
                Architecture {
                    charset: "abcd".into(),
                    ..u.arch.clone()
                },
                1,
            )
            .unwrap(),
        );
        cer(&u.recognize(&val.dataset().images).unwrap(), &val.texts)
    };
    r.fit_with(&train.dataset(), &val.dataset(), &mut rec)
        .unwrap();
    let losses = Recorder::values(&rec.train, "loss");
    let n = losses.len();
    let first: f64 = losses[..3].iter().sum::<f64>() / 3.0;
    let last: f64 = losses[n - 3..].iter().sum::<f64>() / 3.0;
    assert!(last < 0.5 * first, "{variant}: loss {first} → {last}");
    let val_cer = Recorder::values(&rec.val, "cer");
    assert_eq!(val_cer.len(), epochs as usize);
    let after = cer(&r.recognize(&val.dataset().images).unwrap(), &val.texts);
    assert!(
        after < 0.5 * before && after < 0.5,
        "{variant}: CER {before} → {after} (per epoch {val_cer:?})"
    );
    // The kept model is the epoch with the lowest validation CER.
    let best = val_cer.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!((after - best).abs() < 1e-9, "{after} vs {val_cer:?}");
    assert!(rec.infos.iter().any(|(k, _)| k == "best_epoch"));
    assert!(dir.path().join("ck").join(checkpoint::BEST_FILE).is_file());
    assert!(rec.infos.iter().any(|(k, _)| k == "parameters"));
    assert!(rec.logs.iter().any(|l| l.contains('→')));
    assert!(checkpoint::latest(&dir.path().join("ck")).is_some());

    // Save and load: identical outputs.
    let out = tempfile::tempdir().unwrap();
    r.save(out.path()).unwrap();
    let mut loaded = Recognizers::load(variant, &c, out.path()).unwrap();
    assert_eq!(
        loaded.recognize(&val.dataset().images).unwrap(),
        r.recognize(&val.dataset().images).unwrap()
    );

    // A lexicon of the validation words: beam search returns listed words
    // and does no worse than greedy decoding.
    let list = out.path().join("words.txt");
    std::fs::write(&list, format!("{}\nxyz\n", val.texts.join("\n"))).unwrap();
    let mut c2 = c.clone();
    c2.params
        .insert("lexicon".into(), list.display().to_string().into());
    c2.params.insert("beam_width".into(), 8.into());
    let mut lex = Recognizers::load(variant, &c2, out.path()).unwrap();
    let pred = lex.recognize(&val.dataset().images).unwrap();
    let listed = pred.iter().filter(|(p, _)| val.texts.contains(p)).count();
    assert!(listed * 10 >= pred.len() * 9, "{variant}: {pred:?}");
    assert!(
        cer(&pred, &val.texts) <= after + 1e-9,
        "{variant}: {pred:?} for {:?}: greedy CER {after}, per epoch {val_cer:?}",
        val.texts
    );
}

#[test]
fn crnn_learns_tiny_glyph_words() {
    train_and_check("crnn", 12);
}

#[test]
fn crnn_gru_learns_tiny_glyph_words() {
    train_and_check("crnn-gru", 12);
}

#[test]
fn conv_ctc_learns_tiny_glyph_words() {
    train_and_check("conv-ctc", 12);
}

#[test]
fn resume_continues_from_the_last_checkpoint() {
    let train = Owned::new(words(16, 1));
    let dir = tempfile::tempdir().unwrap();
    let mut rec = Recorder {
        dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let mut r = Recognizers::new("crnn", &config("crnn", 2)).unwrap();
    r.fit_with(&train.dataset(), &Dataset::default(), &mut rec)
        .unwrap();
    let mut c = config("crnn", 3);
    c.params.insert("resume".into(), true.into());
    let mut rec2 = Recorder {
        dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let mut r2 = Recognizers::new("crnn", &c).unwrap();
    r2.fit_with(&train.dataset(), &Dataset::default(), &mut rec2)
        .unwrap();
    // Only epoch 3 ran: 2 steps of 8.
    assert_eq!(Recorder::values(&rec2.train, "loss").len(), 2);
    assert!(rec2.logs.iter().any(|l| l.contains("resumed")));
}

#[test]
fn early_stopping_and_the_schedule_follow_the_settings() {
    let train = Owned::new(words(16, 1));
    let val = Owned::new(words(6, 5));
    let mut c = config("crnn", 6);
    // No epoch can improve the CER by more than 1: after the first, every
    // epoch is stale, and patience 2 stops after epoch 3.
    c.train.patience = 2;
    c.train.min_delta = 1.0;
    c.train.lr_schedule = "cosine".into();
    let mut r = Recognizers::new("crnn", &c).unwrap();
    let mut rec = Recorder::default();
    r.fit_with(&train.dataset(), &val.dataset(), &mut rec)
        .unwrap();
    assert_eq!(Recorder::values(&rec.val, "cer").len(), 3);
    assert_eq!(Recorder::values(&rec.val, "word_accuracy").len(), 3);
    assert!(rec
        .logs
        .iter()
        .any(|l| l.starts_with("early stop after epoch 3")));
    let lr = Recorder::values(&rec.train, "lr");
    assert!(lr.windows(2).all(|w| w[1] < w[0]), "{lr:?}");
    // An unknown schedule is refused.
    c.train.lr_schedule = "linear".into();
    let mut r = Recognizers::new("crnn", &c).unwrap();
    let err = r
        .fit_with(&train.dataset(), &val.dataset(), &mut Recorder::default())
        .unwrap_err();
    assert!(err.message.contains("linear"), "{}", err.message);
}

#[test]
fn a_word_reads_the_same_alone_or_in_any_batch() {
    let train = Owned::new(words(24, 2));
    let mut r = Recognizers::new("crnn", &config("crnn", 2)).unwrap();
    r.fit_with(
        &train.dataset(),
        &Dataset::default(),
        &mut Recorder::default(),
    )
    .unwrap();
    let set = Owned::new(words(40, 7));
    let together = r.recognize(&set.dataset().images).unwrap();
    for (i, img) in set.dataset().images.iter().enumerate() {
        let alone = r.recognize(std::slice::from_ref(img)).unwrap();
        assert_eq!(alone[0].0, together[i].0, "word {i}");
        assert!(
            (alone[0].1 - together[i].1).abs() < 1e-4,
            "word {i}: confidence {} alone, {} in the batch",
            alone[0].1,
            together[i].1
        );
    }
}
