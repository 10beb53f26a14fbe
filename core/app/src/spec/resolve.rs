//! Checking a typed spec against the discovered plugins and the dataset
//! kinds, and expanding runs × sweep grid × seeds into [`RunPlan`]s with
//! every default filled in.

use super::{Diagnostic, RawTrain, Seg, Spec, SpecError};
use crate::datasets::DatasetSpec;
use crate::hint::nearest_hint;
use crate::host::PluginEntry;
use crate::plan::{default_metrics, known_metrics, Protocol, RunPlan, DIGIT_CLASSES};
use serde_json::{Map, Value as Json};
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;
use workbench_api::{ParamKind, ParamSpec, TrainSettings};

/// A checked, expanded experiment.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// Name (its results directory).
    pub name: String,
    /// Description.
    pub description: String,
    /// The runs, in order.
    pub runs: Vec<RunPlan>,
    /// Runs at once.
    pub parallel: usize,
    /// Metrics for tables.
    pub metrics: Vec<String>,
    /// The spec's `plugins:` directories (its workers search them too).
    pub plugin_dirs: Vec<std::path::PathBuf>,
    /// Where the runs execute.
    pub executor: super::executor::Executor,
}

/// The most runs one experiment may expand to (runs × sweep grid × seeds),
/// unless `WORKBENCH_MAX_RUNS` sets another limit.
pub const MAX_RUNS: u128 = 10_000;

