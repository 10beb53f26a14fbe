//! The one-class table the anomaly-detection literature prints: one row per
//! configuration, one column per normal class and their mean, with the
//! Deep SVDD row of Ruff et al. (2018) quoted beside the measured rows.
//!
//! Runs of the one-class protocol (`evaluation: {protocol: one-class}`)
//! carry their normal class as the key parameter [`NORMAL_CLASS`]; this
//! module pivots them: the runs of one configuration that differ only in
//! the normal class (and the seed) become one row.

use std::collections::{BTreeMap, BTreeSet};

use super::{aggregate, best_marks, param_keys, Cell, Row, RunRecord, Table, DAGGER, DONE};
use crate::metrics::direction;

/// The key parameter (and run-name suffix ` normal_class=K`) of a one-class run.
pub const NORMAL_CLASS: &str = "normal_class";

/// The metric the one-class table shows unless told otherwise.
pub const ONE_CLASS_METRIC: &str = "anomaly_auroc";

/// The quoted row's name.
pub const DEEP_SVDD: &str = "Deep SVDD (Ruff et al. 2018)";

/// Its source.
pub const DEEP_SVDD_CITATION: &str = "L. Ruff et al., Deep One-Class Classification, ICML 2018, Table 1 (One-Class Deep SVDD, MNIST, AUROC %, mean over 10 seeds)";

/// One-Class Deep SVDD on MNIST, AUROC in percent with digit 0, 1, ..., 9 as
/// the normal class (Ruff et al. 2018, Table 1).
pub const DEEP_SVDD_MNIST: [f64; 10] = [98.0, 99.7, 91.7, 91.9, 94.9, 88.5, 98.3, 94.6, 93.9, 96.5];

/// Whether any finished run of `records` is a one-class run.
pub fn is_one_class(records: &[RunRecord]) -> bool {
    records
        .iter()
        .any(|r| r.status == DONE && r.params.contains_key(NORMAL_CLASS))
}

/// A one-class run's name without its ` normal_class=K` (the seed's suffix
/// is already gone from a record's name).
fn config_name(name: &str, class: &str) -> String {
    name.replace(&format!(" {NORMAL_CLASS}={class}"), "")
}

/// The one-class table of `metric` from `records` (sorted by run id):
///
/// * rows: the done one-class runs grouped by name, plugin, variant and
///   parameters other than [`NORMAL_CLASS`], in first-seen order; a later
///   run with the same seed and class replaces an earlier one (a re-run);
/// * columns: each normal class any run has, in order, then `mean`;
/// * a class cell: mean ± sample std over the seeds; the `mean` cell: per
///   seed, the mean over the classes that seed has all of, then mean ± std
///   over those seeds (a seed missing a class is left out of it, so its
///   count shows);
/// * `anomaly_auroc` is shown in percent with one decimal, followed by the
///   quoted Deep SVDD row (its mean over the same classes), which is never
///   marked best;
/// * best marks among the measured rows by the metric's direction.
pub fn build_one_class_table(records: &[RunRecord], metric: &str) -> Table {
    let percent = metric == ONE_CLASS_METRIC;
    let scale = if percent { 100.0 } else { 1.0 };
    type Key = (String, String, String, BTreeMap<String, String>);
    let mut order: Vec<Key> = Vec::new();
    // config → (class, seed) → (run id, value)
    type Runs = BTreeMap<(u8, u64), (String, Option<f64>)>;
    let mut groups: BTreeMap<Key, Runs> = BTreeMap::new();
    let mut classes: BTreeSet<u8> = BTreeSet::new();
    let mut checkpoints: BTreeMap<Key, Option<String>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.status == DONE) {
        let Some(class_text) = r.params.get(NORMAL_CLASS) else {
            continue;
        };
        let Ok(class) = class_text.parse::<u8>() else {
            continue;
        };
        classes.insert(class);
        let mut params = r.params.clone();
        params.remove(NORMAL_CLASS);
        let key: Key = (
            config_name(&r.name, class_text),
            r.plugin.clone(),
            r.variant.clone(),
            params,
        );
        if !groups.contains_key(&key) {
            order.push(key.clone());
            checkpoints.insert(key.clone(), r.checkpoint.clone());
        }
        groups.entry(key).or_default().insert(
            (class, r.seed),
            (r.run_id.clone(), r.metrics.get(metric).map(|v| v * scale)),
        );
    }
    let classes: Vec<u8> = classes.into_iter().collect();
    let mut columns: Vec<String> = classes.iter().map(|c| c.to_string()).collect();
    columns.push("mean".to_string());

    let mut rows: Vec<Row> = order
        .iter()
        .map(|key| {
            let runs = &groups[key];
            let seeds: Vec<u64> = runs
                .keys()
                .map(|(_, s)| *s)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let mut cells: Vec<Option<Cell>> = classes
                .iter()
                .map(|c| {
                    let values: Vec<f64> = seeds
                        .iter()
                        .filter_map(|s| runs.get(&(*c, *s)).and_then(|(_, v)| *v))
                        .collect();
                    aggregate(&values)
                })
                .collect();
            let per_seed_means: Vec<f64> = seeds
                .iter()
                .filter_map(|s| {
                    let values: Option<Vec<f64>> = classes
                        .iter()
                        .map(|c| runs.get(&(*c, *s)).and_then(|(_, v)| *v))
                        .collect();
                    values.map(|v| v.iter().sum::<f64>() / v.len() as f64)
                })
                .collect();
            cells.push(aggregate(&per_seed_means));
            Row {
                run_ids: runs.values().map(|(id, _)| id.clone()).collect(),
                name: key.0.clone(),
                plugin: key.1.clone(),
                variant: key.2.clone(),
                params: key.3.clone(),
                seeds,
                checkpoint: checkpoints[key].clone(),
                cells,
                quoted: None,
            }
        })
        .collect();

    let param_keys = param_keys(&rows);
    let decimals = percent.then_some(1);
    let directions = vec![direction(metric); columns.len()];
    let best = best_marks(&rows, &directions, decimals);

    let note = if percent && !rows.is_empty() {
        let quoted: Vec<f64> = classes
            .iter()
            .filter_map(|c| DEEP_SVDD_MNIST.get(*c as usize).copied())
            .collect();
        let mut cells: Vec<Option<Cell>> = quoted
            .iter()
            .map(|v| {
                Some(Cell {
                    mean: *v,
                    std: 0.0,
                    count: 1,
                })
            })
            .collect();
        cells.push(Some(Cell {
            mean: quoted.iter().sum::<f64>() / quoted.len().max(1) as f64,
            std: 0.0,
            count: 1,
        }));
        rows.push(Row {
            run_ids: Vec::new(),
            name: DEEP_SVDD.to_string(),
            plugin: String::new(),
            variant: String::new(),
            params: BTreeMap::new(),
            seeds: Vec::new(),
            checkpoint: None,
            cells,
            quoted: Some(DEEP_SVDD_CITATION.to_string()),
        });
        Some(format!(
            "AUROC (%) with each digit as the normal class (trained on that class only, tested on the whole test split, \
             every other class an anomaly); mean ± std over seeds; best measured value in bold. \
             {DAGGER} Quoted from Ruff et al. (2018), Table 1 (One-Class Deep SVDD on MNIST), not measured here."
        ))
    } else {
        Some(format!(
            "{metric} with each digit as the normal class; mean ± std over seeds."
        ))
    };
    Table {
        metrics: columns,
        param_keys,
        rows,
        best,
        decimals,
        note,
    }
}
