//! Tests of `report`.

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
        name: variant.to_string(),
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
        invocation: "i1".to_string(),
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
    assert_eq!(t.best, [vec![1], vec![], vec![0]]);
}

#[test]
fn markdown_exact() {
    let t = build_table(&fixture(), &[]);
    // By default only what differs between rows: `lr` and `plugin` are
    // the same in both, so they are left out, as are run ids and paths.
    let want = "\
| name | variant | depth | n | mse | params | psnr |
|---|---|---|---:|---:|---:|---:|
| base | base | – | 3 | 0.01200 ± 0.00200 | 1000 (n=1) | **19.23 ± 0.75** |
| deep | deep | 4 | 1 | **0.008000** | 2500 | 19.00 |
";
    assert_eq!(render(&t, Format::Markdown), want);
    // `--columns` chooses, in its order.
    let options = RenderOptions {
        columns: Some(vec!["run".into(), "lr".into(), "checkpoint".into()]),
        ..RenderOptions::default()
    };
    let want = "\
| run | lr | checkpoint | mse | params | psnr |
|---|---|---|---:|---:|---:|
| r01 (+2) | 1e-3 | runs/r01/best.pt | 0.01200 ± 0.00200 | 1000 (n=1) | **19.23 ± 0.75** |
| r02 | 1e-3 | – | **0.008000** | 2500 | 19.00 |
";
    assert_eq!(render_with(&t, Format::Markdown, &options).unwrap(), want);
    let bad = RenderOptions {
        columns: Some(vec!["lrr".into()]),
        ..RenderOptions::default()
    };
    let err = render_with(&t, Format::Markdown, &bad)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "unknown column `lrr`; columns: name, run, plugin, variant, n, seeds, checkpoint, depth, lr"
    );
}

#[test]
fn csv_exact() {
    let t = build_table(&fixture(), &[]);
    let base = &t.rows[0];
    let (mse, psnr) = (base.cells[0].unwrap(), base.cells[2].unwrap());
    // Full precision: the shortest strings that round-trip the computed f64s
    // (the mean of 0.010, 0.012, 0.014 is 0.011999999999999999 in binary floating point).
    let want = "\
run_id,name,plugin,variant,depth,lr,n,mse_mean,mse_std,params_mean,params_std,psnr_mean,psnr_std,checkpoint,best
r01;r03;r04,base,ae,base,,1e-3,3,0.011999999999999999,0.002,1000,0,19.233333333333334,0.7505553499465134,runs/r01/best.pt,psnr
r02,deep,ae,deep,4,1e-3,1,0.008,0,2500,0,19,0,,mse
";
    let got = render(&t, Format::Csv);
    assert_eq!(got, want);
    // and those numbers parse back to exactly the cell values
    let line: Vec<&str> = got.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(line[7].parse::<f64>().unwrap(), mse.mean);
    assert_eq!(line[12].parse::<f64>().unwrap(), psnr.std);
}

