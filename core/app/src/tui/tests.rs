//! Rendering snapshots (ratatui `TestBackend` + insta) of every view in
//! typical and edge states at 80×24 and 200×60, and state tests: scripted
//! run events give the right table, sort, filter and best marks.

use super::app::{
    Action, CompareCache, Confirm, DetailCache, DetailTab, PluginInfo, PluginsInfo, UiState, View,
};
use super::table::{self, ColumnKind};
use crate::events::Event;
use crate::report::{build_table, render, Format, RunRecord};
use crate::results::RunStatus;
use crate::state::{ExperimentState, RunRow, Update};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn metric(split: &str, name: &str, step: u64, epoch: u32, value: f64) -> Update {
    Update::Event(Event::Metric {
        step,
        epoch,
        split: split.into(),
        name: name.into(),
        value,
    })
}

fn row(i: usize, name: &str, variant: &str) -> RunRow {
    let mut params = BTreeMap::new();
    params.insert(
        "params.components".to_string(),
        format!("{}", 2 + i * 7 % 50),
    );
    RunRow::queued(
        &format!("20260101T000000-{i:03}-{name}"),
        PathBuf::from(format!("results/exp/{i:03}")),
        name,
        "pca",
        variant,
        params,
    )
}

/// A state with `n` runs in every status, metrics reported step by step.
fn scripted(n: usize, t0: Instant) -> ExperimentState {
    let mut s = ExperimentState {
        name: "quickstart".into(),
        metrics: vec!["mse".into(), "psnr".into(), "bce".into()],
        runs: Vec::new(),
    };
    for i in 0..n {
        s.runs.push(row(
            i,
            &format!("run-{i:03}"),
            if i % 2 == 0 { "pca" } else { "sparse" },
        ));
    }
    for i in 0..n {
        let kind = i % 6;
        if kind == 5 {
            continue; // queued
        }
        s.apply(i, Update::Launched, t0);
        for step in 1..=10u64 {
            let epoch = (step as u32 - 1) / 5 + 1;
            s.apply(
                i,
                metric("train", "loss", step, epoch, 1.0 / (step as f64 + i as f64)),
                t0,
            );
            if step % 5 == 0 {
                s.apply(
                    i,
                    metric("val", "loss", step, epoch, 1.2 / (step as f64 + i as f64)),
                    t0,
                );
            }
        }
        s.apply(
            i,
            Update::Event(Event::Progress {
                done: 10,
                total: 20,
            }),
            t0,
        );
        match kind {
            0 | 1 => {
                let mut metrics = BTreeMap::new();
                metrics.insert("mse".to_string(), 0.01 + i as f64 * 0.001);
                metrics.insert("psnr".to_string(), 20.0 + (i % 7) as f64);
                metrics.insert("bce".to_string(), 0.3 - (i % 5) as f64 * 0.01);
                s.apply(
                    i,
                    Update::Event(Event::Finished {
                        status: RunStatus::Done,
                        metrics,
                        error: None,
                        checkpoint: None,
                    }),
                    t0,
                );
                s.apply(
                    i,
                    Update::Event(Event::Progress {
                        done: 20,
                        total: 20,
                    }),
                    t0,
                );
                s.apply(
                    i,
                    Update::Ended {
                        status: RunStatus::Done,
                        error: None,
                    },
                    t0 + Duration::from_secs(42 + i as u64),
                );
            }
            2 => {
                s.apply(
                    i,
                    Update::Output("thread 'main' panicked at src/lib.rs:10:5:".into()),
                    t0,
                );
                s.apply(
                    i,
                    Update::Ended {
                        status: RunStatus::Failed,
                        error: Some("panic in fit: the faulty plugin panics on purpose".into()),
                    },
                    t0 + Duration::from_secs(3),
                );
            }
            3 => s.apply(
                i,
                Update::Ended {
                    status: RunStatus::Cancelled,
                    error: Some("cancelled".into()),
                },
                t0 + Duration::from_secs(7),
            ),
            _ => {} // running
        }
    }
    s
}

fn ui_with(state: ExperimentState, t0: Instant) -> UiState {
    let mut ui = UiState::new(state, t0 + Duration::from_secs(65));
    ui.live = true;
    ui
}

