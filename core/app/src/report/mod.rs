//! Thesis-style results tables: runs collapsed over seeds into mean ± std rows, the best cell
//! of each metric column marked, rendered as Markdown, CSV or LaTeX.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::metrics::{direction, Direction};

/// The only run status whose metrics enter a table.
const DONE: &str = "done";

/// One finished (or failed) run as the results store knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    /// The spec's name for the run, without the ` seed=N` its seeds add:
    /// runs named differently are different rows even with equal
    /// parameters.
    #[serde(default)]
    pub name: String,
    pub plugin: String,
    pub variant: String,
    /// Key parameters, already formatted; the seed is NOT included.
    pub params: BTreeMap<String, String>,
    pub seed: u64,
    /// One of done | failed | cancelled | diverged | running | queued.
    pub status: String,
    pub checkpoint: Option<String>,
    pub metrics: BTreeMap<String, f64>,
    /// The `workbench run` invocation that made the run (empty when unknown).
    #[serde(default)]
    pub invocation: String,
}

/// What makes runs one configuration (one row): name, plugin, variant and
/// parameters; seeds and invocations vary inside it.
type ConfigKey<'a> = (&'a str, &'a str, &'a str, &'a BTreeMap<String, String>);

fn config_key(r: &RunRecord) -> ConfigKey<'_> {
    (
        r.name.as_str(),
        r.plugin.as_str(),
        r.variant.as_str(),
        &r.params,
    )
}

/// Which invocations' runs a table pools (`report --invocations`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Invocations {
    /// Per configuration, only the runs of the newest invocation that ran it.
    #[default]
    Latest,
    /// Every invocation's runs (a re-run of a seed still counts once).
    All,
    /// Only the runs of this invocation id.
    Id(String),
}

impl From<&str> for Invocations {
    /// `latest`, `all`, or anything else as an invocation id.
    fn from(s: &str) -> Self {
        match s.trim() {
            "latest" => Invocations::Latest,
            "all" => Invocations::All,
            id => Invocations::Id(id.to_string()),
        }
    }
}

/// The records a table with `which` invocations is built from (sorted by
/// run id as given). `Latest`: for each configuration, the runs of the
/// invocation that ran it last (the one with the newest run id).
pub fn select_invocations(records: &[RunRecord], which: &Invocations) -> Vec<RunRecord> {
    match which {
        Invocations::All => records.to_vec(),
        Invocations::Id(id) => records
            .iter()
            .filter(|r| &r.invocation == id)
            .cloned()
            .collect(),
        Invocations::Latest => {
            let mut latest: BTreeMap<ConfigKey<'_>, (&str, &str)> = BTreeMap::new();
            for r in records.iter().filter(|r| r.status == DONE) {
                let entry = latest
                    .entry(config_key(r))
                    .or_insert((&r.run_id, &r.invocation));
                if r.run_id.as_str() >= entry.0 {
                    *entry = (&r.run_id, &r.invocation);
                }
            }
            records
                .iter()
                .filter(|r| {
                    latest
                        .get(&config_key(r))
                        .is_none_or(|(_, inv)| *inv == r.invocation)
                })
                .cloned()
                .collect()
        }
    }
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

/// One configuration: every "done" run with the same (name, plugin, variant, params), any seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Run ids in record order; the first one names the row.
    pub run_ids: Vec<String>,
    /// The runs' name (without ` seed=N`).
    #[serde(default)]
    pub name: String,
    pub plugin: String,
    pub variant: String,
    pub params: BTreeMap<String, String>,
    /// Seeds in the same order as `run_ids`.
    pub seeds: Vec<u64>,
    /// The first run's checkpoint.
    pub checkpoint: Option<String>,
    /// One per metric column; `None` when no run of the row reports that metric.
    pub cells: Vec<Option<Cell>>,
    /// Numbers quoted from a publication (its citation), not measured by
    /// any run here: such a row has no runs, is shown apart, and is never
    /// marked best.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted: Option<String>,
}

