//! Word datasets, word images of any width with their texts for
//! recognizers (or cut into fixed-size tiles for autoencoders): `words`
//! (a `labels.csv` directory) and `synthetic-words` (rendered from the
//! embedded fonts and word list, or from font files and a text file the
//! spec names, with optional render-time degradations).

use super::{
    default_height, default_test, default_test_fraction, default_train, default_val,
    default_val_fraction, default_word_noise, fraction, height_ok,
};
use super::{DatasetSpecError, Splits};
use crate::data::corrupt::Noise;
use crate::data::fonts;
use crate::data::words::{read_words_dir, WordSet};
use crate::data::{synthetic_words, tiles, DataError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Parameters of `words`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordsParams {
    /// Directory with `labels.csv` and the images (relative to the spec file).
    pub dir: PathBuf,
    /// A separate directory for the test split; without it the last `test`
    /// fraction of `dir` is the test split.
    #[serde(default)]
    pub test_dir: Option<PathBuf>,
    /// Fraction of the training words held out for validation.
    #[serde(default = "default_val_fraction")]
    pub val: f64,
    /// Fraction of `dir` used as the test split when there is no `test_dir`.
    #[serde(default = "default_test_fraction")]
    pub test: f64,
    /// Images are scaled to this height, keeping their aspect ratio.
    #[serde(default = "default_height")]
    pub height: usize,
    /// Cut every word into `height × tile_width` tiles: the dataset then
    /// feeds autoencoders (see `data::tiles`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_width: Option<usize>,
    /// Columns between tile starts (default: half of `tile_width`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_stride: Option<usize>,
    /// Corrupts the test words only, after loading: `gaussian:σ` or
    /// `masking:p` (`data::corrupt`), seeded by the dataset, so every run
    /// of an experiment reads the same noisy words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_noise: Option<String>,
}

impl WordsParams {
    /// Checks the values and resolves the directories, which must hold a
    /// `labels.csv`. The number of words is only known once they are read:
    /// a directory naming a missing image fails its run (with the line), not
    /// the spec, so the split sizes are checked when the words are loaded.
    pub(super) fn check(mut self, base_dir: &Path) -> Result<Self, DatasetSpecError> {
        fraction("val", self.val)?;
        fraction("test", self.test)?;
        height_ok(self.height)?;
        check_word_options(
            self.tile_width,
            self.tile_stride,
            self.test_noise.as_deref(),
        )?;
        self.dir = base_dir.join(&self.dir);
        self.test_dir = self.test_dir.map(|d| base_dir.join(d));
        for (key, dir) in [
            ("dir", Some(&self.dir)),
            ("test_dir", self.test_dir.as_ref()),
        ] {
            if let Some(dir) = dir {
                if !dir.join("labels.csv").is_file() {
                    return Err(DatasetSpecError::at(
                        key,
                        format!("{} has no labels.csv", dir.display()),
                        Some("a word directory holds labels.csv (`filename,text`) and the images it names".into()),
                    ));
                }
            }
        }
        Ok(self)
    }

    pub(super) fn load(&self, tile: Option<(usize, usize)>) -> Result<Splits, DataError> {
        let mut train = read_words_dir(&self.dir, self.height)?;
        let test = match &self.test_dir {
            Some(dir) => read_words_dir(dir, self.height)?,
            None => {
                let n = ((train.len() as f64) * self.test).round() as usize;
                train.split_off_tail(n)
            }
        };
        let n_val = ((train.len() as f64) * self.val).round() as usize;
        let val = train.split_off_tail(n_val);
        let mut test = test;
        corrupt_words(&mut test, self.test_noise.as_deref(), TEST_NOISE_SEED)?;
        if train.is_empty() || test.is_empty() {
            return Err(DataError::InvalidParam {
                name: "test".into(),
                reason: format!(
                    "{} words leave an empty training or test split",
                    train.len() + val.len() + test.len()
                ),
            });
        }
        Ok(word_splits(train, val, test, self.height, tile))
    }
}

/// Parameters of `synthetic-words`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticWordsParams {
    /// Training words.
    #[serde(default = "default_train")]
    pub train: usize,
    /// Validation words.
    #[serde(default = "default_val")]
    pub val: usize,
    /// Test words.
    #[serde(default = "default_test")]
    pub test: usize,
    /// Generator seed.
    #[serde(default)]
    pub seed: u64,
    /// Image height.
    #[serde(default = "default_height")]
    pub height: usize,
    /// Standard deviation of the added pixel noise.
    #[serde(default = "default_word_noise")]
    pub noise: f32,
    /// Cut every word into `height × tile_width` tiles: the dataset then
    /// feeds autoencoders (see `data::tiles`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_width: Option<usize>,
    /// Columns between tile starts (default: half of `tile_width`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_stride: Option<usize>,
    /// Corrupts the test words only, after loading: `gaussian:σ` or
    /// `masking:p` (`data::corrupt`), seeded by the dataset, so every run
    /// of an experiment reads the same noisy words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_noise: Option<String>,
    /// Font files and directories (searched at any depth for `*.ttf` and
    /// `*.otf`), relative to the spec file; each word picks one uniformly.
    /// Default: the embedded DejaVu faces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fonts: Option<Vec<PathBuf>>,
    /// `[min, max]` font size in pixels per em at which a word is rendered
    /// (a document's font size: 10 pt at 150 dpi is 21 px), before it is
    /// scaled to `height`; small sizes give the coarse glyphs of small print
    /// in a scan. Default `[20, 34]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<[f32; 2]>,
    /// A UTF-8 text file (relative to the spec file) whose whitespace-separated
    /// tokens are drawn as words, as they occur.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<PathBuf>,
    /// Fraction of words drawn from `text`; the rest from the embedded word
    /// list. Default 1 when `text` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_mix: Option<f32>,
    /// `[min, max]` σ, in render pixels, of a Gaussian blur of every word
    /// (replaces the light blur a third of the words get by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blur: Option<[f32; 2]>,
    /// `[min, max]` JPEG quality of a round trip every word goes through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jpeg: Option<[u8; 2]>,
    /// Largest rotation, in degrees (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<f32>,
    /// Largest horizontal shear (default 0.15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shear: Option<f32>,
    /// `[min, max]` ink-to-paper contrast (default `[0.6, 1]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contrast: Option<[f32; 2]>,
    /// Probability that a word's strokes are thinner or bolder (a 3×3 min
    /// or max filter, half each; default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<f32>,
}

