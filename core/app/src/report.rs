//! Thesis-style results tables: runs collapsed over seeds into mean ± std rows, the best cell
//! of each metric column marked, rendered as Markdown, CSV or LaTeX.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::metrics::{direction, Direction};

/// The only run status whose metrics enter a table.
const DONE: &str = "done";

/// One finished (or failed) run as the results store knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub plugin: String,
    pub variant: String,
    /// Key parameters, already formatted; the seed is NOT included.
    pub params: BTreeMap<String, String>,
    pub seed: u64,
    /// One of done | failed | cancelled | diverged | running | queued.
    pub status: String,
    pub checkpoint: Option<String>,
    pub metrics: BTreeMap<String, f64>,
}

/// An output format for [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    /// GitHub pipe table.
    Markdown,
    /// Machine-readable CSV, full precision, no marking.
    Csv,
    /// A booktabs `tabular` inside a `table` environment.
    Latex,
}

/// A format name that [`Format::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format `{0}`; valid formats: md, markdown, csv, latex, tex")]
pub struct ParseFormatError(pub String);

impl FromStr for Format {
    type Err = ParseFormatError;

    /// Accepts `md`, `markdown`, `csv`, `latex` and `tex`, ignoring case and surrounding space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "csv" => Ok(Format::Csv),
            "latex" | "tex" => Ok(Format::Latex),
            _ => Err(ParseFormatError(s.to_string())),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::Latex => "latex",
        })
    }
}

/// One metric of one row, aggregated over the row's runs that report the metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1); 0 when `count` is 1.
    pub std: f64,
    /// How many runs contributed (may be fewer than the row's runs).
    pub count: usize,
}

/// One configuration: every "done" run with the same (plugin, variant, params), any seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Run ids in record order; the first one names the row.
    pub run_ids: Vec<String>,
    pub plugin: String,
    pub variant: String,
    pub params: BTreeMap<String, String>,
    /// Seeds in the same order as `run_ids`.
    pub seeds: Vec<u64>,
    /// The first run's checkpoint.
    pub checkpoint: Option<String>,
    /// One per metric column; `None` when no run of the row reports that metric.
    pub cells: Vec<Option<Cell>>,
}

/// A results table ready to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Metric columns, in display order.
    pub metrics: Vec<String>,
    /// Parameter columns: the union of the rows' param keys, sorted.
    pub param_keys: Vec<String>,
    pub rows: Vec<Row>,
    /// Per metric column, the index of the best row by [`direction`]; `None` for `Neutral`
    /// metrics or when no row has a non-NaN value.
    pub best: Vec<Option<usize>>,
}

/// Builds the table from run records (expected sorted by run id).
///
/// * Only runs with status `"done"` enter the table; failed, cancelled, diverged, running and
///   queued runs are left out entirely (they neither form rows nor contribute values).
/// * Runs with equal (plugin, variant, params) collapse into one row whatever their seeds
///   (two runs with the same seed are both counted); rows keep first-seen order.
/// * Each cell is the mean and sample std over the row's runs that report the metric; a NaN
///   value is kept, so it makes the cell's mean NaN.
/// * If `metrics` is empty, the columns are the union of the done runs' metric names, sorted.
/// * Best per column: maximum mean for `Higher`, minimum for `Lower`, none for `Neutral`;
///   NaN means never win, and on equal means the earlier row wins.
pub fn build_table(records: &[RunRecord], metrics: &[String]) -> Table {
    let done: Vec<&RunRecord> = records.iter().filter(|r| r.status == DONE).collect();
    let metrics: Vec<String> = if metrics.is_empty() {
        let names: BTreeSet<&String> = done.iter().flat_map(|r| r.metrics.keys()).collect();
        names.into_iter().cloned().collect()
    } else {
        metrics.to_vec()
    };

    type Key<'a> = (&'a str, &'a str, &'a BTreeMap<String, String>);
    let mut index: BTreeMap<Key<'_>, usize> = BTreeMap::new();
    let mut groups: Vec<Vec<&RunRecord>> = Vec::new();
    for r in &done {
        let key = (r.plugin.as_str(), r.variant.as_str(), &r.params);
        match index.get(&key) {
            Some(&i) => groups[i].push(r),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![r]);
            }
        }
    }

    let rows: Vec<Row> = groups
        .iter()
        .map(|g| {
            let first = g[0];
            Row {
                run_ids: g.iter().map(|r| r.run_id.clone()).collect(),
                plugin: first.plugin.clone(),
                variant: first.variant.clone(),
                params: first.params.clone(),
                seeds: g.iter().map(|r| r.seed).collect(),
                checkpoint: first.checkpoint.clone(),
                cells: metrics
                    .iter()
                    .map(|m| {
                        let values: Vec<f64> =
                            g.iter().filter_map(|r| r.metrics.get(m).copied()).collect();
                        aggregate(&values)
                    })
                    .collect(),
            }
        })
        .collect();

    let param_keys: Vec<String> = rows
        .iter()
        .flat_map(|r| r.params.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect();

    let best = metrics
        .iter()
        .enumerate()
        .map(|(col, m)| best_row(&rows, col, direction(m)))
        .collect();

    Table {
        metrics,
        param_keys,
        rows,
        best,
    }
}