/// A results table ready to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Metric columns, in display order.
    pub metrics: Vec<String>,
    /// Parameter columns: the union of the rows' param keys, sorted.
    pub param_keys: Vec<String>,
    pub rows: Vec<Row>,
    /// Per metric column, the best rows by [`direction`] (several when their means print
    /// the same); empty for `Neutral` metrics, when no row has a non-NaN value, or when the
    /// table has one row.
    pub best: Vec<Vec<usize>>,
    /// Print every number with this many decimals instead of [`fmt_num`]'s
    /// four significant digits (tables in percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<usize>,
    /// A note printed under the table (Markdown, LaTeX): units, sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Every parameter name of the rows, sorted, once each.
pub(super) fn param_keys(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .flat_map(|r| r.params.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect()
}

/// Builds the table from run records (expected sorted by run id).
///
/// * Only runs with status `"done"` enter the table; failed, cancelled, diverged, running and
///   queued runs are left out entirely (they neither form rows nor contribute values).
/// * Runs with equal (name, plugin, variant, params) collapse into one row whatever their seeds;
///   rows keep first-seen order. Two runs with the same seed are a re-run, not a replicate:
///   only the newest (the later run id) counts, so re-running an experiment never pools it
///   with itself (n = 2, ± 0).
/// * Each cell is the mean and sample std over the row's runs that report the metric; a NaN
///   value is kept, so it makes the cell's mean NaN.
/// * If `metrics` is empty, the columns are the union of the done runs' metric names, sorted.
/// * Best per column: maximum mean for `Higher`, minimum for `Lower`, none for `Neutral`;
///   NaN means never win, and on equal means the earlier row wins; a table of one row marks
///   nothing.
/// * When a `probe_accuracy|precision|recall` column is shown and runs measured the probe's
///   baselines, rows `raw pixels` and `PCA, K components` follow (see `probe_baselines`).
pub fn build_table(records: &[RunRecord], metrics: &[String]) -> Table {
    let done: Vec<&RunRecord> = records.iter().filter(|r| r.status == DONE).collect();
    let metrics: Vec<String> = if metrics.is_empty() {
        let names: BTreeSet<&String> = done.iter().flat_map(|r| r.metrics.keys()).collect();
        names.into_iter().cloned().collect()
    } else {
        metrics.to_vec()
    };

    let mut index: BTreeMap<ConfigKey<'_>, usize> = BTreeMap::new();
    let mut groups: Vec<Vec<&RunRecord>> = Vec::new();
    for r in &done {
        let key = config_key(r);
        match index.get(&key) {
            Some(&i) => {
                // Records come sorted by run id: a later run with a seed
                // already in the group replaces the earlier one.
                let group = &mut groups[i];
                match group.iter().position(|g| g.seed == r.seed) {
                    Some(k) => group[k] = r,
                    None => group.push(r),
                }
            }
            None => {
                index.insert(key, groups.len());
                groups.push(vec![r]);
            }
        }
    }

    let mut rows: Vec<Row> = groups
        .iter()
        .map(|g| {
            let first = g[0];
            Row {
                run_ids: g.iter().map(|r| r.run_id.clone()).collect(),
                name: first.name.clone(),
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
                quoted: None,
            }
        })
        .collect();

    rows.extend(probe_baselines(&done, &metrics));

    let param_keys = param_keys(&rows);

    let directions: Vec<Direction> = metrics.iter().map(|m| direction(m)).collect();
    let best = best_marks(&rows, &directions, None);
    Table {
        metrics,
        param_keys,
        rows,
        best,
        decimals: None,
        note: None,
    }
}

/// The `plugin` of the probe's baseline rows.
pub const BASELINE: &str = "probe baseline";

/// The probe's baselines, measured by the same runs (`probe_raw_*`: the
/// raw test pixels; `probe_pca_*`: a PCA of the training images with as
/// many components as the code, `probe_pca_components`), as rows of the
/// `probe_*` columns: "raw pixels", and "PCA, K components" per K. A cell
/// pools one value per seed (the newest run of that seed that has it):
/// the baselines depend on the data, not on the configuration. No rows
/// when no `probe_*` column is shown or no run measured a baseline.
fn probe_baselines(done: &[&RunRecord], metrics: &[String]) -> Vec<Row> {
    const PROBE: [&str; 3] = ["accuracy", "precision", "recall"];
    let probed: Vec<Option<&str>> = metrics
        .iter()
        .map(|m| m.strip_prefix("probe_").filter(|rest| PROBE.contains(rest)))
        .collect();
    if probed.iter().all(Option::is_none) {
        return Vec::new();
    }
    let row = |name: String, variant: &str, prefix: &str, of: &dyn Fn(&RunRecord) -> bool| {
        // seed → (run id, record): the newest run of each seed.
        let mut by_seed: BTreeMap<u64, &RunRecord> = BTreeMap::new();
        for r in done.iter().filter(|r| of(r)) {
            if PROBE
                .iter()
                .any(|p| r.metrics.contains_key(&format!("{prefix}{p}")))
            {
                by_seed.insert(r.seed, *r);
            }
        }
        if by_seed.is_empty() {
            return None;
        }
        Some(Row {
            run_ids: by_seed.values().map(|r| r.run_id.clone()).collect(),
            name,
            plugin: BASELINE.to_string(),
            variant: variant.to_string(),
            params: BTreeMap::new(),
            seeds: by_seed.keys().copied().collect(),
            checkpoint: None,
            cells: probed
                .iter()
                .map(|p| {
                    let values: Vec<f64> = match p {
                        Some(p) => by_seed
                            .values()
                            .filter_map(|r| r.metrics.get(&format!("{prefix}{p}")).copied())
                            .collect(),
                        None => Vec::new(),
                    };
                    aggregate(&values)
                })
                .collect(),
            quoted: None,
        })
    };
    let mut out: Vec<Row> = row("raw pixels".into(), "raw pixels", "probe_raw_", &|_| true)
        .into_iter()
        .collect();
    let components: BTreeSet<u64> = done
        .iter()
        .filter_map(|r| r.metrics.get("probe_pca_components"))
        .map(|k| *k as u64)
        .collect();
    for k in components {
        let of = move |r: &RunRecord| {
            r.metrics.get("probe_pca_components").map(|v| *v as u64) == Some(k)
        };
        out.extend(row(
            format!("PCA, {k} components"),
            "pca",
            "probe_pca_",
            &of,
        ));
    }
    out
}

/// The best rows of each column (see [`Table::best`]): quoted rows never
/// compete, and with fewer than two measured rows nothing is marked. Rows
/// whose mean prints the same as the best one tie with it.
fn best_marks(rows: &[Row], directions: &[Direction], decimals: Option<usize>) -> Vec<Vec<usize>> {
    let measured = rows.iter().filter(|r| r.quoted.is_none()).count();
    directions
        .iter()
        .enumerate()
        .map(|(col, &dir)| match best_row(rows, col, dir) {
            Some(b) if measured > 1 => {
                let shown = |i: usize| rows[i].cells[col].map(|c| fmt_value(c.mean, decimals));
                (0..rows.len())
                    .filter(|&i| i == b || (rows[i].quoted.is_none() && shown(i) == shown(b)))
                    .collect()
            }
            _ => Vec::new(),
        })
        .collect()
}

/// A number as tables print it: `decimals` fixed, or [`fmt_num`].
fn fmt_value(v: f64, decimals: Option<usize>) -> String {
    match decimals {
        Some(d) if v.is_finite() => format!("{v:.d$}"),
        _ => fmt_num(v),
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
        if row.quoted.is_some() {
            continue;
        }
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

/// How a table is shown (`report --columns/--caption/--label`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// The columns before the metrics, in order: `name`, `run`, `plugin`,
    /// `variant`, `n`, `seeds`, `checkpoint` or a parameter. `None`: the
    /// name, the plugin, variant and parameters that differ between rows, and `n`.
    pub columns: Option<Vec<String>>,
    /// LaTeX `\caption`.
    pub caption: Option<String>,
    /// LaTeX `\label`.
    pub label: Option<String>,
    /// LaTeX: metric columns as siunitx `S` columns (`report --siunitx`).
    pub siunitx: bool,
}

/// A column `--columns` names that no table of these runs has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown column `{name}`; columns: {known}")]
pub struct UnknownColumn {
    /// The name given.
    pub name: String,
    /// Every column this table has, comma-separated.
    pub known: String,
}

/// One column before the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Col {
    Name,
    Run,
    Plugin,
    Variant,
    N,
    Seeds,
    Checkpoint,
    Param(String),
}

impl Col {
    fn title(&self) -> &str {
        match self {
            Col::Name => "name",
            Col::Run => "run",
            Col::Plugin => "plugin",
            Col::Variant => "variant",
            Col::N => "n",
            Col::Seeds => "seeds",
            Col::Checkpoint => "checkpoint",
            Col::Param(p) => p,
        }
    }

    fn numeric(&self) -> bool {
        matches!(self, Col::N)
    }
}

const FIXED_COLUMNS: [&str; 7] = [
    "name",
    "run",
    "plugin",
    "variant",
    "n",
    "seeds",
    "checkpoint",
];

/// Every column `--columns` can name for `table`: the fixed ones, then
/// its parameters.
pub fn all_columns(table: &Table) -> Vec<String> {
    FIXED_COLUMNS
        .iter()
        .map(|s| s.to_string())
        .chain(table.param_keys.iter().cloned())
        .collect()
}

fn columns(table: &Table, options: &RenderOptions) -> Result<Vec<Col>, UnknownColumn> {
    match &options.columns {
        Some(names) => names
            .iter()
            .map(|n| match n.trim() {
                "name" => Ok(Col::Name),
                "run" | "run_id" => Ok(Col::Run),
                "plugin" => Ok(Col::Plugin),
                "variant" => Ok(Col::Variant),
                "n" => Ok(Col::N),
                "seeds" => Ok(Col::Seeds),
                "checkpoint" => Ok(Col::Checkpoint),
                p if table.param_keys.iter().any(|k| k == p) => Ok(Col::Param(p.to_string())),
                other => Err(UnknownColumn {
                    name: other.to_string(),
                    known: all_columns(table).join(", "),
                }),
            })
            .collect(),
        None => {
            // What differs between the measured configurations: baseline
            // and quoted rows do not add columns.
            let configs: Vec<&Row> = table
                .rows
                .iter()
                .filter(|r| r.quoted.is_none() && r.plugin != BASELINE)
                .collect();
            let differs = |f: &dyn Fn(&Row) -> Option<&String>| {
                let first = configs.first().map(|r| f(r));
                configs.iter().any(|r| Some(f(r)) != first)
            };
            let mut cols = vec![Col::Name];
            if differs(&|r| Some(&r.plugin)) {
                cols.push(Col::Plugin);
            }
            if differs(&|r| Some(&r.variant)) {
                cols.push(Col::Variant);
            }
            for key in &table.param_keys {
                if differs(&|r| r.params.get(key)) {
                    cols.push(Col::Param(key.clone()));
                }
            }
            cols.push(Col::N);
            Ok(cols)
        }
    }
}

/// A row's name as shown beside parameter columns: without the
/// ` key=value` parts a sweep appends for keys shown in their own columns.
fn display_name(row: &Row, shown: &[Col]) -> String {
    let mut name = row.name.clone();
    for col in shown {
        if let Col::Param(k) = col {
            if let Some(v) = row.params.get(k) {
                name = name.replace(&format!(" {k}={v}"), "");
            }
        }
    }
    if name.is_empty() {
        format!("{}/{}", row.plugin, row.variant)
    } else {
        name
    }
}

fn column_text(col: &Col, row: &Row, shown: &[Col], missing: &str) -> String {
    match col {
        Col::Name => display_name(row, shown),
        Col::Run => run_label(row),
        Col::Plugin | Col::Variant if row.quoted.is_some() => missing.to_string(),
        Col::Plugin => row.plugin.clone(),
        Col::Variant => row.variant.clone(),
        Col::N if row.quoted.is_some() => missing.to_string(),
        Col::N => row.seeds.len().to_string(),
        Col::Seeds => row
            .seeds
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        Col::Checkpoint => row
            .checkpoint
            .clone()
            .unwrap_or_else(|| missing.to_string()),
        Col::Param(k) => row
            .params
            .get(k)
            .cloned()
            .unwrap_or_else(|| missing.to_string()),
    }
}

/// A table as plain text cells, for views that lay it out themselves
/// (the terminal UI): the same columns and numbers as [`render_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct TextTable {
    /// Column titles.
    pub header: Vec<String>,
    /// Whether each column holds numbers (right-aligned).
    pub numeric: Vec<bool>,
    /// Cell text per row.
    pub rows: Vec<Vec<String>>,
    /// Whether each cell is its column's best.
    pub best: Vec<Vec<bool>>,
    /// Per row and column, the value to sort by (the mean for metric cells).
    pub sort_keys: Vec<Vec<Option<f64>>>,
}