fn draw(ui: &mut UiState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    ui.clamp(super::view::runs::rows_in(ui, h));
    terminal.draw(|f| f.render_widget(&*ui, f.area())).unwrap();
    terminal
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// A failed run with its stderr, opened in the detail view.
fn failed_detail(t0: Instant) -> UiState {
    let mut ui = ui_with(scripted(6, t0), t0);
    ui.view = View::Detail;
    ui.detail = Some(DetailCache {
        run: 2,
        spec: "experiment: quickstart\nrun_id: 20260101T000000-002-run-002\nplugin: faulty\nvariant: panic\n".into(),
        images: Vec::new(),
        images_seen: 0,
        loaded: true,
        provenance: vec![
            "ran: slurm 41_2 on node7".into(),
            "workbench 0.1.0 · commit 1a2b3c4-dirty · host login1".into(),
            "command: workbench run experiments/quickstart.yaml --executor slurm (in /home/me/wb)".into(),
        ],
        encoded: Vec::new(),
    });
    ui.state.runs[2].error = Some(
        "worker died from signal 6 (SIGABRT, the process aborted); last lines of log.txt:\nthread 'main' panicked at plugins/fixtures/faulty/src/lib.rs:40:9:\nthe faulty plugin panics on purpose\nnote: run with `RUST_BACKTRACE=1`".into(),
    );
    ui
}

fn compare_ui(t0: Instant) -> UiState {
    let mut ui = ui_with(scripted(6, t0), t0);
    ui.view = View::Compare;
    let records: Vec<RunRecord> = ui
        .state
        .runs
        .iter()
        .map(|r| RunRecord {
            run_id: r.run_id.clone(),
            name: r.name.clone(),
            plugin: r.plugin.clone(),
            variant: r.variant.clone(),
            params: r.key_params.clone(),
            seed: 0,
            status: r.status.name().into(),
            checkpoint: None,
            metrics: r.latest.clone(),
            invocation: String::new(),
        })
        .collect();
    let table = build_table(&records, &ui.state.metrics);
    let text = render(&table, Format::Markdown);
    let differing =
        crate::report::text_table(&table, &crate::report::RenderOptions::default()).unwrap();
    let all = crate::report::text_table(
        &table,
        &crate::report::RenderOptions {
            columns: Some(
                ["name", "run", "plugin", "variant", "params.components", "n"]
                    .map(String::from)
                    .to_vec(),
            ),
            ..Default::default()
        },
    )
    .unwrap();
    ui.compare = Some(CompareCache {
        experiment: "quickstart".into(),
        table,
        text,
        differing,
        all,
    });
    ui
}

macro_rules! snap {
    ($name:ident, $make:expr) => {
        #[test]
        fn $name() {
            for (w, h) in [(80u16, 24u16), (200, 60)] {
                let t0 = Instant::now();
                let mut ui: UiState = $make(t0);
                let terminal = draw(&mut ui, w, h);
                insta::assert_snapshot!(
                    format!("{}_{w}x{h}", stringify!($name)),
                    terminal.backend()
                );
            }
        }
    };
}

snap!(runs_empty, |t0: Instant| ui_with(
    ExperimentState::default(),
    t0
));
snap!(runs_typical, |t0| ui_with(scripted(6, t0), t0));
snap!(runs_200, |t0| ui_with(scripted(200, t0), t0));
snap!(runs_sorted_filtered, |t0| {
    let mut ui = ui_with(scripted(24, t0), t0);
    ui.filter = "sparse".into();
    let cols = table::columns(&ui.state);
    let mse = cols
        .iter()
        .position(|c| c.kind == ColumnKind::Metric("mse".into()))
        .unwrap();
    ui.sort = Some((mse, true));
    ui
});
snap!(detail_failed, failed_detail);
snap!(detail_running, |t0| {
    let mut ui = ui_with(scripted(6, t0), t0);
    ui.selected = 4;
    ui.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    ui
});
snap!(detail_history, |t0| {
    let mut ui = failed_detail(t0);
    ui.detail.as_mut().unwrap().run = 0;
    ui.detail_tab = DetailTab::History;
    ui
});
snap!(detail_spec, |t0| {
    let mut ui = failed_detail(t0);
    ui.detail_tab = DetailTab::Spec;
    ui
});
snap!(detail_images, |t0| {
    let mut ui = failed_detail(t0);
    ui.detail_tab = DetailTab::Images;
    ui.color = false;
    let px = super::images::Pixels {
        width: 8,
        height: 8,
        rgb: (0..64u32)
            .map(|i| {
                let v = (i * 4) as u8;
                [v, v, v]
            })
            .collect(),
    };
    ui.detail.as_mut().unwrap().images = vec![("reconstructions".into(), px)];
    ui
});
snap!(compare_typical, compare_ui);
snap!(compare_empty, |t0| {
    let mut ui = ui_with(ExperimentState::default(), t0);
    ui.view = View::Compare;
    ui
});
snap!(experiments_list, |t0| {
    let mut ui = ui_with(ExperimentState::default(), t0);
    ui.view = View::Experiments;
    ui.experiments = vec![
        "experiments/pca-mnist.yaml".into(),
        "experiments/quickstart.yaml".into(),
    ];
    ui.exp_selected = 1;
    ui
});
snap!(plugins_with_refusals, |t0| {
    let mut ui = ui_with(ExperimentState::default(), t0);
    ui.view = View::Plugins;
    ui.plugins = Some(PluginsInfo {
        plugins: vec![PluginInfo {
            name: "pca".into(),
            version: "0.1.0".into(),
            kind: "autoencoder".into(),
            file: "target/debug/libworkbench_pca.so".into(),
            variants: vec![("pca".into(), "closed-form principal components".into())],
        }],
        refused: vec![(
            "target/debug/libfixture_wrong_abi.so".into(),
            "built for plugin ABI 999, this workbench speaks ABI 1; rebuild the plugin".into(),
        )],
        searched: "target/debug (the workbench binary's directory)".into(),
    });
    ui
});
snap!(help_overlay, |t0| {
    let mut ui = ui_with(scripted(6, t0), t0);
    ui.on_key(key('?'));
    ui
});
snap!(confirm_quit, |t0| {
    let mut ui = ui_with(scripted(6, t0), t0);
    assert_eq!(ui.on_key(key('q')), None);
    ui
});

#[test]
fn scripted_events_give_statuses_latest_metrics_and_best_marks() {
    let t0 = Instant::now();
    let s = scripted(12, t0);
    let statuses: Vec<RunStatus> = s.runs.iter().map(|r| r.status).collect();
    use RunStatus::*;
    assert_eq!(
        statuses,
        [
            Done, Done, Failed, Cancelled, Running, Queued, Done, Done, Failed, Cancelled, Running,
            Queued
        ]
    );
    assert_eq!(s.runs[4].latest["loss"], 1.0 / 14.0);
    assert_eq!(s.runs[4].latest["val_loss"], 1.2 / 14.0);
    assert_eq!(s.runs[0].latest["mse"], 0.01);
    assert!(!s.runs[5].latest.contains_key("loss"));
    // mse: lower is better (run 0); psnr: higher (run 6: 20 + 6); loss: lowest latest.
    assert_eq!(table::best(&s, "mse"), Some(0));
    assert_eq!(table::best(&s, "psnr"), Some(6));
    assert_eq!(table::best(&s, "loss"), Some(10));
    assert_eq!(table::best(&s, "nonsense"), None);
    let now = t0 + Duration::from_secs(65);
    let cols = table::columns(&s);
    let titles: Vec<&str> = cols.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "name",
            "plugin/variant",
            "params",
            "status",
            "progress",
            "elapsed",
            "eta",
            "mse",
            "psnr",
            "bce",
            "loss",
            "val_loss"
        ]
    );
    assert_eq!(
        table::cell_text(&s.runs[0], &ColumnKind::Elapsed, now),
        "42s"
    );
    assert_eq!(
        table::cell_text(&s.runs[4], &ColumnKind::Elapsed, now),
        "1m05s"
    );
    assert_eq!(table::cell_text(&s.runs[4], &ColumnKind::Eta, now), "1m05s");
    assert_eq!(
        table::cell_text(&s.runs[4], &ColumnKind::Progress, now),
        "e2 10/20"
    );
    assert_eq!(
        table::cell_text(&s.runs[0], &ColumnKind::Metric("psnr".into()), now),
        "20.00"
    );
}

