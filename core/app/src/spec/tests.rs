//! Spec loading and resolution against hand-made plugin entries.

use super::*;
use crate::host::PluginEntry;
use workbench_api::{Kind, ParamSpec, VariantInfo};

fn plugins() -> Vec<PluginEntry> {
    vec![PluginEntry {
        name: "pca".into(),
        version: "0.1.0".into(),
        kind: Kind::Autoencoder,
        abi_version: workbench_api::ABI_VERSION,
        api_version: "0.1.0".into(),
        file: "libpca.so".into(),
        variants: vec![VariantInfo::new(
            "pca",
            "principal components",
            vec![
                ParamSpec::int("components", 16, 1, 784, "code size"),
                ParamSpec::bool("whiten", false, "unit-variance codes"),
                ParamSpec::choice("init", "svd", &["svd", "random"], "how to start"),
            ],
        )],
    }]
}

const HEAD: &str = "name: t\ndataset:\n  kind: synthetic-digits\n  params: {train: 10, test: 5}\n";

fn load(body: &str, sets: &[&str]) -> Result<resolve::Experiment, SpecError> {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let spec = Spec::parse(Path::new("exp.yaml"), body, &overrides)?;
    resolve(&spec, &plugins())
}

fn errors(body: &str, sets: &[&str]) -> String {
    load(body, sets).unwrap_err().to_string()
}

#[test]
fn a_typo_in_a_key_is_located_with_a_hint() {
    let err = errors(
        &format!("{HEAD}train:\n  epochs: 2\n  bach_size: 8\nruns: []\n"),
        &[],
    );
    assert_eq!(
        err,
        "exp.yaml:7:3: train.bach_size: unknown key `bach_size`\n  hint: did you mean `batch_size`?"
    );
    let err = errors(
        &format!("{HEAD}run:\n  - {{plugin: pca, variant: pca}}\n"),
        &[],
    );
    assert!(
        err.starts_with("exp.yaml:5:1: run: unknown key `run`"),
        "{err}"
    );
    assert!(err.contains("did you mean `runs`?"), "{err}");
}

#[test]
fn wrong_types_and_syntax_errors_are_located() {
    let err = errors(&format!("{HEAD}train: {{epochs: many}}\nruns: []\n"), &[]);
    assert!(err.starts_with("exp.yaml:5:"), "{err}");
    assert!(
        err.contains("train.epochs") && err.contains("invalid type"),
        "{err}"
    );
    let err = errors("name: [unclosed\n", &[]);
    assert!(
        err.starts_with("exp.yaml:") && err.contains("invalid YAML"),
        "{err}"
    );
}

#[test]
fn unknown_plugins_variants_and_params_are_refused_before_running() {
    let body = format!(
        "{HEAD}runs:\n  - {{plugin: pcb, variant: pca}}\n  - {{plugin: pca, variant: pcx}}\n  - plugin: pca\n    variant: pca\n    params: {{component: 3, whiten: 1, init: svdd}}\n"
    );
    let err = errors(&body, &[]);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.contains(&"exp.yaml:6:6: runs[0].plugin: no plugin named `pcb`"),
        "{err}"
    );
    assert!(
        lines.contains(&"exp.yaml:7:19: runs[1].variant: plugin `pca` has no variant `pcx`"),
        "{err}"
    );
    assert!(
        lines.contains(&"exp.yaml:10:14: runs[2].params.component: unknown parameter `component`"),
        "{err}"
    );
    assert!(err.contains("did you mean `components`?"), "{err}");
    assert!(
        err.contains("runs[2].params.whiten: expected true or false, found 1"),
        "{err}"
    );
    assert!(err.contains("`svdd` is not one of: svd, random"), "{err}");
}

