//! Where each run of an experiment executed (`workbench report --where`):
//! executor, Slurm job and array task, node, and its times, one row per run.

use super::{latex_escape, Format};
use crate::results::RunSummary;

const HEADER: [&str; 9] = [
    "run",
    "name",
    "status",
    "executor",
    "slurm_job",
    "array_task",
    "node",
    "started",
    "finished",
];

fn cells(s: &RunSummary) -> [String; 9] {
    let p = s.placement.clone().unwrap_or_default();
    [
        s.run_id.clone(),
        s.name.clone(),
        s.shown_status().to_string(),
        if p.executor.is_empty() {
            "unknown".into()
        } else {
            p.executor
        },
        p.slurm_job_id.unwrap_or_default(),
        p.slurm_array_task_id
            .map(|t| t.to_string())
            .unwrap_or_default(),
        p.node.unwrap_or_default(),
        s.started_at.clone().unwrap_or_default(),
        s.finished_at.clone().unwrap_or_default(),
    ]
}

/// The runs' placements as a table in `format`.
pub fn render_placement(runs: &[RunSummary], format: Format) -> String {
    let rows: Vec<[String; 9]> = runs.iter().map(cells).collect();
    let mut out = String::new();
    match format {
        Format::Markdown => {
            out.push_str(&format!("| {} |\n", HEADER.join(" | ")));
            out.push_str(&format!("|{}\n", "---|".repeat(HEADER.len())));
            for r in &rows {
                let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(HEADER);
            for r in &rows {
                let _ = w.write_record(r);
            }
            out = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
        }
        Format::Latex => {
            out.push_str("% needs \\usepackage{booktabs}\n");
            out.push_str(&format!(
                "\\begin{{tabular}}{{{}}}\n\\toprule\n",
                "l".repeat(HEADER.len())
            ));
            let head: Vec<String> = HEADER.iter().map(|h| latex_escape(h)).collect();
            out.push_str(&format!("{} \\\\\n\\midrule\n", head.join(" & ")));
            for r in &rows {
                let cells: Vec<String> = r.iter().map(|c| latex_escape(c)).collect();
                out.push_str(&format!("{} \\\\\n", cells.join(" & ")));
            }
            out.push_str("\\bottomrule\n\\end{tabular}\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Placement, RunStatus};

    #[test]
    fn every_run_shows_where_it_ran() {
        let slurm = RunSummary {
            run_id: "r1".into(),
            name: "a|b".into(),
            status: Some(RunStatus::Timeout),
            placement: Some(Placement {
                executor: "slurm".into(),
                slurm_job_id: Some("17".into()),
                slurm_array_task_id: Some(2),
                node: Some("node_1".into()),
                submitted_at: None,
            }),
            ..Default::default()
        };
        let old = RunSummary {
            run_id: "r0".into(),
            status: Some(RunStatus::Done),
            ..Default::default()
        };
        let md = render_placement(&[old.clone(), slurm.clone()], Format::Markdown);
        assert!(
            md.contains("| r1 | a\\|b | timeout | slurm | 17 | 2 | node_1 |"),
            "{md}"
        );
        assert!(md.contains("| r0 |  | done | unknown |"), "{md}");
        let csv = render_placement(std::slice::from_ref(&slurm), Format::Csv);
        assert!(csv
            .starts_with("run,name,status,executor,slurm_job,array_task,node,started,finished\n"));
        assert!(csv.contains("r1,a|b,timeout,slurm,17,2,node_1,,"), "{csv}");
        let tex = render_placement(&[slurm], Format::Latex);
        assert!(tex.contains("node\\_1"), "{tex}");
    }
}
