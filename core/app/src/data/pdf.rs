//! Born-digital PDFs into the pages format (`workbench data pdf`).
//!
//! A PDF's text layer gives every word exactly, so real pages come with
//! exact ground truth. The work is split between two real PDF engines from
//! Debian's packages, called as programs:
//!
//! - poppler (`poppler-utils`): `pdfinfo` (page count), `pdftoppm` (the page
//!   image, gray, anti-aliased) and `pdftotext -bbox-layout` (words with
//!   their font boxes, grouped into blocks and lines);
//! - Ghostscript (`ghostscript`), whose `-dFILTERTEXT`, `-dFILTERIMAGE` and
//!   `-dFILTERVECTOR` switches render one kind of content at a time: the
//!   text alone (each word's ink-tight box is the ink of the text layer
//!   inside its font box, so rules, tables and backgrounds never widen it),
//!   the raster images alone over a magenta page painted with an image (so
//!   an image's white parts count as image), and the vector drawings alone
//!   over a magenta page painted with a fill.
//!
//! Vector drawings become `graphics` regions after the parts that are not
//! figures are dropped: thin rules, and rectilinear ink (table grids,
//! frames, shaded backgrounds) that holds words. Raster images become
//! `images`. Words drawn in invisible ink (a scan's OCR layer) are dropped;
//! words of a line whose ink touches are joined ([`join_touching`]).

use super::pages::{ImageBox, PageRegions, WordBox};
use super::DataError;
use image::{GrayImage, RgbImage};
use std::path::{Path, PathBuf};
use std::process::Command;
use workbench_vision::{components, dilate, Binary, Connectivity};

/// What `data pdf` does besides writing pages.
#[derive(Clone, Debug)]
pub struct PdfOptions {
    /// Render resolution.
    pub dpi: f32,
    /// Page selection (`1-20,31`), all pages when `None`.
    pub pages: Option<String>,
    /// Also write word crops with `labels.csv` under `OUT/words/`.
    pub words: bool,
    /// Seeded scan-like degradation of the page images.
    pub degrade: Option<u64>,
}

/// Errors of the conversion.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// A program the conversion needs is not installed.
    #[error("`{tool}` was not found: install Debian's `{package}` (apt-get install {package})")]
    MissingTool {
        /// The program.
        tool: &'static str,
        /// The package that has it.
        package: &'static str,
    },
    /// A program failed on the file.
    #[error("{tool} failed on {}: {message}", file.display())]
    Tool {
        /// The program.
        tool: &'static str,
        /// The PDF.
        file: PathBuf,
        /// Its stderr (last lines), or why it could not run.
        message: String,
    },
    /// The page selection is malformed or out of range.
    #[error("--pages `{selection}`: {reason}")]
    Pages {
        /// As given.
        selection: String,
        /// Why.
        reason: String,
    },
    /// The text layer could not be read.
    #[error("cannot read the text layer of {}: {reason}", file.display())]
    TextLayer {
        /// The PDF.
        file: PathBuf,
        /// Why.
        reason: String,
    },
    /// Reading or writing files.
    #[error(transparent)]
    Data(#[from] DataError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PdfError + '_ {
    move |source| {
        PdfError::Data(DataError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// The programs the conversion calls, with the package that has each.
const TOOLS: [(&str, &str); 4] = [
    ("pdfinfo", "poppler-utils"),
    ("pdftoppm", "poppler-utils"),
    ("pdftotext", "poppler-utils"),
    ("gs", "ghostscript"),
];

/// Fails with the install step when a program is missing.
pub fn check_tools() -> Result<(), PdfError> {
    for (tool, package) in TOOLS {
        let found = Command::new(tool)
            .arg(if tool == "gs" { "--version" } else { "-v" })
            .output()
            .is_ok();
        if !found {
            return Err(PdfError::MissingTool { tool, package });
        }
    }
    Ok(())
}

/// Runs a program; its stdout, or its stderr's tail as the error.
fn run(tool: &'static str, file: &Path, cmd: &mut Command) -> Result<Vec<u8>, PdfError> {
    let out = cmd.output().map_err(|e| PdfError::Tool {
        tool,
        file: file.to_path_buf(),
        message: e.to_string(),
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(PdfError::Tool {
            tool,
            file: file.to_path_buf(),
            message: if tail.is_empty() {
                format!("exit status {}", out.status)
            } else {
                tail.join(" / ")
            },
        });
    }
    Ok(out.stdout)
}

/// The number of pages, from `pdfinfo`.
pub fn page_count(pdf: &Path) -> Result<u32, PdfError> {
    let out = run("pdfinfo", pdf, Command::new("pdfinfo").arg(pdf))?;
    let text = String::from_utf8_lossy(&out);
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| PdfError::Tool {
            tool: "pdfinfo",
            file: pdf.to_path_buf(),
            message: "no page count in its output".into(),
        })
}

/// Parses a page selection (`1-20,31`, `5-`: from 5 to the end) against a
/// page count; pages come back sorted, each once.
pub fn parse_pages(selection: &str, count: u32) -> Result<Vec<u32>, PdfError> {
    let bad = |reason: String| PdfError::Pages {
        selection: selection.to_string(),
        reason,
    };
    let num = |s: &str| -> Result<u32, PdfError> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| bad(format!("`{}` is not a page number", s.trim())))
    };
    let mut pages = Vec::new();
    for part in selection.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(bad("empty range".into()));
        }
        let (a, b) = match part.split_once('-') {
            Some((a, "")) => (num(a)?, count),
            Some((a, b)) => (num(a)?, num(b)?),
            None => {
                let n = num(part)?;
                (n, n)
            }
        };
        if a == 0 || a > b {
            return Err(bad(format!("`{part}` is not a range of pages from 1")));
        }
        if b > count {
            return Err(bad(format!("page {b} is past the last page ({count})")));
        }
        pages.extend(a..=b);
    }
    pages.sort_unstable();
    pages.dedup();
    Ok(pages)
}