#[test]
fn impossible_values_are_refused() {
    let err = errors(
        &format!("{HEAD}train: {{epochs: 0, lr: -1, optimizer: adamw, device: gpu, lr_schedule: cosin, min_delta: -1}}\nparallel: 0\nseeds: []\nruns:\n  - {{plugin: pca, variant: pca, params: {{components: 9999}}}}\n"),
        &[],
    );
    for needle in [
        "train.epochs: must be at least 1",
        "train.lr: must be a positive number, not -1",
        "train.optimizer: unknown optimizer `adamw`",
        "did you mean `adam`?",
        "train.device: unknown device `gpu`",
        "train.lr_schedule: unknown learning-rate schedule `cosin`",
        "did you mean `cosine`?",
        "train.min_delta: must be zero or positive, not -1",
        "parallel: must be at least 1",
        "seeds: is empty",
        "runs[0].params.components: 9999 is out of range [1, 784]",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
}

#[test]
fn dataset_problems_are_located() {
    let err = errors(
        "name: t\ndataset:\n  kind: synthetic-digit\nruns: []\n",
        &[],
    );
    assert!(
        err.starts_with("exp.yaml:3:3: dataset.kind: unknown dataset kind `synthetic-digit`"),
        "{err}"
    );
    assert!(err.contains("did you mean `synthetic-digits`?"), "{err}");
    let err = errors(
        "name: t\ndataset:\n  kind: synthetic-digits\n  params: {trian: 3}\nruns: []\n",
        &[],
    );
    assert!(
        err.contains("dataset.params.trian: unknown key `trian`"),
        "{err}"
    );
    assert!(err.contains("did you mean `train`?"), "{err}");
    // With runs to plan, a bad dataset is still an error, not a panic.
    let err = errors(
        "name: t\ndataset:\n  kind: synthetic-digits\n  params: {trian: 3}\nruns:\n  - {plugin: pca, variant: pca}\n",
        &[],
    );
    assert!(err.contains("unknown key `trian`"), "{err}");
}

#[test]
fn sweep_and_seeds_expand_with_defaults_filled_in() {
    let exp = load(
        &format!("{HEAD}seeds: [3, 4]\ntrain: {{lr: 0.01}}\nruns:\n  - {{plugin: pca, variant: pca, params: {{whiten: true}}}}\nsweep:\n  params.components: [2, 8]\n  train.batch_size: [16, 32]\n"),
        &[],
    )
    .unwrap();
    assert_eq!(exp.runs.len(), 2 * 2 * 2);
    let names: Vec<&str> = exp.runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names[0], "pca batch_size=16 components=2 seed=3");
    assert_eq!(names[7], "pca batch_size=32 components=8 seed=4");
    let last = &exp.runs[7];
    assert_eq!(last.params["components"], 8);
    assert_eq!(last.params["whiten"], true);
    assert_eq!(last.params["init"], "svd", "defaults are filled in");
    assert_eq!(last.train.batch_size, 32);
    assert_eq!(last.train.lr, 0.01);
    assert_eq!(last.train.seed, 4);
    assert_eq!(last.key_params["components"], "8");
    assert!(
        !last.key_params.contains_key("init"),
        "defaults are not key params"
    );
    assert_eq!(exp.metrics, ["mse", "rmse", "psnr", "bce", "train_seconds"]);
    assert_eq!(exp.parallel, 1);
}

#[test]
fn bad_sweeps_are_located_at_the_sweep_entry() {
    let err = errors(
        &format!("{HEAD}runs:\n  - {{plugin: pca, variant: pca}}\nsweep:\n  params.components: [2, 0]\n  components: [1]\n  train.lr: []\n"),
        &[],
    );
    assert!(
        err.contains("exp.yaml:8:3: sweep.params.components: 0 is out of range [1, 784]"),
        "{err}"
    );
    assert!(
        err.contains("exp.yaml:9:3: sweep.components: cannot sweep over `components`"),
        "{err}"
    );
    assert!(
        err.contains("exp.yaml:10:3: sweep.train.lr: must be a non-empty list"),
        "{err}"
    );
}

