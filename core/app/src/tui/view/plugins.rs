//! The plugins view: what discovery found, kinds and variants, and the
//! files it refused with the reason.

use crate::tui::app::UiState;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

pub(super) fn render(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let mut lines: Vec<Line> = Vec::new();
    match &ui.plugins {
        None => lines.push(Line::raw("looking for plugins…")),
        Some(info) => {
            lines.push(Line::from(Span::styled(
                format!("searched: {}", info.searched),
                theme.dim(),
            )));
            if info.plugins.is_empty() {
                lines.push(Line::raw("no plugins found"));
            }
            for p in &info.plugins {
                lines.push(Line::raw(""));
                lines.push(Line::from(vec![
                    Span::styled(format!("{} {}", p.name, p.version), theme.header()),
                    Span::raw(format!("  {}  ", p.kind)),
                    Span::styled(p.file.clone(), theme.dim()),
                ]));
                for (v, d) in &p.variants {
                    lines.push(Line::raw(format!("  {v:<16} {d}")));
                }
            }
            if !info.refused.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::from(Span::styled("refused", theme.header())));
                for (f, why) in &info.refused {
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {f}: "), theme.error()),
                        Span::raw(why.clone()),
                    ]));
                }
            }
        }
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((ui.scroll, 0))
        .block(Block::bordered().title(" plugins "))
        .render(area, buf);
}