fn aggregate(values: &[f64]) -> Option<Cell> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = if values.len() == 1 {
        0.0
    } else {
        (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt()
    };
    Some(Cell {
        mean,
        std,
        count: values.len(),
    })
}

fn best_row(rows: &[Row], col: usize, dir: Direction) -> Option<usize> {
    if dir == Direction::Neutral {
        return None;
    }
    let mut best: Option<(usize, f64)> = None;
    for (i, row) in rows.iter().enumerate() {
        let Some(cell) = row.cells[col] else { continue };
        if cell.mean.is_nan() {
            continue;
        }
        let better = match best {
            None => true,
            Some((_, b)) => match dir {
                Direction::Higher => cell.mean > b,
                Direction::Lower => cell.mean < b,
                Direction::Neutral => false,
            },
        };
        if better {
            best = Some((i, cell.mean));
        }
    }
    best.map(|(i, _)| i)
}

/// Renders the table; every output ends with a newline.
///
/// * Markdown: `| run | plugin | variant | <params> | n | <metrics> | checkpoint |`, numbers via
///   [`fmt_num`], aggregated cells `mean ± std`, best cells in `**…**`, missing values `–`.
/// * CSV: `run_id,plugin,variant,<params>,n,<m>_mean,<m>_std,…,checkpoint,best`, numbers in
///   full (shortest round-trip) precision, missing values empty, `run_id` listing all the
///   row's run ids `;`-separated, `best` listing the metrics this row is best in, `;`-separated.
/// * LaTeX: booktabs `tabular` in a `table`, `\textbf{}` for best, `$\pm$`, text escaped with
///   [`latex_escape`], missing values `--`.
///
/// In Markdown and LaTeX, the std is printed with as many decimals as the mean (so
/// `0.01200 ± 0.00200`); when the mean is 0 or in exponent form the std uses [`fmt_num`].
/// A cell computed from fewer runs than the row has gets a ` (n=k)` suffix.
pub fn render(table: &Table, format: Format) -> String {
    match format {
        Format::Markdown => render_markdown(table),
        Format::Csv => render_csv(table),
        Format::Latex => render_latex(table),
    }
}

/// A number with 4 significant digits: `0.012345` → `0.01235`, `123.456` → `123.5`,
/// `12345.6` → `12346` (integer digits are never dropped).
///
/// Nonzero magnitudes below 1e-3 (after rounding) or from 1e15 up use exponent form,
/// `1.234e-5`; 0 is `0`; non-finite values are `NaN`, `inf`, `-inf`.
pub fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    // `{:.3e}` rounds to 4 significant digits and tells the exponent after rounding.
    let sci = format!("{v:.3e}");
    let exp: i32 = sci
        .rsplit_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    if !(-3..15).contains(&exp) {
        return sci;
    }
    let decimals = (3 - exp).max(0) as usize;
    format!("{v:.decimals$}")
}