fn max_runs() -> u128 {
    std::env::var("WORKBENCH_MAX_RUNS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(MAX_RUNS)
}

const OPTIMIZERS: &[&str] = &["adam", "sgd", "rmsprop"];
/// Learning-rate schedules (`workbench_ml::schedule`).
const LR_SCHEDULES: &[&str] = &["constant", "cosine", "plateau"];
const DEVICES: &[&str] = &["auto", "cpu", "cuda"];

pub(super) fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Checks `spec` against `plugins` and expands it. Every problem found is
/// reported at once, each with its position.
pub fn resolve(spec: &Spec, plugins: &[PluginEntry]) -> Result<Experiment, SpecError> {
    let raw = &spec.raw;
    let mut diags: Vec<Diagnostic> = Vec::new();

    if raw.name.trim().is_empty() {
        diags.push(spec.diag(&[key("name")], "must not be empty", None));
    }

    let dataset =
        match DatasetSpec::from_parts(&raw.dataset.kind, &raw.dataset.params, &spec.base_dir) {
            Ok(d) => Some(d),
            Err(e) => {
                let mut path = vec![key("dataset")];
                // Indices of lists inside the parameters (`add[0]` of a mix).
                path.extend(e.path.iter().map(|k| match k.parse::<usize>() {
                    Ok(i) => Seg::Index(i),
                    Err(_) => key(k),
                }));
                diags.push(spec.diag(&path, e.message, e.hint));
                None
            }
        };

    let base_train = merge_train(&TrainSettings::default(), &raw.train);
    check_train(spec, &base_train, &[key("train")], &mut diags);

    if raw.runs.is_empty() {
        diags.push(spec.diag(
            &[key("runs")],
            "lists no runs",
            Some("add at least one run: {plugin: NAME, variant: NAME}".into()),
        ));
    }
    if let Some(seeds) = &raw.seeds {
        if seeds.is_empty() {
            diags.push(spec.diag(
                &[key("seeds")],
                "is empty",
                Some("remove it to use train.seed, or list seeds".into()),
            ));
        }
    }
    let eval = &raw.evaluation;
    if !(eval.anomaly_percentile > 0.0 && eval.anomaly_percentile <= 100.0) {
        diags.push(spec.diag(
            &[key("evaluation"), key("anomaly_percentile")],
            format!("must be in (0, 100], not {}", eval.anomaly_percentile),
            None,
        ));
    }
    if let Some(class) = eval.holdout_class {
        if class > 9 {
            diags.push(spec.diag(
                &[key("evaluation"), key("holdout_class")],
                format!("there is no class {class} (digits are 0-9)"),
                Some("use `holdout_class: null` to hold out nothing".into()),
            ));
        }
    }
    let (evaluation, normal_classes) = check_protocol(spec, dataset.as_ref(), &mut diags);
    let executor = super::executor::resolve_executor(spec, raw.executor.as_ref(), &mut diags);
    let parallel = raw.parallel.unwrap_or(1);
    if parallel == 0 {
        diags.push(spec.diag(&[key("parallel")], "must be at least 1", None));
    }

    // The sweep grid: (path, values).
    let mut grid: Vec<(Vec<String>, Vec<Value>, YamlKey)> = Vec::new();
    for (k, values) in &raw.sweep {
        let name = match k {
            Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        let at = vec![key("sweep"), key(&name)];
        let parts: Vec<String> = name.split('.').map(|s| s.to_string()).collect();
        if parts.len() != 2 || !matches!(parts[0].as_str(), "params" | "train") {
            diags.push(spec.diag(
                &at,
                format!("cannot sweep over `{name}`"),
                Some("sweep keys are `params.NAME` or `train.NAME`, e.g. `params.components: [2, 16]`".into()),
            ));
            continue;
        }
        match values {
            Value::Sequence(items) if !items.is_empty() => grid.push((parts, items.clone(), at)),
            _ => diags.push(spec.diag(
                &at,
                "must be a non-empty list of values",
                Some(format!("e.g. `{name}: [1, 2, 3]`")),
            )),
        }
    }

    // The metrics the tables show.
    let dataset_kind = dataset.as_ref().map(|d| d.serves());
    let mut metrics = raw.metrics.clone();
    if let Some(kind) = dataset_kind {
        let known = known_metrics(kind);
        for (i, m) in raw.metrics.iter().enumerate() {
            let ok = known.contains(&m.as_str())
                || m == "parameters"
                || m.starts_with("train_")
                || m.starts_with("val_");
            if !ok {
                diags.push(spec.diag(
                    &[key("metrics"), Seg::Index(i)],
                    format!("unknown metric `{m}` for {kind} runs"),
                    Some(nearest_hint(m, &strings(known))),
                ));
            }
        }
        if metrics.is_empty() {
            metrics = default_metrics(kind)
                .iter()
                .map(|s| s.to_string())
                .collect();
        }
    }

    let seeds: Vec<u64> = raw.seeds.clone().unwrap_or_else(|| vec![base_train.seed]);
    // Counted before anything is expanded, so a huge grid costs nothing.
    let total = grid
        .iter()
        .fold(raw.runs.len() as u128, |n, (_, v, _)| {
            n.saturating_mul(v.len() as u128)
        })
        .saturating_mul(seeds.len() as u128)
        .saturating_mul(normal_classes.len().max(1) as u128);
    let limit = max_runs();
    if total > limit {
        let at = if grid.is_empty() { "runs" } else { "sweep" };
        diags.push(spec.diag(
            &[key(at)],
            format!(
                "the experiment expands to {total} runs (runs × sweep values × seeds), more than the limit of {limit}"
            ),
            Some("sweep fewer values or split it into several experiments (WORKBENCH_MAX_RUNS sets the limit)".into()),
        ));
        return Err(SpecError::Invalid(diags));
    }
    let mut runs = Vec::new();
    let plugin_names: Vec<String> = plugins.iter().map(|p| p.name.clone()).collect();
    for (i, run) in raw.runs.iter().enumerate() {
        let at = |rest: &[Seg]| {
            let mut p = vec![key("runs"), Seg::Index(i)];
            p.extend_from_slice(rest);
            p
        };
        let Some(plugin) = plugins.iter().find(|p| p.name == run.plugin) else {
            let hint = if plugin_names.is_empty() {
                "no plugins were found; build them (`cargo build --release`) or add a directory under `plugins:`".to_string()
            } else {
                nearest_hint(&run.plugin, &plugin_names)
            };
            diags.push(spec.diag(
                &at(&[key("plugin")]),
                format!("no plugin named `{}`", run.plugin),
                Some(hint),
            ));
            continue;
        };
        let Some(variant) = plugin.variants.iter().find(|v| v.name == run.variant) else {
            let names: Vec<String> = plugin.variants.iter().map(|v| v.name.clone()).collect();
            diags.push(spec.diag(
                &at(&[key("variant")]),
                format!("plugin `{}` has no variant `{}`", plugin.name, run.variant),
                Some(nearest_hint(&run.variant, &names)),
            ));
            continue;
        };
        if let Some(kind) = dataset_kind {
            if kind != plugin.kind {
                diags.push(spec.diag(
                    &at(&[key("plugin")]),
                    format!(
                        "`{}` is a {} plugin, but the dataset `{}` feeds {} plugins",
                        plugin.name, plugin.kind, raw.dataset.kind, kind
                    ),
                    None,
                ));
                continue;
            }
        }
        for combo in cartesian(&grid) {
            let mut params = run.params.clone();
            let mut train_map: Mapping = serde_yaml::to_value(&run.train)
                .ok()
                .and_then(|v| v.as_mapping().cloned())
                .unwrap_or_default();
            train_map.retain(|_, v| !v.is_null());
            let mut swept = BTreeMap::new();
            for ((parts, _, _), value) in grid.iter().zip(&combo) {
                let target = if parts[0] == "params" {
                    &mut params
                } else {
                    &mut train_map
                };
                target.insert(Value::String(parts[1].clone()), (*value).clone());
                swept.insert(parts[1].clone(), format_value(value));
            }
            let run_train: RawTrain = match serde_yaml::from_value(Value::Mapping(train_map)) {
                Ok(t) => t,
                Err(e) => {
                    let path = grid
                        .iter()
                        .find(|(p, _, _)| p[0] == "train")
                        .map(|(_, _, a)| a.clone())
                        .unwrap_or_else(|| at(&[key("train")]));
                    diags.push(spec.diag(&path, super::strip_location(&e.to_string()), None));
                    continue;
                }
            };
            let mut train = merge_train(&base_train, &run_train);
            check_train(spec, &train, &at(&[key("train")]), &mut diags);
            let resolved = match check_params(&params, &variant.params) {
                Ok(p) => p,
                Err(problems) => {
                    for (pkey, message, hint) in problems {
                        // A swept value is located at the sweep entry.
                        let path = grid
                            .iter()
                            .find(|(p, _, _)| {
                                p[0] == "params" && pkey.as_deref() == Some(p[1].as_str())
                            })
                            .map(|(_, _, a)| a.clone())
                            .unwrap_or_else(|| match &pkey {
                                Some(k) => at(&[key("params"), key(k)]),
                                None => at(&[key("params")]),
                            });
                        diags.push(spec.diag(&path, message, hint));
                    }
                    continue;
                }
            };
            let mut key_params: BTreeMap<String, String> = run
                .params
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), format_value(v))))
                .collect();
            key_params.extend(swept.clone());
            for (tk, tv) in train_overrides(&run_train) {
                key_params.insert(format!("train.{tk}"), tv);
            }
            if let Some(reference) = &run.preprocess {
                key_params.insert("preprocess".into(), reference.clone());
            }
            if let Some(reference) = &run.init_from {
                key_params.insert("init_from".into(), reference.clone());
            }
            // A dataset error is already reported; plan nothing without one.
            let Some(dataset) = &dataset else { continue };
            // One run per normal class under the one-class protocol, else one.
            let classes: Vec<Option<u8>> = if normal_classes.is_empty() {
                vec![None]
            } else {
                normal_classes.iter().map(|c| Some(*c)).collect()
            };
            for &seed in &seeds {
                train.seed = seed;
                for &normal_class in &classes {
                    let mut name = run.name.clone().unwrap_or_else(|| run.variant.clone());
                    for (k, v) in &swept {
                        name.push_str(&format!(" {k}={v}"));
                    }
                    let mut key_params = key_params.clone();
                    if let Some(class) = normal_class {
                        // Before the seed: `report` strips a trailing ` seed=N`.
                        name.push_str(&format!(" {NORMAL_CLASS}={class}"));
                        key_params.insert(NORMAL_CLASS.into(), class.to_string());
                    }
                    if seeds.len() > 1 {
                        name.push_str(&format!(" seed={seed}"));
                    }
                    runs.push(RunPlan {
                        index: 0,
                        name,
                        plugin: plugin.name.clone(),
                        plugin_file: plugin.file.clone(),
                        plugin_version: plugin.version.clone(),
                        kind: plugin.kind,
                        variant: variant.name.clone(),
                        params: resolved.clone(),
                        key_params,
                        train: train.clone(),
                        dataset: dataset.clone(),
                        metrics: metrics.clone(),
                        evaluation: evaluation.clone(),
                        source: i,
                        recognizer: None,
                        preprocess: None,
                        init_from: None,
                        normal_class,
                    });
                }
            }
        }
    }

    if !diags.is_empty() {
        diags.dedup();
        return Err(SpecError::Invalid(diags));
    }
    // Unique names: a repeated name gets `#2`, `#3`.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (index, run) in runs.iter_mut().enumerate() {
        run.index = index;
        let n = seen.entry(run.name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            run.name = format!("{} #{n}", run.name);
        }
    }
    Ok(Experiment {
        name: raw.name.clone(),
        description: raw.description.clone(),
        runs,
        parallel: parallel.max(1),
        executor,
        metrics,
        plugin_dirs: spec
            .plugin_dirs()
            .into_iter()
            .map(|(dir, _)| dir.canonicalize().unwrap_or(dir))
            .collect(),
    })
}