/// A `[min, max]` range inside `[lo, hi]`, or a located error.
fn range_ok<T: PartialOrd + Copy + std::fmt::Display>(
    key: &str,
    v: Option<[T; 2]>,
    lo: T,
    hi: T,
) -> Result<(), DatasetSpecError> {
    match v {
        Some([a, b]) if !(lo <= a && a <= b && b <= hi) => Err(DatasetSpecError::at(
            key,
            format!("must be [min, max] with {lo} <= min <= max <= {hi}, not [{a}, {b}]"),
            None,
        )),
        _ => Ok(()),
    }
}

/// A number inside `[lo, hi]`, or a located error.
fn value_ok(key: &str, v: Option<f32>, lo: f32, hi: f32) -> Result<(), DatasetSpecError> {
    match v {
        Some(x) if !(lo..=hi).contains(&x) => Err(DatasetSpecError::at(
            key,
            format!("must be between {lo} and {hi}, not {x}"),
            None,
        )),
        _ => Ok(()),
    }
}

impl SyntheticWordsParams {
    pub(super) fn check(mut self, base_dir: &Path) -> Result<Self, DatasetSpecError> {
        height_ok(self.height)?;
        check_word_options(
            self.tile_width,
            self.tile_stride,
            self.test_noise.as_deref(),
        )?;
        super::generated_splits((self.train, self.val, self.test), 1_000_000, "word images")?;
        range_ok("sizes", self.sizes, 4.0, 256.0)?;
        range_ok("blur", self.blur, 0.0, 8.0)?;
        range_ok("jpeg", self.jpeg, 1, 100)?;
        range_ok("contrast", self.contrast, 0.05, 1.0)?;
        value_ok("rotation", self.rotation, 0.0, 15.0)?;
        value_ok("shear", self.shear, 0.0, 1.0)?;
        value_ok("stroke", self.stroke, 0.0, 1.0)?;
        value_ok("text_mix", self.text_mix, 0.0, 1.0)?;
        if let Some(list) = &mut self.fonts {
            if list.is_empty() {
                return Err(DatasetSpecError::at(
                    "fonts",
                    "lists no font",
                    Some("name font files or directories, or remove `fonts` for the embedded DejaVu faces".into()),
                ));
            }
            for path in list.iter_mut() {
                *path = base_dir.join(&*path);
            }
            // Every file must parse now, not halfway through a run.
            let files = fonts::font_files(list).map_err(font_error)?;
            for file in &files {
                fonts::load_font(file).map_err(font_error)?;
            }
        }
        if self.text_mix.is_some() && self.text.is_none() {
            return Err(DatasetSpecError::at(
                "text_mix",
                "needs `text`",
                Some("`text_mix` is the fraction of words drawn from the `text` file".into()),
            ));
        }
        if let Some(text) = &mut self.text {
            *text = base_dir.join(&*text);
            read_tokens(text).map_err(|e| DatasetSpecError::at("text", e.to_string(), None))?;
        }
        Ok(self)
    }