/// `table` as [`TextTable`] with `options`' columns.
pub fn text_table(table: &Table, options: &RenderOptions) -> Result<TextTable, UnknownColumn> {
    let cols = columns(table, options)?;
    let header = header(table, &cols, |s| s.to_string());
    let mut numeric: Vec<bool> = cols.iter().map(Col::numeric).collect();
    numeric.extend(std::iter::repeat_n(true, table.metrics.len()));
    let mut rows = Vec::new();
    let mut best = Vec::new();
    let mut sort_keys = Vec::new();
    for (i, row) in table.rows.iter().enumerate() {
        let runs = runs_of(row);
        rows.push(display_row(
            table,
            &cols,
            i,
            row,
            |s| s.to_string(),
            ("–", "–", DAGGER),
            |c, _| {
                let (value, suffix) = cell_text(c, runs, "±", table.decimals);
                format!("{value}{suffix}")
            },
        ));
        let mut flags = vec![false; cols.len()];
        flags.extend((0..table.metrics.len()).map(|m| table.best[m].contains(&i)));
        best.push(flags);
        let mut keys: Vec<Option<f64>> = cols
            .iter()
            .map(|c| match c {
                Col::N => row.quoted.is_none().then_some(row.seeds.len() as f64),
                _ => None,
            })
            .collect();
        keys.extend(row.cells.iter().map(|c| c.map(|c| c.mean)));
        sort_keys.push(keys);
    }
    Ok(TextTable {
        header,
        numeric,
        rows,
        best,
        sort_keys,
    })
}

