//! Pop-ups: the help overlay, yes/no questions, the metric picker and the
//! configuration diff.

use super::clip;
use crate::tui::app::{ConfigDiff, Confirm, UiState, KEYS};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub(super) fn help(theme: Theme, area: Rect, buf: &mut Buffer) {
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:<17}"), theme.header()),
                Span::raw(*what),
            ])
        })
        .collect();
    let rect = centered(area, 72, KEYS.len() as u16 + 2);
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .block(Block::bordered().title(" keys (any key closes) "))
        .render(rect, buf);
}

pub(super) fn confirm(ui: &UiState, c: &Confirm, theme: Theme, area: Rect, buf: &mut Buffer) {
    let question = match c {
        Confirm::Cancel(i) => format!(
            "Cancel run {}? Its metrics so far are kept. (y/n)",
            ui.state
                .runs
                .get(*i)
                .map(|r| r.name.as_str())
                .unwrap_or("?")
        ),
        Confirm::Quit => format!(
            "{} run(s) still active. Quit and cancel them? (y/n)",
            ui.active()
        ),
    };
    let rect = centered(area, 60, 4);
    Clear.render(rect, buf);
    Paragraph::new(Line::from(Span::styled(question, theme.header())))
        .wrap(Wrap { trim: true })
        .block(Block::bordered().title(" confirm "))
        .render(rect, buf);
}

/// The metric picker: the filter typed so far and the metrics that match.
pub(super) fn picker(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(p) = &ui.picker else { return };
    let choices = ui.picker_choices();
    let list_h = (area.height.saturating_sub(6) as usize).clamp(1, 14);
    let rect = centered(area, 44, choices.len().clamp(1, list_h) as u16 + 3);
    let start = p.selected.saturating_sub(list_h.saturating_sub(1));
    let mut lines = vec![Line::from(vec![
        Span::styled("filter: ", theme.header()),
        Span::raw(p.filter.clone()),
        Span::styled("▏", theme.header()),
    ])];
    if choices.is_empty() {
        lines.push(Line::styled("no metric matches", theme.dim()));
    }
    for (i, m) in choices.iter().enumerate().skip(start).take(list_h) {
        let style = if i == p.selected {
            theme.selected()
        } else {
            ratatui::style::Style::new()
        };
        let current = ui.chart_metric.as_deref() == Some(m.as_str());
        lines.push(Line::styled(
            format!("{} {m}", if current { "•" } else { " " }),
            style,
        ));
    }
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .title(format!(" metric ({} match) ", choices.len()))
                .title_bottom(" Enter picks · Esc closes "),
        )
        .render(rect, buf);
}

/// The configuration diff: the settings that differ between two runs,
/// side by side.
pub(super) fn diff(ui: &UiState, d: &ConfigDiff, theme: Theme, area: Rect, buf: &mut Buffer) {
    let name = |i: usize| ui.state.runs.get(i).map(|r| r.name.as_str()).unwrap_or("?");
    let right_label = if ui.baseline == Some(d.right) {
        format!("{} (baseline)", name(d.right))
    } else {
        format!("{} (marked)", name(d.right))
    };
    let shown = d.rows.as_ref().map_or(1, |r| r.len().max(1));
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(140),
        (shown as u16 + 3).min(area.height.saturating_sub(2)),
    );
    let inner_w = rect.width.saturating_sub(2) as usize;
    let rows = d.rows.as_deref().unwrap_or(&[]);
    let key_w = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, inner_w * 2 / 5);
    let val_w = inner_w.saturating_sub(key_w + 2) / 2;
    let cell = |k: &str, a: &str, b: &str| {
        format!(
            "{:<key_w$} {:<val_w$} {}",
            clip(k, key_w),
            clip(a, val_w),
            clip(b, val_w)
        )
    };
    let mut lines = vec![Line::styled(
        cell("setting", name(d.left), &right_label),
        theme.header(),
    )];
    if let Some(e) = &d.error {
        lines.push(Line::styled(e.clone(), theme.error()));
    } else if d.rows.is_none() {
        lines.push(Line::styled("reading the specs…", theme.dim()));
    } else if rows.is_empty() {
        lines.push(Line::styled(
            "the two runs' resolved specs are the same (run id and name aside)",
            theme.dim(),
        ));
    }
    let room = rect.height.saturating_sub(3) as usize;
    let start = (ui.scroll as usize).min(rows.len().saturating_sub(room));
    for (k, a, b) in rows.iter().skip(start).take(room) {
        let none = "(not set)";
        lines.push(Line::raw(cell(
            k,
            a.as_deref().unwrap_or(none),
            b.as_deref().unwrap_or(none),
        )));
    }
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .title(format!(" config diff: {} setting(s) differ ", rows.len()))
                .title_bottom(" ↑↓ scroll · any other key closes "),
        )
        .render(rect, buf);
}