/// A word of the text layer, in PDF points (origin top-left).
#[derive(Clone, Debug, PartialEq)]
pub struct PdfWord {
    /// The word.
    pub text: String,
    /// Font box: left, top, right, bottom.
    pub bbox: [f64; 4],
    /// Block number on the page.
    pub block: u32,
    /// Line number on the page.
    pub line: u32,
}

/// The words of one page of `pdftotext -bbox-layout` output.
pub fn parse_bbox_layout(xhtml: &str) -> Result<Vec<PdfWord>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xhtml);
    let (mut block, mut line) = (0u32, 0u32);
    let (mut blocks, mut lines) = (0u32, 0u32);
    let mut words = Vec::new();
    let mut current: Option<[f64; 4]> = None;
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Err(e) => return Err(format!("at byte {}: {e}", reader.error_position())),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => match e.name().as_ref() {
                b"block" => {
                    block = blocks;
                    blocks += 1;
                }
                b"line" => {
                    line = lines;
                    lines += 1;
                }
                b"word" => {
                    let mut b = [f64::NAN; 4];
                    for a in e.attributes().flatten() {
                        let i = match a.key.as_ref() {
                            b"xMin" => 0,
                            b"yMin" => 1,
                            b"xMax" => 2,
                            b"yMax" => 3,
                            _ => continue,
                        };
                        b[i] = std::str::from_utf8(&a.value)
                            .ok()
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(f64::NAN);
                    }
                    if b.iter().any(|v| !v.is_finite()) {
                        return Err("a word without a numeric box".into());
                    }
                    current = Some(b);
                    text.clear();
                }
                _ => {}
            },
            Ok(Event::Text(t)) if current.is_some() => {
                let s = t.decode().map_err(|e| e.to_string())?;
                text.push_str(&s);
            }
            Ok(Event::GeneralRef(r)) if current.is_some() => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(c);
                } else {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    let v = quick_xml::escape::resolve_xml_entity(&name)
                        .ok_or_else(|| format!("unknown entity &{name};"))?;
                    text.push_str(v);
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == b"word" => {
                if let Some(bbox) = current.take() {
                    let t = text.trim();
                    if !t.is_empty() {
                        words.push(PdfWord {
                            text: t.to_string(),
                            bbox,
                            block,
                            line,
                        });
                    }
                }
            }
            Ok(_) => {}
        }
    }
    Ok(words)
}