#[test]
fn latex_exact() {
    let t = build_table(&fixture(), &[]);
    let want = r"% generated by workbench report; needs \usepackage{booktabs} and \usepackage{graphicx}
\begin{table}[htbp]
\centering
\caption{Autoencoders, 3 seeds: mean $\pm$ std}
\label{tab:aex}
\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%
\begin{tabular}{lllrrrr}
\toprule
name & variant & depth & n & mse & params & psnr \\
\midrule
base & base & -- & 3 & 0.01200 $\pm$ 0.00200 & 1000 (n=1) & \textbf{19.23 $\pm$ 0.75} \\
deep & deep & 4 & 1 & \textbf{0.008000} & 2500 & 19.00 \\
\bottomrule
\end{tabular}}
\end{table}
";
    let options = RenderOptions {
        caption: Some("Autoencoders, 3 seeds: mean ± std".into()),
        label: Some("tab:ae {x}".into()),
        ..RenderOptions::default()
    };
    let got = render_with(&t, Format::Latex, &options).unwrap();
    assert_eq!(got, want.replace("$\\pm$ std}", "± std}"));
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
    let all = RenderOptions {
        columns: Some(
            ["run", "plugin", "variant", "lr_max", "n", "checkpoint"]
                .map(String::from)
                .to_vec(),
        ),
        ..RenderOptions::default()
    };
    let out = render_with(&build_table(&[r], &[]), Format::Latex, &all).unwrap();
    assert!(out.contains(r"run & plugin & variant & lr\_max & n & checkpoint & val\_loss \\"));
    assert!(
        out.contains(r"x\_1 & a\_b\% & v\&w & 5\% & 1 & C:\textbackslash{}ck\#1.pt & 0.5000 \\")
    );
    // Markdown leaves these alone but keeps a `|` inside its cell.
    let mut r = rec("r|1", "v", &[], 0, "done", None, &[]);
    r.plugin = "a_b%".to_string();
    let cols = RenderOptions {
        columns: Some(["run", "plugin", "n"].map(String::from).to_vec()),
        ..RenderOptions::default()
    };
    assert_eq!(
        render_with(&build_table(&[r], &[]), Format::Markdown, &cols).unwrap(),
        "| run | plugin | n |\n|---|---|---:|\n| r\\|1 | a_b% | 1 |\n"
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
    assert!(t.best.iter().all(Vec::is_empty), "{:?}", t.best);
    let md = render(&t, Format::Markdown);
    assert!(!md.contains("**"), "{md}");
    assert!(!render(&t, Format::Latex).contains("textbf"));
    let csv = render(&t, Format::Csv);
    assert!(csv.ends_with("r2,b,ae,b,1,5,0,20,0,,\n"), "{csv}");
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
    assert_eq!(t.best, [vec![1], vec![]]);
    let md = render(&t, Format::Markdown);
    assert!(md.contains("| a | a | 1 | NaN | NaN |"), "{md}");
    assert!(md.contains("| b | b | 1 | **0.5000** | NaN |"), "{md}");
    assert!(md.contains("| c | c | 1 | 0.2500 | – |"), "{md}");
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
    assert_eq!(t.best, [vec![1], vec![0], vec![]]);
    assert_eq!(
        render(&t, Format::Csv),
        "run_id,name,plugin,variant,n,cer_mean,cer_std,accuracy_mean,accuracy_std,wer_mean,wer_std,checkpoint,best\n\
         r1,a,ae,a,1,0.1,0,0.9,0,,,,accuracy\n\
         r2,b,ae,b,1,0.05,0,0.8,0,,,,cer\n"
    );
}

