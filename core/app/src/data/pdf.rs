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
//! words of a line whose ink touches are joined. The ground truth of a
//! page is made in [`super::pdf_truth`].

use super::pdf_truth::{fit_layers, page_truth, Layers};
use super::DataError;
use image::GrayImage;
use std::path::{Path, PathBuf};
use std::process::Command;

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
fn check_tools() -> Result<(), PdfError> {
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

/// Pages whose layers Ghostscript renders in one call.
const LAYER_CHUNK: usize = 8;

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
    let mut crops = opts
        .words
        .then(|| super::pdf_words::Crops::new(&out.join("words")));
    let mut done = Vec::new();
    // Ghostscript renders the layers of a few pages at a time, so memory
    // stays bounded however many pages are converted.
    for chunk in pages.chunks(LAYER_CHUNK) {
        let layers = render_layers(pdf, chunk, opts.dpi, tmp.path())?;
        for (&n, layers) in chunk.iter().zip(layers) {
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
    }
    if let Some(c) = crops {
        c.finish()?;
    }
    Ok(done)
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
}