/// Axis-aligned pixel box `[x0, y0, x1, y1)`.
type PixBox = [u32; 4];

/// Where a layer's ink is, as a binary image.
fn mask_of(width: usize, height: usize, is_ink: impl Fn(usize, usize) -> bool) -> Binary {
    let mut b = Binary::new(width, height);
    for y in 0..height {
        for x in 0..width {
            b.data[y * width + x] = u8::from(is_ink(x, y));
        }
    }
    b
}

/// How far a pixel is from the magenta page the layers are drawn on.
fn magenta_distance(p: &image::Rgb<u8>) -> u32 {
    let [r, g, b] = p.0;
    (255 - r as u32) + g as u32 + (255 - b as u32)
}

/// The three content layers of one page, rendered alone.
struct Layers {
    /// Text alone, gray (255 = paper).
    text: GrayImage,
    /// Vector drawings alone over magenta.
    vector: RgbImage,
    /// Raster images alone over magenta.
    raster: RgbImage,
}

/// Renders the selected pages' layers with Ghostscript, three runs over the
/// whole selection.
fn render_layers(pdf: &Path, pages: &[u32], dpi: f32, tmp: &Path) -> Result<Vec<Layers>, PdfError> {
    let list: Vec<String> = pages.iter().map(|p| p.to_string()).collect();
    let list = list.join(",");
    // BeginPage procedures that paint the page magenta before its content:
    // with a fill (filtered away with the vectors) or with an image
    // (filtered away with the images).
    const FILL: &str = "<< /BeginPage { pop gsave initclip clippath 1 0 1 setrgbcolor fill grestore } >> setpagedevice";
    const IMAGE: &str = "<< /BeginPage { pop gsave initclip clippath pathbbox newpath 2 index sub exch 3 index sub exch 4 2 roll translate scale 1 1 8 [1 0 0 1 0 0] {<ff00ff>} false 3 colorimage grestore } >> setpagedevice";
    let layer = |name: &str, device: &str, filters: &[&str], paint: Option<&str>| {
        let mut cmd = Command::new("gs");
        cmd.args(["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-dUseCropBox"])
            .arg(format!("-r{dpi}"))
            .arg(format!("-sPageList={list}"))
            .arg(format!("-sDEVICE={device}"))
            .args(["-dTextAlphaBits=4", "-dGraphicsAlphaBits=1"])
            .args(filters)
            .arg(format!(
                "-sOutputFile={}",
                tmp.join(format!("{name}-%04d.png")).display()
            ));
        if let Some(p) = paint {
            cmd.args(["-c", p, "-f"]);
        }
        cmd.arg(pdf);
        run("gs", pdf, &mut cmd).map(|_| ())
    };
    layer(
        "text",
        "pnggray",
        &["-dFILTERIMAGE", "-dFILTERVECTOR"],
        None,
    )?;
    layer(
        "vector",
        "png16m",
        &["-dFILTERTEXT", "-dFILTERIMAGE"],
        Some(FILL),
    )?;
    layer(
        "raster",
        "png16m",
        &["-dFILTERTEXT", "-dFILTERVECTOR"],
        Some(IMAGE),
    )?;
    let open = |name: &str, i: usize| -> Result<image::DynamicImage, PdfError> {
        let path = tmp.join(format!("{name}-{:04}.png", i + 1));
        image::open(&path).map_err(|e| PdfError::Tool {
            tool: "gs",
            file: pdf.to_path_buf(),
            message: format!("no readable {}: {e}", path.display()),
        })
    };
    (0..pages.len())
        .map(|i| {
            Ok(Layers {
                text: open("text", i)?.to_luma8(),
                vector: open("vector", i)?.to_rgb8(),
                raster: open("raster", i)?.to_rgb8(),
            })
        })
        .collect()
}

