//! Figures for papers and run artifacts, drawn with `plotters` in the
//! embedded DejaVu Sans: line charts with axes, ticks, axis labels, a
//! legend and a title, optional mean ± std bands and a log y axis; PNG or
//! SVG by the output's extension. Also the curves `workbench plot` draws
//! from runs' `metrics.csv`: one metric per run, smoothed (exponential
//! moving average, debiased as TensorBoard does), seeds of a configuration
//! pooled into a mean line with a ± std band.

use crate::results::MetricRow;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// A figure that cannot be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The output's extension is not one this draws.
    #[error("cannot write {0}: figures are .png or .svg (for a PDF, convert the SVG, e.g. `rsvg-convert -f pdf`)")]
    Format(String),
    /// Nothing to draw.
    #[error("nothing to draw: {0}")]
    Empty(String),
    /// plotters failed (writing the file included).
    #[error("drawing {path}: {message}")]
    Draw {
        /// The output.
        path: String,
        /// plotters' words.
        message: String,
    },
}

/// One line of a figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its legend entry.
    pub label: String,
    /// `(x, y)`, sorted by x.
    pub points: Vec<(f64, f64)>,
    /// `(x, low, high)`: a shaded band (mean ± std), when there is one.
    pub band: Option<Vec<(f64, f64, f64)>>,
}

/// A line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Title on top.
    pub title: String,
    /// Under the x axis.
    pub x_label: String,
    /// Beside the y axis.
    pub y_label: String,
    /// A logarithmic y axis (non-positive values are left out).
    pub log_y: bool,
    /// The lines.
    pub series: Vec<Series>,
}

const FONT: &str = "sans-serif";

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            crate::data::fonts::embedded_font_bytes(0),
        );
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Bold,
            crate::data::fonts::embedded_font_bytes(1),
        );
    });
}

fn draw_err(path: &Path) -> impl Fn(String) -> PlotError + '_ {
    move |message| PlotError::Draw {
        path: path.display().to_string(),
        message,
    }
}

/// Draws `figure` into `path` (`.png` or `.svg`), `width` × `height` pixels.
pub fn draw(figure: &Figure, path: &Path, width: u32, height: u32) -> Result<(), PlotError> {
    register_font();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let err = draw_err(path);
    // Drawn beside the target and renamed over it, so a crash never
    // leaves half a figure in place of a whole one.
    let ext = match ext.as_deref() {
        Some(e @ ("png" | "svg")) => e.to_string(),
        _ => return Err(PlotError::Format(path.display().to_string())),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.partial.{ext}", std::process::id()));
    let drawn = if ext == "png" {
        let root = BitMapBackend::new(&tmp, (width, height)).into_drawing_area();
        draw_on(figure, &root).and_then(|_| root.present().map_err(|e| e.to_string()))
    } else {
        let root = SVGBackend::new(&tmp, (width, height)).into_drawing_area();
        draw_on(figure, &root).and_then(|_| root.present().map_err(|e| e.to_string()))
    };
    let done = drawn.and_then(|_| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done.map_err(err)
}

/// The x and y ranges of everything drawn, padded a little.
fn ranges(figure: &Figure) -> Option<((f64, f64), (f64, f64))> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for s in &figure.series {
        for &(x, y) in &s.points {
            xs.push(x);
            ys.push(y);
        }
        for &(x, lo, hi) in s.band.iter().flatten() {
            xs.push(x);
            ys.extend([lo, hi]);
        }
    }
    let keep = |v: &f64| v.is_finite() && (!figure.log_y || *v > 0.0);
    let xs: Vec<f64> = xs.into_iter().filter(|x| x.is_finite()).collect();
    let ys: Vec<f64> = ys.into_iter().filter(keep).collect();
    let (x0, x1) = min_max(&xs)?;
    let (y0, y1) = min_max(&ys)?;
    let (x0, x1) = if x0 == x1 {
        (x0 - 1.0, x1 + 1.0)
    } else {
        (x0, x1)
    };
    let (y0, y1) = if figure.log_y {
        (y0 / 1.2, y1 * 1.2)
    } else {
        let pad = if y0 == y1 {
            y0.abs().max(1.0) * 0.1
        } else {
            (y1 - y0) * 0.05
        };
        (y0 - pad, y1 + pad)
    };
    Some(((x0, x1), (y0, y1)))
}

fn min_max(v: &[f64]) -> Option<(f64, f64)> {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min.is_finite() && max.is_finite()).then_some((min, max))
}

