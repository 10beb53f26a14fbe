//! The compare view: the thesis-style table of finished runs, exactly as
//! `workbench report` prints it (Markdown), built by `report::build_table`.

use crate::tui::app::UiState;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph, Widget};

pub(super) fn render(ui: &UiState, _theme: Theme, area: Rect, buf: &mut Buffer) {
    let (title, text) = match &ui.compare {
        Some(c) if c.table.rows.is_empty() => (
            format!(" compare: {} ", c.experiment),
            "no finished (done) runs yet".to_string(),
        ),
        Some(c) => (
            format!(
                " compare: {} · {} row(s) · e exports csv, md, tex ",
                c.experiment,
                c.table.rows.len()
            ),
            c.text.clone(),
        ),
        None => (
            " compare ".to_string(),
            "no experiment selected".to_string(),
        ),
    };
    Paragraph::new(text)
        .scroll((ui.scroll, ui.hscroll))
        .block(Block::bordered().title(title))
        .render(area, buf);
}
