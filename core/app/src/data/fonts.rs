//! The embedded fonts every synthetic generator draws with, and the one
//! text-layout routine they share: glyphs placed along a baseline with
//! kerning and advances.

use ab_glyph::{point, Font, FontRef, Glyph, PxScale, ScaleFont};
use std::sync::OnceLock;

/// File names of the embedded fonts, in the order of [`embedded_fonts`].
pub const EMBEDDED_FONT_NAMES: [&str; 4] = [
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
];

const FONT_BYTES: [&[u8]; 4] = [
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/fonts/DejaVuSans.ttf"
    )),
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/fonts/DejaVuSans-Bold.ttf"
    )),
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/fonts/DejaVuSerif.ttf"
    )),
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/fonts/DejaVuSansMono.ttf"
    )),
];

/// The embedded fonts (DejaVu Sans, Sans Bold, Serif, Sans Mono), parsed once on first use.
pub fn embedded_fonts() -> &'static [FontRef<'static>] {
    static FONTS: OnceLock<Vec<FontRef<'static>>> = OnceLock::new();
    FONTS.get_or_init(|| {
        FONT_BYTES
            .iter()
            .map(|bytes| FontRef::try_from_slice(bytes).expect("embedded DejaVu font parses"))
            .collect()
    })
}

/// Lays `text` out in `font` at `px` pixels from `x` along `baseline`: the
/// positioned glyphs, and where the text ends (the caret after its last
/// advance).
pub fn lay_out(
    font: &FontRef<'static>,
    px: f32,
    x: f32,
    baseline: f32,
    text: &str,
) -> (Vec<Glyph>, f32) {
    let scale = PxScale::from(px);
    let scaled = font.as_scaled(scale);
    let mut caret = x;
    let mut prev = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(scale, point(caret, baseline)));
        caret += scaled.h_advance(id);
        prev = Some(id);
    }
    (glyphs, caret)
}

/// The advance width of `text` in `font` at `px` pixels.
pub fn text_width(font: &FontRef<'static>, px: f32, text: &str) -> f32 {
    lay_out(font, px, 0.0, 0.0, text).1
}

/// Draws laid-out glyphs: `put(x, y, coverage)` for every covered pixel.
pub fn draw(font: &FontRef<'static>, glyphs: Vec<Glyph>, mut put: impl FnMut(i64, i64, f32)) {
    for g in glyphs {
        if let Some(outlined) = font.outline_glyph(g) {
            let b = outlined.px_bounds();
            outlined
                .draw(|gx, gy, c| put(b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64, c));
        }
    }
}
