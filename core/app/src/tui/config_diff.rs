//! The configuration diff between two runs: their resolved `spec.yaml`s
//! flattened into dotted settings (`params.lr`, `train.epochs`,
//! `dataset.kind`...), and the settings whose values differ.

use serde_yaml::Value;
use std::collections::BTreeMap;

/// Settings every two runs differ in, left out of the diff.
const IGNORED: [&str; 3] = ["run_id", "index", "name"];

/// One differing setting: its dotted name, the left and the right value
/// (`None`: not set in that run).
pub type Row = (String, Option<String>, Option<String>);

/// A YAML scalar as text.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .replace('\n', " "),
    }
}

/// Every leaf of `v` under its dotted path; lists are one setting each.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    scalar(k)
                } else {
                    format!("{prefix}.{}", scalar(k))
                };
                flatten(&key, v, out);
            }
        }
        Value::Tagged(t) => flatten(prefix, &t.value, out),
        Value::Sequence(s) => {
            let items: Vec<String> = s.iter().map(scalar).collect();
            out.insert(prefix.to_string(), format!("[{}]", items.join(", ")));
        }
        other => {
            out.insert(prefix.to_string(), scalar(other));
        }
    }
}

/// The settings that differ between two resolved specs, in name order
/// (the run id, position and name, which always differ, left out; so is
/// `key_params`, which repeats `params`).
pub fn diff(left: &str, right: &str) -> Result<Vec<Row>, String> {
    let parse = |text: &str| -> Result<BTreeMap<String, String>, String> {
        let v: Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        let mut out = BTreeMap::new();
        flatten("", &v, &mut out);
        out.retain(|k, _| !IGNORED.contains(&k.as_str()) && !k.starts_with("key_params."));
        Ok(out)
    };
    let (a, b) = (parse(left)?, parse(right)?);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    Ok(keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| (k.clone(), a.get(k).cloned(), b.get(k).cloned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_differing_settings_side_by_side() {
        let a = "experiment: e\nrun_id: 001-a\nname: a\nindex: 0\nplugin: pca\n\
                 params: {components: 8, whiten: false}\nkey_params: {params.components: '8'}\n\
                 train: {epochs: 5, seed: 1}\nmetrics: [mse, psnr]\n";
        let b = "experiment: e\nrun_id: 002-b\nname: b\nindex: 1\nplugin: pca\n\
                 params: {components: 16, whiten: false}\nkey_params: {params.components: '16'}\n\
                 train: {epochs: 5, seed: 2, lr: 0.1}\nmetrics: [mse]\n";
        let rows = diff(a, b).unwrap();
        assert_eq!(
            rows,
            vec![
                (
                    "metrics".into(),
                    Some("[mse, psnr]".into()),
                    Some("[mse]".into())
                ),
                (
                    "params.components".into(),
                    Some("8".into()),
                    Some("16".into())
                ),
                ("train.lr".into(), None, Some("0.1".into())),
                ("train.seed".into(), Some("1".into()), Some("2".into())),
            ]
        );
        assert!(diff(a, a).unwrap().is_empty());
        assert!(diff(a, "{ not: [yaml").is_err());
        assert!(diff("", "").unwrap().is_empty());
    }
}