/// The key parameter (and run-name suffix) of a one-class run: its normal class.
pub const NORMAL_CLASS: &str = "normal_class";

/// Checks `evaluation.protocol` and `evaluation.classes` against the rest of
/// `evaluation:` and the dataset. Returns the settings the runs carry (the
/// one-class protocol holds no class out) and the normal classes, one run
/// each (empty under the holdout protocol).
fn check_protocol(
    spec: &Spec,
    dataset: Option<&DatasetSpec>,
    diags: &mut Vec<Diagnostic>,
) -> (crate::plan::EvaluationSettings, Vec<u8>) {
    let mut eval = spec.raw.evaluation.clone();
    let written = |k: &str| {
        spec.document
            .get("evaluation")
            .and_then(|e| e.get(k))
            .is_some()
    };
    let at = |k: &str| [key("evaluation"), key(k)];
    match eval.protocol {
        Protocol::Holdout => {
            if eval.classes.is_some() {
                diags.push(spec.diag(
                    &at("classes"),
                    "applies only to `protocol: one-class`",
                    Some("add `protocol: one-class`, or remove `classes`".into()),
                ));
            }
            (eval, Vec::new())
        }
        Protocol::OneClass => {
            if written("holdout_class") && eval.holdout_class.is_some() {
                diags.push(spec.diag(
                    &at("holdout_class"),
                    "cannot be used with `protocol: one-class`, which trains on one class and tests on all of them",
                    Some("remove `holdout_class` (or set it to null); `classes` chooses the normal classes".into()),
                ));
            }
            eval.holdout_class = None;
            if let Some(d) = dataset {
                if !matches!(d, DatasetSpec::SyntheticDigits(_) | DatasetSpec::Mnist(_)) {
                    diags.push(spec.diag(
                        &at("protocol"),
                        format!(
                            "`one-class` needs labelled digits (`mnist` or `synthetic-digits`), not a `{}` dataset",
                            spec.raw.dataset.kind
                        ),
                        Some("remove `protocol` (the default is `holdout`)".into()),
                    ));
                }
            }
            let classes: Vec<u8> = match &eval.classes {
                None => DIGIT_CLASSES.collect(),
                Some(list) => {
                    if list.is_empty() {
                        diags.push(spec.diag(
                            &at("classes"),
                            "is empty",
                            Some(
                                "list normal classes (digits 0-9), or remove it for all ten".into(),
                            ),
                        ));
                    }
                    for (i, c) in list.iter().enumerate() {
                        let here = [key("evaluation"), key("classes"), Seg::Index(i)];
                        if !DIGIT_CLASSES.contains(c) {
                            diags.push(spec.diag(
                                &here,
                                format!("there is no class {c} (digits are 0-9)"),
                                None,
                            ));
                        } else if list[..i].contains(c) {
                            diags.push(spec.diag(
                                &here,
                                format!("class {c} is listed twice"),
                                None,
                            ));
                        }
                    }
                    list.clone()
                }
            };
            (eval, classes)
        }
    }
}