    /// Whether any option of the font, text or degradation family is set:
    /// without one the words are exactly those of earlier versions.
    fn has_render_options(&self) -> bool {
        self.fonts.is_some()
            || self.sizes.is_some()
            || self.text.is_some()
            || self.blur.is_some()
            || self.jpeg.is_some()
            || self.rotation.is_some()
            || self.shear.is_some()
            || self.contrast.is_some()
            || self.stroke.is_some()
    }

    /// How words are drawn: the defaults, changed by the options set.
    fn config(&self) -> synthetic_words::WordsConfig {
        let d = synthetic_words::WordsConfig::default();
        let new = self.has_render_options();
        synthetic_words::WordsConfig {
            height: self.height,
            noise: self.noise,
            // DejaVu's scale is 1.16 em: [20, 34] px per em are about the
            // [24, 40] px scale the words always had.
            size: match self.sizes {
                Some([a, b]) => (a, b),
                None if new => (20.0, 34.0),
                None => d.size,
            },
            em_size: new,
            max_rotation_deg: self.rotation.unwrap_or(d.max_rotation_deg),
            max_shear: self.shear.unwrap_or(d.max_shear),
            contrast: self.contrast.map_or(d.contrast, |[a, b]| (a, b)),
            blur_sigma: self.blur.map(|[a, b]| (a, b)),
            jpeg: self.jpeg.map(|[a, b]| (a, b)),
            stroke: self.stroke.unwrap_or(d.stroke),
            fit_warp: new,
            ..d
        }
    }

    /// The fonts and the text tokens, read once per load.
    fn sources(&self) -> Result<synthetic_words::WordSources, DataError> {
        let mut sources = synthetic_words::WordSources::embedded();
        if let Some(list) = &self.fonts {
            sources.fonts = fonts::load_fonts(list)?
                .into_iter()
                .map(|(_, f)| f)
                .collect();
        }
        if let Some(text) = &self.text {
            sources.tokens = read_tokens(text)?;
            sources.text_mix = self.text_mix.unwrap_or(1.0);
        }
        Ok(sources)
    }