#[test]
fn sort_and_filter_order_the_rows() {
    let t0 = Instant::now();
    let s = scripted(12, t0);
    let now = t0 + Duration::from_secs(65);
    let mse = ColumnKind::Metric("mse".into());
    // Ascending mse: done runs by value, runs without mse last in run order.
    let rows = table::visible(&s, "", Some((&mse, false)), now);
    assert_eq!(&rows[..4], &[0, 1, 6, 7]);
    assert_eq!(rows.len(), 12);
    let rows = table::visible(&s, "", Some((&ColumnKind::Status, false)), now);
    assert_eq!(&rows[..2], &[4, 10]);
    // Filter: every word must match, ignoring case.
    assert_eq!(table::visible(&s, "SPARSE done", None, now), vec![1, 7]);
    assert_eq!(table::visible(&s, "failed", None, now), vec![2, 8]);
    assert!(table::visible(&s, "no-such-run", None, now).is_empty());
}

#[test]
fn narrow_terminals_drop_columns_by_priority() {
    let s = scripted(6, Instant::now());
    let cols = table::columns(&s);
    let wide = table::fit(&cols, 200);
    assert_eq!(wide.len(), cols.len());
    let narrow: Vec<&str> = table::fit(&cols, 80)
        .iter()
        .map(|&i| cols[i].title.as_str())
        .collect();
    assert!(
        narrow.contains(&"name") && narrow.contains(&"status") && narrow.contains(&"progress"),
        "{narrow:?}"
    );
    assert!(!narrow.contains(&"params"), "{narrow:?}");
}