type YamlKey = Vec<Seg>;

fn cartesian(grid: &[(Vec<String>, Vec<Value>, YamlKey)]) -> Vec<Vec<&Value>> {
    let mut combos: Vec<Vec<&Value>> = vec![Vec::new()];
    for (_, values, _) in grid {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push(v);
                    c
                })
            })
            .collect();
    }
    combos
}

fn format_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn merge_train(base: &TrainSettings, over: &RawTrain) -> TrainSettings {
    TrainSettings {
        epochs: over.epochs.unwrap_or(base.epochs),
        batch_size: over.batch_size.unwrap_or(base.batch_size),
        optimizer: over
            .optimizer
            .clone()
            .unwrap_or_else(|| base.optimizer.clone()),
        lr: over.lr.unwrap_or(base.lr),
        weight_decay: over.weight_decay.unwrap_or(base.weight_decay),
        seed: over.seed.unwrap_or(base.seed),
        device: over.device.clone().unwrap_or_else(|| base.device.clone()),
        patience: over.patience.unwrap_or(base.patience),
        min_delta: over.min_delta.unwrap_or(base.min_delta),
        lr_schedule: over
            .lr_schedule
            .clone()
            .unwrap_or_else(|| base.lr_schedule.clone()),
    }
}

fn train_overrides(t: &RawTrain) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(v) = t.epochs {
        out.push(("epochs".into(), v.to_string()));
    }
    if let Some(v) = t.batch_size {
        out.push(("batch_size".into(), v.to_string()));
    }
    if let Some(v) = &t.optimizer {
        out.push(("optimizer".into(), v.clone()));
    }
    if let Some(v) = t.lr {
        out.push(("lr".into(), v.to_string()));
    }
    if let Some(v) = t.weight_decay {
        out.push(("weight_decay".into(), v.to_string()));
    }
    if let Some(v) = &t.device {
        out.push(("device".into(), v.clone()));
    }
    if let Some(v) = t.patience {
        out.push(("patience".into(), v.to_string()));
    }
    if let Some(v) = t.min_delta {
        out.push(("min_delta".into(), v.to_string()));
    }
    if let Some(v) = &t.lr_schedule {
        out.push(("lr_schedule".into(), v.clone()));
    }
    out
}

