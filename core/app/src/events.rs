//! The events a worker streams to its parent, one JSON object per line on
//! the worker's stdout. Serializable types mark the process boundary.

use crate::results::RunStatus;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One event of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The worker is up.
    Started {
        /// Its process id.
        pid: u32,
    },
    /// What the worker is doing now (`loading data`, `training`, `evaluating`).
    Phase {
        /// A few words.
        phase: String,
    },
    /// A reported signal (also appended to `metrics.csv`).
    Metric {
        /// Step.
        step: u64,
        /// Epoch.
        epoch: u32,
        /// `train`, `val` or `test`.
        split: String,
        /// Signal name.
        name: String,
        /// Value; NaN and infinities travel as strings.
        #[serde(with = "json_f64")]
        value: f64,
    },
    /// A log line.
    Log {
        /// `info` or `warn`.
        level: String,
        /// The line.
        message: String,
    },
    /// Progress of the fit.
    Progress {
        /// Steps done.
        done: u64,
        /// Steps in all.
        total: u64,
    },
    /// A preview image was written.
    Preview {
        /// Its name.
        name: String,
        /// The PNG, inside the run directory.
        path: PathBuf,
    },
    /// A fact for the summary.
    Info {
        /// Key.
        key: String,
        /// Value.
        value: String,
    },
    /// The run ended (the worker exits right after).
    Finished {
        /// Final status.
        status: RunStatus,
        /// Final metrics (finite values only).
        metrics: BTreeMap<String, f64>,
        /// Why it failed, if it did.
        #[serde(default)]
        error: Option<String>,
        /// The saved model, relative to the run directory.
        #[serde(default)]
        checkpoint: Option<String>,
    },
}

impl Event {
    /// The event as one JSON line (with its newline).
    pub fn to_line(&self) -> String {
        let mut s = serde_json::to_string(self).expect("events serialize");
        s.push('\n');
        s
    }

    /// Parses one line.
    pub fn from_line(line: &str) -> Option<Event> {
        serde_json::from_str(line.trim()).ok()
    }
}

/// f64 in JSON with NaN and infinities as strings (JSON has no such numbers).
mod json_f64 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_str(&v.to_string())
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(f64),
        Str(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match NumOrStr::deserialize(d)? {
            NumOrStr::Num(v) => Ok(v),
            NumOrStr::Str(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_including_non_finite_values() {
        for value in [0.25, f64::INFINITY, f64::NEG_INFINITY] {
            let ev = Event::Metric {
                step: 3,
                epoch: 1,
                split: "train".into(),
                name: "loss".into(),
                value,
            };
            let line = ev.to_line();
            assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
            assert_eq!(Event::from_line(&line), Some(ev));
        }
        let nan = Event::Metric {
            step: 1,
            epoch: 1,
            split: "train".into(),
            name: "loss".into(),
            value: f64::NAN,
        };
        match Event::from_line(&nan.to_line()) {
            Some(Event::Metric { value, .. }) => assert!(value.is_nan()),
            other => panic!("{other:?}"),
        }
        assert_eq!(Event::from_line("plugin printed this"), None);
    }
}
