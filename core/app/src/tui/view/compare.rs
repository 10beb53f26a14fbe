//! The compare view: the thesis-style table of finished runs as
//! `workbench report` builds it (`report::build_table`), laid out as a
//! table: aligned columns, numbers right-aligned, each metric's best in
//! the best style; `s`/`S` sort by a column, `d` toggles every column and
//! only those that differ, ↑↓ scroll rows and ←→ columns (the name stays).

use crate::tui::app::UiState;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget};

/// The widest a column gets before its text is cut.
const MAX_WIDTH: usize = 40;

pub(super) fn render(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let (Some(c), Some(t)) = (&ui.compare, ui.compare_table()) else {
        Paragraph::new("no experiment selected")
            .block(Block::bordered().title(" compare "))
            .render(area, buf);
        return;
    };
    if t.rows.is_empty() {
        Paragraph::new("no finished (done) runs yet")
            .block(Block::bordered().title(format!(" compare: {} ", c.experiment)))
            .render(area, buf);
        return;
    }
    let title = format!(
        " compare: {} · {} row(s) · s sorts · d {} · e exports csv, md, tex ",
        c.experiment,
        t.rows.len(),
        if ui.compare_all {
            "shows what differs"
        } else {
            "shows every column"
        }
    );
    // The first column (the name) stays; the others scroll sideways.
    let skip = (ui.hscroll as usize).min(t.header.len().saturating_sub(2));
    let shown: Vec<usize> = std::iter::once(0)
        .chain((1 + skip)..t.header.len())
        .collect();
    let width = |col: usize| {
        t.rows
            .iter()
            .map(|r| r[col].chars().count())
            .chain(std::iter::once(t.header[col].chars().count() + 2))
            .max()
            .unwrap_or(1)
            .min(MAX_WIDTH) as u16
    };
    let align = |col: usize| {
        if t.numeric[col] {
            Alignment::Right
        } else {
            Alignment::Left
        }
    };
    let header = Row::new(shown.iter().map(|&col| {
        let mark = match ui.compare_sort {
            Some((s, false)) if s == col => " ▲",
            Some((s, true)) if s == col => " ▼",
            _ => "",
        };
        Cell::from(Line::from(format!("{}{mark}", t.header[col])).alignment(align(col)))
    }))
    .style(theme.header());
    let rows = ui
        .compare_rows()
        .into_iter()
        .skip(ui.scroll as usize)
        .map(|r| {
            Row::new(shown.iter().map(|&col| {
                let text: String = t.rows[r][col].chars().take(MAX_WIDTH).collect();
                let cell = Cell::from(Line::from(text).alignment(align(col)));
                if t.best[r][col] {
                    cell.style(theme.best())
                } else {
                    cell
                }
            }))
        });
    let widths: Vec<Constraint> = shown
        .iter()
        .map(|&c| Constraint::Length(width(c)))
        .collect();
    Table::new(rows, widths)
        .header(header)
        .column_spacing(2)
        .block(Block::bordered().title(title))
        .render(area, buf);
}