fn check_train(spec: &Spec, t: &TrainSettings, at: &[Seg], diags: &mut Vec<Diagnostic>) {
    let p = |k: &str| {
        let mut v = at.to_vec();
        v.push(key(k));
        v
    };
    if t.epochs == 0 {
        diags.push(spec.diag(&p("epochs"), "must be at least 1", None));
    }
    if t.batch_size == 0 {
        diags.push(spec.diag(&p("batch_size"), "must be at least 1", None));
    }
    if !(t.lr.is_finite() && t.lr > 0.0) {
        diags.push(spec.diag(
            &p("lr"),
            format!("must be a positive number, not {}", t.lr),
            None,
        ));
    }
    if !(t.weight_decay.is_finite() && t.weight_decay >= 0.0) {
        diags.push(spec.diag(
            &p("weight_decay"),
            format!("must be zero or positive, not {}", t.weight_decay),
            None,
        ));
    }
    if !OPTIMIZERS.contains(&t.optimizer.as_str()) {
        diags.push(spec.diag(
            &p("optimizer"),
            format!("unknown optimizer `{}`", t.optimizer),
            Some(nearest_hint(&t.optimizer, &strings(OPTIMIZERS))),
        ));
    }
    if !(t.min_delta.is_finite() && t.min_delta >= 0.0) {
        diags.push(spec.diag(
            &p("min_delta"),
            format!("must be zero or positive, not {}", t.min_delta),
            None,
        ));
    }
    if !LR_SCHEDULES.contains(&t.lr_schedule.as_str()) {
        diags.push(spec.diag(
            &p("lr_schedule"),
            format!("unknown learning-rate schedule `{}`", t.lr_schedule),
            Some(nearest_hint(&t.lr_schedule, &strings(LR_SCHEDULES))),
        ));
    }
    if !DEVICES.contains(&t.device.as_str()) {
        diags.push(spec.diag(
            &p("device"),
            format!("unknown device `{}`", t.device),
            Some(nearest_hint(&t.device, &strings(DEVICES))),
        ));
    }
}

