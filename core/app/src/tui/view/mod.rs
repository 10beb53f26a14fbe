//! Drawing: pure functions of [`UiState`] into a buffer. Nothing here reads
//! files, sends requests or looks at the clock (`UiState::now` is the time).

mod compare;
mod detail;
mod experiments;
mod overlay;
mod plugins;
pub(crate) mod runs;

pub use detail::preview_areas;

use super::app::{UiState, View};
use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

impl Widget for &UiState {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme { color: self.color };
        let [top, body, bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        header(self, theme, top, buf);
        match self.view {
            View::Runs => runs::render(self, theme, body, buf),
            View::Detail => detail::render(self, theme, body, buf),
            View::Compare => compare::render(self, theme, body, buf),
            View::Experiments => experiments::render(self, theme, body, buf),
            View::Plugins => plugins::render(self, theme, body, buf),
        }
        footer(self, theme, bottom, buf);
        if self.picker.is_some() && self.view == View::Detail {
            overlay::picker(self, theme, area, buf);
        }
        if let Some(d) = &self.diff {
            overlay::diff(self, d, theme, area, buf);
        }
        if self.help {
            overlay::help(theme, area, buf);
        }
        if let Some(c) = &self.confirm {
            overlay::confirm(self, c, theme, area, buf);
        }
    }
}

fn header(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let tabs = [
        (View::Runs, "1 runs"),
        (View::Compare, "2 compare"),
        (View::Experiments, "3 experiments"),
        (View::Plugins, "4 plugins"),
    ];
    let current = if ui.view == View::Detail {
        ui.back
    } else {
        ui.view
    };
    let mut spans = vec![Span::styled(" workbench ", theme.header())];
    for (v, name) in tabs {
        let style = if v == current {
            theme.selected()
        } else {
            theme.dim()
        };
        spans.push(Span::styled(format!(" {name} "), style));
        spans.push(Span::raw(" "));
    }
    let s = &ui.state;
    let count = |st| s.runs.iter().filter(|r| r.status == st).count();
    use crate::results::RunStatus as S;
    let mut summary = format!(
        " {} · {} runs: {} running {} queued {} done {} failed",
        if s.name.is_empty() {
            "results"
        } else {
            &s.name
        },
        s.runs.len(),
        count(S::Running),
        count(S::Queued),
        count(S::Done),
        count(S::Failed),
    );
    // The rarer endings, when there are any: every run is counted once.
    for st in [S::Diverged, S::Timeout, S::Cancelled] {
        let n = count(st);
        if n > 0 {
            summary.push_str(&format!(" {n} {}", st.name()));
        }
    }
    spans.push(Span::styled(summary, theme.dim()));
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn footer(ui: &UiState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let line = if ui.editing_filter {
        Line::from(vec![
            Span::styled("filter: ", theme.header()),
            Span::raw(ui.filter.clone()),
            Span::styled("▏", theme.header()),
        ])
    } else if ui.quitting {
        Line::from(Span::styled(
            "stopping runs and quitting…",
            theme.status(crate::results::RunStatus::Cancelled),
        ))
    } else if let Some(m) = &ui.message {
        Line::from(Span::raw(m.clone()))
    } else {
        let hints: &[&str] = match ui.view {
            View::Detail => &[
                "Tab tab",
                "m metric",
                "a smooth",
                "y log",
                "x axis",
                "f recent",
                "space mark",
                "b baseline",
                "D diff",
                "Esc back",
                "c cancel",
                "r re-run",
            ],
            View::Experiments => &["Enter run", "Tab views", "q quit"],
            View::Compare => &["e export csv/md/tex", "Tab views", "q quit"],
            _ => &[
                "Enter open",
                "space mark",
                "b baseline",
                "D diff",
                "p system",
                "s sort",
                "/ filter",
                "c cancel",
                "r rerun",
                "e export",
                "q quit",
            ],
        };
        let hints = fit_hints(hints, area.width as usize);
        let mut spans = vec![Span::styled(hints, theme.dim())];
        if !ui.filter.is_empty() {
            spans.insert(
                0,
                Span::styled(format!("[filter: {}] ", ui.filter), theme.header()),
            );
        }
        Line::from(spans)
    };
    Paragraph::new(line).render(area, buf);
}

/// As many key hints as fit in `width`, in order, then `? help` always.
fn fit_hints(hints: &[&str], width: usize) -> String {
    const HELP: &str = "? help";
    let mut out = String::new();
    for h in hints {
        if out.chars().count() + h.chars().count() + 3 + 3 + HELP.len() > width {
            break;
        }
        out.push_str(h);
        out.push_str(" · ");
    }
    out.push_str(HELP);
    out
}

/// Text cut to `width` characters, with `…` when cut.
pub(crate) fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}
