//! One run: its metric curves overlaid with the marked runs' and the
//! baseline's (smoothing, log-y, x axis, recent window from
//! [`chart`]), the full metric history, the log tail, the resolved
//! spec and the preview images.

use super::clip;
use crate::report::fmt_num;
use crate::state::RunRow;
use crate::tui::app::{DetailTab, UiState};
use crate::tui::chart::{self, Role};
use crate::tui::images::HalfBlocks;
use crate::tui::table;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Widget, Wrap};

pub(super) fn render(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(run) = ui.selected_run().and_then(|i| ui.state.runs.get(i)) else {
        Paragraph::new("no run selected").render(area, buf);
        return;
    };
    let [head, tabs, body] = detail_layout(area);
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
    let block = Block::bordered();
    let Some((_, marked, baseline)) = ui.chart_runs() else {
        return;
    };
    let marked: Vec<&RunRow> = marked.iter().map(|&i| &ui.state.runs[i]).collect();
    let baseline = baseline.map(|i| &ui.state.runs[i]);
    let opts = &ui.chart;
    let Some(plot) = chart::plot(run, &marked, baseline, ui.chart_metric.as_deref(), opts) else {
        Paragraph::new("no metrics reported yet")
            .block(block.title(" curves "))
            .render(area, buf);
        return;
    };
    // Without colours the runs differ by their marker.
    let look = |role: Role| -> (Marker, &'static str, ratatui::style::Style) {
        const PLAIN: [(Marker, &str); 3] = [
            (Marker::Braille, "⠒⠒"),
            (Marker::HalfBlock, "▀▀"),
            (Marker::Block, "██"),
        ];
        match role {
            Role::Run(i) if ui.color => (Marker::Braille, "━━", theme.series(i)),
            Role::Run(i) => {
                let (m, g) = PLAIN[i % PLAIN.len()];
                (m, g, theme.series(i))
            }
            Role::Baseline => (Marker::Dot, "••", theme.baseline()),
        }
    };
    let datasets: Vec<Dataset> = plot
        .series
        .iter()
        .map(|s| {
            let (marker, _, style) = look(s.role);
            Dataset::default()
                .marker(marker)
                .graph_type(if s.points.len() == 1 {
                    GraphType::Scatter
                } else {
                    GraphType::Line
                })
                .style(style)
                .data(&s.points)
        })
        .collect();
    // The legend under the chart, where it never covers a curve: each
    // series' colour (the baseline's dots) and its run or metric.
    let mut legend = vec![Span::raw(" ")];
    for s in &plot.series {
        let (_, glyph, style) = look(s.role);
        legend.push(Span::styled(glyph, style));
        legend.push(Span::raw(format!(" {}  ", clip(&s.label, 28))));
    }
    // The metric, then every control that is not at its default.
    let mut title = format!(" {} by {}", plot.metric, opts.x.name());
    if opts.weight() > 0.0 {
        title.push_str(&format!(" · smoothed {}", opts.weight()));
    }
    if opts.log_y {
        title.push_str(" · log y");
    }
    if opts.recent > 0 {
        let pct = opts.recent_percent();
        let pct = if pct >= 1.0 {
            format!("{pct:.0}")
        } else {
            fmt_num(pct)
        };
        title.push_str(&format!(" · recent {pct}%"));
    }
    for n in &plot.notes {
        title.push_str(&format!(" · {n}"));
    }
    title.push_str(" (m metric) ");
    let y_label = |v: f64| {
        if opts.log_y {
            fmt_num(10f64.powf(v))
        } else {
            fmt_num(v)
        }
    };
    let [x0, x1] = plot.x;
    let [y0, y1] = plot.y;
    Chart::new(datasets)
        .block(block.title(title).title_bottom(Line::from(legend)))
        .x_axis(
            Axis::default()
                .bounds(plot.x)
                .labels([x_label(x0), x_label(x1)]),
        )
        .y_axis(
            Axis::default()
                .bounds(plot.y)
                .labels([y_label(y0), y_label(y1)]),
        )
        .render(area, buf);
}