#[test]
fn overrides_change_the_spec_and_errors_name_them() {
    let body = format!("{HEAD}runs:\n  - {{plugin: pca, variant: pca}}\n");
    let exp = load(&body, &["train.epochs=5", "runs.0.params.components=4"]).unwrap();
    assert_eq!(exp.runs[0].train.epochs, 5);
    assert_eq!(exp.runs[0].params["components"], 4);
    let err = errors(&body, &["runs.0.params.components=0"]);
    assert!(
        err.starts_with(
            "--set runs.0.params.components=0: runs[0].params.components: 0 is out of range"
        ),
        "{err}"
    );
}

#[test]
fn unknown_metrics_get_a_hint() {
    let err = errors(
        &format!("{HEAD}metrics: [mse, psrn]\nruns:\n  - {{plugin: pca, variant: pca}}\n"),
        &[],
    );
    assert!(
        err.contains("exp.yaml:5:16: metrics[1]: unknown metric `psrn` for autoencoder runs"),
        "{err}"
    );
    assert!(err.contains("did you mean `psnr`?"), "{err}");
}

/// `preprocess:` and `recognizer:` references, resolved against a results
/// directory of hand-written finished runs.
mod trained_runs {
    use super::*;
    use crate::plan::WorkerJob;

    fn entries() -> Vec<PluginEntry> {
        let mut out = plugins();
        out.push(PluginEntry {
            name: "rec".into(),
            version: "0.1.0".into(),
            kind: Kind::Recognizer,
            abi_version: workbench_api::ABI_VERSION,
            api_version: "0.1.0".into(),
            file: "librec.so".into(),
            variants: vec![VariantInfo::new("crnn", "reads words", vec![])],
        });
        out
    }

    fn plan_of(body: &str) -> RunPlan {
        let spec = Spec::parse(Path::new("x.yaml"), body, &[]).unwrap();
        resolve(&spec, &entries()).unwrap().runs.remove(0)
    }

    /// Writes a run `name` of experiment `ae` with `plan` and `status`.
    fn write_run(results: &Path, id: &str, plan: RunPlan, status: &str) {
        let dir = results.join("ae").join(id);
        std::fs::create_dir_all(&dir).unwrap();
        let job = WorkerJob {
            run_id: id.into(),
            experiment: "ae".into(),
            plan: plan.clone(),
        };
        std::fs::write(dir.join("run.json"), serde_json::to_vec(&job).unwrap()).unwrap();
        let summary = serde_json::json!({
            "run_id": id, "experiment": "ae", "name": plan.name, "plugin": plan.plugin,
            "variant": plan.variant, "key_params": {}, "seed": 0, "status": status,
        });
        std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
    }

    const WORDS: &str =
        "name: t\ndataset:\n  kind: synthetic-words\n  params: {train: 10, test: 5}\n";