#[test]
fn keys_sort_filter_cancel_rerun_and_quit() {
    let t0 = Instant::now();
    let mut ui = ui_with(scripted(6, t0), t0);
    // Filter by typing.
    ui.on_key(key('/'));
    for c in "sparse".chars() {
        ui.on_key(key(c));
    }
    ui.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(ui.rows(), vec![1, 3, 5]);
    ui.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(ui.rows().len(), 6);
    // Sort cycles columns.
    ui.on_key(key('s'));
    assert_eq!(ui.sort, Some((0, false)));
    ui.on_key(key('S'));
    assert_eq!(ui.sort, Some((0, true)));
    assert_eq!(ui.rows()[0], 5);
    ui.sort = None;
    // Cancel asks first; only a live, unfinished run.
    ui.selected = 4;
    assert_eq!(ui.on_key(key('c')), None);
    assert_eq!(ui.confirm, Some(Confirm::Cancel(4)));
    assert_eq!(ui.on_key(key('y')), Some(Action::Cancel(4)));
    ui.selected = 0;
    assert_eq!(ui.on_key(key('c')), None);
    assert_eq!(ui.confirm, None, "a done run cannot be cancelled");
    assert_eq!(ui.on_key(key('r')), Some(Action::Rerun(0)));
    assert_eq!(ui.on_key(key('e')), Some(Action::Export));
    // Quit asks while runs are active; n keeps going.
    assert_eq!(ui.on_key(key('q')), None);
    assert_eq!(ui.confirm, Some(Confirm::Quit));
    assert_eq!(ui.on_key(key('n')), None);
    assert_eq!(ui.on_key(key('q')), None);
    assert_eq!(ui.on_key(key('y')), Some(Action::Quit));
    // Tab walks the views; Enter opens the detail, Esc leaves it.
    ui.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert_eq!(ui.view, View::Compare);
    ui.on_key(key('1'));
    ui.selected = 2;
    ui.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(ui.view, View::Detail);
    assert_eq!(ui.selected_run(), Some(2));
    ui.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(ui.view, View::Runs);
}

#[test]
fn past_runs_show_interrupted_and_unreadable_runs() {
    let root = tempfile::tempdir().unwrap();
    let exp = root.path().join("q");
    let gone = exp.join("001-gone");
    std::fs::create_dir_all(&gone).unwrap();
    let summary = serde_json::json!({
        "run_id": "001-gone", "experiment": "q", "name": "gone", "plugin": "pca",
        "variant": "pca", "key_params": {}, "seed": 0, "status": "running",
        "info": {"worker_pid": "99999999"},
    });
    std::fs::write(gone.join("summary.json"), summary.to_string()).unwrap();
    let broken = exp.join("002-broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("summary.json"), "{ not json").unwrap();
    let state = super::loader::past_runs(root.path(), Instant::now());
    let shown: Vec<(String, String)> = state
        .runs
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                table::cell_text(r, &ColumnKind::Status, Instant::now()),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            ("q/gone".to_string(), "interrupted".to_string()),
            ("q/002-broken".to_string(), "unreadable".to_string()),
        ]
    );
    assert!(state.runs[0].error.as_ref().unwrap().contains("--resume"));
    assert!(state.runs[1].error.is_some());
}

