//! Pop-ups: the help overlay and yes/no questions.

use crate::tui::app::{Confirm, UiState, KEYS};
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
