//! Preprocessing shared by the variants: gray, denoise, binarize.

use workbench_api::{Config, Image, ParamSpec, PluginError, Region, RegionKind};
use workbench_vision::{
    components, median3, otsu_threshold, sauvola, to_gray, Binary, Component, Connectivity, Gray,
};

/// Preprocessing settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Prep {
    /// `auto`, `median` or `none`.
    pub denoise: String,
    /// `auto`, `otsu` or `sauvola`.
    pub binarize: String,
    /// Sauvola's k.
    pub sauvola_k: f64,
    /// Sauvola window as a share of the page width.
    pub sauvola_window: f64,
}

/// The preprocessing parameters every variant declares.
pub fn prep_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice(
            "denoise",
            "auto",
            &["auto", "median", "none"],
            "3×3 median before binarizing (auto: when salt-and-pepper noise is found)",
        ),
        ParamSpec::choice(
            "binarize",
            "auto",
            &["auto", "otsu", "sauvola"],
            "global Otsu or local Sauvola threshold (auto: Sauvola when the light is uneven)",
        ),
        ParamSpec::float(
            "sauvola_k",
            0.3,
            0.01,
            1.0,
            "Sauvola's k: higher keeps less ink",
        ),
        ParamSpec::float(
            "sauvola_window",
            0.03,
            0.005,
            0.5,
            "Sauvola window side as a share of the page width",
        ),
    ]
}

impl Prep {
    /// Reads the preprocessing parameters.
    pub fn from_config(c: &Config) -> Result<Prep, PluginError> {
        let c = &c.with_defaults(&prep_params());
        Ok(Prep {
            denoise: c.param("denoise")?,
            binarize: c.param("binarize")?,
            sauvola_k: c.param("sauvola_k")?,
            sauvola_window: c.param("sauvola_window")?,
        })
    }

    /// Gray, denoised, binarized (1 = ink).
    pub fn run(&self, page: &Image) -> Binary {
        self.run_gray(page).1
    }

    /// The gray page (denoised), the binary one, and Otsu's global
    /// threshold of the page (used, or not under uneven light).
    pub fn run_gray(&self, page: &Image) -> (Gray, Binary, u8) {
        let mut gray = to_gray(page.data, page.width, page.height, page.channels);
        let median = match self.denoise.as_str() {
            "median" => true,
            "none" => false,
            _ => impulse_share(&gray) > 0.002,
        };
        if median {
            gray = median3(&gray);
        }
        let t = otsu_threshold(&gray);
        let local = match self.binarize.as_str() {
            "sauvola" => true,
            "otsu" => false,
            _ => uneven_light(&gray),
        };
        if local {
            let window = ((self.sauvola_window * gray.width as f64) as usize).max(15) | 1;
            let mut b = sauvola(&gray, window, self.sauvola_k, 128.0);
            // Sauvola hollows out large dark areas; keep what is dark anyway.
            let dark = t / 2;
            for (v, &g) in b.data.iter_mut().zip(&gray.data) {
                *v |= u8::from(g <= dark);
            }
            light_on_dark(&mut b);
            (gray, b, t)
        } else {
            let mut b = workbench_vision::threshold(&gray, t);
            light_on_dark(&mut b);
            (gray, b, t)
        }
    }
}

/// Light text on dark ground: a page that is mostly ink is inverted, and
/// so is the inside of every large block with light holes covering 5 to 40
/// percent of it that are set as letters (a dark box with white text, a
/// slide's title bar; not a dark picture), so the letters become the ink.
fn light_on_dark(b: &mut Binary) {
    let (w, h) = (b.width, b.height);
    if b.count() * 2 > w * h {
        for v in &mut b.data {
            *v ^= 1;
        }
    }
    let min = (w.min(h) / 20).max(24) as u32;
    let blocks: Vec<Component> = components(b, Connectivity::Eight)
        .into_iter()
        .filter(|c| c.w >= min && c.h >= min / 2 && (0.6..=0.95).contains(&c.density()))
        .collect();
    for c in blocks {
        let (x0, x1) = (c.x as usize, (c.x + c.w) as usize);
        let mut holes = Binary::new(x1 - x0, c.h as usize);
        for (r, y) in (c.y as usize..(c.y + c.h) as usize).enumerate() {
            for (d, &v) in holes.data[r * holes.width..(r + 1) * holes.width]
                .iter_mut()
                .zip(&b.data[y * w + x0..y * w + x1])
            {
                *d = v ^ 1;
            }
        }
        if !letters_in(&holes) {
            continue;
        }
        for y in c.y as usize..(c.y + c.h) as usize {
            for v in &mut b.data[y * w + x0..y * w + x1] {
                *v ^= 1;
            }
        }
    }
}