/// The chart itself, on any backend; the y axis linear or logarithmic.
macro_rules! chart_body {
    ($root:expr, $figure:expr, $x:expr, $y:expr) => {{
        let figure = $figure;
        let x_range = ($x.start, $x.end);
        let mut chart = ChartBuilder::on($root)
            .caption(&figure.title, (FONT, 22).into_font().style(FontStyle::Bold))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d($x, $y)
            .map_err(|e| e.to_string())?;
        let integral_x = figure
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .all(|(x, _)| x.fract() == 0.0);
        // Whole steps and epochs: ticks on whole numbers only.
        let x_fmt = move |x: &f64| {
            if !integral_x {
                tick(*x)
            } else if (x - x.round()).abs() < 1e-9 {
                format!("{}", x.round() as i64)
            } else {
                String::new()
            }
        };
        let x_ticks = if integral_x {
            ((x_range.1 - x_range.0).round() as usize + 1).clamp(2, 10)
        } else {
            10
        };
        chart
            .configure_mesh()
            .x_labels(x_ticks)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&|y: &f64| tick(*y))
            .x_desc(figure.x_label.as_str())
            .y_desc(figure.y_label.as_str())
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210))
            .draw()
            .map_err(|e| e.to_string())?;
        let keep = |y: f64| y.is_finite() && (!figure.log_y || y > 0.0);
        for (i, s) in figure.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            if let Some(band) = &s.band {
                let mut poly: Vec<(f64, f64)> = band
                    .iter()
                    .filter(|(_, lo, hi)| keep(*lo) && keep(*hi))
                    .map(|&(x, _, hi)| (x, hi))
                    .collect();
                poly.extend(
                    band.iter()
                        .rev()
                        .filter(|(_, lo, hi)| keep(*lo) && keep(*hi))
                        .map(|&(x, lo, _)| (x, lo)),
                );
                if poly.len() >= 3 {
                    chart
                        .draw_series(std::iter::once(Polygon::new(
                            poly,
                            color.mix(0.18).filled(),
                        )))
                        .map_err(|e| e.to_string())?;
                }
            }
            let points: Vec<(f64, f64)> =
                s.points.iter().copied().filter(|(_, y)| keep(*y)).collect();
            let style = color.stroke_width(2);
            chart
                .draw_series(LineSeries::new(points, style))
                .map_err(|e| e.to_string())?
                .label(s.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        Ok(())
    }};
}

fn draw_on<DB: DrawingBackend>(
    figure: &Figure,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let Some(((x0, x1), (y0, y1))) = ranges(figure) else {
        return Err("no finite values to draw".into());
    };
    if figure.log_y {
        let ticks = log_ticks(y0, y1);
        chart_body!(
            root,
            figure,
            x0..x1,
            (y0..y1).log_scale().with_key_points(ticks)
        )
    } else {
        chart_body!(root, figure, x0..x1, y0..y1)
    }
}

/// A tick label: four significant digits without trailing zeros.
fn tick(v: f64) -> String {
    let s = crate::report::fmt_num(v);
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Tick values for a log axis over `[lo, hi]`: 1, 2 and 5 times the powers
/// of ten inside it, or, over less than a few of those, five values evenly
/// spaced in log space, rounded to two significant digits.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    for e in e0..=e1 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(e);
            if v >= lo && v <= hi {
                out.push(v);
            }
        }
    }
    if out.len() < 3 {
        out = (0..5)
            .map(|i| {
                let v = (lo.ln() + (hi.ln() - lo.ln()) * (i as f64 + 0.5) / 5.0).exp();
                let mag = 10f64.powi(v.log10().floor() as i32 - 1);
                (v / mag).round() * mag
            })
            .collect();
        out.dedup();
    }
    out
}

