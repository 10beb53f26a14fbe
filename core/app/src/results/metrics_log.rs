//! `metrics.csv`: every reported signal, one line each
//! (`step,epoch,split,name,value,seconds`), appended and flushed as it goes
//! so a run killed mid-way keeps every line written before the kill.
//! `seconds` (wall time since the run's worker started) came later: files
//! without the column are read (as no wall time) and appended to as they
//! are, so a resumed old run never mixes the two shapes.

use super::{io_err, ResultsError};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// One line of `metrics.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// Optimisation step (0 for test metrics).
    pub step: u64,
    /// Epoch.
    pub epoch: u32,
    /// `train`, `val` or `test`.
    pub split: String,
    /// Signal name.
    pub name: String,
    /// Value (may be NaN or inf for a diverged loss).
    pub value: f64,
    /// Wall time since the run's worker started, in seconds (`None` in
    /// files written before the column existed).
    #[serde(default)]
    pub seconds: Option<f64>,
}

/// An open `metrics.csv`, appending.
pub struct MetricsLog {
    path: PathBuf,
    file: File,
    /// Whether the file has the `seconds` column.
    seconds: bool,
}

const HEADER: &str = "step,epoch,split,name,value,seconds\n";
/// The header of files written before `seconds` existed.
const HEADER_V1: &str = "step,epoch,split,name,value\n";

impl MetricsLog {
    /// Opens (creating with its header, or appending to) `path`.
    pub fn open(path: &Path) -> Result<MetricsLog, ResultsError> {
        // Never through a symbolic link planted where the file goes.
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(io_err(path))?;
        let seconds = if file.metadata().map_err(io_err(path))?.len() == 0 {
            file.write_all(HEADER.as_bytes()).map_err(io_err(path))?;
            true
        } else {
            let mut first = String::new();
            BufReader::new(File::open(path).map_err(io_err(path))?)
                .read_line(&mut first)
                .map_err(io_err(path))?;
            first != HEADER_V1
        };
        Ok(MetricsLog {
            path: path.to_path_buf(),
            file,
            seconds,
        })
    }

    /// Appends one row and flushes it to the OS (one `write` call per line,
    /// so a kill never leaves half a line from this process).
    pub fn append(&mut self, row: &MetricRow) -> Result<(), ResultsError> {
        let name = if row.name.contains([',', '"', '\n']) {
            format!("\"{}\"", row.name.replace('"', "\"\"").replace('\n', " "))
        } else {
            row.name.clone()
        };
        let mut line = format!(
            "{},{},{},{},{}",
            row.step, row.epoch, row.split, name, row.value
        );
        if self.seconds {
            match row.seconds {
                Some(s) => line.push_str(&format!(",{s:.3}\n")),
                None => line.push_str(",\n"),
            }
        } else {
            line.push('\n');
        }
        self.file
            .write_all(line.as_bytes())
            .map_err(io_err(&self.path))?;
        self.file.flush().map_err(io_err(&self.path))
    }

    /// Reads every complete row of a `metrics.csv`; a torn last line (a
    /// process killed mid-write by something else) is skipped.
    pub fn read(path: &Path) -> Result<Vec<MetricRow>, ResultsError> {
        let file = File::open(path).map_err(io_err(path))?;
        let mut rows = Vec::new();
        let mut reader = csv::ReaderBuilder::new().from_reader(BufReader::new(file));
        for record in reader.deserialize::<MetricRow>() {
            match record {
                Ok(row) => rows.push(row),
                Err(_) => break,
            }
        }
        Ok(rows)
    }

    /// Number of complete lines after the header.
    pub fn count_lines(path: &Path) -> Result<usize, ResultsError> {
        let file = File::open(path).map_err(io_err(path))?;
        Ok(BufReader::new(file).lines().count().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_writes_through_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.txt");
        std::fs::write(&target, "mine\n").unwrap();
        let path = dir.path().join("metrics.csv");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(MetricsLog::open(&path).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine\n");
    }

    #[test]
    fn appends_across_reopen_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        MetricsLog::open(&path)
            .unwrap()
            .append(&row(1, 0.5, Some(1.25)))
            .unwrap();
        let mut log = MetricsLog::open(&path).unwrap();
        log.append(&row(2, f64::NAN, None)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "step,epoch,split,name,value,seconds\n1,1,train,loss,0.5,1.250\n2,1,train,loss,NaN,\n"
        );
        let rows = MetricsLog::read(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].seconds, Some(1.25));
        assert!(rows[1].value.is_nan());
        assert_eq!(rows[1].seconds, None);
    }

    fn row(step: u64, value: f64, seconds: Option<f64>) -> MetricRow {
        MetricRow {
            step,
            epoch: 1,
            split: "train".into(),
            name: "loss".into(),
            value,
            seconds,
        }
    }

    #[test]
    fn files_without_seconds_are_read_and_appended_to_as_they_are() {
        // A run recorded before the column existed, then resumed.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        std::fs::write(&path, "step,epoch,split,name,value\n1,1,train,loss,0.5\n").unwrap();
        MetricsLog::open(&path)
            .unwrap()
            .append(&row(2, 0.25, Some(3.0)))
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "step,epoch,split,name,value\n1,1,train,loss,0.5\n2,1,train,loss,0.25\n"
        );
        let rows = MetricsLog::read(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.seconds.is_none()));
    }

    #[test]
    fn torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        std::fs::write(
            &path,
            "step,epoch,split,name,value,seconds\n1,1,train,loss,0.5,0.1\n2,1,train,loss,0.2",
        )
        .unwrap();
        assert_eq!(MetricsLog::read(&path).unwrap().len(), 1);
    }
}
