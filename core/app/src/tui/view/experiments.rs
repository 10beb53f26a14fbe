//! The experiments view: spec files under `experiments/`, Enter runs one.

use super::clip;
use crate::tui::app::UiState;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub(super) fn render(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    buf.set_stringn(
        area.x,
        area.y,
        "experiment files (Enter runs the selected one)",
        area.width as usize,
        theme.header(),
    );
    if ui.experiments.is_empty() {
        if area.height > 2 {
            buf.set_stringn(
                area.x + 1,
                area.y + 2,
                "no *.yaml files in experiments/",
                area.width as usize,
                theme.dim(),
            );
        }
        return;
    }
    let room = area.height.saturating_sub(1) as usize;
    let start = ui.exp_selected.saturating_sub(room.saturating_sub(1));
    for (i, path) in ui.experiments.iter().enumerate().skip(start).take(room) {
        let y = area.y + 1 + (i - start) as u16;
        let style = if i == ui.exp_selected {
            theme.selected()
        } else {
            ratatui::style::Style::new()
        };
        let text = format!(" {}", path.display());
        buf.set_stringn(
            area.x,
            y,
            format!(
                "{:<w$}",
                clip(&text, area.width as usize),
                w = area.width as usize
            ),
            area.width as usize,
            style,
        );
    }
}