/// Escapes LaTeX's special characters `\ _ % & # $ { } ~ ^` for use in text mode.
pub fn latex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '_' | '%' | '&' | '#' | '$' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// The std printed to the mean's precision (see [`render`]).
fn fmt_std(std: f64, mean_text: &str, mean: f64) -> String {
    let plain = mean.is_finite() && mean != 0.0 && !mean_text.contains('e');
    if !plain || !std.is_finite() {
        return fmt_num(std);
    }
    let decimals = mean_text.split_once('.').map_or(0, |(_, d)| d.len());
    format!("{std:.decimals$}")
}

/// The text of a metric cell for Markdown/LaTeX: `(value text, suffix)`, where only the value
/// text is wrapped when the cell is the best.
fn cell_text(cell: &Cell, runs: usize, pm: &str) -> (String, String) {
    let mean = fmt_num(cell.mean);
    let value = if cell.count > 1 {
        let std = fmt_std(cell.std, &mean, cell.mean);
        format!("{mean} {pm} {std}")
    } else {
        mean
    };
    let suffix = if cell.count != runs {
        format!(" (n={})", cell.count)
    } else {
        String::new()
    };
    (value, suffix)
}

/// The `run` column: the first id, plus ` (+N)` when N more runs were aggregated.
fn run_label(row: &Row) -> String {
    let first = row.run_ids.first().map_or("", String::as_str);
    match row.run_ids.len() {
        0 | 1 => first.to_string(),
        n => format!("{first} (+{})", n - 1),
    }
}

/// Text cells of one row in display order, for Markdown and LaTeX:
/// the metric cells are produced by `metric(cell, is_best)`.
fn display_row(
    table: &Table,
    i: usize,
    row: &Row,
    text: impl Fn(&str) -> String,
    missing: &str,
    metric: impl Fn(&Cell, bool) -> String,
) -> Vec<String> {
    let mut cells = vec![text(&run_label(row)), text(&row.plugin), text(&row.variant)];
    for key in &table.param_keys {
        cells.push(row.params.get(key).map_or(missing.to_string(), |v| text(v)));
    }
    cells.push(row.run_ids.len().to_string());
    for (col, cell) in row.cells.iter().enumerate() {
        cells.push(match cell {
            Some(c) => metric(c, table.best.get(col).copied().flatten() == Some(i)),
            None => missing.to_string(),
        });
    }
    cells.push(row.checkpoint.as_deref().map_or(missing.to_string(), &text));
    cells
}

fn header(table: &Table, text: impl Fn(&str) -> String) -> Vec<String> {
    let mut h: Vec<String> = ["run", "plugin", "variant"].map(String::from).to_vec();
    h.extend(table.param_keys.iter().map(|k| text(k)));
    h.push("n".to_string());
    h.extend(table.metrics.iter().map(|m| text(m)));
    h.push("checkpoint".to_string());
    h
}

/// Keeps a value inside one Markdown table cell.
fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn render_markdown(table: &Table) -> String {
    let mut out = String::new();
    let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    out.push_str(&line(&header(table, md_escape)));
    let mut sep = vec!["---"; 3 + table.param_keys.len()];
    sep.push("---:");
    sep.extend(std::iter::repeat_n("---:", table.metrics.len()));
    sep.push("---");
    out.push_str(&format!("|{}|\n", sep.join("|")));
    for (i, row) in table.rows.iter().enumerate() {
        let runs = row.run_ids.len();
        let cells = display_row(table, i, row, md_escape, "–", |c, best| {
            let (value, suffix) = cell_text(c, runs, "±");
            if best {
                format!("**{value}**{suffix}")
            } else {
                format!("{value}{suffix}")
            }
        });
        out.push_str(&line(&cells));
    }
    out
}

fn render_latex(table: &Table) -> String {
    let mut spec = "l".repeat(3 + table.param_keys.len());
    spec.push('r');
    spec.push_str(&"r".repeat(table.metrics.len()));
    spec.push('l');
    let line = |cells: &[String]| format!("{} \\\\\n", cells.join(" & "));
    let mut out = String::from("% generated by workbench report\n");
    out.push_str("\\begin{table}\n\\centering\n");
    out.push_str(&format!("\\begin{{tabular}}{{{spec}}}\n\\toprule\n"));
    out.push_str(&line(&header(table, latex_escape)));
    out.push_str("\\midrule\n");
    for (i, row) in table.rows.iter().enumerate() {
        let runs = row.run_ids.len();
        let cells = display_row(table, i, row, latex_escape, "--", |c, best| {
            let (value, suffix) = cell_text(c, runs, "$\\pm$");
            if best {
                format!("\\textbf{{{value}}}{suffix}")
            } else {
                format!("{value}{suffix}")
            }
        });
        out.push_str(&line(&cells));
    }
    out.push_str("\\bottomrule\n\\end{tabular}\n\\end{table}\n");
    out
}