    fn results_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let tiles = "name: ae\ndataset:\n  kind: synthetic-words\n  params: {train: 10, test: 5, tile_width: 32}\nruns:\n  - {name: tiles, plugin: pca, variant: pca}\n";
        write_run(r, "001-tiles", plan_of(tiles), "done");
        write_run(r, "002-tiles", plan_of(tiles), "failed");
        write_run(
            r,
            "003-broken",
            plan_of(&tiles.replace("tiles,", "broken,")),
            "failed",
        );
        let digits = format!("{HEAD}runs:\n  - {{name: digits, plugin: pca, variant: pca}}\n");
        write_run(r, "004-digits", plan_of(&digits), "done");
        let reader = format!("{WORDS}runs:\n  - {{name: reader, plugin: rec, variant: crnn}}\n");
        write_run(r, "005-reader", plan_of(&reader), "done");
        dir
    }

    fn resolve_in(body: &str, results: &Path) -> Result<Experiment, SpecError> {
        let spec = Spec::parse(Path::new("exp.yaml"), body, &[])?;
        let mut exp = resolve(&spec, &entries())?;
        super::resolve_trained_runs(&spec, &mut exp, results)?;
        Ok(exp)
    }

    #[test]
    fn a_recognizer_run_names_the_newest_done_autoencoder_run_on_word_tiles() {
        let results = results_dir();
        let body = format!(
            "{WORDS}runs:\n  - {{name: direct, plugin: rec, variant: crnn}}\n  - {{name: denoised, plugin: rec, variant: crnn, preprocess: ae/tiles}}\n"
        );
        let exp = resolve_in(&body, results.path()).unwrap();
        assert_eq!(exp.runs[0].preprocess, None);
        assert_eq!(
            exp.runs[1].preprocess.as_deref(),
            Some(results.path().join("ae/001-tiles").as_path()),
            "the failed later run is skipped"
        );
        assert_eq!(exp.runs[1].key_params["preprocess"], "ae/tiles");
        // A run directory works too (relative to the spec file).
        let dir = results.path().join("ae/001-tiles");
        let body = format!(
            "{WORDS}runs:\n  - {{plugin: rec, variant: crnn, preprocess: {}}}\n",
            dir.display()
        );
        let exp = resolve_in(&body, results.path()).unwrap();
        assert_eq!(exp.runs[0].preprocess.as_deref(), Some(dir.as_path()));
    }

    #[test]
    fn bad_preprocess_references_are_located() {
        let results = results_dir();
        let err = |reference: &str, dataset: &str| {
            let body = format!(
                "name: t\ndataset:\n  kind: synthetic-words\n  params: {dataset}\nruns:\n  - plugin: rec\n    variant: crnn\n    preprocess: {reference}\n"
            );
            resolve_in(&body, results.path()).unwrap_err().to_string()
        };
        let words = "{train: 10, test: 5}";
        let e = err("ae/nobody", words);
        assert!(
            e.starts_with(
                "exp.yaml:8:5: runs[0].preprocess: no finished autoencoder run `ae/nobody`"
            ),
            "{e}"
        );
        assert!(e.contains("hint: name a run directory"), "{e}");
        let e = err("ae/broken", words);
        assert!(
            e.starts_with(
                "exp.yaml:8:5: runs[0].preprocess: autoencoder run `ae/broken` has not finished"
            ) && e.contains("is failed"),
            "{e}"
        );
        let e = err("ae/reader", words);
        assert!(
            e.contains("`ae/reader`: run 005-reader is a recognizer run, not an autoencoder run"),
            "{e}"
        );
        let e = err("ae/digits", words);
        assert!(
            e.contains("was trained on 28×28×1 images, not on word tiles")
                && e.contains("hint: train it on a word dataset with `tile_width`"),
            "{e}"
        );
        let e = err("ae/tiles", "{train: 10, test: 5, height: 48}");
        assert!(
            e.contains("works on tiles 32 pixels high, but these words are 48 pixels high"),
            "{e}"
        );
    }

    #[test]
    fn only_recognizer_runs_take_a_preprocess_run() {
        let results = results_dir();
        let body =
            format!("{HEAD}runs:\n  - plugin: pca\n    variant: pca\n    preprocess: ae/tiles\n");
        let e = resolve_in(&body, results.path()).unwrap_err().to_string();
        assert!(
            e.starts_with("exp.yaml:8:5: runs[0].preprocess: only recognizer runs can name a preprocess run, not autoencoder runs"),
            "{e}"
        );
    }

    #[test]
    fn a_recognizer_run_starts_from_a_finished_run_of_its_plugin_and_variant() {
        let results = results_dir();
        let body =
            format!("{WORDS}runs:\n  - plugin: rec\n    variant: crnn\n    init_from: ae/reader\n");
        let e = resolve_in(&body, results.path()).unwrap_err().to_string();
        assert!(
            e.starts_with("exp.yaml:8:5: runs[0].init_from: `ae/reader` has no saved model"),
            "{e}"
        );
        let model = crate::results::RunDir::new(results.path().join("ae/005-reader")).model();
        std::fs::create_dir_all(&model).unwrap();
        let exp = resolve_in(&body, results.path()).unwrap();
        assert_eq!(
            exp.runs[0].init_from.as_deref(),
            Some(results.path().join("ae/005-reader").as_path())
        );
        assert_eq!(exp.runs[0].key_params["init_from"], "ae/reader");
        // Another plugin's model, or a segmenter / autoencoder run, is refused.
        let e = resolve_in(&body.replace("ae/reader", "ae/tiles"), results.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("runs[0].init_from: `ae/tiles` is a pca/pca run; this run is rec/crnn"),
            "{e}"
        );
        let body =
            format!("{HEAD}runs:\n  - plugin: pca\n    variant: pca\n    init_from: ae/tiles\n");
        let e = resolve_in(&body, results.path()).unwrap_err().to_string();
        assert!(
            e.contains("runs[0].init_from: only recognizer runs can start from a trained model, not autoencoder runs"),
            "{e}"
        );
    }
}