#[test]
fn past_runs_chart_their_wall_time_from_metrics_csv() {
    // A finished run's history comes from metrics.csv; its `seconds`
    // column is the wall-time axis (older files have none: no wall time).
    let root = tempfile::tempdir().unwrap();
    let exp = root.path().join("q");
    for (id, csv) in [
        (
            "001-new",
            "step,epoch,split,name,value,seconds\n1,1,train,loss,0.5,2.000\n2,1,train,loss,0.25,4.500\n",
        ),
        (
            "002-old",
            "step,epoch,split,name,value\n1,1,train,loss,0.5\n2,1,train,loss,0.25\n",
        ),
    ] {
        let dir = exp.join(id);
        std::fs::create_dir_all(&dir).unwrap();
        let summary = serde_json::json!({
            "run_id": id, "experiment": "q", "name": id, "plugin": "pca",
            "variant": "pca", "key_params": {}, "seed": 0, "status": "done",
        });
        std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
        std::fs::write(dir.join("metrics.csv"), csv).unwrap();
    }
    let t0 = Instant::now();
    let mut ui = UiState::new(super::loader::past_runs(root.path(), t0), t0);
    ui.view = View::Detail;
    let mut walls = Vec::new();
    for i in 0..2 {
        ui.detail = Some(DetailCache {
            run: i,
            spec: String::new(),
            images: Vec::new(),
            images_seen: usize::MAX,
            loaded: false,
            provenance: Vec::new(),
            encoded: Vec::new(),
        });
        super::loader::ensure(&mut ui, root.path(), false);
        let run = ui.detail.as_ref().unwrap().run;
        let w: Vec<Option<f64>> = ui.state.runs[run].history["loss"]
            .iter()
            .map(|p| p.wall)
            .collect();
        walls.push((ui.state.runs[run].name.clone(), w));
    }
    walls.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(walls[0].1, [Some(2.0), Some(4.5)], "{walls:?}");
    assert_eq!(walls[1].1, [None, None], "{walls:?}");
}

/// The selection follows the run the user picked when a live sort or a
/// re-run reorders the rows, so `Enter` and `c` act on that run.
#[test]
fn the_selection_follows_its_run_when_rows_reorder() {
    let t0 = Instant::now();
    let mut ui = ui_with(scripted(6, t0), t0);
    ui.view = View::Runs;
    // Sorted by status (running, queued, done, ...), the last row picked.
    let status_col = table::columns(&ui.state)
        .iter()
        .position(|c| c.kind == ColumnKind::Status)
        .unwrap();
    ui.sort = Some((status_col, false));
    let n = ui.rows().len();
    ui.on_key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
    for _ in 0..n {
        ui.on_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    }
    let picked = ui.selected_run().unwrap();
    let position = ui.selected;
    // A re-run is queued: it sorts before the done and ended runs, so the
    // picked run moves down one row.
    let mut rerun = ui.state.runs[0].clone();
    rerun.run_id = "20260101T000000-999-rerun".into();
    rerun.status = RunStatus::Queued;
    ui.state.runs.push(rerun);
    assert_ne!(ui.rows()[position], picked, "the rows did reorder");
    assert_eq!(ui.selected_run(), Some(picked));
    ui.clamp(20);
    assert_eq!(ui.rows()[ui.selected], picked, "the highlight follows it");
    ui.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(ui.detail.as_ref().map(|d| d.run), Some(picked));
}

/// The compare view sorts by any column (`s`, `S` reverses) and switches
/// between the columns that differ and every column (`d`).
#[test]
fn compare_sorts_by_a_column_and_toggles_every_column() {
    let t0 = Instant::now();
    let mut ui = compare_ui(t0);
    let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let header = ui.compare_table().unwrap().header.clone();
    let psnr = header.iter().position(|h| h == "psnr").unwrap();
    while ui.compare_sort.map(|(c, _)| c) != Some(psnr) {
        ui.on_key(key('s'));
    }
    // Ascending psnr: 20.00 (run-000) before 21.00 (run-001).
    assert_eq!(ui.compare_rows(), [0, 1]);
    ui.on_key(key('S'));
    assert_eq!(ui.compare_rows(), [1, 0]);
    assert!(!header.contains(&"run".to_string()));
    ui.on_key(key('d'));
    let every = &ui.compare_table().unwrap().header;
    assert!(every.contains(&"run".to_string()) && every.contains(&"plugin".to_string()));
    assert_eq!(ui.compare_sort, None);
}