/// Renders the table with the default [`RenderOptions`]; every output ends with a newline.
pub fn render(table: &Table, format: Format) -> String {
    render_with(table, format, &RenderOptions::default()).expect("the default columns always exist")
}

/// Renders the table; every output ends with a newline.
///
/// * Markdown: `| name | <differing params> | n | <metrics> |` (or `--columns`), numbers via
///   [`fmt_num`], aggregated cells `mean ± std`, best cells (ties included) in `**…**`,
///   missing values `–`.
/// * CSV: every column whatever `columns` says — `run_id,name,plugin,variant,<params>,n,
///   <m>_mean,<m>_std,…,checkpoint,best` — numbers in full precision, missing values empty,
///   `run_id` listing all the row's run ids `;`-separated, `best` the metrics this row is
///   best in, `;`-separated.
/// * LaTeX: a complete `table` environment (caption, label) around a booktabs `tabular`
///   scaled down to the line width when wider; `\textbf{}` for best, `$\pm$`, text escaped
///   with [`latex_escape`], missing values `--`. Needs `booktabs` and `graphicx` (said in a
///   comment on top).
///
/// With `options.siunitx`, LaTeX metric columns are siunitx `S` columns (`table-format` from
/// the values, `mean \pm std` as separate uncertainty, the best in `\bfseries`, anything that
/// is not a plain number as braced text). A quoted row ([`Row::quoted`]) has `†` after its
/// name, `–` for `n`, plugin and variant, follows a rule in LaTeX, and a CSV `source` column
/// says `quoted: ...` or `measured`; [`Table::note`] is printed under Markdown and LaTeX.
///
/// In Markdown and LaTeX, the std is printed with as many decimals as the mean (so
/// `0.01200 ± 0.00200`); when the mean is 0 or in exponent form the std uses [`fmt_num`].
/// A cell computed from fewer runs than the row has gets a ` (n=k)` suffix.
pub fn render_with(
    table: &Table,
    format: Format,
    options: &RenderOptions,
) -> Result<String, UnknownColumn> {
    let cols = columns(table, options)?;
    Ok(match format {
        Format::Markdown => render_markdown(table, &cols),
        Format::Csv => render_csv(table),
        Format::Latex => render_latex(table, &cols, options),
    })
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
fn cell_text(cell: &Cell, runs: usize, pm: &str, decimals: Option<usize>) -> (String, String) {
    let mean = fmt_value(cell.mean, decimals);
    let value = if cell.count > 1 {
        let std = match decimals {
            Some(_) if cell.mean.is_finite() => fmt_value(cell.std, decimals),
            _ => fmt_std(cell.std, &mean, cell.mean),
        };
        format!("{mean} {pm} {std}")
    } else {
        mean
    };
    let suffix = if cell.count != runs && runs != QUOTED {
        format!(" (n={})", cell.count)
    } else {
        String::new()
    };
    (value, suffix)
}

/// [`runs_of`] a quoted row: its cells have no run count to fall short of.
const QUOTED: usize = usize::MAX;

/// How many runs (one per seed) a full cell of `row` pools.
fn runs_of(row: &Row) -> usize {
    if row.quoted.is_some() {
        QUOTED
    } else {
        row.seeds.len()
    }
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
    cols: &[Col],
    i: usize,
    row: &Row,
    text: impl Fn(&str) -> String,
    (missing, missing_metric, dagger): (&str, &str, &str),
    metric: impl Fn(&Cell, bool) -> String,
) -> Vec<String> {
    let mut cells: Vec<String> = cols
        .iter()
        .map(|c| {
            let cell = text(&column_text(c, row, cols, missing));
            match c {
                // A quoted row's name carries the mark its note explains.
                Col::Name if row.quoted.is_some() => format!("{cell}{dagger}"),
                _ => cell,
            }
        })
        .collect();
    for (col, cell) in row.cells.iter().enumerate() {
        cells.push(match cell {
            Some(c) => metric(c, table.best.get(col).is_some_and(|b| b.contains(&i))),
            None => missing_metric.to_string(),
        });
    }
    cells
}

fn header(table: &Table, cols: &[Col], text: impl Fn(&str) -> String) -> Vec<String> {
    let mut h: Vec<String> = cols.iter().map(|c| text(c.title())).collect();
    h.extend(table.metrics.iter().map(|m| text(m)));
    h
}

/// Keeps a value inside one Markdown table cell.
fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn render_markdown(table: &Table, cols: &[Col]) -> String {
    let mut out = String::new();
    let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    out.push_str(&line(&header(table, cols, md_escape)));
    let mut sep: Vec<&str> = cols
        .iter()
        .map(|c| if c.numeric() { "---:" } else { "---" })
        .collect();
    sep.extend(std::iter::repeat_n("---:", table.metrics.len()));
    out.push_str(&format!("|{}|\n", sep.join("|")));
    for (i, row) in table.rows.iter().enumerate() {
        let runs = runs_of(row);
        let cells = display_row(
            table,
            cols,
            i,
            row,
            md_escape,
            ("–", "–", DAGGER),
            |c, best| {
                let (value, suffix) = cell_text(c, runs, "±", table.decimals);
                if best {
                    format!("**{value}**{suffix}")
                } else {
                    format!("{value}{suffix}")
                }
            },
        );
        out.push_str(&line(&cells));
    }
    if let Some(note) = &table.note {
        out.push_str(&format!("\n{note}\n"));
    }
    out
}

/// Marks a quoted row's name; [`Table::note`] says what it means.
pub const DAGGER: &str = "†";

fn render_latex(table: &Table, cols: &[Col], options: &RenderOptions) -> String {
    let mut spec: String = cols
        .iter()
        .map(|c| if c.numeric() { 'r' } else { 'l' })
        .collect();
    let si = options.siunitx;
    if si {
        for col in 0..table.metrics.len() {
            spec.push_str(&format!("S[table-format={}]", si_table_format(table, col)));
        }
    } else {
        spec.push_str(&"r".repeat(table.metrics.len()));
    }
    let line = |cells: &[String]| format!("{} \\\\\n", cells.join(" & "));
    let mut out = String::from(if si {
        "% generated by workbench report; needs \\usepackage{booktabs}, \\usepackage{graphicx} and \\usepackage{siunitx} (v3)\n"
    } else {
        "% generated by workbench report; needs \\usepackage{booktabs} and \\usepackage{graphicx}\n"
    });
    out.push_str("\\begin{table}[htbp]\n\\centering\n");
    if si {
        out.push_str(
            "\\sisetup{separate-uncertainty=true, detect-weight=true, group-digits=none, retain-zero-uncertainty=true}\n",
        );
    }
    if let Some(c) = &options.caption {
        out.push_str(&format!("\\caption{{{}}}\n", latex_escape(c)));
    }
    if let Some(l) = &options.label {
        // A label is a key, not text: only characters LaTeX takes in one.
        let key: String = l
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '/'))
            .collect();
        out.push_str(&format!("\\label{{{key}}}\n"));
    }
    // Scaled down to the line width when wider, never up.
    out.push_str("\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n");
    out.push_str(&format!("\\begin{{tabular}}{{{spec}}}\n\\toprule\n"));
    let mut titles = header(table, cols, latex_escape);
    if si {
        // Text in an `S` column is braced.
        for t in &mut titles[cols.len()..] {
            *t = format!("{{{t}}}");
        }
    }
    out.push_str(&line(&titles));
    out.push_str("\\midrule\n");
    for (i, row) in table.rows.iter().enumerate() {
        if row.quoted.is_some() && table.rows[..i].iter().all(|r| r.quoted.is_none()) && i > 0 {
            out.push_str("\\midrule\n");
        }
        let runs = runs_of(row);
        let missing = if si { "{--}" } else { "--" };
        let cells = display_row(
            table,
            cols,
            i,
            row,
            latex_escape,
            ("--", missing, "\\dag{}"),
            |c, best| {
                if si {
                    return si_cell(c, runs, best, table.decimals);
                }
                let (value, suffix) = cell_text(c, runs, "$\\pm$", table.decimals);
                if best {
                    format!("\\textbf{{{value}}}{suffix}")
                } else {
                    format!("{value}{suffix}")
                }
            },
        );
        out.push_str(&line(&cells));
    }
    out.push_str("\\bottomrule\n\\end{tabular}}\n");
    if let Some(note) = &table.note {
        let text = latex_escape(note)
            .replace(DAGGER, "\\dag{}")
            .replace('±', "$\\pm$");
        out.push_str(&format!(
            "\\par\\smallskip\n{{\\footnotesize {text}\\par}}\n"
        ));
    }
    out.push_str("\\end{table}\n");
    out
}

