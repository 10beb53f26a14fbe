//! The runs table: one row per run, columns dropped by priority when the
//! terminal is narrow, a gauge per run, the best value per metric marked.

use super::clip;
use crate::tui::app::UiState;
use crate::tui::table::{self, ColumnKind};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// Table rows that fit in a terminal `height` rows high (minus the header,
/// footer and column titles).
pub fn rows_in(height: u16) -> usize {
    height.saturating_sub(3) as usize
}

pub(super) fn render(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
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