/// The detail of run 4 (running) with runs 0 and 1 marked and run 2
/// pinned as the baseline, marked from the runs list.
fn overlay_ui(t0: Instant) -> UiState {
    let mut ui = ui_with(scripted(6, t0), t0);
    for (down, k) in [(0, ' '), (1, ' '), (1, 'b'), (2, 'x')] {
        for _ in 0..down {
            ui.on_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        }
        if k != 'x' {
            ui.on_key(key(k));
        }
    }
    ui.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    ui
}

snap!(detail_overlay, overlay_ui);
snap!(detail_overlay_no_color, |t0| {
    let mut ui = overlay_ui(t0);
    ui.color = false;
    ui
});
snap!(detail_chart_controls, |t0| {
    let mut ui = overlay_ui(t0);
    for k in ['a', 'y', 'x', 'f'] {
        ui.on_key(key(k));
    }
    ui
});
snap!(metric_picker_filtered, |t0| {
    let mut ui = overlay_ui(t0);
    ui.on_key(key('m'));
    for c in "val".chars() {
        ui.on_key(key(c));
    }
    ui
});
snap!(config_diff, |t0| {
    let mut ui = ui_with(scripted(6, t0), t0);
    ui.baseline = Some(0);
    ui.selected = 1;
    ui.on_key(key('D'));
    let d = ui.diff.as_mut().expect("D opens the diff");
    assert_eq!((d.left, d.right), (1, 0));
    d.rows = Some(vec![
        (
            "params.components".into(),
            Some("9".into()),
            Some("2".into()),
        ),
        ("train.seed".into(), Some("1".into()), Some("0".into())),
        ("variant".into(), Some("sparse".into()), Some("pca".into())),
        ("train.lr".into(), None, Some("0.01".into())),
    ]);
    ui
});
snap!(runs_marked_with_system_panel, |t0| {
    let mut ui = ui_with(scripted(6, t0), t0);
    ui.marks = std::collections::BTreeSet::from([1, 4]);
    ui.baseline = Some(0);
    ui.on_key(key('p'));
    ui.system = Some(super::system::SystemInfo {
        cpus: 16,
        cpu: 37.5,
        memory: (6 << 30, 32 << 30),
        workers: vec![
            super::system::WorkerLoad {
                run: 4,
                pid: 4242,
                usage: Some((98.6, 412 << 20)),
            },
            super::system::WorkerLoad {
                run: 10,
                pid: 77,
                usage: None,
            },
        ],
    });
    ui
});

/// Marks and the baseline belong to runs, not rows: after the rows are
/// re-sorted, the chart overlays the runs that were marked, and `space`,
/// `b` and `D` act on the highlighted run.
#[test]
fn marks_stay_on_their_runs_when_rows_reorder() {
    let t0 = Instant::now();
    let mut ui = ui_with(scripted(6, t0), t0);
    let down = |ui: &mut UiState| ui.on_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    // Rows 1 and 3 (runs 1 and 3) marked; run 5 the baseline.
    down(&mut ui);
    ui.on_key(key(' '));
    down(&mut ui);
    down(&mut ui);
    ui.on_key(key(' '));
    assert_eq!(ui.marks, std::collections::BTreeSet::from([1, 3]));
    // Sorted by status, descending: the rows move, the marks do not.
    let status_col = table::columns(&ui.state)
        .iter()
        .position(|c| c.kind == ColumnKind::Status)
        .unwrap();
    ui.sort = Some((status_col, true));
    let rows = ui.rows();
    assert_ne!(rows, (0..6).collect::<Vec<_>>());
    ui.selected = rows.iter().position(|&r| r == 5).unwrap();
    ui.pinned = None;
    ui.on_key(key('b'));
    assert_eq!(ui.baseline, Some(5));
    // Unmark the run now highlighted at the first row.
    ui.selected = 0;
    ui.pinned = None;
    let first = rows[0];
    ui.on_key(key(' '));
    assert_eq!(ui.marks.contains(&first), ![1, 3].contains(&first));
    ui.marks = std::collections::BTreeSet::from([1, 3]);
    // The detail of run 0 overlays runs 1 and 3, and the baseline 5.
    ui.selected = rows.iter().position(|&r| r == 0).unwrap();
    ui.pinned = None;
    ui.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(ui.chart_runs(), Some((0, vec![1, 3], Some(5))));
    // The open run marked too is drawn once, as the open run.
    ui.on_key(key(' '));
    assert_eq!(ui.chart_runs(), Some((0, vec![1, 3], Some(5))));
    // D compares the open run with the baseline.
    ui.on_key(key('D'));
    let d = ui.diff.clone().unwrap();
    assert_eq!((d.left, d.right), (0, 5));
    ui.on_key(key('q'));
    assert!(ui.diff.is_none(), "any other key closes the diff");
    // u clears every mark and the baseline.
    ui.on_key(key('u'));
    assert!(ui.marks.is_empty() && ui.baseline.is_none());
    assert_eq!(ui.chart_runs(), Some((0, vec![], None)));
    ui.on_key(key('D'));
    assert!(ui.diff.is_none(), "nothing to compare with");
    assert!(ui.message.as_ref().unwrap().contains("baseline"));
}