#[test]
fn the_executor_block_is_checked_and_set_overrides_it() {
    use crate::spec::executor::Executor;
    let body = format!(
        "{HEAD}runs:\n  - {{plugin: pca, variant: pca}}\nexecutor:\n  kind: slurm\n  partition: gpu\n  time: '2:00:00'\n  cpus_per_task: 4\n  gpus: 2\n  array_parallelism: 3\n  pack: 5\n  extra: ['--constraint=avx512']\n"
    );
    let exp = load(&body, &["executor.partition=cpu"]).unwrap();
    let Executor::Slurm(o) = exp.executor else {
        panic!("not slurm: {:?}", exp.executor)
    };
    assert_eq!(o.partition.as_deref(), Some("cpu"));
    assert_eq!(o.time.as_deref(), Some("2:00:00"));
    assert_eq!((o.cpus, o.throttle, o.pack), (Some(4), Some(3), 5));
    assert_eq!(o.gres.as_deref(), Some("gpu:2"));
    assert_eq!(o.extra, ["--constraint=avx512"]);
    // No block: local; `--set executor.kind=slurm` switches with defaults.
    let plain = format!("{HEAD}runs:\n  - {{plugin: pca, variant: pca}}\n");
    assert_eq!(load(&plain, &[]).unwrap().executor, Executor::Local);
    assert!(matches!(
        load(&plain, &["executor.kind=slurm"]).unwrap().executor,
        Executor::Slurm(_)
    ));
    let err = errors(
        &format!("{HEAD}runs:\n  - {{plugin: pca, variant: pca}}\nexecutor: {{kind: slurm, pack: 0, gres: 'gpu:1', gpus: 1, extra: ['--array=0-3'], nodes: 2}}\n"),
        &[],
    );
    assert!(err.contains("nodes"), "{err}");
    let err = errors(
        &format!("{HEAD}runs:\n  - {{plugin: pca, variant: pca}}\nexecutor: {{kind: slurm, pack: 0, gres: 'gpu:1', gpus: 1, extra: ['--array=0-3']}}\n"),
        &[],
    );
    assert!(err.contains("executor.pack: must be 1-10000"), "{err}");
    assert!(
        err.contains("executor.gpus: give `gres` or `gpus`, not both"),
        "{err}"
    );
    assert!(err.contains("executor.extra[0]"), "{err}");
}

mod one_class {
    use super::*;
    use crate::plan::Protocol;

    const RUN: &str = "runs:\n  - {name: p, plugin: pca, variant: pca}\n";