#[test]
fn empty_records_render_headers() {
    let t = build_table(&[], &[]);
    assert!(t.rows.is_empty() && t.metrics.is_empty() && t.best.is_empty());
    assert_eq!(render(&t, Format::Markdown), "| name | n |\n|---|---:|\n");
    assert_eq!(
        render(&t, Format::Csv),
        "run_id,name,plugin,variant,n,checkpoint,best\n"
    );
    assert_eq!(
        render(&t, Format::Latex),
        "% generated by workbench report; needs \\usepackage{booktabs} and \\usepackage{graphicx}\n\
         \\begin{table}[htbp]\n\\centering\n\
         \\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n\
         \\begin{tabular}{lr}\n\\toprule\n\
         name & n \\\\\n\\midrule\n\
         \\bottomrule\n\\end{tabular}}\n\\end{table}\n"
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
    assert_eq!(cell_text(&c, 3, "±", None).0, "0.01230 ± 0.00040");
    let c = Cell {
        mean: 1.5e-5,
        std: 2.5e-6,
        count: 2,
    };
    assert_eq!(cell_text(&c, 2, "±", None).0, "1.500e-5 ± 2.500e-6");
    let c = Cell {
        mean: 0.0,
        std: 0.003,
        count: 2,
    };
    assert_eq!(cell_text(&c, 2, "±", None).0, "0 ± 0.003000");
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
        r#"{"run_id":"r01","name":"base","plugin":"ae","variant":"base","params":{"lr":"1e-3"},"seed":0,"status":"done","checkpoint":"runs/r01/best.pt","metrics":{"mse":0.01,"params":1000.0,"psnr":20.0},"invocation":"i1"}"#
    );
    assert_eq!(&serde_json::from_str::<RunRecord>(&json).unwrap(), r);
    // Records written before runs had names read with an empty one.
    let old = json.replace(r#""name":"base","#, "");
    assert_eq!(serde_json::from_str::<RunRecord>(&old).unwrap().name, "");
}

#[test]
fn a_rerun_replaces_the_earlier_run_of_its_seed() {
    let mut records = fixture();
    records.push(rec(
        "r06",
        "base",
        &[("lr", "1e-3")],
        0,
        "done",
        None,
        &[("mse", 0.020), ("psnr", 17.0)],
    ));
    let t = build_table(&records, &[]);
    let base = &t.rows[0];
    assert_eq!(base.run_ids, ["r06", "r03", "r04"]);
    assert_eq!(base.seeds, [0, 1, 2]);
    let mse = base.cells[0].unwrap();
    assert!((mse.mean - (0.020 + 0.012 + 0.014) / 3.0).abs() < 1e-12);
    assert_eq!(mse.count, 3);
}

#[test]
fn a_table_of_one_row_marks_nothing_best() {
    let one = build_table(&fixture()[1..2], &[]);
    assert_eq!(one.rows.len(), 1);
    assert!(one.best.iter().all(Vec::is_empty), "{:?}", one.best);
    assert!(!render(&one, Format::Markdown).contains("**"));
}

#[test]
fn runs_named_differently_are_different_rows() {
    let mut slow = fixture()[1].clone();
    slow.name = "slow".into();
    let mut slow2 = slow.clone();
    slow2.run_id = "r09".into();
    slow2.name = "slow2".into();
    let t = build_table(&[slow, slow2], &[]);
    assert_eq!(t.rows.len(), 2);
    assert_eq!(super::base_name("pca k=2 seed=3"), "pca k=2");
    assert_eq!(super::base_name("seed=x"), "seed=x");
}

#[test]
fn ties_are_all_marked_best() {
    let records = vec![
        rec("r1", "a", &[], 0, "done", None, &[("mse", 0.0100001)]),
        rec("r2", "b", &[], 0, "done", None, &[("mse", 0.0100002)]),
        rec("r3", "c", &[], 0, "done", None, &[("mse", 0.5)]),
    ];
    let t = build_table(&records, &[]);
    // 0.0100001 and 0.0100002 both print as 0.01000: a tie, both bold.
    assert_eq!(t.best, [vec![0, 1]]);
    let md = render(&t, Format::Markdown);
    assert_eq!(md.matches("**0.01000**").count(), 2, "{md}");
}

#[test]
fn latest_invocation_per_configuration_by_default() {
    let mut old = rec("r1", "a", &[], 0, "done", None, &[("mse", 1.0)]);
    old.invocation = "first".into();
    let mut old_b = rec("r2", "b", &[], 0, "done", None, &[("mse", 3.0)]);
    old_b.invocation = "first".into();
    // A second invocation re-ran `a` with seeds 0 and 1: it replaces the
    // first invocation's `a`; `b`, which it did not run, stays.
    let mut new0 = rec("r3", "a", &[], 0, "done", None, &[("mse", 2.0)]);
    new0.invocation = "second".into();
    let mut new1 = rec("r4", "a", &[], 1, "done", None, &[("mse", 4.0)]);
    new1.invocation = "second".into();
    let records = vec![old, old_b, new0, new1];
    let latest = select_invocations(&records, &Invocations::Latest);
    let ids: Vec<&str> = latest.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["r2", "r3", "r4"]);
    let t = build_table(&latest, &[]);
    assert_eq!(t.rows[0].cells[0].unwrap().mean, 3.0);
    assert_eq!(t.rows[1].cells[0].unwrap().mean, 3.0);
    assert_eq!(t.rows[1].run_ids.len(), 2);
    let first = select_invocations(&records, &Invocations::from("first"));
    assert_eq!(first.len(), 2);
    assert_eq!(select_invocations(&records, &Invocations::All).len(), 4);
}

/// One-class runs of two configurations: `conv` over classes 0-9 with two
/// seeds (AUROC 0.90 + class/100 + seed/100), `dense` with one seed and
/// AUROC 0.80 everywhere.
fn one_class_records() -> Vec<RunRecord> {
    let mut out = Vec::new();
    let mut id = 0;
    for (variant, seeds) in [("conv", vec![0u64, 1]), ("dense", vec![0])] {
        for &seed in &seeds {
            for class in 0..10u8 {
                id += 1;
                let auroc = if variant == "conv" {
                    0.90 + class as f64 / 100.0 + seed as f64 / 100.0
                } else {
                    0.80
                };
                let class_text = class.to_string();
                let mut r = rec(
                    &format!("r{id:03}"),
                    variant,
                    &[("code_size", "32"), (NORMAL_CLASS, class_text.as_str())],
                    seed,
                    "done",
                    None,
                    &[("anomaly_auroc", auroc), ("mse", 0.01)],
                );
                r.name = format!("{variant} normal_class={class}");
                out.push(r);
            }
        }
    }
    out
}