/// `m` opens the picker; typing filters, Enter picks, Esc leaves the
/// chart's metric as it was.
#[test]
fn the_metric_picker_filters_and_picks() {
    let t0 = Instant::now();
    let mut ui = overlay_ui(t0);
    assert_eq!(ui.picker_choices(), ["loss", "val_loss"]);
    ui.on_key(key('m'));
    ui.on_key(key('V'));
    assert_eq!(ui.picker_choices(), ["val_loss"]);
    ui.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(ui.picker.is_none());
    assert_eq!(ui.chart_metric.as_deref(), Some("val_loss"));
    // Esc: nothing picked; a filter matching nothing: Enter picks nothing.
    ui.on_key(key('m'));
    ui.on_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    ui.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(ui.chart_metric.as_deref(), Some("val_loss"));
    ui.on_key(key('m'));
    for c in "zzz".chars() {
        ui.on_key(key(c));
    }
    assert!(ui.picker_choices().is_empty());
    draw(&mut ui, 80, 24);
    ui.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(ui.chart_metric.as_deref(), Some("val_loss"));
    // While the picker is open, keys type into it: q does not quit.
    ui.on_key(key('m'));
    assert_eq!(ui.on_key(key('q')), None);
    assert_eq!(ui.picker.as_ref().unwrap().filter, "q");
}

/// The chart controls cycle, and every combination draws without a panic
/// on awkward data: no runs, one point, non-positive values under log-y, a
/// past run without wall time.
#[test]
fn chart_controls_cycle_and_draw_on_awkward_data() {
    let t0 = Instant::now();
    let mut ui = overlay_ui(t0);
    ui.on_key(key('a'));
    assert_eq!(ui.chart.weight(), 0.6);
    ui.on_key(key('a'));
    assert_eq!(ui.chart.weight(), 0.9);
    ui.on_key(key('a'));
    assert_eq!(ui.chart.weight(), 0.0);
    ui.on_key(key('f'));
    assert_eq!(ui.chart.recent, 2);
    ui.on_key(key('+'));
    assert_eq!(ui.chart.recent, 3);
    ui.on_key(key('f'));
    assert_eq!(ui.chart.recent, 0);
    // Awkward data in the open and the marked runs.
    let runs = &mut ui.state.runs;
    runs[4].history.insert(
        "loss".into(),
        vec![crate::state::MetricPoint {
            step: 1,
            epoch: 1,
            value: -1.0,
            wall: None,
        }],
    );
    runs[0].history.clear();
    runs[1].history.get_mut("loss").unwrap()[0].value = 0.0;
    for _ in 0..3 {
        for log in [false, true] {
            for recent in [0, 3] {
                ui.chart.log_y = log;
                ui.chart.recent = recent;
                for (w, h) in [(80, 24), (200, 60), (20, 6)] {
                    draw(&mut ui, w, h);
                }
            }
        }
        ui.on_key(key('x'));
    }
    // No runs at all.
    let mut empty = ui_with(ExperimentState::default(), t0);
    for k in [' ', 'b', 'D', 'm', 'p'] {
        empty.on_key(key(k));
    }
    empty.view = View::Detail;
    for k in [' ', 'b', 'D', 'm', 'a', 'y', 'x', 'f'] {
        empty.on_key(key(k));
    }
    draw(&mut empty, 80, 24);
}

