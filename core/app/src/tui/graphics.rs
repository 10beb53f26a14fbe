//! Preview images through the terminal's own graphics (kitty, sixel,
//! iTerm2) with `ratatui-image`, where the terminal answers that it has
//! one; elsewhere the UI draws half blocks ([`super::images`]). The event
//! loop asks the terminal once, before it reads keys, and encodes each
//! shown preview for the cells it will fill; the view draws the encoded
//! image when one fits its cells exactly.
//!
//! Built with the `graphics` feature only (its sixel encoder needs Rust
//! 1.90); without it [`Graphics::detect`] finds none, nothing is encoded
//! and every preview is drawn with half blocks.

use super::images::Pixels;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
#[cfg(feature = "graphics")]
use ratatui_image::{
    picker::{Picker, ProtocolType},
    protocol::Protocol,
};

/// The terminal's graphics protocol.
pub struct Graphics {
    #[cfg(feature = "graphics")]
    picker: Picker,
}

/// A preview encoded for the terminal: which image, the cells it was
/// encoded for, and the escape sequences.
#[derive(Clone)]
pub struct Encoded {
    /// Index into the detail's images.
    pub image: usize,
    /// The cells it fills.
    pub area: Rect,
    /// The encoded image.
    #[cfg(feature = "graphics")]
    protocol: std::sync::Arc<Protocol>,
}

impl std::fmt::Debug for Encoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoded")
            .field("image", &self.image)
            .field("area", &self.area)
            .finish_non_exhaustive()
    }
}

impl Encoded {
    /// Draws it at `area` (the cells it was encoded for).
    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        #[cfg(feature = "graphics")]
        ratatui::widgets::Widget::render(ratatui_image::Image::new(&self.protocol), area, buf);
        #[cfg(not(feature = "graphics"))]
        let _ = (area, buf);
    }
}

impl Graphics {
    /// Asks the terminal (on stdin/stdout, in raw mode, before anything
    /// else reads keys) which protocol it speaks and its cell size, when
    /// the environment names a terminal with graphics
    /// ([`graphics_terminal`]) or `WORKBENCH_TUI_GRAPHICS=1`; never with
    /// `WORKBENCH_TUI_GRAPHICS=0`, nor without the `graphics` feature.
    /// `None` (half blocks) when it speaks none. Not asked elsewhere: a
    /// terminal that answers late leaves its answer in the input, where it
    /// swallows the first key.
    pub fn detect() -> Option<Graphics> {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        let ask = match var("WORKBENCH_TUI_GRAPHICS").as_str() {
            "0" => false,
            "1" => true,
            _ => graphics_terminal(&var),
        };
        if !ask {
            return None;
        }
        #[cfg(feature = "graphics")]
        return Graphics::with(Picker::from_query_stdio().ok()?);
        #[cfg(not(feature = "graphics"))]
        None
    }

    /// A picker's protocol (one set by hand in tests), unless it is half
    /// blocks.
    #[cfg(feature = "graphics")]
    pub fn with(picker: Picker) -> Option<Graphics> {
        (picker.protocol_type() != ProtocolType::Halfblocks).then_some(Graphics { picker })
    }

    /// The protocol's name.
    pub fn name(&self) -> &'static str {
        #[cfg(feature = "graphics")]
        return match self.picker.protocol_type() {
            ProtocolType::Halfblocks => "half blocks",
            ProtocolType::Sixel => "sixel",
            ProtocolType::Kitty => "kitty",
            ProtocolType::Iterm2 => "iTerm2",
        };
        #[cfg(not(feature = "graphics"))]
        "half blocks"
    }

    /// `pixels` encoded to fit in `area` (aspect kept).
    pub fn encode(&self, image: usize, pixels: &Pixels, area: Rect) -> Option<Encoded> {
        #[cfg(feature = "graphics")]
        {
            let flat: Vec<u8> = pixels.rgb.iter().flatten().copied().collect();
            let rgb = image::RgbImage::from_raw(pixels.width, pixels.height, flat)?;
            let protocol = self
                .picker
                .new_protocol(
                    image::DynamicImage::ImageRgb8(rgb),
                    ratatui::layout::Size::new(area.width, area.height),
                    ratatui_image::Resize::Fit(None),
                )
                .ok()?;
            Some(Encoded {
                image,
                area,
                protocol: std::sync::Arc::new(protocol),
            })
        }
        #[cfg(not(feature = "graphics"))]
        {
            let _ = (image, pixels, area);
            None
        }
    }
}

/// Whether the environment (`var` reads it) names a terminal known to
/// draw images: kitty, WezTerm, iTerm2, Ghostty, foot, Konsole, mlterm,
/// contour, VS Code's.
pub fn graphics_terminal(var: &dyn Fn(&str) -> String) -> bool {
    let term = var("TERM");
    let program = var("TERM_PROGRAM");
    !var("KITTY_WINDOW_ID").is_empty()
        || !var("KONSOLE_VERSION").is_empty()
        || ["kitty", "ghostty", "foot", "mlterm", "contour", "wezterm"]
            .iter()
            .any(|t| term.contains(t))
        || ["WezTerm", "iTerm.app", "ghostty", "vscode"].contains(&program.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_terminals_known_to_draw_images_are_asked() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default()
            }
        };
        assert!(graphics_terminal(&env(&[("TERM", "xterm-kitty")])));
        assert!(graphics_terminal(&env(&[("TERM_PROGRAM", "WezTerm")])));
        assert!(graphics_terminal(&env(&[("TERM", "foot")])));
        assert!(!graphics_terminal(&env(&[("TERM", "xterm-256color")])));
        assert!(!graphics_terminal(&env(&[("TERM", "tmux-256color")])));
        assert!(!graphics_terminal(&env(&[])));
    }

    #[cfg(feature = "graphics")]
    #[test]
    fn sixel_and_kitty_encode_into_the_first_cell_and_halfblocks_are_ours() {
        let pixels = Pixels {
            width: 40,
            height: 20,
            rgb: vec![[200, 10, 10]; 800],
        };
        let area = Rect::new(2, 1, 10, 4);
        for (kind, start) in [
            (ProtocolType::Sixel, "\x1bP"),
            (ProtocolType::Kitty, "\x1b_G"),
        ] {
            let mut picker = Picker::halfblocks();
            picker.set_protocol_type(kind);
            let g = Graphics::with(picker).expect("a graphics protocol");
            let e = g.encode(3, &pixels, area).expect("encodes");
            assert_eq!((e.image, e.area), (3, area));
            let mut buf = Buffer::empty(Rect::new(0, 0, 20, 8));
            e.render(area, &mut buf);
            let first = buf[(2, 1)].symbol().to_string();
            assert!(first.contains(start), "{kind:?}: {first:?}");
        }
        let mut picker = Picker::halfblocks();
        picker.set_protocol_type(ProtocolType::Halfblocks);
        assert!(Graphics::with(picker).is_none());
    }
}