/// An x axis label: whole numbers (steps, epochs) without decimals.
fn x_label(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        fmt_num(v)
    }
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

/// The previews shown (index into the detail's images) and the cells
/// each is drawn in (its name on the line above), inside the images tab's
/// `inner` area.
fn image_cells(ui: &UiState, inner: Rect) -> Vec<(usize, Rect)> {
    let imgs = ui
        .detail
        .as_ref()
        .map(|d| d.images.as_slice())
        .unwrap_or(&[]);
    // Every preview (at most 8), or one alone (`n` steps through).
    let shown: Vec<usize> = match ui.image_focus {
        0 => (0..imgs.len().min(8)).collect(),
        k if imgs.is_empty() => vec![k - 1],
        k => vec![(k - 1) % imgs.len()],
    };
    let shown: Vec<usize> = shown.into_iter().filter(|&i| i < imgs.len()).collect();
    let sizes: Vec<(u32, u32)> = shown
        .iter()
        .map(|&i| (imgs[i].1.width, imgs[i].1.height))
        .collect();
    let cells = crate::tui::images::grid(&sizes, inner);
    shown
        .into_iter()
        .zip(cells)
        .filter(|(_, cell)| cell.height >= 2)
        .map(|(i, cell)| {
            (
                i,
                Rect::new(
                    cell.x,
                    cell.y + 1,
                    cell.width.saturating_sub(1),
                    cell.height - 1,
                ),
            )
        })
        .collect()
}

/// Where the images tab draws each preview on a `screen` (the same
/// layout `render` makes), for the event loop to encode previews for the
/// terminal's graphics protocol at exactly that size.
pub fn preview_areas(ui: &UiState, screen: Rect) -> Vec<(usize, Rect)> {
    if ui.view != crate::tui::app::View::Detail || ui.detail_tab != DetailTab::Images {
        return Vec::new();
    }
    let [_, body, _] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(screen);
    let [_, _, tab] = detail_layout(body);
    image_cells(ui, Block::bordered().inner(tab))
}

/// The detail's head, tab bar and body.
fn detail_layout(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area)
}

fn images(ui: &UiState, run: &RunRow, theme: Theme, area: Rect, buf: &mut Buffer) {
    let imgs = ui
        .detail
        .as_ref()
        .map(|d| d.images.as_slice())
        .unwrap_or(&[]);
    let how = ui.graphics.map(|g| format!(" · {g}")).unwrap_or_default();
    let title = match ui.image_focus {
        k if k > 0 && !imgs.is_empty() => {
            format!(
                " previews: {} of {} (n: next){how} ",
                (k - 1) % imgs.len() + 1,
                imgs.len()
            )
        }
        _ if imgs.len() > 1 => format!(" previews (n: one at a time, larger){how} "),
        _ => format!(" previews{how} "),
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    if imgs.is_empty() {
        let msg = if run.previews.is_empty() {
            "this run wrote no preview images"
        } else {
            "loading previews…"
        };
        Paragraph::new(msg).render(inner, buf);
        return;
    }
    let encoded = ui.detail.as_ref().map_or(&[][..], |d| d.encoded.as_slice());
    for (i, img_area) in image_cells(ui, inner) {
        let (name, px) = &imgs[i];
        buf.set_stringn(
            img_area.x,
            img_area.y - 1,
            clip(name, img_area.width as usize + 1),
            img_area.width as usize + 1,
            theme.header(),
        );
        // The terminal's own graphics when encoded for exactly these cells.
        match encoded.iter().find(|e| e.image == i && e.area == img_area) {
            Some(e) => e.render(img_area, buf),
            None => HalfBlocks {
                pixels: px,
                color: ui.color,
            }
            .render(img_area, buf),
        }
    }
}
