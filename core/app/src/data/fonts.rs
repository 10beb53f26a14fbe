//! The fonts synthetic generators draw with: the embedded DejaVu faces, or
//! font files a dataset names (TTF/OTF files, directories searched
//! recursively); and the one text-layout routine the generators share:
//! glyphs placed along a baseline with kerning and advances, in any
//! `ab_glyph` font.

use ab_glyph::{point, Font, FontArc, FontRef, Glyph, PxScale, ScaleFont};
use std::path::{Path, PathBuf};
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

/// The bytes of embedded font `i` (in the order of [`EMBEDDED_FONT_NAMES`]).
pub fn embedded_font_bytes(i: usize) -> &'static [u8] {
    FONT_BYTES[i]
}

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

/// A font file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    /// The path names nothing.
    #[error("{} does not exist", path.display())]
    Missing { path: PathBuf },
    /// A directory holds no `*.ttf` or `*.otf` file, at any depth.
    #[error("{} holds no .ttf or .otf font", path.display())]
    NoFonts { path: PathBuf },
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file is not a TrueType / OpenType font.
    #[error("{} is not a TrueType or OpenType font: {reason}", path.display())]
    Parse { path: PathBuf, reason: String },
}

fn is_font_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ttf") || e.eq_ignore_ascii_case("otf"))
}

/// The font files `paths` name: a file as it is (whatever its name), a
/// directory as every `*.ttf` / `*.otf` under it at any depth, sorted (so a
/// seed picks the same faces on every machine with the same files).
pub fn font_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FontError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_file() {
            out.push(path.clone());
            continue;
        }
        if !path.is_dir() {
            return Err(FontError::Missing { path: path.clone() });
        }
        let mut found = Vec::new();
        let mut stack = vec![path.clone()];
        while let Some(dir) = stack.pop() {
            let io = |source| FontError::Io {
                path: dir.clone(),
                source,
            };
            for entry in std::fs::read_dir(&dir).map_err(io)? {
                let p = entry.map_err(io)?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if is_font_file(&p) {
                    found.push(p);
                }
            }
        }
        if found.is_empty() {
            return Err(FontError::NoFonts { path: path.clone() });
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Reads and parses one font file.
pub fn load_font(path: &Path) -> Result<FontArc, FontError> {
    let bytes = std::fs::read(path).map_err(|source| FontError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let font = FontArc::try_from_vec(bytes).map_err(|e| FontError::Parse {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    // A font whose tables parse but that maps no character is no use.
    if font.codepoint_ids().next().is_none() {
        return Err(FontError::Parse {
            path: path.to_path_buf(),
            reason: "it maps no character to a glyph".into(),
        });
    }
    Ok(font)
}

/// Every font `paths` name ([`font_files`]), parsed, with its file.
pub fn load_fonts(paths: &[PathBuf]) -> Result<Vec<(PathBuf, FontArc)>, FontError> {
    font_files(paths)?
        .into_iter()
        .map(|p| load_font(&p).map(|f| (p, f)))
        .collect()
}

/// The embedded fonts as [`FontArc`]s (sharing the embedded bytes).
pub fn embedded_font_arcs() -> Vec<FontArc> {
    embedded_fonts().iter().cloned().map(FontArc::new).collect()
}

/// Whether `font` has a glyph for every character of `text` (none would be
/// drawn as the `.notdef` box). Whitespace needs no glyph.
pub fn covers(font: &impl Font, text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || font.glyph_id(c).0 != 0)
}

/// The ab_glyph pixel scale (the height from descent to ascent) at which
/// one em of `font` is `em_px` pixels: the scale of a document's font size.
/// Fonts differ in how tall their ascent and descent are for their em
/// (DejaVu 1.16 em, Latin Modern 1.4, Times 1.0), so the same em size
/// gives comparable letters where the same scale would not.
pub fn scale_for_em(font: &impl Font, em_px: f32) -> f32 {
    em_px * font.height_unscaled() / font.units_per_em().unwrap_or(1000.0)
}

/// Lays `text` out in `font` at `px` pixels from `x` along `baseline`: the
/// positioned glyphs, and where the text ends (the caret after its last
/// advance).
pub fn lay_out(font: &impl Font, px: f32, x: f32, baseline: f32, text: &str) -> (Vec<Glyph>, f32) {
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
pub fn text_width(font: &impl Font, px: f32, text: &str) -> f32 {
    lay_out(font, px, 0.0, 0.0, text).1
}

/// Draws laid-out glyphs: `put(x, y, coverage)` for every covered pixel.
pub fn draw(font: &impl Font, glyphs: Vec<Glyph>, mut put: impl FnMut(i64, i64, f32)) {
    for g in glyphs {
        if let Some(outlined) = font.outline_glyph(g) {
            let b = outlined.px_bounds();
            outlined
                .draw(|gx, gy, c| put(b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64, c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assets() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fonts")
    }

    #[test]
    fn a_font_directory_gives_its_fonts_sorted() {
        let fonts = load_fonts(&[assets()]).unwrap();
        let names: Vec<_> = fonts
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        let mut expected: Vec<_> = EMBEDDED_FONT_NAMES.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(names, expected);
        // A file names itself, whatever else is beside it.
        let one = load_fonts(&[assets().join("DejaVuSerif.ttf")]).unwrap();
        assert_eq!(one.len(), 1);
        assert!(covers(&one[0].1, "Serif-1.2"));
    }

    #[test]
    fn missing_paths_empty_dirs_and_non_fonts_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let e = load_fonts(std::slice::from_ref(&missing)).unwrap_err();
        assert!(
            matches!(&e, FontError::Missing { path } if *path == missing),
            "{e}"
        );
        std::fs::create_dir(dir.path().join("empty")).unwrap();
        std::fs::write(dir.path().join("empty/readme.txt"), "no fonts").unwrap();
        let e = load_fonts(&[dir.path().join("empty")]).unwrap_err();
        assert!(e.to_string().contains("holds no .ttf or .otf font"), "{e}");
        let fake = dir.path().join("fake.ttf");
        std::fs::write(&fake, "not a font at all").unwrap();
        let e = load_fonts(&[dir.path().to_path_buf()]).unwrap_err();
        assert!(
            matches!(&e, FontError::Parse { path, .. } if *path == fake),
            "{e}"
        );
        assert!(e.to_string().contains("fake.ttf"), "{e}");
    }

    #[test]
    fn coverage_sees_missing_glyphs() {
        let font = &embedded_fonts()[0];
        assert!(covers(font, "“quoted” — ’tis foo.bar() --opt"));
        assert!(!covers(font, "日本"));
        // Layout of a loaded font equals the embedded one's.
        let arc = &embedded_font_arcs()[0];
        assert_eq!(
            text_width(font, 20.0, "Width"),
            text_width(arc, 20.0, "Width")
        );
    }
}
