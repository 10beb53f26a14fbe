//! One run: loss and metric curves (train and validation on one chart,
//! zoomable time axis), the full metric history, the log tail, the resolved
//! spec and the preview images.

use super::clip;
use crate::report::fmt_num;
use crate::state::RunRow;
use crate::tui::app::{DetailTab, UiState};
use crate::tui::images::HalfBlocks;
use crate::tui::table;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Widget, Wrap};

/// The metric families a run has history for: `loss`, then others
/// (`val_` prefixes folded into their train name).
pub fn families(run: &RunRow) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in run.history.keys() {
        let base = key
            .strip_prefix("val_")
            .or_else(|| key.strip_prefix("test_"))
            .unwrap_or(key)
            .to_string();
        if !out.contains(&base) {
            out.push(base);
        }
    }
    out.sort_by_key(|f| (f != "loss", f.clone()));
    out
}

pub(super) fn render(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(run) = ui.selected_run().and_then(|i| ui.state.runs.get(i)) else {
        Paragraph::new("no run selected").render(area, buf);
        return;
    };
    let [head, tabs, body] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let elapsed = run
        .elapsed(ui.now)
        .map(table::fmt_duration)
        .unwrap_or_default();
    let head_lines = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", run.name), theme.header()),
            Span::styled(run.status_label(), theme.status(run.status)),
            Span::raw(format!(
                "  {}/{}  {}  {}  {}",
                run.plugin,
                run.variant,
                table::params_text(run),
                table::progress_label(run),
                elapsed
            )),
        ]),
        Line::from(Span::styled(
            // The phase is what a live worker does; an ended run does nothing.
            if run.status.is_final() {
                format!(" {}", run.run_id)
            } else {
                format!(" {}  {}", run.run_id, run.phase)
            },
            theme.dim(),
        )),
    ];
    Paragraph::new(head_lines).render(head, buf);
    let mut spans = Vec::new();
    for t in DetailTab::ALL {
        let style = if t == ui.detail_tab {
            theme.selected()
        } else {
            theme.dim()
        };
        spans.push(Span::styled(format!(" {} ", t.title()), style));
        spans.push(Span::raw(" "));
    }
    Paragraph::new(Line::from(spans)).render(tabs, buf);
    match ui.detail_tab {
        DetailTab::Overview => overview(ui, run, theme, body, buf),
        DetailTab::History => history(ui, run, theme, body, buf),
        DetailTab::Spec => {
            let text = ui
                .detail
                .as_ref()
                .map(|d| d.spec.as_str())
                .unwrap_or("(spec.yaml not read)");
            Paragraph::new(text)
                .scroll((ui.scroll, 0))
                .block(Block::bordered().title(" spec.yaml "))
                .render(body, buf);
        }
        DetailTab::Images => images(ui, run, theme, body, buf),
    }
}

fn overview(ui: &UiState, run: &RunRow, theme: Theme, area: Rect, buf: &mut Buffer) {
    let wide = area.width >= 100;
    let (chart_area, log_area) = if wide {
        let [a, b] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            .areas(area);
        (a, b)
    } else {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
        (a, b)
    };
    chart(ui, run, theme, chart_area, buf);
    // Log tail, the error first.
    let mut lines: Vec<Line> = Vec::new();
    if let Some(e) = &run.error {
        for l in e.lines() {
            lines.push(Line::from(Span::styled(l.to_string(), theme.error())));
        }
    }
    // Where and how it was made, after the error.
    if let Some(d) = &ui.detail {
        for l in &d.provenance {
            lines.push(Line::from(Span::styled(l.clone(), theme.dim())));
        }
    }
    let room = log_area.height.saturating_sub(2) as usize;
    let skip = run
        .log
        .len()
        .saturating_sub(room.saturating_sub(lines.len()));
    for l in run.log.iter().skip(skip) {
        if run
            .error
            .as_deref()
            .is_some_and(|e| l == &format!("error: {e}"))
        {
            continue;
        }
        lines.push(Line::raw(l.clone()));
    }
    // Latest values of every metric.
    let latest: Vec<String> = run
        .latest
        .iter()
        .map(|(k, v)| format!("{k}={}", fmt_num(*v)))
        .collect();
    if !latest.is_empty() {
        lines.insert(
            0,
            Line::from(Span::styled(latest.join("  "), theme.header())),
        );
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::bordered().title(" latest · log "))
        .render(log_area, buf);
}