/// Whether some components of `img` are set as letters: at least three
/// of letter shape (6 px tall or more, at most three times as wide) with a
/// neighbour of similar height on their row within a third of it.
fn letters_in(img: &Binary) -> bool {
    let mut g: Vec<Component> = components(img, Connectivity::Eight)
        .into_iter()
        .filter(|c| c.h >= 6 && c.w <= 3 * c.h && (c.h as usize) < img.height)
        .collect();
    g.sort_by_key(|c| c.x);
    let mut near = 0;
    for (i, a) in g.iter().enumerate() {
        let found = g[i + 1..]
            .iter()
            .take_while(|b| b.x <= a.x + a.w + a.h / 3)
            .any(|b| {
                let vov = (a.y + a.h).min(b.y + b.h) as i64 - a.y.max(b.y) as i64;
                b.x + 1 >= a.x + a.w && vov * 2 >= a.h.min(b.h) as i64
            });
        if found {
            near += 1;
            if near >= 3 {
                return true;
            }
        }
    }
    false
}

/// Share of pixels far from all four neighbours in the same direction
/// (isolated black or white dots), on every other row.
fn impulse_share(g: &Gray) -> f64 {
    let (w, h) = (g.width, g.height);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let (mut n, mut hits) = (0u64, 0u64);
    for y in (1..h - 1).step_by(2) {
        for x in 1..w - 1 {
            let v = g.data[y * w + x] as i32;
            let nb = [
                g.data[y * w + x - 1] as i32,
                g.data[y * w + x + 1] as i32,
                g.data[(y - 1) * w + x] as i32,
                g.data[(y + 1) * w + x] as i32,
            ];
            n += 1;
            if nb.iter().all(|&u| u - v > 80) || nb.iter().all(|&u| v - u > 80) {
                hits += 1;
            }
        }
    }
    hits as f64 / n.max(1) as f64
}

/// Whether the paper's brightness varies across the page: the bright level
/// (99th percentile) of 8×8 tiles spans more than 30 gray levels.
fn uneven_light(g: &Gray) -> bool {
    let (w, h) = (g.width, g.height);
    let tiles = 8;
    if w < tiles * 4 || h < tiles * 4 {
        return false;
    }
    let mut levels = Vec::new();
    for ty in 0..tiles {
        for tx in 0..tiles {
            let mut hist = [0u32; 256];
            let mut n = 0u32;
            for y in (ty * h / tiles..(ty + 1) * h / tiles).step_by(2) {
                for x in (tx * w / tiles..(tx + 1) * w / tiles).step_by(2) {
                    hist[g.data[y * w + x] as usize] += 1;
                    n += 1;
                }
            }
            let (mut acc, target) = (0u32, n * 99 / 100);
            for (v, &c) in hist.iter().enumerate() {
                acc += c;
                if acc >= target {
                    levels.push(v as i32);
                    break;
                }
            }
        }
    }
    let (lo, hi) = (
        levels.iter().min().copied().unwrap_or(0),
        levels.iter().max().copied().unwrap_or(0),
    );
    hi - lo > 30
}

/// A region from pixel bounds `[x0, x1) × [y0, y1)`.
pub fn region(kind: RegionKind, x0: u32, y0: u32, x1: u32, y1: u32) -> Region {
    Region {
        kind,
        x: x0 as f32,
        y: y0 as f32,
        w: (x1 - x0) as f32,
        h: (y1 - y0) as f32,
        score: None,
    }
}
