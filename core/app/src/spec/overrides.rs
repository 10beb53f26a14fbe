//! `--set key.path=value`: changes to a spec made on the command line, applied
//! to the parsed YAML before it is checked.

use serde_yaml::{Mapping, Value};

/// One `--set` argument.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// Dotted path; numeric parts index lists (`runs.0.params.components`).
    pub path: Vec<String>,
    /// The value, parsed as YAML (`16`, `0.1`, `true`, `[1, 2]`, `text`).
    pub value: Value,
    /// The argument as written, for messages.
    pub arg: String,
}

impl Override {
    /// Parses `key.path=value`.
    pub fn parse(arg: &str) -> Result<Override, String> {
        let (path, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("`--set {arg}`: expected key.path=value"))?;
        let path: Vec<String> = path
            .trim()
            .split('.')
            .map(|s| s.trim().to_string())
            .collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(format!("`--set {arg}`: the key path has an empty part"));
        }
        if super::depth::too_deep(value).is_some() {
            return Err(format!(
                "`--set {}=…`: the value is nested deeper than {} levels",
                path.join("."),
                super::depth::MAX_DEPTH
            ));
        }
        let value: Value = if value.trim().is_empty() {
            Value::String(String::new())
        } else {
            serde_yaml::from_str(value)
                .map_err(|e| format!("`--set {arg}`: the value is not valid YAML: {e}"))?
        };
        Ok(Override {
            path,
            value,
            arg: arg.to_string(),
        })
    }

    /// Applies the change, creating mappings along the path as needed.
    pub fn apply(&self, root: &mut Value) -> Result<(), String> {
        let mut node = root;
        for part in &self.path {
            node = match node {
                Value::Sequence(items) => {
                    let index: usize = part.parse().map_err(|_| {
                        format!(
                            "`--set {}`: `{part}` indexes a list, so it must be a number",
                            self.arg
                        )
                    })?;
                    let len = items.len();
                    items.get_mut(index).ok_or_else(|| {
                        format!(
                            "`--set {}`: index {index} is past the end of a list of {len}",
                            self.arg
                        )
                    })?
                }
                Value::Mapping(map) => {
                    let key = Value::String(part.clone());
                    if !map.contains_key(&key) {
                        map.insert(key.clone(), Value::Mapping(Mapping::new()));
                    }
                    map.get_mut(&key).expect("inserted above")
                }
                other => {
                    *other = Value::Mapping(Mapping::new());
                    let Value::Mapping(map) = other else {
                        unreachable!()
                    };
                    map.insert(Value::String(part.clone()), Value::Mapping(Mapping::new()));
                    map.get_mut(Value::String(part.clone()))
                        .expect("inserted above")
                }
            };
        }
        *node = self.value.clone();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nested_values_and_list_items() {
        let mut doc: Value =
            serde_yaml::from_str("train: {epochs: 3}\nruns:\n  - plugin: pca\n").unwrap();
        Override::parse("train.epochs=7")
            .unwrap()
            .apply(&mut doc)
            .unwrap();
        Override::parse("runs.0.params.components=16")
            .unwrap()
            .apply(&mut doc)
            .unwrap();
        Override::parse("seeds=[1, 2]")
            .unwrap()
            .apply(&mut doc)
            .unwrap();
        let expected: Value = serde_yaml::from_str(
            "train: {epochs: 7}\nruns:\n  - {plugin: pca, params: {components: 16}}\nseeds: [1, 2]\n",
        )
        .unwrap();
        assert_eq!(doc, expected);
    }

    #[test]
    fn refuses_malformed_overrides() {
        assert!(Override::parse("epochs")
            .unwrap_err()
            .contains("key.path=value"));
        assert!(Override::parse("a..b=1")
            .unwrap_err()
            .contains("empty part"));
        let mut doc: Value = serde_yaml::from_str("runs: [{plugin: a}]").unwrap();
        let err = Override::parse("runs.3.plugin=b")
            .unwrap()
            .apply(&mut doc)
            .unwrap_err();
        assert!(err.contains("past the end"), "{err}");
        let err = Override::parse("runs.x.plugin=b")
            .unwrap()
            .apply(&mut doc)
            .unwrap_err();
        assert!(err.contains("must be a number"), "{err}");
    }
}