    #[test]
    fn one_class_expands_each_run_into_one_run_per_normal_class() {
        let exp = load(
            &format!("{HEAD}{RUN}seeds: [1, 2]\nevaluation: {{protocol: one-class}}\n"),
            &[],
        )
        .unwrap();
        assert_eq!(exp.runs.len(), 20, "10 classes × 2 seeds");
        let first = &exp.runs[0];
        assert_eq!(first.name, "p normal_class=0 seed=1");
        assert_eq!(first.normal_class, Some(0));
        assert_eq!(first.key_params["normal_class"], "0");
        assert_eq!(first.evaluation.protocol, Protocol::OneClass);
        // Nothing is held out under the one-class protocol.
        assert_eq!(first.evaluation.holdout_class, None);
        let classes: Vec<Option<u8>> = exp.runs.iter().map(|r| r.normal_class).collect();
        for c in 0..10u8 {
            assert_eq!(classes.iter().filter(|x| **x == Some(c)).count(), 2);
        }
        let names: std::collections::BTreeSet<&str> =
            exp.runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), 20, "every run has its own name");
        assert!(names.contains("p normal_class=9 seed=2"));
    }

    #[test]
    fn classes_restrict_the_normal_classes() {
        let exp = load(
            &format!("{HEAD}{RUN}evaluation: {{protocol: one-class, classes: [3, 7]}}\n"),
            &[],
        )
        .unwrap();
        let got: Vec<(String, Option<u8>)> = exp
            .runs
            .iter()
            .map(|r| (r.name.clone(), r.normal_class))
            .collect();
        assert_eq!(
            got,
            vec![
                ("p normal_class=3".to_string(), Some(3)),
                ("p normal_class=7".to_string(), Some(7))
            ]
        );
    }

    #[test]
    fn the_default_protocol_is_holdout_with_one_run_and_no_normal_class() {
        let exp = load(&format!("{HEAD}{RUN}"), &[]).unwrap();
        assert_eq!(exp.runs.len(), 1);
        assert_eq!(exp.runs[0].normal_class, None);
        assert_eq!(exp.runs[0].evaluation.protocol, Protocol::Holdout);
        assert_eq!(exp.runs[0].evaluation.holdout_class, Some(0));
        assert!(!exp.runs[0].key_params.contains_key("normal_class"));
        assert!(exp.runs[0].evaluation.probe_baselines);
        let exp = load(
            &format!("{HEAD}{RUN}evaluation: {{probe_baselines: false}}\n"),
            &[],
        )
        .unwrap();
        assert!(!exp.runs[0].evaluation.probe_baselines);
    }

    #[test]
    fn incompatible_one_class_settings_are_refused_at_their_key() {
        let err = errors(
            &format!("{HEAD}{RUN}evaluation: {{protocol: one-class, holdout_class: 2}}\n"),
            &[],
        );
        assert!(
            err.contains("evaluation.holdout_class: cannot be used with `protocol: one-class`"),
            "{err}"
        );
        // An explicit null is what the protocol does anyway.
        load(
            &format!("{HEAD}{RUN}evaluation: {{protocol: one-class, holdout_class: null}}\n"),
            &[],
        )
        .unwrap();
        let err = errors(
            &format!("{HEAD}{RUN}evaluation: {{protocol: one-class, classes: [1, 10, 1]}}\n"),
            &[],
        );
        assert!(
            err.contains("evaluation.classes[1]: there is no class 10 (digits are 0-9)"),
            "{err}"
        );
        assert!(
            err.contains("evaluation.classes[2]: class 1 is listed twice"),
            "{err}"
        );
        let err = errors(
            &format!("{HEAD}{RUN}evaluation: {{protocol: one-class, classes: []}}\n"),
            &[],
        );
        assert!(err.contains("evaluation.classes: is empty"), "{err}");
        let err = errors(&format!("{HEAD}{RUN}evaluation: {{classes: [1]}}\n"), &[]);
        assert!(
            err.contains("evaluation.classes: applies only to `protocol: one-class`"),
            "{err}"
        );
        let err = errors(
            &format!("{HEAD}{RUN}evaluation: {{protocol: two-class}}\n"),
            &[],
        );
        assert!(err.contains("evaluation.protocol"), "{err}");
        let words = "name: t\ndataset:\n  kind: synthetic-words\n  params: {train: 10, test: 5, tile_width: 32}\n";
        let err = errors(
            &format!("{words}{RUN}evaluation: {{protocol: one-class}}\n"),
            &[],
        );
        assert!(
            err.contains("evaluation.protocol: `one-class` needs labelled digits (`mnist` or `synthetic-digits`), not a `synthetic-words` dataset"),
            "{err}"
        );
    }
}