/// Renders one page with `pdftoppm`, gray.
fn render_page(pdf: &Path, page: u32, dpi: f32, tmp: &Path) -> Result<GrayImage, PdfError> {
    let stem = tmp.join(format!("page-{page}"));
    run(
        "pdftoppm",
        pdf,
        Command::new("pdftoppm")
            .args(["-png", "-gray", "-singlefile", "-r"])
            .arg(format!("{dpi}"))
            .args(["-f", &page.to_string(), "-l", &page.to_string()])
            .arg(pdf)
            .arg(&stem),
    )?;
    let path = stem.with_extension("png");
    let img = image::open(&path).map_err(|e| PdfError::Tool {
        tool: "pdftoppm",
        file: pdf.to_path_buf(),
        message: format!("no readable {}: {e}", path.display()),
    })?;
    let _ = std::fs::remove_file(&path);
    Ok(img.to_luma8())
}

/// The words of one page, from `pdftotext -bbox-layout`.
fn text_layer(pdf: &Path, page: u32) -> Result<Vec<PdfWord>, PdfError> {
    let out = run(
        "pdftotext",
        pdf,
        Command::new("pdftotext")
            .args(["-bbox-layout", "-enc", "UTF-8"])
            .args(["-f", &page.to_string(), "-l", &page.to_string()])
            .arg(pdf)
            .arg("-"),
    )?;
    parse_bbox_layout(&String::from_utf8_lossy(&out)).map_err(|reason| PdfError::TextLayer {
        file: pdf.to_path_buf(),
        reason,
    })
}

/// The bounding box of the pixels of `b` (clipped to the image) where
/// `ink` holds, if any.
fn ink_box(b: PixBox, w: u32, h: u32, ink: impl Fn(u32, u32) -> bool) -> Option<PixBox> {
    let (x0, y0, x1, y1) = (b[0].min(w), b[1].min(h), b[2].min(w), b[3].min(h));
    let mut out: Option<PixBox> = None;
    for y in y0..y1 {
        for x in x0..x1 {
            if ink(x, y) {
                let o = out.get_or_insert([x, y, x + 1, y + 1]);
                o[0] = o[0].min(x);
                o[1] = o[1].min(y);
                o[2] = o[2].max(x + 1);
                o[3] = o[3].max(y + 1);
            }
        }
    }
    out
}

/// Gray levels below this are ink in the text layer.
const TEXT_INK: u8 = 170;

/// One word's ink-tight box: the text layer's ink inside its font box
/// (grown by two pixels across and one down and up, for overhangs); for text the text layer cannot show
/// (white on dark), the pixels of the page that stand out from the font
/// box's median. `None` for invisible words.
fn word_ink(font: PixBox, layers: &Layers, page: &GrayImage) -> Option<PixBox> {
    let (w, h) = page.dimensions();
    let grown = [
        font[0].saturating_sub(2),
        font[1].saturating_sub(1),
        font[2] + 2,
        font[3] + 1,
    ];
    if let Some(b) = ink_box(grown, w, h, |x, y| {
        layers.text.get_pixel(x, y).0[0] < TEXT_INK
    }) {
        return Some(b);
    }
    let mut values: Vec<u8> = Vec::new();
    for y in font[1].min(h)..font[3].min(h) {
        for x in font[0].min(w)..font[2].min(w) {
            values.push(page.get_pixel(x, y).0[0]);
        }
    }
    if values.is_empty() {
        return None;
    }
    let mid = values.len() / 2;
    let median = *values.select_nth_unstable(mid).1 as i32;
    ink_box(font, w, h, |x, y| {
        (page.get_pixel(x, y).0[0] as i32 - median).abs() > 60
    })
}

/// Boxes of the components of `mask` after joining pixels `join` apart,
/// overlapping boxes merged.
fn regions(mask: &Binary, join: usize) -> Vec<PixBox> {
    let joined = if join > 0 {
        dilate(mask, join, join)
    } else {
        mask.clone()
    };
    let mut boxes: Vec<PixBox> = components(&joined, Connectivity::Eight)
        .iter()
        .filter_map(|c| {
            // Shrink back to the real ink of the component.
            ink_box(
                [c.x, c.y, c.x + c.w, c.y + c.h],
                mask.width as u32,
                mask.height as u32,
                |x, y| mask.data[y as usize * mask.width + x as usize] == 1,
            )
        })
        .collect();
    merge_overlapping(&mut boxes);
    boxes
}

fn overlaps(a: &PixBox, b: &PixBox) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