/// Ten colours for series and classes (digits), as matplotlib's `tab10`.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A scatter plot of 2-D points coloured by class, one legend entry per
/// class (`{class_name} {c}`), with axes, ticks, labels and a title; PNG or
/// SVG as [`draw`] writes them.
pub fn scatter(
    title: &str,
    (x_label, y_label): (&str, &str),
    points: &[(f64, f64)],
    classes: &[u8],
    class_name: &str,
    path: &Path,
) -> Result<(), PlotError> {
    register_font();
    let finite: Vec<((f64, f64), u8)> = points
        .iter()
        .copied()
        .zip(classes.iter().copied())
        .filter(|((x, y), _)| x.is_finite() && y.is_finite())
        .collect();
    let xs: Vec<f64> = finite.iter().map(|p| p.0 .0).collect();
    let ys: Vec<f64> = finite.iter().map(|p| p.0 .1).collect();
    let (Some((x0, x1)), Some((y0, y1))) = (min_max(&xs), min_max(&ys)) else {
        return Err(PlotError::Empty("no finite points".into()));
    };
    let pad = |a: f64, b: f64| ((b - a).abs() * 0.05).max(1e-6);
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    let tmp = path.with_file_name(format!(
        ".{}.{}.partial.png",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let err = draw_err(path);
    let drawn = (|| -> Result<(), String> {
        let root = BitMapBackend::new(&tmp, (640, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20).into_font().style(FontStyle::Bold))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_label_formatter(&|v: &f64| tick(*v))
            .y_label_formatter(&|v: &f64| tick(*v))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()
            .map_err(|e| e.to_string())?;
        let mut present: Vec<u8> = finite.iter().map(|p| p.1).collect();
        present.sort_unstable();
        present.dedup();
        for c in present {
            let color = PALETTE[c as usize % PALETTE.len()];
            chart
                .draw_series(
                    finite
                        .iter()
                        .filter(|p| p.1 == c)
                        .map(|p| Circle::new(p.0, 2, color.filled())),
                )
                .map_err(|e| e.to_string())?
                .label(format!("{class_name} {c}"))
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())
    })();
    let done = drawn.and_then(|_| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done.map_err(err)
}

/// A grid of images (`rows` rows, as [`crate::artifacts::grid`] lays them
/// out) scaled up `scale` times, with a title on top and each row's label
/// on its left, in the embedded DejaVu Sans: what a reader needs to tell
/// originals from reconstructions.
pub fn labelled_grid(
    grid: &image::DynamicImage,
    scale: u32,
    title: &str,
    row_labels: &[&str],
) -> image::RgbImage {
    use image::{imageops, Rgb, RgbImage};
    let scale = scale.max(1);
    let g = grid.to_rgb8();
    let g = imageops::resize(
        &g,
        g.width() * scale,
        g.height() * scale,
        imageops::FilterType::Nearest,
    );
    let font = &crate::data::fonts::embedded_fonts()[0];
    let px = 16.0;
    let label_w = row_labels
        .iter()
        .map(|l| crate::data::fonts::text_width(font, px, l))
        .fold(0.0f32, f32::max)
        .ceil() as u32
        + 16;
    let top = 34;
    let title_w = crate::data::fonts::text_width(font, px + 2.0, title).ceil() as u32 + 16;
    let width = (label_w + g.width() + 8).max(title_w);
    let mut out = RgbImage::from_pixel(width, top + g.height() + 8, Rgb([255, 255, 255]));
    imageops::overlay(&mut out, &g, i64::from(label_w), i64::from(top));
    let mut text = |x: f32, baseline: f32, size: f32, s: &str| {
        let (glyphs, _) = crate::data::fonts::lay_out(font, size, x, baseline, s);
        crate::data::fonts::draw(font, glyphs, |x, y, c| {
            if x >= 0 && y >= 0 && (x as u32) < out.width() && (y as u32) < out.height() {
                let v = (255.0 * (1.0 - c.clamp(0.0, 1.0))) as u8;
                let p = out.get_pixel_mut(x as u32, y as u32);
                p.0 = [p.0[0].min(v), p.0[1].min(v), p.0[2].min(v)];
            }
        });
    };
    text(8.0, 22.0, px + 2.0, title);
    let rows = row_labels.len().max(1) as u32;
    let row_h = g.height() / rows;
    for (i, label) in row_labels.iter().enumerate() {
        let mid = top + row_h * i as u32 + row_h / 2;
        text(8.0, mid as f32 + px * 0.35, px, label);
    }
    out
}

/// `img` with a legend strip added below it (the image's own pixels and
/// coordinates unchanged): a coloured square and a label per entry.
pub fn with_legend(img: &image::RgbImage, entries: &[([u8; 3], String)]) -> image::RgbImage {
    use image::{imageops, Rgb, RgbImage};
    let strip = 30;
    let font = &crate::data::fonts::embedded_fonts()[0];
    let px = 15.0;
    let needed: f32 = entries
        .iter()
        .map(|(_, l)| 30.0 + crate::data::fonts::text_width(font, px, l))
        .sum::<f32>()
        + 16.0;
    let width = img.width().max(needed.ceil() as u32);
    let mut out = RgbImage::from_pixel(width, img.height() + strip, Rgb([255, 255, 255]));
    imageops::overlay(&mut out, img, 0, 0);
    let mut x = 8.0f32;
    let base = img.height() as f32 + 21.0;
    for (color, label) in entries {
        for dy in 0..12 {
            for dx in 0..12 {
                let (px_, py_) = (x as u32 + dx, img.height() + 9 + dy);
                if px_ < out.width() {
                    out.put_pixel(px_, py_, Rgb(*color));
                }
            }
        }
        let (glyphs, end) = crate::data::fonts::lay_out(font, px, x + 18.0, base, label);
        crate::data::fonts::draw(font, glyphs, |gx, gy, c| {
            if gx >= 0 && gy >= 0 && (gx as u32) < out.width() && (gy as u32) < out.height() {
                let v = (255.0 * (1.0 - c.clamp(0.0, 1.0))) as u8;
                let p = out.get_pixel_mut(gx as u32, gy as u32);
                p.0 = [p.0[0].min(v), p.0[1].min(v), p.0[2].min(v)];
            }
        });
        x = end + 16.0;
    }
    out
}

/// Exponential moving average with weight `factor` ∈ [0, 1) on the past,
/// debiased (as TensorBoard smooths); 0 leaves the values as they are.
pub fn smooth(points: &[(f64, f64)], factor: f64) -> Vec<(f64, f64)> {
    if factor <= 0.0 {
        return points.to_vec();
    }
    let mut avg = 0.0;
    let mut weight = 0.0;
    points
        .iter()
        .map(|&(x, y)| {
            avg = avg * factor + (1.0 - factor) * y;
            weight = weight * factor + (1.0 - factor);
            (x, avg / weight)
        })
        .collect()
}

/// The x axis of a curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XAxis {
    /// Training steps.
    Step,
    /// Epochs (values of one epoch averaged).
    Epoch,
}

/// How `metric` names rows of `metrics.csv`: `val_x` is `x` on the
/// validation split, `test_x` on the test split, anything else the training split.
fn split_and_name(metric: &str, rows: &[MetricRow]) -> (String, String) {
    for split in ["val", "test"] {
        if let Some(name) = metric.strip_prefix(&format!("{split}_")) {
            if rows.iter().any(|r| r.split == split && r.name == name) {
                return (split.to_string(), name.to_string());
            }
        }
    }
    ("train".to_string(), metric.to_string())
}

/// The metric names `metrics.csv` rows hold, as `plot --metric` takes them.
pub fn metric_names(rows: &[MetricRow]) -> Vec<String> {
    let mut names: Vec<String> = rows
        .iter()
        .map(|r| match r.split.as_str() {
            "train" => r.name.clone(),
            split => format!("{split}_{}", r.name),
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// One run's curve of `metric` along `x`.
pub fn curve(rows: &[MetricRow], metric: &str, x: XAxis) -> Vec<(f64, f64)> {
    let (split, name) = split_and_name(metric, rows);
    let mut by_x: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.split == split && r.name == name) {
        let key = match x {
            XAxis::Step => r.step,
            XAxis::Epoch => u64::from(r.epoch),
        };
        let e = by_x.entry(key).or_insert((0.0, 0));
        e.0 += r.value;
        e.1 += 1;
    }
    by_x.into_iter()
        .map(|(k, (sum, n))| (k as f64, sum / n as f64))
        .collect()
}

/// Several runs of one configuration (seeds) as one series: the mean at
/// every x all of them reached, with a ± std band when there are several.
pub fn pool(label: &str, curves: &[Vec<(f64, f64)>]) -> Series {
    if curves.len() == 1 {
        return Series {
            label: label.to_string(),
            points: curves[0].clone(),
            band: None,
        };
    }
    let mut at: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for c in curves {
        for &(x, y) in c {
            at.entry(x.to_bits()).or_default().push(y);
        }
    }
    let mut rows: Vec<(f64, f64, f64)> = at
        .into_iter()
        .filter(|(_, ys)| ys.len() == curves.len())
        .map(|(xb, ys)| {
            let n = ys.len() as f64;
            let mean = ys.iter().sum::<f64>() / n;
            let var = ys.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>() / (n - 1.0);
            (f64::from_bits(xb), mean, var.sqrt())
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    Series {
        label: format!("{label} (mean ± std, n={})", curves.len()),
        points: rows.iter().map(|&(x, m, _)| (x, m)).collect(),
        band: Some(rows.iter().map(|&(x, m, s)| (x, m - s, m + s)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: u64, epoch: u32, split: &str, name: &str, value: f64) -> MetricRow {
        MetricRow {
            step,
            epoch,
            split: split.into(),
            name: name.into(),
            value,
            seconds: None,
        }
    }

    #[test]
    fn curves_pick_the_split_and_average_epochs() {
        let rows = vec![
            row(1, 1, "train", "loss", 4.0),
            row(2, 1, "train", "loss", 2.0),
            row(3, 2, "train", "loss", 1.0),
            row(2, 1, "val", "loss", 3.0),
            row(3, 2, "val", "loss", 1.5),
        ];
        assert_eq!(
            curve(&rows, "loss", XAxis::Step),
            [(1.0, 4.0), (2.0, 2.0), (3.0, 1.0)]
        );
        assert_eq!(curve(&rows, "loss", XAxis::Epoch), [(1.0, 3.0), (2.0, 1.0)]);
        assert_eq!(
            curve(&rows, "val_loss", XAxis::Step),
            [(2.0, 3.0), (3.0, 1.5)]
        );
        assert_eq!(metric_names(&rows), ["loss", "val_loss"]);
    }

    #[test]
    fn seeds_pool_into_a_mean_with_a_band() {
        let s = pool(
            "a",
            &[
                vec![(1.0, 1.0), (2.0, 2.0)],
                vec![(1.0, 3.0), (2.0, 2.0), (3.0, 9.0)],
            ],
        );
        assert_eq!(s.points, [(1.0, 2.0), (2.0, 2.0)]);
        let band = s.band.unwrap();
        assert!((band[0].1 - (2.0 - 2f64.sqrt())).abs() < 1e-12);
        assert_eq!(band[1], (2.0, 2.0, 2.0));
        assert!(s.label.contains("n=2"));
    }

    #[test]
    fn grids_get_a_title_and_row_labels() {
        let grid = image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(
            59,
            29,
            image::Luma([128]),
        ));
        let out = labelled_grid(&grid, 2, "Reconstructions", &["original", "reconstruction"]);
        assert!(out.height() == 34 + 58 + 8 && out.width() > 118);
        // Text was drawn left of the images and above them.
        let dark = |x0: u32, x1: u32, y0: u32, y1: u32| {
            (y0..y1)
                .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                .filter(|&(x, y)| out.get_pixel(x, y).0[0] < 60)
                .count()
        };
        assert!(dark(0, 60, 34, 92) > 20, "row labels");
        assert!(dark(0, out.width(), 0, 30) > 20, "title");
    }

    #[test]
    fn log_axes_get_ticks_in_any_range() {
        assert_eq!(log_ticks(0.5, 30.0), [0.5, 1.0, 2.0, 5.0, 10.0, 20.0]);
        let narrow = log_ticks(0.021, 0.09);
        assert!(narrow.len() >= 3, "{narrow:?}");
        assert!(
            narrow.iter().all(|v| (0.021..=0.09).contains(v)),
            "{narrow:?}"
        );
    }

    #[test]
    fn smoothing_is_a_debiased_moving_average() {
        let p = [(0.0, 1.0), (1.0, 1.0), (2.0, 4.0)];
        assert_eq!(smooth(&p, 0.0), p);
        let s = smooth(&p, 0.5);
        // Debiased: a constant start stays constant.
        assert!((s[0].1 - 1.0).abs() < 1e-12 && (s[1].1 - 1.0).abs() < 1e-12);
        assert!(s[2].1 > 1.0 && s[2].1 < 4.0);
    }

    #[test]
    fn figures_are_written_as_png_and_svg_and_refuse_other_formats() {
        let dir = tempfile::tempdir().unwrap();
        let fig = Figure {
            title: "Validation loss".into(),
            x_label: "step".into(),
            y_label: "val_loss".into(),
            log_y: true,
            series: vec![
                pool(
                    "a",
                    &[vec![(1.0, 1.0), (2.0, 0.5)], vec![(1.0, 0.8), (2.0, 0.4)]],
                ),
                Series {
                    label: "b".into(),
                    points: vec![(1.0, 2.0), (2.0, 0.0)],
                    band: None,
                },
            ],
        };
        let png = dir.path().join("f.png");
        draw(&fig, &png, 640, 400).unwrap();
        let img = image::open(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (640, 400));
        // Something besides the white background was drawn: axes, text, lines.
        let dark = img
            .pixels()
            .filter(|p| p.0.iter().all(|&c| c < 100))
            .count();
        assert!(dark > 500, "{dark} dark pixels");
        let svg = dir.path().join("f.svg");
        draw(&fig, &svg, 640, 400).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            text.contains("Validation loss") && text.contains("val_loss"),
            "{text}"
        );
        assert!(text.contains("(mean ± std, n=2)"));
        let err = draw(&fig, &dir.path().join("f.pdf"), 640, 400).unwrap_err();
        assert!(err.to_string().contains(".png or .svg"), "{err}");
    }
}
