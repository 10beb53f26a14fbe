//! Time to draw one frame of the runs table with 200 runs and 10 metric
//! columns (target: well under 5 ms).
//!
//!     cargo bench -p workbench --bench tui

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use workbench::events::Event;
use workbench::state::{ExperimentState, RunRow, Update};
use workbench::tui::app::UiState;

fn state(runs: usize, t0: Instant) -> ExperimentState {
    let metrics: Vec<String> = [
        "mse",
        "rmse",
        "psnr",
        "bce",
        "accuracy",
        "precision",
        "recall",
        "auroc",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut s = ExperimentState {
        name: "bench".into(),
        metrics: metrics.clone(),
        runs: Vec::new(),
    };
    for i in 0..runs {
        let mut params = BTreeMap::new();
        params.insert("params.components".to_string(), i.to_string());
        s.runs.push(RunRow::queued(
            &format!("20260101T000000-{i:03}-run"),
            PathBuf::from("r"),
            &format!("run-{i:03}"),
            "pca",
            "pca",
            params,
        ));
        s.apply(i, Update::Launched, t0);
        for step in 1..=100u64 {
            for (split, name) in [("train", "loss"), ("val", "loss")] {
                s.apply(
                    i,
                    Update::Event(Event::Metric {
                        step,
                        epoch: 1,
                        split: split.into(),
                        name: name.into(),
                        value: 1.0 / (step + i as u64) as f64,
                    }),
                    t0,
                );
            }
        }
        for (k, m) in metrics.iter().enumerate() {
            s.apply(
                i,
                Update::Event(Event::Metric {
                    step: 100,
                    epoch: 1,
                    split: "test".into(),
                    name: m.clone(),
                    value: (i * (k + 1)) as f64 / 7.0,
                }),
                t0,
            );
            s.runs[i]
                .latest
                .insert(m.clone(), (i * (k + 1)) as f64 / 7.0);
        }
        s.apply(
            i,
            Update::Event(Event::Progress {
                done: 100,
                total: 200,
            }),
            t0,
        );
    }
    s
}

fn frame(c: &mut Criterion) {
    let t0 = Instant::now();
    let mut ui = UiState::new(state(200, t0), t0 + Duration::from_secs(30));
    for (w, h) in [(200u16, 60u16), (80, 24)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(
            &format!("runs table frame, 200 runs x 10 metrics, {w}x{h}"),
            |b| {
                b.iter(|| {
                    ui.clamp(h as usize - 3);
                    terminal
                        .draw(|f| f.render_widget(black_box(&ui), f.area()))
                        .unwrap();
                })
            },
        );
    }
}

criterion_group!(benches, frame);
criterion_main!(benches);