fn merge_overlapping(boxes: &mut Vec<PixBox>) {
    loop {
        let mut merged = false;
        let mut out: Vec<PixBox> = Vec::with_capacity(boxes.len());
        for b in boxes.drain(..) {
            if let Some(o) = out.iter_mut().find(|o| overlaps(o, &b)) {
                *o = [
                    o[0].min(b[0]),
                    o[1].min(b[1]),
                    o[2].max(b[2]),
                    o[3].max(b[3]),
                ];
                merged = true;
            } else {
                out.push(b);
            }
        }
        *boxes = out;
        if !merged {
            return;
        }
    }
}

/// Share of the ink inside `b` that lies on long horizontal or vertical
/// runs (rules, grids, frames, filled boxes), `run` pixels or longer.
fn rectilinear_share(mask: &Binary, b: PixBox, run: usize) -> f64 {
    let w = mask.width;
    let at = |x: usize, y: usize| mask.data[y * w + x] == 1;
    let (x0, y0, x1, y1) = (b[0] as usize, b[1] as usize, b[2] as usize, b[3] as usize);
    let (bw, bh) = (x1 - x0, y1 - y0);
    let mut on_run = vec![false; bw * bh];
    for y in y0..y1 {
        let mut x = x0;
        while x < x1 {
            if !at(x, y) {
                x += 1;
                continue;
            }
            let s = x;
            while x < x1 && at(x, y) {
                x += 1;
            }
            if x - s >= run {
                on_run[(y - y0) * bw + (s - x0)..(y - y0) * bw + (x - x0)].fill(true);
            }
        }
    }
    for x in x0..x1 {
        let mut y = y0;
        while y < y1 {
            if !at(x, y) {
                y += 1;
                continue;
            }
            let s = y;
            while y < y1 && at(x, y) {
                y += 1;
            }
            if y - s >= run {
                for yy in s..y {
                    on_run[(yy - y0) * bw + (x - x0)] = true;
                }
            }
        }
    }
    let (mut ink, mut ruled) = (0u64, 0u64);
    for y in y0..y1 {
        for x in x0..x1 {
            if at(x, y) {
                ink += 1;
                ruled += u64::from(on_run[(y - y0) * bw + (x - x0)]);
            }
        }
    }
    ruled as f64 / ink.max(1) as f64
}

fn centre_in(b: &PixBox, w: &WordBox) -> bool {
    let (cx, cy) = (w.x + w.w / 2.0, w.y + w.h / 2.0);
    cx >= b[0] as f64 && cx < b[2] as f64 && cy >= b[1] as f64 && cy < b[3] as f64
}

fn covered_by(a: &PixBox, b: &PixBox) -> f64 {
    let ix = a[2].min(b[2]).saturating_sub(a[0].max(b[0])) as f64;
    let iy = a[3].min(b[3]).saturating_sub(a[1].max(b[1])) as f64;
    let area = ((a[2] - a[0]) as f64 * (a[3] - a[1]) as f64).max(1.0);
    ix * iy / area
}

fn image_box(b: &PixBox) -> ImageBox {
    ImageBox {
        x: b[0] as f64,
        y: b[1] as f64,
        w: (b[2] - b[0]) as f64,
        h: (b[3] - b[1]) as f64,
        score: None,
    }
}

