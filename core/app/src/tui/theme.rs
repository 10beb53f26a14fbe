//! Colours and emphasis. Only the 8 basic ANSI colours (the terminal's own
//! palette, so readable on dark and light backgrounds) plus bold and
//! reverse; with `NO_COLOR` set, emphasis only.

use crate::results::RunStatus;
use ratatui::style::{Color, Modifier, Style};

/// The styles of one UI.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    /// Colours on.
    pub color: bool,
}

impl Theme {
    /// Whether the environment asks for no colour (`NO_COLOR` set, non-empty).
    pub fn color_from_env() -> bool {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// A run status.
    pub fn status(self, s: RunStatus) -> Style {
        match s {
            RunStatus::Queued => self.fg(Color::Blue),
            RunStatus::Running => self.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            RunStatus::Done => self.fg(Color::Green),
            RunStatus::Failed => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            RunStatus::Cancelled => self.fg(Color::Magenta),
            RunStatus::Diverged | RunStatus::Timeout => {
                self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
            }
        }
    }

    /// The best value of a column.
    pub fn best(self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }

    /// Headers and titles.
    pub fn header(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The selected row.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Less important text.
    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    /// Errors.
    pub fn error(self) -> Style {
        self.fg(Color::Red)
    }

    /// The gauge's filled part.
    pub fn gauge(self) -> Style {
        self.fg(Color::Cyan)
    }

    /// Series in charts: the open run (or train), then the marked runs (or
    /// validation, test).
    pub fn series(self, i: usize) -> Style {
        const C: [Color; 6] = [
            Color::Cyan,
            Color::Yellow,
            Color::Green,
            Color::Magenta,
            Color::Blue,
            Color::Red,
        ];
        self.fg(C[i % C.len()])
    }

    /// The pinned baseline's series (drawn with dots, in the terminal's
    /// plain foreground colour).
    pub fn baseline(self) -> Style {
        self.fg(Color::Gray)
    }

    /// A run marked for the chart, in the runs list.
    pub fn marked(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
}