#[test]
fn the_one_class_table_has_a_column_per_normal_class_and_the_quoted_deep_svdd_row() {
    let records = one_class_records();
    assert!(is_one_class(&records));
    assert!(!is_one_class(&fixture()));
    let t = build_one_class_table(&records, ONE_CLASS_METRIC);
    let want_cols: Vec<String> = (0..10)
        .map(|c| c.to_string())
        .chain(["mean".to_string()])
        .collect();
    assert_eq!(t.metrics, want_cols);
    assert_eq!(t.rows.len(), 3, "conv, dense, Deep SVDD");
    let conv = &t.rows[0];
    assert_eq!((conv.name.as_str(), conv.seeds.len()), ("conv", 2));
    assert!(!conv.params.contains_key(NORMAL_CLASS));
    // Class 3: seeds give 93 and 94 % → 93.5 ± 0.71.
    let c3 = conv.cells[3].unwrap();
    assert!((c3.mean - 93.5).abs() < 1e-9 && (c3.std - 0.5f64.sqrt()).abs() < 1e-9);
    // Mean over classes per seed: 94.5 and 95.5 → 95.0 ± 0.71 over 2 seeds.
    let mean = conv.cells[10].unwrap();
    assert_eq!(mean.count, 2);
    assert!((mean.mean - 95.0).abs() < 1e-9, "{mean:?}");
    let svdd = &t.rows[2];
    assert_eq!(svdd.name, DEEP_SVDD);
    assert!(svdd.quoted.is_some() && svdd.run_ids.is_empty());
    let quoted: Vec<f64> = svdd.cells.iter().map(|c| c.unwrap().mean).collect();
    assert_eq!(&quoted[..10], &DEEP_SVDD_MNIST);
    assert!((quoted[10] - 94.8).abs() < 1e-9, "{}", quoted[10]);
    // The best marks go to measured rows only: conv beats dense everywhere,
    // and Deep SVDD (quoted, higher in class 0) never takes a mark.
    for (col, best) in t.best.iter().enumerate() {
        assert_eq!(best, &vec![0], "column {col}");
    }

    let md = render(&t, Format::Markdown);
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(
        lines[0],
        "| name | variant | n | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | mean |"
    );
    assert!(
        lines[2].starts_with("| conv | conv | 2 | **90.5 ± 0.7** | "),
        "{md}"
    );
    assert!(lines[2].ends_with(" | **95.0 ± 0.7** |"), "{md}");
    assert_eq!(
        lines[4],
        "| Deep SVDD (Ruff et al. 2018)† | – | – | 98.0 | 99.7 | 91.7 | 91.9 | 94.9 | 88.5 | 98.3 | 94.6 | 93.9 | 96.5 | 94.8 |"
    );
    assert!(
        md.contains("† Quoted from Ruff et al. (2018), Table 1 (One-Class Deep SVDD on MNIST), not measured here."),
        "{md}"
    );

    let csv = render(&t, Format::Csv);
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("run_id,name,plugin,variant,code_size,n,0_mean,0_std,"));
    assert!(header.ends_with(",mean_mean,mean_std,checkpoint,best,source"));
    let last = csv.lines().last().unwrap();
    assert!(
        last.starts_with(",Deep SVDD (Ruff et al. 2018),,,,,98,0,99.7,0,"),
        "{last}"
    );
    assert!(
        last.contains(",\"quoted: L. Ruff et al., Deep One-Class Classification, ICML 2018"),
        "{last}"
    );
    assert!(csv.lines().nth(1).unwrap().ends_with(",measured"));

    let tex = render(&t, Format::Latex);
    assert!(
        tex.contains("\\midrule\nDeep SVDD (Ruff et al. 2018)\\dag{} & -- & -- & 98.0 &"),
        "{tex}"
    );
    assert!(
        tex.contains("\\dag{} Quoted from Ruff et al. (2018)"),
        "{tex}"
    );
    assert!(tex.contains("mean $\\pm$ std over seeds"), "{tex}");
}

#[test]
fn a_one_class_table_restricted_to_some_classes_quotes_the_mean_over_those() {
    let records: Vec<RunRecord> = one_class_records()
        .into_iter()
        .filter(|r| ["1", "5"].contains(&r.params[NORMAL_CLASS].as_str()))
        .collect();
    let t = build_one_class_table(&records, ONE_CLASS_METRIC);
    assert_eq!(t.metrics, vec!["1", "5", "mean"]);
    let svdd = t.rows.last().unwrap();
    let quoted: Vec<f64> = svdd.cells.iter().map(|c| c.unwrap().mean).collect();
    assert_eq!(quoted[..2], [99.7, 88.5]);
    assert!((quoted[2] - (99.7 + 88.5) / 2.0).abs() < 1e-9);
    // A seed without every class is left out of the mean, and says so.
    let mut records = records;
    records.retain(|r| !(r.seed == 1 && r.params[NORMAL_CLASS] == "5"));
    let t = build_one_class_table(&records, ONE_CLASS_METRIC);
    assert_eq!(t.rows[0].cells[2].unwrap().count, 1);
    assert!(render(&t, Format::Markdown).contains("(n=1)"));
}