/// A metric cell's mean and std (when pooled) as printed.
fn cell_parts(cell: &Cell, decimals: Option<usize>) -> (String, Option<String>) {
    let (value, _) = cell_text(cell, QUOTED, "±", decimals);
    match value.split_once(" ± ") {
        Some((mean, std)) => (mean.to_string(), Some(std.to_string())),
        None => (value, None),
    }
}

/// Whether siunitx reads `text` as a plain decimal number (no exponent,
/// finite).
fn si_plain(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
}

/// Whether a cell goes into an `S` column as a number (else as braced text).
fn si_numeric(cell: &Cell, runs: usize, decimals: Option<usize>) -> bool {
    let (mean, std) = cell_parts(cell, decimals);
    (cell.count == runs || runs == QUOTED) && si_plain(&mean) && std.as_deref().is_none_or(si_plain)
}

/// A metric cell in an `S` column: `mean \pm std` as a number (bold by
/// `\bfseries`, which `detect-weight` honours), or braced text when it is not
/// a plain number or carries an `(n=k)` suffix.
fn si_cell(cell: &Cell, runs: usize, best: bool, decimals: Option<usize>) -> String {
    if si_numeric(cell, runs, decimals) {
        let (mean, std) = cell_parts(cell, decimals);
        let number = match std {
            Some(std) => format!("{mean} \\pm {std}"),
            None => mean,
        };
        if best {
            format!("\\bfseries {number}")
        } else {
            number
        }
    } else {
        let (value, suffix) = cell_text(cell, runs, "$\\pm$", decimals);
        if best {
            format!("{{\\textbf{{{value}}}{suffix}}}")
        } else {
            format!("{{{value}{suffix}}}")
        }
    }
}

