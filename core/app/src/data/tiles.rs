//! Word images as fixed-size tiles, and back.
//!
//! Autoencoders work on images of one shape; word images share a height
//! (the dataset's `height`) but vary in width. A word of width `W` is cut
//! into `height × T` tiles at offsets `0, S, 2S, …` plus a last tile flush
//! with the right edge (`W − T`), so every column is covered and tiles
//! overlap by at least `T − S`; a word narrower than `T` is one tile,
//! padded on the right by repeating its last column (paper, for word
//! images drawn with a margin). [`tiles_of`] makes an autoencoder's training
//! set this way; [`slide`] runs a model over a word the same way and
//! averages the overlapping outputs per pixel (uniform weights), keeping
//! the word's width.

use super::words::WordSet;
use super::ImageSet;
use workbench_api::{Image, OwnedImage};

/// Left edges of the `tile`-wide tiles covering `width` columns with
/// stride `stride` (`tile, stride ≥ 1`): `0, stride, …` while the tile
/// fits, then one flush with the right edge. `[0]` when `width ≤ tile`.
pub fn offsets(width: usize, tile: usize, stride: usize) -> Vec<usize> {
    let stride = stride.max(1);
    if width <= tile {
        return vec![0];
    }
    let last = width - tile;
    let mut out: Vec<usize> = (0..=last).step_by(stride).collect();
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

/// The `height × tile` window of `image` (one channel) starting at column
/// `x`; columns past the right edge repeat the last one.
pub fn window(image: &OwnedImage, x: usize, tile: usize) -> OwnedImage {
    let (h, w, c) = (image.height, image.width, image.channels);
    let mut data = Vec::with_capacity(h * tile * c);
    for y in 0..h {
        for dx in 0..tile {
            let sx = (x + dx).min(w.saturating_sub(1));
            let at = (y * w + sx) * c;
            data.extend_from_slice(&image.data[at..at + c]);
        }
    }
    OwnedImage {
        height: h,
        width: tile,
        channels: c,
        data,
    }
}

/// Every tile of every word of `words` (gray, `height` rows), in word
/// order, as one unlabelled set of `height × tile` images.
pub fn tiles_of(words: &WordSet, height: usize, tile: usize, stride: usize) -> ImageSet {
    let mut set = ImageSet::new(height, tile, 1);
    for image in &words.images {
        debug_assert_eq!((image.height, image.channels), (height, 1));
        for x in offsets(image.width, tile, stride) {
            set.pixels.extend(window(image, x, tile).data);
        }
    }
    set
}

/// Runs `model` over every word of `words` tile by tile (as [`tiles_of`]
/// cuts them; at most `batch` tiles per call) and replaces each word by
/// the per-pixel mean of the outputs covering it. `model` must return one
/// image of the tile's shape per input.
pub fn slide<E, F>(
    words: &mut [OwnedImage],
    tile: usize,
    stride: usize,
    batch: usize,
    mut model: F,
) -> Result<(), E>
where
    F: FnMut(&[Image<'_>]) -> Result<Vec<OwnedImage>, E>,
    E: From<String>,
{
    // (word, offset, tile) for every tile of every word.
    let mut pieces: Vec<(usize, usize, OwnedImage)> = Vec::new();
    for (k, image) in words.iter().enumerate() {
        for x in offsets(image.width, tile, stride) {
            pieces.push((k, x, window(image, x, tile)));
        }
    }
    let mut outputs: Vec<OwnedImage> = Vec::with_capacity(pieces.len());
    for chunk in pieces.chunks(batch.max(1)) {
        let inputs: Vec<Image<'_>> = chunk.iter().map(|(_, _, t)| t.as_image()).collect();
        let out = model(&inputs)?;
        if out.len() != inputs.len() {
            return Err(E::from(format!(
                "the model returned {} tiles for {}",
                out.len(),
                inputs.len()
            )));
        }
        for (o, i) in out.iter().zip(&inputs) {
            if (o.height, o.width, o.channels) != (i.height, i.width, i.channels)
                || o.data.len() != i.data.len()
            {
                return Err(E::from(format!(
                    "the model returned a {}×{}×{} tile for a {}×{}×{} one",
                    o.height, o.width, o.channels, i.height, i.width, i.channels
                )));
            }
        }
        outputs.extend(out);
    }
    let mut sums: Vec<Vec<f32>> = words.iter().map(|w| vec![0.0; w.data.len()]).collect();
    let mut counts: Vec<Vec<u32>> = words.iter().map(|w| vec![0; w.width]).collect();
    for ((k, x, _), out) in pieces.iter().zip(&outputs) {
        let (h, w, c) = (words[*k].height, words[*k].width, words[*k].channels);
        for dx in 0..tile.min(w - x) {
            counts[*k][x + dx] += 1;
            for y in 0..h {
                for ch in 0..c {
                    sums[*k][((y * w) + x + dx) * c + ch] += out.data[(y * tile + dx) * c + ch];
                }
            }
        }
    }
    for ((word, sum), count) in words.iter_mut().zip(sums).zip(counts) {
        let (w, c) = (word.width, word.channels);
        for (i, v) in word.data.iter_mut().enumerate() {
            *v = sum[i] / count[(i / c) % w].max(1) as f32;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(width: usize, height: usize) -> OwnedImage {
        OwnedImage {
            height,
            width,
            channels: 1,
            data: (0..width * height)
                .map(|i| ((i * 37) % 101) as f32 / 100.0)
                .collect(),
        }
    }

    #[test]
    fn offsets_cover_every_column_and_end_flush_right() {
        assert_eq!(offsets(10, 32, 16), [0]);
        assert_eq!(offsets(32, 32, 16), [0]);
        assert_eq!(offsets(64, 32, 16), [0, 16, 32]);
        assert_eq!(offsets(70, 32, 16), [0, 16, 32, 38]);
        assert_eq!(offsets(33, 32, 32), [0, 1]);
        for w in 1..200 {
            let o = offsets(w, 24, 10);
            let mut covered = vec![false; w];
            for x in &o {
                for c in covered.iter_mut().skip(*x).take(24) {
                    *c = true;
                }
            }
            assert!(covered.iter().all(|c| *c), "width {w}");
            assert!(o.iter().all(|x| x + 24 <= w.max(24)), "width {w}");
        }
    }

    #[test]
    fn narrow_words_are_padded_with_their_last_column() {
        let w = word(3, 2);
        let t = window(&w, 0, 5);
        assert_eq!((t.height, t.width), (2, 5));
        assert_eq!(
            &t.data[..5],
            &[w.data[0], w.data[1], w.data[2], w.data[2], w.data[2]]
        );
        assert_eq!(
            &t.data[5..],
            &[w.data[3], w.data[4], w.data[5], w.data[5], w.data[5]]
        );
    }

    #[test]
    fn tiles_of_a_word_set_are_fixed_size_and_counted_per_word() {
        let set = WordSet {
            images: vec![word(10, 4), word(70, 4)],
            texts: vec!["a".into(), "b".into()],
            names: vec!["0".into(), "1".into()],
        };
        let tiles = tiles_of(&set, 4, 32, 16);
        assert_eq!((tiles.height, tiles.width, tiles.channels), (4, 32, 1));
        assert_eq!(tiles.len(), 1 + 4);
        assert!(!tiles.has_labels());
        // The second word's last tile is its last 32 columns.
        let last = tiles.image(4);
        assert_eq!(last[0], set.images[1].data[38]);
        assert_eq!(last[31], set.images[1].data[69]);
    }

    #[test]
    fn sliding_the_identity_gives_the_words_back() {
        let originals: Vec<OwnedImage> = [1, 5, 31, 32, 33, 70, 123]
            .iter()
            .map(|w| word(*w, 6))
            .collect();
        let mut words = originals.clone();
        let mut calls = 0;
        slide::<String, _>(&mut words, 32, 12, 4, |tiles| {
            calls += 1;
            assert!(tiles.len() <= 4);
            Ok(tiles.iter().map(|t| t.to_owned_image()).collect())
        })
        .unwrap();
        assert!(calls > 1);
        for (a, b) in words.iter().zip(&originals) {
            assert_eq!((a.height, a.width), (b.height, b.width));
            for (x, y) in a.data.iter().zip(&b.data) {
                assert!((x - y).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn overlapping_outputs_are_averaged_per_pixel() {
        // Width 48, tiles of 32 at 0 and 16: columns 16..32 are covered twice.
        // The model answers 0 for the first tile and 1 for the second.
        let mut words = vec![word(48, 2)];
        let mut n = 0;
        slide::<String, _>(&mut words, 32, 16, 1, |tiles| {
            let v = n as f32;
            n += 1;
            Ok(tiles
                .iter()
                .map(|t| OwnedImage {
                    data: vec![v; t.data.len()],
                    ..t.to_owned_image()
                })
                .collect())
        })
        .unwrap();
        let row = &words[0].data[..48];
        assert!(row[..16].iter().all(|v| *v == 0.0), "{row:?}");
        assert!(row[16..32].iter().all(|v| *v == 0.5), "{row:?}");
        assert!(row[32..].iter().all(|v| *v == 1.0), "{row:?}");
    }

    #[test]
    fn a_model_returning_the_wrong_shape_is_an_error() {
        let mut words = vec![word(40, 2)];
        let err = slide::<String, _>(&mut words, 32, 16, 8, |tiles| {
            Ok(tiles
                .iter()
                .map(|_| OwnedImage {
                    height: 28,
                    width: 28,
                    channels: 1,
                    data: vec![0.0; 784],
                })
                .collect())
        })
        .unwrap_err();
        assert!(err.contains("28×28×1 tile for a 2×32×1"), "{err}");
        let err = slide::<String, _>(&mut words, 32, 16, 8, |_| Ok(Vec::new())).unwrap_err();
        assert!(err.contains("returned 0 tiles for 2"), "{err}");
    }
}