fn chart(ui: &UiState, run: &RunRow, theme: Theme, area: Rect, buf: &mut Buffer) {
    let fams = families(run);
    let block = Block::bordered();
    if fams.is_empty() {
        Paragraph::new("no metrics reported yet")
            .block(block.title(" curves "))
            .render(area, buf);
        return;
    }
    let family = &fams[ui.chart_metric % fams.len()];
    let keys: Vec<String> = [
        family.clone(),
        format!("val_{family}"),
        format!("test_{family}"),
    ]
    .into_iter()
    .filter(|k| run.history.contains_key(k))
    .collect();
    let max_step = keys
        .iter()
        .flat_map(|k| run.history[k].iter().map(|p| p.step))
        .max()
        .unwrap_or(0) as f64;
    let span = (max_step.max(1.0)) / 2f64.powi(ui.zoom as i32);
    let x0 = (max_step - span).max(0.0);
    let x1 = max_step.max(x0 + 1.0);
    let series: Vec<Vec<(f64, f64)>> = keys
        .iter()
        .map(|k| {
            run.history[k]
                .iter()
                .filter(|p| p.step as f64 >= x0 && p.value.is_finite())
                .map(|p| (p.step as f64, p.value))
                .collect()
        })
        .collect();
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in series.iter().flatten() {
        y0 = y0.min(p.1);
        y1 = y1.max(p.1);
    }
    if !y0.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    if y1 - y0 < 1e-12 {
        y1 = y0 + 1.0;
    }
    let datasets: Vec<Dataset> = keys
        .iter()
        .zip(&series)
        .enumerate()
        .map(|(i, (k, pts))| {
            Dataset::default()
                .name(k.clone())
                .marker(Marker::Braille)
                .graph_type(if pts.len() == 1 {
                    GraphType::Scatter
                } else {
                    GraphType::Line
                })
                .style(theme.series(i))
                .data(pts)
        })
        .collect();
    let title = format!(
        " {family} by step{} (m: next of {}) ",
        if ui.zoom > 0 {
            format!(", zoom ×{}", 1u32 << ui.zoom)
        } else {
            String::new()
        },
        fams.len()
    );
    Chart::new(datasets)
        .block(block.title(title))
        .x_axis(
            Axis::default()
                .bounds([x0, x1])
                .labels([fmt_num(x0.round()), fmt_num(x1.round())]),
        )
        .y_axis(
            Axis::default()
                .bounds([y0, y1])
                .labels([fmt_num(y0), fmt_num(y1)]),
        )
        .render(area, buf);
}

fn history(ui: &UiState, run: &RunRow, theme: Theme, area: Rect, buf: &mut Buffer) {
    // Every point, in step order, then name.
    let mut points: Vec<(&str, &crate::state::MetricPoint)> = run
        .history
        .iter()
        .flat_map(|(k, ps)| ps.iter().map(move |p| (k.as_str(), p)))
        .collect();
    points.sort_by(|a, b| (a.1.step, a.0).cmp(&(b.1.step, b.0)));
    let room = area.height.saturating_sub(3) as usize;
    let start = (ui.scroll as usize).min(points.len().saturating_sub(room));
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:>8} {:>5}  {:<20} {:>12}",
            "step", "epoch", "metric", "value"
        ),
        theme.header(),
    ))];
    for (name, p) in points.iter().skip(start).take(room) {
        lines.push(Line::raw(format!(
            "{:>8} {:>5}  {:<20} {:>12}",
            p.step,
            p.epoch,
            clip(name, 20),
            fmt_num(p.value)
        )));
    }
    if points.is_empty() {
        lines.push(Line::raw("no metric history"));
    }
    Paragraph::new(lines)
        .block(Block::bordered().title(format!(
            " history: {} points ({}-{}) ",
            points.len(),
            (start + 1).min(points.len()),
            (start + room).min(points.len())
        )))
        .render(area, buf);
}

fn images(ui: &UiState, run: &RunRow, theme: Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered().title(" previews ");
    let inner = block.inner(area);
    block.render(area, buf);
    let imgs = ui
        .detail
        .as_ref()
        .map(|d| d.images.as_slice())
        .unwrap_or(&[]);
    if imgs.is_empty() {
        let msg = if run.previews.is_empty() {
            "this run wrote no preview images"
        } else {
            "loading previews…"
        };
        Paragraph::new(msg).render(inner, buf);
        return;
    }
    let n = imgs.len().min(4) as u32;
    let cells = Layout::horizontal(vec![Constraint::Ratio(1, n); n as usize]).split(inner);
    for ((name, px), cell) in imgs.iter().zip(cells.iter()) {
        if cell.height < 2 {
            continue;
        }
        buf.set_stringn(
            cell.x,
            cell.y,
            clip(name, cell.width as usize),
            cell.width as usize,
            theme.header(),
        );
        let img_area = Rect::new(
            cell.x,
            cell.y + 1,
            cell.width.saturating_sub(1),
            cell.height - 1,
        );
        HalfBlocks {
            pixels: px,
            color: ui.color,
        }
        .render(img_area, buf);
    }
}