/// siunitx's `table-format` of metric column `col`: sign, integer and
/// decimal digits of the widest mean, and the digits of the widest
/// uncertainty in compact form (`2.1(3)` for `12.3 ± 10.4`), over the cells
/// printed as numbers.
fn si_table_format(table: &Table, col: usize) -> String {
    let (mut sign, mut int, mut dec, mut unc) = (false, 1, 0, 0);
    for row in &table.rows {
        let Some(cell) = row.cells[col] else { continue };
        if !si_numeric(&cell, runs_of(row), table.decimals) {
            continue;
        }
        let (mean, std) = cell_parts(&cell, table.decimals);
        sign |= mean.starts_with('-');
        let digits = mean.trim_start_matches('-');
        let (i, d) = digits.split_once('.').unwrap_or((digits, ""));
        int = int.max(i.len());
        dec = dec.max(d.len());
        if let Some(std) = std {
            let compact = std.replace('.', "");
            unc = unc.max(compact.trim_start_matches('0').len().max(1));
        }
    }
    let mut f = format!("{}{int}.{dec}", if sign { "-" } else { "" });
    if unc > 0 {
        f.push_str(&format!("({unc})"));
    }
    f
}

fn render_csv(table: &Table) -> String {
    let mut header: Vec<String> = ["run_id", "name", "plugin", "variant"]
        .map(String::from)
        .to_vec();
    header.extend(table.param_keys.iter().cloned());
    header.push("n".to_string());
    for m in &table.metrics {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_std"));
    }
    header.push("checkpoint".to_string());
    header.push("best".to_string());
    // Only tables with quoted rows say where each row's numbers come from.
    let sourced = table.rows.iter().any(|r| r.quoted.is_some());
    if sourced {
        header.push("source".to_string());
    }

    let mut w = csv::Writer::from_writer(Vec::new());
    let mut records = vec![header];
    for (i, row) in table.rows.iter().enumerate() {
        let mut rec = vec![
            row.run_ids.join(";"),
            row.name.clone(),
            row.plugin.clone(),
            row.variant.clone(),
        ];
        for key in &table.param_keys {
            rec.push(row.params.get(key).cloned().unwrap_or_default());
        }
        rec.push(match row.quoted {
            Some(_) => String::new(),
            None => row.seeds.len().to_string(),
        });
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
            .filter(|(_, b)| b.contains(&i))
            .map(|(m, _)| m.as_str())
            .collect();
        rec.push(best.join(";"));
        if sourced {
            rec.push(match &row.quoted {
                Some(citation) => format!("quoted: {citation}"),
                None => "measured".to_string(),
            });
        }
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

/// A run's name without the ` seed=N` that `seeds:` appends.
fn base_name(name: &str) -> &str {
    match name.rsplit_once(" seed=") {
        Some((base, seed)) if !seed.is_empty() && seed.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => name,
    }
}

/// A results-store summary as a report row.
pub fn record(s: &crate::results::RunSummary, run_dir: &Path) -> RunRecord {
    RunRecord {
        run_id: s.run_id.clone(),
        name: base_name(&s.name).to_string(),
        plugin: s.plugin.clone(),
        variant: s.variant.clone(),
        params: s.key_params.clone(),
        seed: s.seed,
        status: s
            .status
            .map(|st| st.name().to_string())
            .unwrap_or_else(|| "unknown".into()),
        checkpoint: s
            .checkpoint
            .as_ref()
            .map(|c| run_dir.join(c).display().to_string()),
        metrics: s.metrics.clone(),
        invocation: s
            .invocation
            .as_ref()
            .map(|i| i.id.clone())
            .unwrap_or_default(),
    }
}

mod oneclass;
mod placement;
pub use oneclass::{
    build_one_class_table, is_one_class, DEEP_SVDD, DEEP_SVDD_CITATION, DEEP_SVDD_MNIST,
    NORMAL_CLASS, ONE_CLASS_METRIC,
};
pub use placement::render_placement;

#[cfg(test)]
mod tests;