type ParamProblem = (Option<String>, String, Option<String>);

/// Checks a run's `params:` against the variant's declared parameters and
/// fills in defaults. Problems are (parameter, message, hint).
pub fn check_params(
    params: &Mapping,
    specs: &[ParamSpec],
) -> Result<Map<String, Json>, Vec<ParamProblem>> {
    let mut out = Map::new();
    let mut problems = Vec::new();
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    for (k, v) in params {
        let Some(k) = k.as_str() else {
            problems.push((None, "parameter names must be strings".to_string(), None));
            continue;
        };
        let Some(spec) = specs.iter().find(|s| s.name == k) else {
            let hint = if names.is_empty() {
                "this variant takes no parameters".to_string()
            } else {
                nearest_hint(k, &names)
            };
            problems.push((
                Some(k.to_string()),
                format!("unknown parameter `{k}`"),
                Some(hint),
            ));
            continue;
        };
        let json = serde_json::to_value(v).unwrap_or(Json::Null);
        match check_value(&spec.kind, &json) {
            Ok(value) => {
                out.insert(k.to_string(), value);
            }
            Err(message) => problems.push((Some(k.to_string()), message, Some(spec.doc.clone()))),
        }
    }
    for spec in specs {
        if !out.contains_key(&spec.name)
            && !problems.iter().any(|p| p.0.as_deref() == Some(&spec.name))
        {
            out.insert(spec.name.clone(), spec.default.clone());
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn check_value(kind: &ParamKind, v: &Json) -> Result<Json, String> {
    match kind {
        ParamKind::Int { min, max } => {
            let n = v
                .as_i64()
                .ok_or_else(|| format!("expected an integer, found {v}"))?;
            if n < *min || n > *max {
                return Err(format!("{n} is out of range [{min}, {max}]"));
            }
            Ok(n.into())
        }
        ParamKind::Float { min, max } => {
            let x = v
                .as_f64()
                .ok_or_else(|| format!("expected a number, found {v}"))?;
            if !x.is_finite() || x < *min || x > *max {
                return Err(format!("{x} is out of range [{min}, {max}]"));
            }
            Ok(x.into())
        }
        ParamKind::Bool => v
            .as_bool()
            .map(Json::Bool)
            .ok_or_else(|| format!("expected true or false, found {v}")),
        ParamKind::Str { choices } => {
            let s = v
                .as_str()
                .ok_or_else(|| format!("expected a string, found {v}"))?;
            if !choices.is_empty() && !choices.iter().any(|c| c == s) {
                return Err(format!("`{s}` is not one of: {}", choices.join(", ")));
            }
            Ok(s.into())
        }
        ParamKind::IntList { min, max } => {
            let items = v
                .as_array()
                .ok_or_else(|| format!("expected a list of integers, found {v}"))?;
            let mut out = Vec::new();
            for item in items {
                out.push(check_value(
                    &ParamKind::Int {
                        min: *min,
                        max: *max,
                    },
                    item,
                )?);
            }
            Ok(Json::Array(out))
        }
    }
}