/// The ground truth of one page from its text layer and content layers.
fn page_truth(words: &[PdfWord], layers: &Layers, page: &GrayImage, dpi: f32) -> PageRegions {
    let (w, h) = page.dimensions();
    let s = dpi as f64 / 72.0;
    let px = |v: f64| (v * s).max(0.0);
    let mut out = PageRegions {
        width: w,
        height: h,
        ..Default::default()
    };
    for word in words {
        let [x0, y0, x1, y1] = word.bbox;
        let font = [
            px(x0).floor() as u32,
            px(y0).floor() as u32,
            px(x1).ceil() as u32,
            px(y1).ceil() as u32,
        ];
        let Some(ink) = word_ink(font, layers, page) else {
            continue;
        };
        out.words.push(WordBox {
            text: Some(word.text.clone()),
            x: ink[0] as f64,
            y: ink[1] as f64,
            w: (ink[2] - ink[0]) as f64,
            h: (ink[3] - ink[1]) as f64,
            font_box: Some([
                round2(px(x0)),
                round2(px(y0)),
                round2(px(x1) - px(x0)),
                round2(px(y1) - px(y0)),
            ]),
            block: Some(word.block),
            line: Some(word.line),
            ..Default::default()
        });
    }
    out.words = join_touching(std::mem::take(&mut out.words));
    // Sizes scale with the resolution (given here at 150 dpi).
    let at = |v: f64| ((v * dpi as f64 / 150.0).round() as usize).max(1);
    let (wu, hu) = (w as usize, h as usize);
    let raster = mask_of(wu, hu, |x, y| {
        magenta_distance(layers.raster.get_pixel(x as u32, y as u32)) > 30
    });
    // A figure is at least a third of an inch on its longer side and a
    // ninth on its shorter (smaller marks are icons and bullets).
    let (min_side, min_long) = (at(16.0) as u32, at(48.0) as u32);
    let big_enough = |b: &PixBox| {
        let (bw, bh) = (b[2] - b[0], b[3] - b[1]);
        bw.min(bh) >= min_side && bw.max(bh) >= min_long
    };
    let images: Vec<PixBox> = regions(&raster, at(2.0))
        .into_iter()
        .filter(big_enough)
        .collect();
    let vector = mask_of(wu, hu, |x, y| {
        let p = layers.vector.get_pixel(x as u32, y as u32);
        magenta_distance(p) > 30 && p.0.iter().any(|&c| c < 235)
    });
    let thin = at(3.0) as u32;
    // The strokes of one drawing lie within a line's height of each other.
    let mut graphics: Vec<PixBox> = regions(&vector, at(20.0))
        .into_iter()
        .filter(|b| {
            let (bw, bh) = (b[2] - b[0], b[3] - b[1]);
            if bw <= thin || bh <= thin || !big_enough(b) {
                return false; // a rule, or a mark too small to be a figure
            }
            if images.iter().any(|i| covered_by(b, i) > 0.8) {
                return false; // an image's frame
            }
            let holds_words = out.words.iter().any(|wd| centre_in(b, wd));
            // Tables, frames and shaded backgrounds around text.
            !(holds_words && rectilinear_share(&vector, *b, at(15.0)) > 0.95)
        })
        .collect();
    merge_overlapping(&mut graphics);
    out.images = images.iter().map(image_box).collect();
    out.graphics = graphics.iter().map(image_box).collect();
    out
}