#[test]
fn another_metric_gives_a_one_class_table_without_the_quoted_row() {
    let t = build_one_class_table(&one_class_records(), "mse");
    assert!(t.rows.iter().all(|r| r.quoted.is_none()));
    assert_eq!(t.decimals, None);
    assert!(!render(&t, Format::Markdown).contains(DEEP_SVDD));
}

#[test]
fn probe_tables_get_raw_pixel_and_pca_baseline_rows() {
    let probe = |id: &str, variant: &str, seed: u64, acc: f64, k: f64| {
        rec(
            id,
            variant,
            &[],
            seed,
            "done",
            None,
            &[
                ("probe_accuracy", acc),
                ("mse", 0.02),
                ("probe_raw_accuracy", 0.88),
                ("probe_pca_accuracy", 0.80 + k / 1000.0),
                ("probe_pca_components", k),
            ],
        )
    };
    let records = vec![
        probe("r1", "small", 0, 0.70, 16.0),
        probe("r2", "small", 1, 0.72, 16.0),
        probe("r3", "big", 0, 0.90, 64.0),
    ];
    let t = build_table(&records, &["probe_accuracy".into(), "mse".into()]);
    let names: Vec<&str> = t.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "small",
            "big",
            "raw pixels",
            "PCA, 16 components",
            "PCA, 64 components"
        ]
    );
    let raw = &t.rows[2];
    let cell = raw.cells[0].unwrap();
    assert_eq!((cell.mean, cell.count), (0.88, 2), "one value per seed");
    assert!(
        raw.cells[1].is_none(),
        "baselines have no reconstruction error"
    );
    assert!((t.rows[3].cells[0].unwrap().mean - 0.816).abs() < 1e-12);
    assert_eq!(t.rows[4].cells[0].unwrap().count, 1);
    // Measured here, so they compete: `big` (0.90) is still best.
    assert_eq!(t.best[0], vec![1]);
    // Without a probe column, no baseline rows.
    let t = build_table(&records, &["mse".into()]);
    assert_eq!(t.rows.len(), 2);
    // Without baseline metrics (older runs), none either.
    let old: Vec<RunRecord> = records
        .into_iter()
        .map(|mut r| {
            r.metrics
                .retain(|k, _| !k.starts_with("probe_raw") && !k.starts_with("probe_pca"));
            r
        })
        .collect();
    assert_eq!(build_table(&old, &["probe_accuracy".into()]).rows.len(), 2);
}

#[test]
fn siunitx_columns_align_numbers_and_brace_text() {
    let t = build_table(&fixture(), &["mse".into(), "psnr".into(), "params".into()]);
    let options = RenderOptions {
        siunitx: true,
        ..RenderOptions::default()
    };
    let tex = render_with(&t, Format::Latex, &options).unwrap();
    assert!(tex.starts_with("% generated by workbench report; needs \\usepackage{booktabs}, \\usepackage{graphicx} and \\usepackage{siunitx}"));
    assert!(
        tex.contains("\\sisetup{separate-uncertainty=true, detect-weight=true, group-digits=none, retain-zero-uncertainty=true}")
    );
    // mse: 0.01100 ± 0.00141 (base, best) and 0.008000 (deep).
    // mse: means 0.01200 and 0.008000, std 0.00200 (3 digits compact);
    // psnr 19.23 ± 0.75; params: only deep's 2500 is a number (base's
    // cell has one run of three, so it is text).
    assert!(
        tex.contains(
            "\\begin{tabular}{lllrS[table-format=1.6(3)]S[table-format=2.2(2)]S[table-format=4.0]}"
        ),
        "{tex}"
    );
    assert!(
        tex.contains("& 0.01200 \\pm 0.00200 & \\bfseries 19.23 \\pm 0.75 & {1000 (n=1)} \\\\"),
        "{tex}"
    );
    assert!(tex.contains("& {mse} & {psnr} & {params} \\\\"), "{tex}");
    assert!(!tex.contains("$\\pm$"), "numbers use \\pm inside S: {tex}");
    // A cell with fewer runs than its row is text in braces.
    let t = build_table(&fixture(), &["params".into()]);
    let tex = render_with(&t, Format::Latex, &options).unwrap();
    assert!(tex.contains("& {1000 (n=1)} \\\\"), "{tex}");
}
