//! The runs table: one row per run, columns dropped by priority when the
//! terminal is narrow, a gauge per run, the best value per metric marked.

use super::clip;
use crate::tui::app::UiState;
use crate::tui::table::{self, ColumnKind};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget};

/// Table rows that fit in a terminal `height` rows high (minus the header,
/// footer, column titles and the system panel when shown).
pub fn rows_in(ui: &UiState, height: u16) -> usize {
    let body = height.saturating_sub(2);
    body.saturating_sub(1 + system_height(ui, body)) as usize
}

/// The system panel's height in a body `height` rows high: a line per
/// worker and three more, at most half the body; 0 when hidden.
fn system_height(ui: &UiState, height: u16) -> u16 {
    if !ui.system_panel {
        return 0;
    }
    let workers = ui.system.as_ref().map_or(1, |s| s.workers.len().max(1));
    (workers as u16 + 4).min(height / 2)
}

pub(super) fn render(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let panel = system_height(ui, area.height);
    let [area, panel_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(panel)]).areas(area);
    if panel > 0 {
        system(ui, theme, panel_area, buf);
    }
    let cols = table::columns(&ui.state);
    let shown = table::fit(&cols, area.width);
    let rows = ui.rows();
    let best: Vec<Option<usize>> = shown
        .iter()
        .map(|&c| match &cols[c].kind {
            ColumnKind::Metric(m) => table::best(&ui.state, m),
            _ => None,
        })
        .collect();
    // Widths: the fitted columns share what is left over, name first.
    let used: u16 = shown.iter().map(|&c| cols[c].width + 1).sum();
    let spare = area.width.saturating_sub(used);
    let widths: Vec<u16> = shown
        .iter()
        .map(|&c| {
            let w = cols[c].width;
            if cols[c].kind == ColumnKind::Name {
                w + spare.min(12)
            } else {
                w
            }
        })
        .collect();

    if area.height == 0 {
        return;
    }
    // Header.
    let mut x = area.x;
    for (k, &c) in shown.iter().enumerate() {
        let mut title = cols[c].title.clone();
        if let Some((sc, desc)) = ui.sort {
            if sc == c {
                title.push(if desc { '▼' } else { '▲' });
            }
        }
        let w = widths[k].min(area.right().saturating_sub(x));
        buf.set_stringn(
            x,
            area.y,
            clip(&title, w as usize),
            w as usize,
            theme.header(),
        );
        x += widths[k] + 1;
        if x >= area.right() {
            break;
        }
    }
    if rows.is_empty() {
        let msg = if ui.state.runs.is_empty() {
            "no runs yet: pick an experiment in view 3 (Tab) and press Enter"
        } else {
            "no run matches the filter (Esc clears it)"
        };
        if area.height > 2 {
            buf.set_stringn(
                area.x + 1,
                area.y + 2,
                msg,
                area.width as usize,
                theme.dim(),
            );
        }
        return;
    }
    // A gutter for the chart marks and the baseline, when there are any.
    let gutter = !ui.marks.is_empty() || ui.baseline.is_some();
    let height = area.height.saturating_sub(1) as usize;
    let offset = ui
        .offset
        .min(rows.len().saturating_sub(1))
        .max(ui.selected.saturating_sub(height.saturating_sub(1)));
    for (line, &ri) in rows.iter().enumerate().skip(offset).take(height) {
        let y = area.y + 1 + (line - offset) as u16;
        let run = &ui.state.runs[ri];
        let selected = line == ui.selected;
        let base = if selected {
            theme.selected()
        } else {
            Style::new()
        };
        buf.set_style(Rect::new(area.x, y, area.width, 1), base);
        let mut x = area.x;
        for (k, &c) in shown.iter().enumerate() {
            if x >= area.right() {
                break;
            }
            let w = widths[k].min(area.right() - x) as usize;
            let kind = &cols[c].kind;
            match kind {
                ColumnKind::Progress => gauge(run, theme, x, y, w, base, buf),
                _ => {
                    let mut text = table::cell_text(run, kind, ui.now);
                    let mut style = base;
                    if *kind == ColumnKind::Name && gutter {
                        let (mark, mark_style) = if ui.baseline == Some(ri) {
                            ("◆", theme.baseline())
                        } else if ui.marks.contains(&ri) {
                            ("●", theme.marked())
                        } else {
                            (" ", base)
                        };
                        buf.set_stringn(x, y, mark, w, base.patch(mark_style));
                        let rest = w.saturating_sub(1);
                        buf.set_stringn(x + 1u16.min(w as u16), y, clip(&text, rest), rest, style);
                        x += widths[k] + 1;
                        continue;
                    }
                    if *kind == ColumnKind::Status {
                        style = base.patch(theme.status(run.status));
                    }
                    if best[k] == Some(ri) {
                        text.push('*');
                        style = base.patch(theme.best());
                    }
                    let text = clip(&text, w);
                    let pad = if matches!(kind, ColumnKind::Metric(_)) {
                        w.saturating_sub(text.chars().count())
                    } else {
                        0
                    };
                    buf.set_stringn(x + pad as u16, y, text, w, style);
                }
            }
            x += widths[k] + 1;
        }
    }
    if rows.len() > height && area.height > 1 {
        let more = format!(
            " {}-{} of {} ",
            offset + 1,
            (offset + height).min(rows.len()),
            rows.len()
        );
        let w = more.chars().count() as u16;
        if w < area.width {
            buf.set_string(area.right() - w, area.y, more, theme.dim());
        }
    }
}

fn gauge(
    run: &crate::state::RunRow,
    theme: Theme,
    x: u16,
    y: u16,
    w: usize,
    base: Style,
    buf: &mut Buffer,
) {
    let bar_w = w.min(8);
    let filled = (run.fraction() * bar_w as f64).round() as usize;
    let bar: String = "█".repeat(filled) + &"░".repeat(bar_w - filled);
    buf.set_stringn(x, y, bar, bar_w, base.patch(theme.gauge()));
    if w > bar_w + 1 {
        let label = clip(&table::progress_label(run), w - bar_w - 1);
        buf.set_stringn(x + bar_w as u16 + 1, y, label, w - bar_w - 1, base);
    }
}

/// The system panel: the host's CPU and memory, then each running
/// worker's, from the last sample the event loop took.
fn system(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let gib = |b: u64| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64);
    let mut lines = Vec::new();
    let title = match &ui.system {
        None => {
            lines.push(Line::styled("sampling…", theme.dim()));
            " system ".to_string()
        }
        Some(s) => {
            lines.push(Line::styled(
                format!(
                    "{:<24} {:>8} {:>7} {:>10}",
                    "worker", "pid", "CPU", "memory"
                ),
                theme.header(),
            ));
            if s.workers.is_empty() {
                lines.push(Line::styled("no worker running", theme.dim()));
            }
            for w in &s.workers {
                let name = ui.state.runs.get(w.run).map_or("?", |r| r.name.as_str());
                let usage = match w.usage {
                    Some((cpu, mem)) => {
                        format!("{:>6.0}% {:>6} MiB", cpu, mem / (1 << 20))
                    }
                    None => "  not a process on this host".into(),
                };
                lines.push(Line::raw(format!(
                    "{:<24} {:>8} {usage}",
                    clip(name, 24),
                    w.pid
                )));
            }
            format!(
                " system · {} CPUs {:.0}% · memory {} of {} (p hides) ",
                s.cpus,
                s.cpu,
                gib(s.memory.0),
                gib(s.memory.1)
            )
        }
    };
    Paragraph::new(lines)
        .block(Block::bordered().title(title))
        .render(area, buf);
}