/// Words of one line whose ink touches or nearly touches (closer than an
/// eighth of the line's ink height) are one word as a reader sees it: the
/// text layer splits logos built by kerning (`LaTeX`), subscripts and
/// math (`z0,`) into pieces no gap on the page separates. Their texts are
/// joined without a space, their boxes united.
fn join_touching(words: Vec<WordBox>) -> Vec<WordBox> {
    let mut out: Vec<WordBox> = Vec::with_capacity(words.len());
    for w in words {
        if let Some(prev) = out.last_mut() {
            let same_line = prev.line.is_some() && prev.line == w.line;
            let h = prev.h.max(w.h);
            let gap = w.x - (prev.x + prev.w);
            let vov = (prev.y + prev.h).min(w.y + w.h) - prev.y.max(w.y);
            if same_line && gap < h / 8.0 && gap > -(w.w.min(prev.w)) && vov > -h / 4.0 {
                let (x0, y0) = (prev.x.min(w.x), prev.y.min(w.y));
                let x1 = (prev.x + prev.w).max(w.x + w.w);
                let y1 = (prev.y + prev.h).max(w.y + w.h);
                (prev.x, prev.y, prev.w, prev.h) = (x0, y0, x1 - x0, y1 - y0);
                if let (Some(a), Some(b)) = (prev.text.as_mut(), w.text.as_ref()) {
                    a.push_str(b);
                }
                if let (Some(a), Some(b)) = (prev.font_box.as_mut(), w.font_box) {
                    let fx1 = (a[0] + a[2]).max(b[0] + b[2]);
                    let fy1 = (a[1] + a[3]).max(b[1] + b[3]);
                    a[0] = a[0].min(b[0]);
                    a[1] = a[1].min(b[1]);
                    a[2] = round2(fx1 - a[0]);
                    a[3] = round2(fy1 - a[1]);
                }
                continue;
            }
        }
        out.push(w);
    }
    out
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// What one converted page produced.
#[derive(Clone, Debug)]
pub struct ConvertedPage {
    /// The page image written.
    pub png: PathBuf,
    /// Words, raster images and graphics regions on it.
    pub words: usize,
    /// Raster image regions.
    pub images: usize,
    /// Vector graphics regions.
    pub graphics: usize,
}

/// Converts the selected pages of `pdf` into `out` as
/// `STEM-pNNN.png` + `STEM-pNNN.json`.
pub fn convert(pdf: &Path, out: &Path, opts: &PdfOptions) -> Result<Vec<ConvertedPage>, PdfError> {
    check_tools()?;
    if !pdf.is_file() {
        return Err(PdfError::Data(DataError::Io {
            path: pdf.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a file"),
        }));
    }
    let count = page_count(pdf)?;
    let pages = match &opts.pages {
        Some(sel) => parse_pages(sel, count)?,
        None => (1..=count).collect(),
    };
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let tmp = tempfile::Builder::new()
        .prefix(".pdf-render-")
        .tempdir_in(out)
        .map_err(io_err(out))?;
    let stem = pdf
        .file_stem()
        .map(|s| {
            s.to_string_lossy().replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_' && c != '.',
                "_",
            )
        })
        .unwrap_or_else(|| "page".into());
    let layers = render_layers(pdf, &pages, opts.dpi, tmp.path())?;
    let mut crops = opts
        .words
        .then(|| super::pdf_words::Crops::new(&out.join("words")));
    let mut done = Vec::new();
    for (&n, layers) in pages.iter().zip(&layers) {
        let mut page = render_page(pdf, n, opts.dpi, tmp.path())?;
        let words = text_layer(pdf, n)?;
        // The layers must line up with the page; pad or crop if the
        // renderers rounded the size differently.
        let layers = fit_layers(layers, page.dimensions());
        let mut truth = page_truth(&words, &layers, &page, opts.dpi);
        let name = format!("{stem}-p{n:03}");
        if let Some(seed) = opts.degrade {
            super::degrade::degrade(&mut page, &mut truth, seed ^ u64::from(n));
        }
        if let Some(c) = crops.as_mut() {
            c.add(&name, &page, &truth)?;
        }
        let png = out.join(format!("{name}.png"));
        page.save(&png).map_err(|e| {
            PdfError::Data(DataError::Write {
                path: png.clone(),
                source: std::io::Error::other(e.to_string()),
            })
        })?;
        super::pages::write_regions(&out.join(format!("{name}.json")), &truth)?;
        done.push(ConvertedPage {
            png,
            words: truth.words.len(),
            images: truth.images.len(),
            graphics: truth.graphics.len(),
        });
    }
    if let Some(c) = crops {
        c.finish()?;
    }
    Ok(done)
}

