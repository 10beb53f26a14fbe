//! `metrics.csv`: every reported signal, one line each
//! (`step,epoch,split,name,value`), appended and flushed as it goes so a run
//! killed mid-way keeps every line written before the kill.

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
}

/// An open `metrics.csv`, appending.
pub struct MetricsLog {
    path: PathBuf,
    file: File,
}

const HEADER: &str = "step,epoch,split,name,value\n";

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
        if file.metadata().map_err(io_err(path))?.len() == 0 {
            file.write_all(HEADER.as_bytes()).map_err(io_err(path))?;
        }
        Ok(MetricsLog {
            path: path.to_path_buf(),
            file,
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
        let line = format!(
            "{},{},{},{},{}\n",
            row.step, row.epoch, row.split, name, row.value
        );
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
        let row = |step, value| MetricRow {
            step,
            epoch: 1,
            split: "train".into(),
            name: "loss".into(),
            value,
        };
        MetricsLog::open(&path)
            .unwrap()
            .append(&row(1, 0.5))
            .unwrap();
        let mut log = MetricsLog::open(&path).unwrap();
        log.append(&row(2, f64::NAN)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "step,epoch,split,name,value\n1,1,train,loss,0.5\n2,1,train,loss,NaN\n"
        );
        let rows = MetricsLog::read(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[1].value.is_nan());
    }

    #[test]
    fn torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        std::fs::write(
            &path,
            "step,epoch,split,name,value\n1,1,train,loss,0.5\n2,1,tr",
        )
        .unwrap();
        assert_eq!(MetricsLog::read(&path).unwrap().len(), 1);
    }
}