    pub(super) fn load(&self, tile: Option<(usize, usize)>) -> Result<Splits, DataError> {
        let cfg = self.config();
        let sources = self.sources()?;
        let generate = |count, seed| synthetic_words::generate_from(&cfg, &sources, count, seed);
        let mut train = generate(self.train + self.val, self.seed)?;
        let mut test = generate(self.test, self.seed ^ 0x5eed_7e57)?;
        let val = train.split_off_tail(self.val);
        corrupt_words(
            &mut test,
            self.test_noise.as_deref(),
            self.seed ^ TEST_NOISE_SEED,
        )?;
        Ok(word_splits(train, val, test, self.height, tile))
    }
}

/// A font problem as a spec error at `fonts`, naming the file.
fn font_error(e: fonts::FontError) -> DatasetSpecError {
    DatasetSpecError::at(
        "fonts",
        e.to_string(),
        Some(
            "name TrueType/OpenType files, or directories holding some (searched at any depth)"
                .into(),
        ),
    )
}

/// The whitespace-separated tokens of a UTF-8 text file; an error when it
/// cannot be read, is not UTF-8, or holds no token.
fn read_tokens(path: &Path) -> Result<Vec<String>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let tokens = synthetic_words::tokens_of(&text);
    if tokens.is_empty() {
        return Err(DataError::InvalidParam {
            name: "text".into(),
            reason: format!("{} holds no word", path.display()),
        });
    }
    Ok(tokens)
}

/// Checks the options word kinds share: tiles and test noise.
fn check_word_options(
    tile_width: Option<usize>,
    tile_stride: Option<usize>,
    test_noise: Option<&str>,
) -> Result<(), DatasetSpecError> {
    let bad = |key: &str, message: String, hint: Option<String>| DatasetSpecError {
        path: vec!["params".into(), key.into()],
        message,
        hint,
    };
    if let Some(t) = tile_width {
        if !(4..=1024).contains(&t) {
            return Err(bad(
                "tile_width",
                format!("must be between 4 and 1024 pixels, not {t}"),
                None,
            ));
        }
    }
    if let Some(s) = tile_stride {
        match tile_width {
            None => {
                return Err(bad(
                    "tile_stride",
                    "needs `tile_width`".into(),
                    Some("tiles are cut only when `tile_width` is set".into()),
                ))
            }
            Some(t) if s == 0 || s > t => {
                return Err(bad(
                    "tile_stride",
                    format!("must be between 1 and tile_width ({t}), not {s}"),
                    None,
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(noise) = test_noise {
        if let Err(e) = noise.parse::<Noise>() {
            return Err(bad(
                "test_noise",
                e,
                Some("e.g. `test_noise: gaussian:0.25` or `masking:0.1`".into()),
            ));
        }
        if tile_width.is_some() {
            return Err(bad(
                "test_noise",
                "does not apply to tiles".into(),
                Some("tiles feed autoencoders, whose test inputs are corrupted by their own `noise` and `noise_level` parameters".into()),
            ));
        }
    }
    Ok(())
}

/// Corrupts every test word with `noise` (`KIND:LEVEL`), image `i` from
/// the stream `seed + i`.
fn corrupt_words(words: &mut WordSet, noise: Option<&str>, seed: u64) -> Result<(), DataError> {
    let Some(noise) = noise else { return Ok(()) };
    let noise: Noise = noise.parse().map_err(|reason| DataError::InvalidParam {
        name: "test_noise".into(),
        reason,
    })?;
    for (i, image) in words.images.iter_mut().enumerate() {
        noise.apply(&mut image.data, seed.wrapping_add(i as u64));
    }
    Ok(())
}

/// Word splits, or their tiles when `tile` is `(width, stride)`.
fn word_splits(
    train: WordSet,
    val: WordSet,
    test: WordSet,
    height: usize,
    tile: Option<(usize, usize)>,
) -> Splits {
    match tile {
        None => Splits::words(train, val, test),
        Some((t, s)) => Splits::images(
            tiles::tiles_of(&train, height, t, s),
            tiles::tiles_of(&val, height, t, s),
            tiles::tiles_of(&test, height, t, s),
        ),
    }
}

/// Salt of the test-noise streams (with the dataset's seed, if any).
const TEST_NOISE_SEED: u64 = 0x7e57_0015e;
