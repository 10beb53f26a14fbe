//! `mix`: one word dataset (`main`, which gives the validation and test
//! splits) with the training words of other word datasets (`add`) appended
//! to its training split: real words of a corpus with synthetic words in
//! many fonts, for example. Every part is checked as its own kind; all must
//! feed recognizers at the same word height.

use super::{DatasetSpec, DatasetSpecError, Split, Splits};
use crate::data::DataError;
use serde::{Deserialize, Serialize};
use serde_yaml::{Mapping, Value};
use std::path::Path;
use workbench_api::Kind;

/// Parameters of `mix`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MixParams {
    /// The dataset whose three splits are used (`kind` and `params`).
    pub main: Box<DatasetSpec>,
    /// Datasets whose training splits are appended to `main`'s.
    pub add: Vec<DatasetSpec>,
}

/// Prefixes the location of an error inside a part with the part's keys.
fn inside(mut e: DatasetSpecError, at: &[&str]) -> DatasetSpecError {
    let mut path: Vec<String> = ["params"].iter().chain(at).map(|s| s.to_string()).collect();
    path.append(&mut e.path);
    e.path = path;
    e
}

fn error(at: &[&str], message: impl Into<String>, hint: Option<String>) -> DatasetSpecError {
    inside(
        DatasetSpecError {
            path: Vec::new(),
            message: message.into(),
            hint,
        },
        at,
    )
}

/// One part, `{kind: K, params: {...}}`, checked as its own kind.
fn part(value: &Value, at: &[&str], base_dir: &Path) -> Result<DatasetSpec, DatasetSpecError> {
    let hint = || Some("write each part as {kind: KIND, params: {...}}".to_string());
    let Some(map) = value.as_mapping() else {
        return Err(error(
            at,
            "must be a dataset: a mapping with `kind` and `params`",
            hint(),
        ));
    };
    for key in map.keys() {
        let k = key.as_str().unwrap_or("?");
        if k != "kind" && k != "params" {
            let mut at = at.to_vec();
            at.push(k);
            return Err(error(&at, format!("unknown key `{k}`"), hint()));
        }
    }
    let kind = match map.get("kind") {
        Some(Value::String(kind)) => kind.as_str(),
        _ => return Err(error(at, "needs a `kind` (a string)", hint())),
    };
    if kind == "mix" {
        return Err(error(at, "a mix cannot hold another mix", None));
    }
    let params = match map.get("params") {
        None => Mapping::new(),
        Some(Value::Mapping(params)) => params.clone(),
        Some(_) => {
            let mut at = at.to_vec();
            at.push("params");
            return Err(error(&at, "must be a mapping", None));
        }
    };
    let spec = DatasetSpec::from_parts(kind, &params, base_dir).map_err(|e| inside(e, at))?;
    if spec.serves() != Kind::Recognizer {
        return Err(error(
            at,
            format!(
                "a mix holds word datasets for recognizers; this `{kind}` dataset feeds {} runs",
                spec.serves()
            ),
            Some("use `serve: words` for pages, and no `tile_width`".into()),
        ));
    }
    Ok(spec)
}

impl MixParams {
    /// Parses and checks `params` (paths relative to `base_dir`).
    pub(super) fn from_params(params: &Mapping, base_dir: &Path) -> Result<Self, DatasetSpecError> {
        for key in params.keys() {
            let k = key.as_str().unwrap_or("?");
            if k != "main" && k != "add" {
                return Err(error(
                    &[k],
                    format!("unknown key `{k}`"),
                    Some(crate::hint::nearest_hint(k, &["main".into(), "add".into()])),
                ));
            }
        }
        let main = part(
            params.get("main").ok_or_else(|| {
                error(
                    &[],
                    "needs `main`: the dataset giving validation and test words",
                    None,
                )
            })?,
            &["main"],
            base_dir,
        )?;
        let add = match params.get("add") {
            Some(Value::Sequence(parts)) if !parts.is_empty() => parts,
            _ => {
                return Err(error(
                    &["add"],
                    "must list at least one dataset whose training words are added",
                    None,
                ))
            }
        };
        let height = main.word_height();
        let mut added = Vec::with_capacity(add.len());
        for (i, value) in add.iter().enumerate() {
            let index = i.to_string();
            let at = ["add", index.as_str()];
            let spec = part(value, &at, base_dir)?;
            if spec.word_height() != height {
                return Err(error(
                    &at,
                    format!(
                        "its words are {} pixels high, `main`'s {}",
                        spec.word_height().unwrap_or_default(),
                        height.unwrap_or_default()
                    ),
                    Some("give every part the same `height`".into()),
                ));
            }
            added.push(spec);
        }
        Ok(MixParams {
            main: Box::new(main),
            add: added,
        })
    }

    /// `main`'s splits with every `add` dataset's training words appended
    /// to the training split.
    pub(super) fn load(&self) -> Result<Splits, DataError> {
        let mut splits = self.main.load()?;
        let Split::Words(train) = &mut splits.train else {
            unreachable!("checked: the main dataset serves words");
        };
        for part in &self.add {
            let Split::Words(more) = part.load()?.train else {
                unreachable!("checked: every part serves words");
            };
            train.images.extend(more.images);
            train.texts.extend(more.texts);
            train.names.extend(more.names);
        }
        Ok(splits)
    }
}