/// A reconstruction grid as the autoencoders write it: 2 rows of 16
/// digits, 56 pixels a digit with a 10-pixel gap (1,054 × 160 like the
/// quickstart's); each digit a ring, a `0`.
fn digit_grid() -> super::images::Pixels {
    let (w, h) = (1054u32, 160u32);
    let mut rgb = vec![[0u8; 3]; (w * h) as usize];
    for row in 0..2u32 {
        for col in 0..16u32 {
            let (cx, cy) = (col * 66 + 10 + 28, row * 76 + 10 + 28);
            for y in cy - 28..cy + 28 {
                for x in cx - 28..cx + 28 {
                    let dx = (x as f64 - cx as f64) / 18.0;
                    let dy = (y as f64 - cy as f64) / 26.0;
                    let r = (dx * dx + dy * dy).sqrt();
                    if (0.7..=1.0).contains(&r) {
                        rgb[(y * w + x) as usize] = [255, 255, 255];
                    }
                }
            }
        }
    }
    super::images::Pixels {
        width: w,
        height: h,
        rgb,
    }
}

/// Three previews: a loss curve, a 2-D code scatter and a digit grid.
fn previews_ui(t0: Instant) -> UiState {
    let mut ui = failed_detail(t0);
    ui.detail_tab = DetailTab::Images;
    ui.color = false;
    let flat = |w: u32, h: u32, v: u8| super::images::Pixels {
        width: w,
        height: h,
        rgb: vec![[v; 3]; (w * h) as usize],
    };
    ui.detail.as_mut().unwrap().images = vec![
        ("loss_curve".into(), flat(720, 450, 90)),
        ("codes_2d".into(), flat(640, 560, 150)),
        ("reconstructions".into(), digit_grid()),
    ];
    ui
}

snap!(detail_images_all, previews_ui);
snap!(detail_image_alone, |t0| {
    let mut ui = previews_ui(t0);
    for _ in 0..3 {
        ui.on_key(key('n'));
    }
    assert_eq!(ui.image_focus, 3);
    ui
});

/// `n` shows each preview alone, then all again; alone at 200×60 a digit
/// of the reconstruction grid is at least 12 columns wide.
#[test]
fn n_steps_through_the_previews_alone_and_a_digit_is_readable() {
    let t0 = Instant::now();
    let mut ui = previews_ui(t0);
    ui.detail_tab = DetailTab::Overview;
    let mut seen = Vec::new();
    for _ in 0..5 {
        ui.on_key(key('n'));
        seen.push(ui.image_focus);
    }
    assert_eq!(seen, [1, 2, 3, 0, 1]);
    assert_eq!(ui.detail_tab, DetailTab::Images, "n shows the images");
    // Alone: the whole images area (200×60 less header, tabs, borders,
    // the name line).
    let px = digit_grid();
    let (cols, rows) = super::images::HalfBlocks {
        pixels: &px,
        color: false,
    }
    .fitted(ratatui::layout::Rect::new(0, 0, 197, 52));
    assert!(cols / 16 >= 12, "{cols} columns for 16 digits");
    assert!(rows >= 14, "{rows} rows for 2 digit rows");
}

/// Previews encoded for the terminal's graphics (sixel here) are drawn at
/// the cells the event loop encoded them for: `preview_areas` and the
/// view agree on the layout.
#[cfg(feature = "graphics")]
#[test]
fn previews_encoded_for_the_terminal_land_where_the_view_draws_them() {
    use ratatui_image::picker::{Picker, ProtocolType};
    let t0 = Instant::now();
    let mut ui = previews_ui(t0);
    ui.graphics = Some("sixel");
    let screen = ratatui::layout::Rect::new(0, 0, 120, 40);
    let areas = super::view::preview_areas(&ui, screen);
    assert_eq!(areas.iter().map(|a| a.0).collect::<Vec<_>>(), [0, 1, 2]);
    let mut picker = Picker::halfblocks();
    picker.set_protocol_type(ProtocolType::Sixel);
    let g = super::graphics::Graphics::with(picker).unwrap();
    super::loader::encode_previews(&mut ui, &g, &areas);
    assert_eq!(ui.detail.as_ref().unwrap().encoded.len(), 3);
    let terminal = draw(&mut ui, 120, 40);
    let buf = terminal.backend().buffer();
    // The sixel data (after clearing the cells it covers) in the first
    // cell of each preview's area.
    for (_, a) in &areas {
        assert!(buf[(a.x, a.y)].symbol().contains("\x1bP"), "{a:?}");
    }
    // Another tab, or another size: nothing to encode, half blocks drawn.
    ui.detail_tab = DetailTab::Overview;
    assert!(super::view::preview_areas(&ui, screen).is_empty());
}