/// The layers padded (with paper) or cropped to `size`.
fn fit_layers(l: &Layers, (w, h): (u32, u32)) -> Layers {
    if l.text.dimensions() == (w, h)
        && l.vector.dimensions() == (w, h)
        && l.raster.dimensions() == (w, h)
    {
        return Layers {
            text: l.text.clone(),
            vector: l.vector.clone(),
            raster: l.raster.clone(),
        };
    }
    let magenta = image::Rgb([255u8, 0, 255]);
    let text = GrayImage::from_fn(w, h, |x, y| {
        if x < l.text.width() && y < l.text.height() {
            *l.text.get_pixel(x, y)
        } else {
            image::Luma([255])
        }
    });
    let rgb = |src: &RgbImage| {
        RgbImage::from_fn(w, h, |x, y| {
            if x < src.width() && y < src.height() {
                *src.get_pixel(x, y)
            } else {
                magenta
            }
        })
    };
    Layers {
        text,
        vector: rgb(&l.vector),
        raster: rgb(&l.raster),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_selections() {
        assert_eq!(parse_pages("1-3,5", 9).unwrap(), vec![1, 2, 3, 5]);
        assert_eq!(parse_pages("8-", 9).unwrap(), vec![8, 9]);
        assert_eq!(parse_pages("3,1-2,2", 9).unwrap(), vec![1, 2, 3]);
        for bad in ["0", "4-2", "1-10", "x", "1,,2", ""] {
            let e = parse_pages(bad, 9).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--pages `{bad}`")), "{e}");
        }
        assert!(parse_pages("1-10", 9)
            .unwrap_err()
            .to_string()
            .contains("past the last page (9)"));
    }

    #[test]
    fn bbox_layout_words_with_blocks_lines_and_entities() {
        let x = r#"<html><body><doc><page width="612" height="792"><flow>
<block xMin="1" yMin="2" xMax="3" yMax="4"><line xMin="1" yMin="2" xMax="3" yMax="4">
<word xMin="72.5" yMin="83.8" xMax="98.6" yMax="94.6">A&amp;B</word>
<word xMin="100" yMin="83.8" xMax="120" yMax="94.6">&lt;x&gt;</word>
</line><line xMin="1" yMin="2" xMax="3" yMax="4"><word xMin="1" yMin="2" xMax="3" yMax="4"> </word>
<word xMin="1" yMin="20" xMax="3" yMax="30">next</word></line></block>
<block xMin="1" yMin="2" xMax="3" yMax="4"><line xMin="1" yMin="2" xMax="3" yMax="4">
<word xMin="5" yMin="6" xMax="7" yMax="8">café</word></line></block>
</flow></page></doc></body></html>"#;
        let w = parse_bbox_layout(x).unwrap();
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["A&B", "<x>", "next", "café"]);
        assert_eq!(w[0].bbox, [72.5, 83.8, 98.6, 94.6]);
        assert_eq!((w[0].block, w[0].line), (0, 0));
        assert_eq!((w[2].block, w[2].line), (0, 1));
        assert_eq!((w[3].block, w[3].line), (1, 2));
        assert!(
            parse_bbox_layout(r#"<word xMin="a" yMin="1" xMax="2" yMax="3">x</word>"#).is_err()
        );
    }

    #[test]
    fn rules_and_grids_are_rectilinear_strokes_are_not() {
        let grid = Binary::from_ascii(&[
            "##########",
            "#....#...#",
            "#....#...#",
            "##########",
            "#....#...#",
            "##########",
        ]);
        assert!(rectilinear_share(&grid, [0, 0, 10, 6], 4) > 0.99);
        let diagonal = Binary::from_ascii(&[
            "#.........",
            ".#........",
            "..#.......",
            "...#......",
            "....#.....",
            ".....#....",
        ]);
        assert_eq!(rectilinear_share(&diagonal, [0, 0, 10, 6], 4), 0.0);
    }

    #[test]
    fn touching_words_of_a_line_join() {
        let w = |t: &str, x: f64, wd: f64, line: u32| WordBox {
            text: Some(t.into()),
            x,
            y: 10.0,
            w: wd,
            h: 16.0,
            line: Some(line),
            ..Default::default()
        };
        // `L` and `A` of a logo overlap; `z` and its subscript touch; a
        // space of 5 px separates words; another line never joins.
        let out = join_touching(vec![
            w("L", 0.0, 10.0, 0),
            w("A", 7.0, 7.0, 0),
            w("TEX", 13.0, 20.0, 0),
            w("z", 40.0, 8.0, 0),
            w("0", 49.0, 5.0, 0),
            w("next", 54.0 + 5.0, 30.0, 0),
            w("below", 89.5, 30.0, 1),
        ]);
        let texts: Vec<&str> = out.iter().map(|w| w.text.as_deref().unwrap()).collect();
        assert_eq!(texts, ["LATEX", "z0", "next", "below"]);
        assert_eq!((out[0].x, out[0].w), (0.0, 33.0));
    }

    #[test]
    fn overlapping_boxes_merge_transitively() {
        let mut b = vec![
            [0, 0, 10, 10],
            [20, 0, 30, 10],
            [8, 5, 22, 6],
            [50, 50, 60, 60],
        ];
        merge_overlapping(&mut b);
        b.sort();
        assert_eq!(b, vec![[0, 0, 30, 10], [50, 50, 60, 60]]);
    }
}
