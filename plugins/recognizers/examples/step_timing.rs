//! Time per training step with the default sizes (height 32, channels
//! 16/32/64, 2 × BiLSTM 64), batch 32 of 2–4-glyph words, for each variant:
//! `cargo run -p workbench-recognizers --example step_timing` (dev profile, as BENCHMARKS.md measured it).
//! (Was an `#[ignore]`d test that only printed timings.)

use std::path::PathBuf;
use workbench_api::{Config, Dataset, Image, Lifecycle, TrainSettings};
use workbench_recognizers::{Monitor, Recognizers};

/// Counts training steps and keeps the run facts.
#[derive(Default)]
struct Steps {
    losses: usize,
    infos: Vec<(String, String)>,
}

impl Monitor for Steps {
    fn report(&mut self, _: u64, _: u32, name: &str, _: f64) {
        if name == "loss" {
            self.losses += 1;
        }
    }
    fn report_val(&mut self, _: u64, _: u32, _: &str, _: f64) {}
    fn log(&mut self, _: &str) {}
    fn info(&mut self, key: &str, value: &str) {
        self.infos.push((key.into(), value.into()));
    }
    fn progress(&mut self, _: u64, _: u64) {}
    fn should_stop(&mut self) -> bool {
        false
    }
    fn checkpoint_dir(&mut self) -> Option<PathBuf> {
        None
    }
}

/// A word of `n` glyphs drawn as dark bars of four shapes, 16 rows high.
fn render(word: &str) -> (usize, Vec<f32>) {
    let (gh, gw) = (16, 6);
    let w = 6 + word.chars().count() * (gw + 2);
    let mut img = vec![0.95f32; gh * w];
    for (i, ch) in word.chars().enumerate() {
        let x0 = 3 + i * (gw + 2);
        for y in 0..gh {
            for x in 0..gw {
                let ink = match ch {
                    'a' => x < 2,
                    'b' => (y / 3) % 2 == 0,
                    'c' => (4..12).contains(&y) && (1..5).contains(&x),
                    _ => y * gw / gh == x,
                };
                if ink {
                    img[y * w + x0 + x] = 0.05;
                }
            }
        }
    }
    (w, img)
}

fn main() {
    let chars = ['a', 'b', 'c', 'd'];
    let texts: Vec<String> = (0..64)
        .map(|i| {
            let k = i * 7 + 26;
            (0..2 + k % 3)
                .map(|j| chars[(k / 3 + j * (k % 5 + 1) + j * j) % 4])
                .collect()
        })
        .collect();
    let images: Vec<(usize, Vec<f32>)> = texts.iter().map(|t| render(t)).collect();
    let train = Dataset {
        images: images
            .iter()
            .map(|(w, d)| Image {
                height: 16,
                width: *w,
                channels: 1,
                data: d,
            })
            .collect(),
        texts: texts.iter().map(String::as_str).collect(),
    };
    let info = Recognizers::info();
    for variant in &info.variants {
        let mut config = Config::default();
        for p in &variant.params {
            config.params.insert(p.name.clone(), p.default.clone());
        }
        config.train = TrainSettings {
            epochs: 1,
            batch_size: 32,
            device: "cpu".into(),
            ..TrainSettings::default()
        };
        let mut model = Recognizers::new(&variant.name, &config).expect("a valid config");
        let mut steps = Steps::default();
        let t0 = std::time::Instant::now();
        model
            .fit_with(&train, &Dataset::default(), &mut steps)
            .expect("trains");
        let parameters = steps
            .infos
            .iter()
            .find(|(k, _)| k == "parameters")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        println!(
            "{}: {:.1} ms/step over {} steps, {parameters} parameters",
            variant.name,
            t0.elapsed().as_secs_f64() * 1e3 / steps.losses.max(1) as f64,
            steps.losses
        );
    }
}