fn render_csv(table: &Table) -> String {
    let mut header: Vec<String> = ["run_id", "plugin", "variant"].map(String::from).to_vec();
    header.extend(table.param_keys.iter().cloned());
    header.push("n".to_string());
    for m in &table.metrics {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_std"));
    }
    header.push("checkpoint".to_string());
    header.push("best".to_string());

    let mut w = csv::Writer::from_writer(Vec::new());
    let mut records = vec![header];
    for (i, row) in table.rows.iter().enumerate() {
        let mut rec = vec![
            row.run_ids.join(";"),
            row.plugin.clone(),
            row.variant.clone(),
        ];
        for key in &table.param_keys {
            rec.push(row.params.get(key).cloned().unwrap_or_default());
        }
        rec.push(row.run_ids.len().to_string());
        for cell in &row.cells {
            match cell {
                Some(c) => {
                    rec.push(c.mean.to_string());
                    rec.push(c.std.to_string());
                }
                None => rec.extend([String::new(), String::new()]),
            }
        }
        rec.push(row.checkpoint.clone().unwrap_or_default());
        let best: Vec<&str> = table
            .metrics
            .iter()
            .zip(&table.best)
            .filter(|(_, b)| **b == Some(i))
            .map(|(m, _)| m.as_str())
            .collect();
        rec.push(best.join(";"));
        records.push(rec);
    }
    for rec in &records {
        w.write_record(rec)
            .expect("writing CSV into memory cannot fail");
    }
    let bytes = w
        .into_inner()
        .expect("flushing CSV into memory cannot fail");
    String::from_utf8(bytes).expect("CSV built from Rust strings is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(
        id: &str,
        variant: &str,
        params: &[(&str, &str)],
        seed: u64,
        status: &str,
        checkpoint: Option<&str>,
        metrics: &[(&str, f64)],
    ) -> RunRecord {
        RunRecord {
            run_id: id.to_string(),
            plugin: "ae".to_string(),
            variant: variant.to_string(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            seed,
            status: status.to_string(),
            checkpoint: checkpoint.map(String::from),
            metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    /// Two configurations: `base` with 3 done seeds (+1 failed run), `deep` with 1 seed.
    fn fixture() -> Vec<RunRecord> {
        let lr = ("lr", "1e-3");
        vec![
            rec(
                "r01",
                "base",
                &[lr],
                0,
                "done",
                Some("runs/r01/best.pt"),
                &[("mse", 0.010), ("psnr", 20.0), ("params", 1000.0)],
            ),
            rec(
                "r02",
                "deep",
                &[lr, ("depth", "4")],
                0,
                "done",
                None,
                &[("mse", 0.008), ("psnr", 19.0), ("params", 2500.0)],
            ),
            rec(
                "r03",
                "base",
                &[lr],
                1,
                "done",
                Some("runs/r03/best.pt"),
                &[("mse", 0.012), ("psnr", 19.2)],
            ),
            rec(
                "r04",
                "base",
                &[lr],
                2,
                "done",
                None,
                &[("mse", 0.014), ("psnr", 18.5)],
            ),
            // Failed: would win both columns if it were counted.
            rec(
                "r05",
                "base",
                &[lr],
                3,
                "failed",
                None,
                &[("mse", 0.0001), ("psnr", 40.0)],
            ),
        ]
    }

    #[test]
    fn build_table_aggregates_by_configuration() {
        let t = build_table(&fixture(), &[]);
        // Metric columns: union of done runs' names, sorted.
        assert_eq!(t.metrics, ["mse", "params", "psnr"]);
        assert_eq!(t.param_keys, ["depth", "lr"]);
        assert_eq!(t.rows.len(), 2);
        let base = &t.rows[0];
        assert_eq!(base.run_ids, ["r01", "r03", "r04"]);
        assert_eq!(base.seeds, [0, 1, 2]);
        assert_eq!(base.checkpoint.as_deref(), Some("runs/r01/best.pt"));
        // mse: mean (0.010 + 0.012 + 0.014)/3 = 0.012; deviations ∓0.002, 0 →
        // std = √((0.002² + 0 + 0.002²)/2) = 0.002
        let mse = base.cells[0].unwrap();
        assert!((mse.mean - 0.012).abs() < 1e-15 && (mse.std - 0.002).abs() < 1e-15);
        assert_eq!(mse.count, 3);
        // params only reported by r01: one value, std 0.
        assert_eq!(
            base.cells[1],
            Some(Cell {
                mean: 1000.0,
                std: 0.0,
                count: 1
            })
        );
        // psnr: mean 57.7/3 = 19.2333…; squared deviations 0.58778 + 0.00111 + 0.53778
        // = 1.12667, /2 = 0.56333, √ = 0.75056
        let psnr = base.cells[2].unwrap();
        assert!((psnr.mean - 57.7 / 3.0).abs() < 1e-12);
        assert!((psnr.std - 0.750_555_349_946_513).abs() < 1e-12);
        // best: mse (Lower) → deep (0.008 < 0.012); params Neutral → none;
        // psnr (Higher) → base (19.23 > 19.0). The failed r05 is ignored.
        assert_eq!(t.best, [Some(1), None, Some(0)]);
    }

    #[test]
    fn markdown_exact() {
        let t = build_table(&fixture(), &[]);
        let want = "\
| run | plugin | variant | depth | lr | n | mse | params | psnr | checkpoint |
|---|---|---|---|---|---:|---:|---:|---:|---|
| r01 (+2) | ae | base | – | 1e-3 | 3 | 0.01200 ± 0.00200 | 1000 (n=1) | **19.23 ± 0.75** | runs/r01/best.pt |
| r02 | ae | deep | 4 | 1e-3 | 1 | **0.008000** | 2500 | 19.00 | – |
";
        assert_eq!(render(&t, Format::Markdown), want);
    }

    #[test]
    fn csv_exact() {
        let t = build_table(&fixture(), &[]);
        let base = &t.rows[0];
        let (mse, psnr) = (base.cells[0].unwrap(), base.cells[2].unwrap());
        // Full precision: the shortest strings that round-trip the computed f64s
        // (the mean of 0.010, 0.012, 0.014 is 0.011999999999999999 in binary floating point).
        let want = "\
run_id,plugin,variant,depth,lr,n,mse_mean,mse_std,params_mean,params_std,psnr_mean,psnr_std,checkpoint,best
r01;r03;r04,ae,base,,1e-3,3,0.011999999999999999,0.002,1000,0,19.233333333333334,0.7505553499465134,runs/r01/best.pt,psnr
r02,ae,deep,4,1e-3,1,0.008,0,2500,0,19,0,,mse
";
        let got = render(&t, Format::Csv);
        assert_eq!(got, want);
        // and those numbers parse back to exactly the cell values
        let line: Vec<&str> = got.lines().nth(1).unwrap().split(',').collect();
        assert_eq!(line[6].parse::<f64>().unwrap(), mse.mean);
        assert_eq!(line[11].parse::<f64>().unwrap(), psnr.std);
    }

    #[test]
    fn latex_exact() {
        let t = build_table(&fixture(), &[]);
        let want = r"% generated by workbench report
\begin{table}
\centering
\begin{tabular}{lllllrrrrl}
\toprule
run & plugin & variant & depth & lr & n & mse & params & psnr & checkpoint \\
\midrule
r01 (+2) & ae & base & -- & 1e-3 & 3 & 0.01200 $\pm$ 0.00200 & 1000 (n=1) & \textbf{19.23 $\pm$ 0.75} & runs/r01/best.pt \\
r02 & ae & deep & 4 & 1e-3 & 1 & \textbf{0.008000} & 2500 & 19.00 & -- \\
\bottomrule
\end{tabular}
\end{table}
";
        assert_eq!(render(&t, Format::Latex), want);
    }

    #[test]
    fn latex_escaping() {
        assert_eq!(latex_escape("a_b%"), r"a\_b\%");
        assert_eq!(
            latex_escape(r"\ _ % & # $ { } ~ ^"),
            r"\textbackslash{} \_ \% \& \# \$ \{ \} \textasciitilde{} \textasciicircum{}"
        );
        let mut r = rec(
            "x_1",
            "v&w",
            &[("lr_max", "5%")],
            0,
            "done",
            Some("C:\\ck#1.pt"),
            &[("val_loss", 0.5)],
        );
        r.plugin = "a_b%".to_string();
        let out = render(&build_table(&[r], &[]), Format::Latex);
        assert!(out.contains(r"run & plugin & variant & lr\_max & n & val\_loss & checkpoint \\"));
        assert!(out.contains(
            r"x\_1 & a\_b\% & v\&w & 5\% & 1 & \textbf{0.5000} & C:\textbackslash{}ck\#1.pt \\"
        ));
        // Markdown leaves these alone but keeps a `|` inside its cell.
        let mut r = rec("r|1", "v", &[], 0, "done", None, &[]);
        r.plugin = "a_b%".to_string();
        assert_eq!(
            render(&build_table(&[r], &[]), Format::Markdown),
            "| run | plugin | variant | n | checkpoint |\n|---|---|---|---:|---|\n| r\\|1 | a_b% | v | 1 | – |\n"
        );
    }

    #[test]
    fn neutral_columns_never_marked() {
        let records = vec![
            rec(
                "r1",
                "a",
                &[],
                0,
                "done",
                None,
                &[("params", 10.0), ("epoch", 3.0)],
            ),
            rec(
                "r2",
                "b",
                &[],
                0,
                "done",
                None,
                &[("params", 20.0), ("epoch", 5.0)],
            ),
        ];
        let t = build_table(&records, &[]);
        assert_eq!(t.best, [None, None]);
        let md = render(&t, Format::Markdown);
        assert!(!md.contains("**"), "{md}");
        assert!(!render(&t, Format::Latex).contains("textbf"));
        let csv = render(&t, Format::Csv);
        assert!(csv.ends_with("r2,ae,b,1,5,0,20,0,,\n"), "{csv}");
    }

    #[test]
    fn nan_never_best() {
        let records = vec![
            rec(
                "r1",
                "a",
                &[],
                0,
                "done",
                None,
                &[("accuracy", f64::NAN), ("cer", f64::NAN)],
            ),
            rec(
                "r2",
                "b",
                &[],
                0,
                "done",
                None,
                &[("accuracy", 0.5), ("cer", f64::NAN)],
            ),
            rec("r3", "c", &[], 0, "done", None, &[("accuracy", 0.25)]),
        ];
        let t = build_table(&records, &["accuracy".to_string(), "cer".to_string()]);
        // accuracy: NaN row skipped, 0.5 > 0.25 → r2; cer: only NaN → no best.
        assert_eq!(t.best, [Some(1), None]);
        let md = render(&t, Format::Markdown);
        assert!(md.contains("| r1 | ae | a | 1 | NaN | NaN | – |"), "{md}");
        assert!(
            md.contains("| r2 | ae | b | 1 | **0.5000** | NaN | – |"),
            "{md}"
        );
        assert!(md.contains("| r3 | ae | c | 1 | 0.2500 | – | – |"), "{md}");
    }

    #[test]
    fn lower_direction_and_explicit_metric_order() {
        let records = vec![
            rec(
                "r1",
                "a",
                &[],
                0,
                "done",
                None,
                &[("cer", 0.1), ("accuracy", 0.9)],
            ),
            rec(
                "r2",
                "b",
                &[],
                0,
                "done",
                None,
                &[("cer", 0.05), ("accuracy", 0.8)],
            ),
        ];
        // Requested order is kept; an unknown metric is a column of missing values.
        let metrics = ["cer", "accuracy", "wer"].map(String::from);
        let t = build_table(&records, &metrics);
        assert_eq!(t.best, [Some(1), Some(0), None]);
        assert_eq!(
            render(&t, Format::Csv),
            "run_id,plugin,variant,n,cer_mean,cer_std,accuracy_mean,accuracy_std,wer_mean,wer_std,checkpoint,best\n\
             r1,ae,a,1,0.1,0,0.9,0,,,,accuracy\n\
             r2,ae,b,1,0.05,0,0.8,0,,,,cer\n"
        );
    }

    #[test]
    fn empty_records_render_headers() {
        let t = build_table(&[], &[]);
        assert!(t.rows.is_empty() && t.metrics.is_empty() && t.best.is_empty());
        assert_eq!(
            render(&t, Format::Markdown),
            "| run | plugin | variant | n | checkpoint |\n|---|---|---|---:|---|\n"
        );
        assert_eq!(
            render(&t, Format::Csv),
            "run_id,plugin,variant,n,checkpoint,best\n"
        );
        assert_eq!(
            render(&t, Format::Latex),
            "% generated by workbench report\n\\begin{table}\n\\centering\n\
             \\begin{tabular}{lllrl}\n\\toprule\n\
             run & plugin & variant & n & checkpoint \\\\\n\\midrule\n\
             \\bottomrule\n\\end{tabular}\n\\end{table}\n"
        );
        // Only non-done runs: same as empty.
        let only_failed = [rec("r1", "a", &[], 0, "failed", None, &[("mse", 1.0)])];
        assert_eq!(build_table(&only_failed, &[]), t);
    }

    #[test]
    fn fmt_num_four_significant_digits() {
        assert_eq!(fmt_num(0.012345), "0.01235");
        assert_eq!(fmt_num(123.456), "123.5");
        assert_eq!(fmt_num(12345.6), "12346");
        assert_eq!(fmt_num(0.5), "0.5000");
        assert_eq!(fmt_num(1.0), "1.000");
        assert_eq!(fmt_num(-2.5), "-2.500");
        // rounding can carry into the next power of ten: 9.99996 → 10.00, not 10.000
        assert_eq!(fmt_num(9.99996), "10.00");
        assert_eq!(fmt_num(0.001), "0.001000");
        assert_eq!(fmt_num(0.00001234), "1.234e-5");
        assert_eq!(fmt_num(0.0004), "4.000e-4");
        assert_eq!(fmt_num(-0.00001234), "-1.234e-5");
        assert_eq!(fmt_num(2e15), "2.000e15");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(f64::NAN), "NaN");
        assert_eq!(fmt_num(f64::INFINITY), "inf");
        assert_eq!(fmt_num(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn std_follows_mean_precision() {
        let c = Cell {
            mean: 0.0123,
            std: 0.0004,
            count: 3,
        };
        assert_eq!(cell_text(&c, 3, "±").0, "0.01230 ± 0.00040");
        let c = Cell {
            mean: 1.5e-5,
            std: 2.5e-6,
            count: 2,
        };
        assert_eq!(cell_text(&c, 2, "±").0, "1.500e-5 ± 2.500e-6");
        let c = Cell {
            mean: 0.0,
            std: 0.003,
            count: 2,
        };
        assert_eq!(cell_text(&c, 2, "±").0, "0 ± 0.003000");
    }

    #[test]
    fn format_from_str() {
        for (s, f) in [
            ("md", Format::Markdown),
            ("markdown", Format::Markdown),
            ("CSV", Format::Csv),
            ("latex", Format::Latex),
            (" tex ", Format::Latex),
        ] {
            assert_eq!(s.parse::<Format>(), Ok(f));
        }
        let err = "html".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown report format `html`; valid formats: md, markdown, csv, latex, tex"
        );
        assert_eq!(Format::Latex.to_string(), "latex");
    }

    #[test]
    fn run_record_json_round_trip() {
        let r = &fixture()[0];
        let json = serde_json::to_string(r).unwrap();
        assert_eq!(
            json,
            r#"{"run_id":"r01","plugin":"ae","variant":"base","params":{"lr":"1e-3"},"seed":0,"status":"done","checkpoint":"runs/r01/best.pt","metrics":{"mse":0.01,"params":1000.0,"psnr":20.0}}"#
        );
        assert_eq!(&serde_json::from_str::<RunRecord>(&json).unwrap(), r);
    }
}
