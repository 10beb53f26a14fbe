//! Text components into words: marks (dots, accents, punctuation) joined to
//! their glyphs, lines chained from letter-size glyphs with the marks placed
//! on them, and each line's word breaks: by cells where it is set in a
//! fixed pitch, else by the page's word gap or the line's own.

use super::geometry::{Bounds, Sets};
use super::CcaParams;
use workbench_vision::{otsu_split, Component};

/// Fewest same-line gaps a page needs before its word gap is learnt from them.
pub(super) const MIN_GAPS: usize = 30;

/// The valley of a two-mode histogram: Otsu's threshold splits it into two
/// classes, and the valley is the bin between the two class means with the
/// fewest counts over it and its neighbours (the leftmost of ties), since
/// the optimum of Otsu's criterion sits between the means, not where the
/// modes' tails meet. Returns a bin index (the threshold is its centre).
pub(super) fn valley_bin(hist: &[u64]) -> usize {
    let n = hist.len();
    let Some(last) = otsu_split(hist) else {
        return 1;
    };
    let split = last + 1;
    let mass = |r: std::ops::Range<usize>| -> (f64, f64) {
        let w: f64 = hist[r.clone()].iter().map(|&h| h as f64).sum();
        let m: f64 = r.clone().map(|i| i as f64 * hist[i] as f64).sum();
        (w, m)
    };
    // Otsu's split leaves both classes non-empty.
    let ((w0, m0), (w1, m1)) = (mass(0..split), mass(split..n));
    let (lo, hi) = ((m0 / w0).ceil() as usize, (m1 / w1).floor() as usize);
    let around = |i: usize| {
        hist[i.saturating_sub(1)..(i + 2).min(n)]
            .iter()
            .sum::<u64>()
    };
    (lo..=hi.max(lo))
        .min_by_key(|&i| (around(i), i))
        .unwrap_or(split)
}

/// A word: its box, the glyphs (dot-merged columns) in it, its ink.
#[derive(Clone, Copy, Debug)]
pub(super) struct Word {
    pub(super) b: Bounds,
    pub(super) glyphs: usize,
    pub(super) ink: u64,
}

/// Groups text components into words: marks (dots, accents) join the glyph
/// they stack on; glyphs chain into lines by their nearest right neighbour
/// on the same line; each line decides its own word breaks
/// ([`line_breaks`]).
pub(super) fn group_words(p: &CcaParams, text: &[&Component], ch: f64) -> Vec<Word> {
    let mut boxes: Vec<(Bounds, u64)> = text.iter().map(|c| (Bounds::of(c), c.pixels)).collect();
    boxes.sort_by_key(|(b, _)| b.x0);
    let n = boxes.len();
    // Marks onto their glyphs: horizontal overlap, a small vertical gap,
    // one much smaller than the other.
    let mut glyph = Sets::new(n);
    for i in 0..n {
        let a = boxes[i].0;
        for (j, &(b, _)) in boxes.iter().enumerate().skip(i + 1) {
            if b.x0 >= a.x1 {
                break;
            }
            let xov = a.x1.min(b.x1) as f64 - a.x0.max(b.x0) as f64;
            let (ha, hb) = (a.h() as f64, b.h() as f64);
            let (hmax, hmin) = (ha.max(hb), ha.min(hb));
            let (wa, wb) = (a.w() as f64, b.w() as f64);
            let vgap = a.y0.max(b.y0) as f64 - a.y1.min(b.y1) as f64;
            // The mark is the smaller one; above its glyph (i, j, accents)
            // within `dot_gap`, or just below it (!, ?) within less, so a
            // comma is never taken for a mark of the line above.
            let (mark, base) = if ha < hb { (a, b) } else { (b, a) };
            let reach = if mark.y1 <= base.y0 + 1 {
                p.dot_gap
            } else {
                0.6 * p.dot_gap
            };
            if xov >= 0.5 * wa.min(wb) && hmin < 0.6 * hmax && vgap <= reach * hmax {
                glyph.union(i, j);
            }
        }
    }
    let cols = join_marks(unite(&boxes, &mut glyph), ch);
    let n = cols.len();

    // Lines are chained from the glyphs of letter size (each one's
    // nearest right neighbour of similar height overlapping its rows);
    // small marks (periods, commas, hyphens, underscores, quotes) then
    // join the line whose rows they sit in.
    let core: Vec<bool> = cols
        .iter()
        .map(|(b, _)| b.h() as f64 >= CORE_HEIGHT * ch)
        .collect();
    let mut next: Vec<Option<(usize, f64)>> = vec![None; n];
    for i in (0..n).filter(|&i| core[i]) {
        let a = cols[i].0;
        let ha = a.h() as f64;
        let reach = a.x1 as f64 + LINE_REACH * ha.max(ch);
        let mut best: Option<(usize, f64)> = None;
        for (j, &(b, _)) in cols.iter().enumerate().skip(i + 1) {
            if b.x0 as f64 > reach {
                break;
            }
            if !core[j] || b.x0 <= a.x0 {
                continue;
            }
            let hb = b.h() as f64;
            let vov = a.y1.min(b.y1) as f64 - a.y0.max(b.y0) as f64;
            if vov < 0.5 * ha.min(hb) || ha.max(hb) > 3.0 * ha.min(hb) {
                continue;
            }
            let gap = b.x0 as f64 - a.x1 as f64;
            if best.is_none_or(|(_, g)| gap < g) {
                best = Some((j, gap));
            }
        }
        next[i] = best;
    }
    // Keep an edge only where it is also the neighbour's nearest left one,
    // so lines are chains.
    let mut prev: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        if let Some((j, g)) = next[i] {
            let better = prev[j].is_some_and(|k| next[k].is_some_and(|(_, gk)| gk <= g));
            if !better {
                prev[j] = Some(i);
            }
        }
    }
    let mut lines = Sets::new(n);
    for (j, p) in prev.iter().enumerate() {
        if let Some(i) = *p {
            lines.union(i, j);
        }
    }
    let mut members: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    for i in (0..n).filter(|&i| core[i]) {
        members.entry(lines.find(i)).or_default().push(i);
    }
    // A letter-size glyph alone on its "line" (a broken-off descender, a
    // bracket taller than its neighbours) is placed as marks are.
    // Units placed as marks are: the small glyphs, and "lines" of at most
    // two glyphs narrower than two character heights (a broken-off
    // descender, a quote's two ticks, a bracket taller than its
    // neighbours); a unit that fits no line stays on its own.
    let mut loose: Vec<Vec<usize>> = (0..n).filter(|&i| !core[i]).map(|i| vec![i]).collect();
    members.retain(|_, m| {
        let b = m.iter().fold(cols[m[0]].0, |b, &i| b.join(cols[i].0));
        if m.len() <= 2 && (b.w() as f64) < 2.0 * ch {
            loose.push(std::mem::take(m));
            false
        } else {
            true
        }
    });
    // Each line's rows and columns, for its marks.
    let mut bands: Vec<(usize, Bounds)> = members
        .iter()
        .map(|(&r, m)| (r, m.iter().fold(cols[m[0]].0, |b, &i| b.join(cols[i].0))))
        .collect();
    bands.sort_by_key(|(_, b)| b.x0);
    for unit in loose {
        let m = unit.iter().fold(cols[unit[0]].0, |b, &i| b.join(cols[i].0));
        let mut best: Option<(usize, f64)> = None;
        for &(r, band) in &bands {
            if band.x0 as f64 > m.x1 as f64 + LINE_REACH * band.h() as f64 {
                break;
            }
            let slack = MARK_SLACK * band.h() as f64;
            let within =
                m.y0 as f64 >= band.y0 as f64 - slack && m.y1 as f64 <= band.y1 as f64 + slack;
            let dx = if m.x0 >= band.x1 {
                (m.x0 - band.x1) as f64
            } else if m.x1 <= band.x0 {
                (band.x0 - m.x1) as f64
            } else {
                0.0
            };
            // Lines of code sit close: prefer the line the mark lies in
            // (rows first), then the nearest along the line.
            let vd =
                (band.y0 as f64 - m.y0 as f64).max(0.0) + (m.y1 as f64 - band.y1 as f64).max(0.0);
            let mid = ((m.y0 + m.y1) as f64 - (band.y0 + band.y1) as f64).abs() / 2.0;
            let score = dx + 4.0 * vd + 0.5 * mid;
            if within && dx <= LINE_REACH * band.h() as f64 && best.is_none_or(|(_, d)| score < d) {
                best = Some((r, score));
            }
        }
        let r = best.map_or(unit[0], |(r, _)| r);
        members.entry(r).or_default().extend(unit);
    }

    // Per line: the edges with their gaps in the line's unit.
    let mut chains: Vec<Chain> = Vec::with_capacity(members.len());
    for (_, mut m) in members {
        m.sort_by_key(|&i| cols[i].0.x0);
        let mut hs: Vec<u32> = m.iter().map(|&i| cols[i].0.h()).collect();
        let mid = hs.len() / 2;
        let unit = (*hs.select_nth_unstable(mid).1 as f64)
            .max(0.6 * ch)
            .max(1.0);
        // A gap is measured from the right edge of everything before it
        // on the line, not only from the previous piece: a descender's
        // broken-off tail or a small mark under a glyph ends left of it.
        let mut right = cols[m[0]].0.x1;
        let edges = m
            .windows(2)
            .map(|w| {
                let (a, b) = (cols[w[0]].0, cols[w[1]].0);
                let gap = b.x0 as f64 - right as f64;
                right = right.max(b.x1);
                Edge {
                    gap: gap / unit,
                    pitch: (b.cx() - a.cx()) / unit,
                }
            })
            .collect();
        chains.push(Chain { glyphs: m, edges });
    }
    let page_gap = match p.gaps.as_str() {
        "fixed" => p.word_gap,
        _ => page_word_gap(&chains, p.word_gap),
    };
    let mut words = Sets::new(n);
    for c in &chains {
        for (k, brk) in line_breaks(&c.edges, page_gap).into_iter().enumerate() {
            if !brk {
                words.union(c.glyphs[k], c.glyphs[k + 1]);
            }
        }
    }
    let mut out: Vec<Option<Word>> = vec![None; n];
    for (i, &(b, ink)) in cols.iter().enumerate() {
        let r = words.find(i);
        out[r] = Some(match out[r] {
            None => Word { b, glyphs: 1, ink },
            Some(w) => Word {
                b: w.b.join(b),
                glyphs: w.glyphs + 1,
                ink: w.ink + ink,
            },
        });
    }
    out.into_iter().flatten().collect()
}

/// Small marks that make one character together (the bars of `=`, the
/// dots of `:`, the ticks of `"`) joined into one: stacked with a gap of at
/// most half a character height, or side by side at most a fifth apart.
/// `cols` is sorted by `x0`, and so is the result.
pub(super) fn join_marks(cols: Vec<(Bounds, u64)>, ch: f64) -> Vec<(Bounds, u64)> {
    let small = |b: &Bounds| (b.h() as f64) < CORE_HEIGHT * ch && (b.w() as f64) < 1.5 * ch;
    let n = cols.len();
    let mut sets = Sets::new(n);
    for i in 0..n {
        let a = cols[i].0;
        if !small(&a) {
            continue;
        }
        for (j, (b, _)) in cols.iter().enumerate().skip(i + 1) {
            if b.x0 as f64 > a.x1 as f64 + 0.2 * ch {
                break;
            }
            if !small(b) {
                continue;
            }
            let xov = a.x1.min(b.x1) as f64 - a.x0.max(b.x0) as f64;
            let yov = a.y1.min(b.y1) as f64 - a.y0.max(b.y0) as f64;
            let stacked = xov >= 0.5 * a.w().min(b.w()) as f64 && -yov <= 0.5 * ch;
            let paired = yov >= 0.5 * a.h().min(b.h()) as f64 && -xov <= 0.2 * ch;
            if stacked || paired {
                sets.union(i, j);
            }
        }
    }
    unite(&cols, &mut sets)
}

/// The boxes of `items` united set by set, their ink summed, sorted by
/// `(x0, y0)`.
pub(super) fn unite(items: &[(Bounds, u64)], sets: &mut Sets) -> Vec<(Bounds, u64)> {
    let mut out: Vec<Option<(Bounds, u64)>> = vec![None; items.len()];
    for (i, &(b, ink)) in items.iter().enumerate() {
        let r = sets.find(i);
        out[r] = Some(match out[r] {
            None => (b, ink),
            Some((c, k)) => (c.join(b), k + ink),
        });
    }
    let mut out: Vec<(Bounds, u64)> = out.into_iter().flatten().collect();
    out.sort_by_key(|(b, _)| (b.x0, b.y0));
    out
}

/// Glyphs chain to a right neighbour at most this far (× their height).
pub(super) const LINE_REACH: f64 = 5.0;
/// Glyphs at least this tall (× char height) make lines; smaller ones are
/// marks that join a line.
pub(super) const CORE_HEIGHT: f64 = 0.75;
/// A mark joins a line when it lies within its rows, give or take this
/// share of the line's height (underscores, commas below the baseline).
pub(super) const MARK_SLACK: f64 = 0.3;

/// One line: its glyphs left to right and the edges between them.
pub(super) struct Chain {
    pub(super) glyphs: Vec<usize>,
    pub(super) edges: Vec<Edge>,
}

/// Between two neighbours on a line, in the line's unit (its median glyph
/// height): the gap between their boxes and the distance of their centres.
#[derive(Clone, Copy, Debug)]
pub(super) struct Edge {
    pub(super) gap: f64,
    pub(super) pitch: f64,
}

/// The page's word gap (in line units): the valley of the histogram of
/// every line's gaps (64 bins over 0..3), within 0.2..1.5; `fallback`
/// with fewer than [`MIN_GAPS`] gaps.
pub(super) fn page_word_gap(chains: &[Chain], fallback: f64) -> f64 {
    const BINS: usize = 64;
    const TOP: f64 = 3.0;
    let mut hist = [0u64; BINS];
    let mut count = 0;
    for e in chains.iter().flat_map(|c| &c.edges) {
        if (0.0..TOP).contains(&e.gap) {
            hist[(e.gap / TOP * BINS as f64) as usize] += 1;
            count += 1;
        }
    }
    if count < MIN_GAPS {
        return fallback;
    }
    let t = valley_bin(&hist);
    ((t as f64 + 0.5) / BINS as f64 * TOP).clamp(0.2, 1.5)
}

/// Which edges of a line are word breaks. A line set in a fixed pitch
/// (code: glyph centres on a grid, punctuation included) breaks where a
/// cell is skipped (centres a cell and a half apart or more, with a gap of
/// half a cell: touching glyphs are one wider component); other lines
/// break where the gap exceeds the page's word gap, or the line's own
/// valley when its gaps split clearly in two.
pub(super) fn line_breaks(edges: &[Edge], page_gap: f64) -> Vec<bool> {
    if let Some(pitch) = fixed_pitch(edges, page_gap) {
        return edges
            .iter()
            .map(|e| e.pitch >= 1.5 * pitch && e.gap >= 0.5 * pitch)
            .collect();
    }
    let t = line_gap(edges, page_gap).unwrap_or(page_gap);
    let mono = typewriter_edges(edges);
    // A narrow glyph in its cell has wide gaps on both sides; a space
    // after a comma (`package; thus`) has a tight gap on its other side.
    let gap = |k: Option<usize>| k.and_then(|k| edges.get(k)).map_or(0.0, |e| e.gap);
    (0..edges.len())
        .map(|k| {
            let e = edges[k].gap;
            let twin = gap(k.checked_sub(1)).max(gap(Some(k + 1))) >= TWIN_GAP * e;
            e > t && !(mono[k] && twin)
        })
        .collect()
}

/// Gaps wider than this (× the line's height) are breaks between columns
/// or tab stops, left out of a line's own gap.
const WIDE_GAP: f64 = 2.0;

/// A wide gap inside a typewriter run is a glyph's cell when a gap beside
/// it is at least this share of it.
const TWIN_GAP: f64 = 0.6;

/// Edges inside a run of fixed-pitch glyphs in a proportional line (an
/// identifier or a file name set in typewriter type inside prose): the
/// edge belongs to five consecutive edges whose centre distances lie within
/// 15% of their median. In such a run a narrow glyph (`i`, `l`, `.`, `[`)
/// keeps its cell, so its gaps look wide; a space skips a cell, so the
/// distance over it is off the grid.
pub(super) fn typewriter_edges(edges: &[Edge]) -> Vec<bool> {
    const RUN: usize = 5;
    const TOLERANCE: f64 = 0.15;
    let mut inside = vec![false; edges.len()];
    for start in 0..edges.len().saturating_sub(RUN - 1) {
        let window = &edges[start..start + RUN];
        let mut p: Vec<f64> = window.iter().map(|e| e.pitch).collect();
        p.sort_by(f64::total_cmp);
        let median = p[RUN / 2];
        if median > 0.1 && p.iter().all(|x| (x / median - 1.0).abs() <= TOLERANCE) {
            inside[start..start + RUN].fill(true);
        }
    }
    inside
}

/// The pitch of a line whose glyph centres sit on a grid: at least six
/// edges, and eight in ten centre distances within 12% of a whole number
/// of cells (pieces less than half a cell apart left out), the cell being
/// the median distance inside words.
pub(super) fn fixed_pitch(edges: &[Edge], page_gap: f64) -> Option<f64> {
    if edges.len() < 6 {
        return None;
    }
    let mut inner: Vec<f64> = edges
        .iter()
        .filter(|e| e.gap <= page_gap)
        .map(|e| e.pitch)
        .collect();
    if inner.len() < 5 {
        return None;
    }
    inner.sort_by(f64::total_cmp);
    let pitch = inner[inner.len() / 2];
    if pitch <= 0.1 {
        return None;
    }
    // Pieces sharing a cell (less than half a cell apart) say nothing.
    let spaced: Vec<f64> = edges
        .iter()
        .map(|e| e.pitch / pitch)
        .filter(|&r| r >= 0.5)
        .collect();
    let on_grid = spaced
        .iter()
        .filter(|&&r| (r - r.round()).abs() <= 0.12)
        .count();
    // Inside words every step is one cell (proportional letters, from `i`
    // to `m`, are not).
    let one_cell = inner
        .iter()
        .filter(|&&d| (d / pitch - 1.0).abs() <= 0.1)
        .count();
    (spaced.len() >= 6 && on_grid * 10 >= spaced.len() * 8 && one_cell * 10 >= inner.len() * 8)
        .then_some(pitch)
}

/// A line's own word gap when its gaps fall clearly into two groups:
/// Otsu's split of the line's gaps, kept when the wider group's mean is at
/// least three times the narrower's and the split lies within
/// 0.35..1.6 of the page's gap.
pub(super) fn line_gap(edges: &[Edge], page_gap: f64) -> Option<f64> {
    // Gaps wider than this are column or tab gaps, whatever the font: left
    // out so that they do not make a class of their own.
    let mut g: Vec<f64> = edges
        .iter()
        .map(|e| e.gap.max(0.0))
        .filter(|&g| g <= WIDE_GAP)
        .collect();
    if g.len() < 8 {
        return None;
    }
    g.sort_by(f64::total_cmp);
    let n = g.len();
    let total: f64 = g.iter().sum();
    let (mut below, mut best) = (0.0, None::<(f64, usize)>);
    for k in 1..n {
        below += g[k - 1];
        if g[k] <= g[k - 1] {
            continue;
        }
        let (w0, w1) = (k as f64, (n - k) as f64);
        let (m0, m1) = (below / w0, (total - below) / w1);
        let between = w0 * w1 * (m1 - m0) * (m1 - m0);
        if best.is_none_or(|(b, _)| between > b) {
            best = Some((between, k));
        }
    }
    let (_, k) = best?;
    let m0 = g[..k].iter().sum::<f64>() / k as f64;
    let m1 = g[k..].iter().sum::<f64>() / (n - k) as f64;
    let t = (g[k - 1] + g[k]) / 2.0;
    (m1 >= 3.0 * m0.max(0.05) && (0.35 * page_gap..=1.6 * page_gap).contains(&t)).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Edges of a line of 3-glyph words: glyphs 0.8 units wide, `inside`
    /// units apart within words, `between` between them.
    fn line(words: usize, inside: f64, between: f64) -> Vec<Edge> {
        let mut out = Vec::new();
        for w in 0..words {
            for g in 0..3 {
                if w + 1 == words && g == 2 {
                    break;
                }
                let gap = if g < 2 { inside } else { between };
                out.push(Edge {
                    gap,
                    pitch: 0.8 + gap,
                });
            }
        }
        out
    }

    fn chain(edges: Vec<Edge>) -> Chain {
        Chain {
            glyphs: (0..=edges.len()).collect(),
            edges,
        }
    }

    #[test]
    fn the_valley_lies_between_the_modes_not_at_otsus_split() {
        // A narrow mode at 2..4 and a wide one over 10..30: Otsu would split
        // near the middle of the means; the valley is where no gap falls.
        let mut h = [0u64; 32];
        h[2] = 50;
        h[3] = 80;
        h[4] = 20;
        h[11..30].fill(10);
        let v = valley_bin(&h);
        assert!((6..=10).contains(&v), "valley at {v}");
        assert_eq!(valley_bin(&[0, 5, 0, 0, 0, 0, 5, 0]), 3);
    }

    #[test]
    fn the_page_word_gap_is_learnt_between_inner_and_outer_gaps() {
        let g = page_word_gap(&[chain(line(20, 0.1, 0.6))], 0.5);
        assert!(g > 0.1 && g < 0.6, "{g}");
        // Broken glyphs (inner gaps 0.6) and wide spacing (1.4).
        let g = page_word_gap(&[chain(line(20, 0.6, 1.4))], 0.5);
        assert!(g > 0.6 && g < 1.4, "{g}");
        // Too few gaps: the fallback.
        assert_eq!(page_word_gap(&[chain(line(3, 0.1, 0.6))], 0.5), 0.5);
    }

    #[test]
    fn a_monospace_line_breaks_at_skipped_cells_not_at_punctuation() {
        // `manpage.xml.ex foo`: cells of 0.6; the period's box is narrow,
        // so its gaps are wide, but its centre sits on the grid.
        let mut e = Vec::new();
        let word = "manpage.xml.ex";
        let chars: Vec<char> = word.chars().collect();
        for k in 0..chars.len() - 1 {
            let narrow = chars[k] == '.' || chars[k + 1] == '.';
            e.push(Edge {
                gap: if narrow { 0.45 } else { 0.1 },
                pitch: 0.6,
            });
        }
        e.push(Edge {
            gap: 0.7,
            pitch: 1.2,
        });
        e.extend(
            [Edge {
                gap: 0.1,
                pitch: 0.6,
            }; 2],
        );
        assert!(fixed_pitch(&e, 0.3).is_some());
        let breaks = line_breaks(&e, 0.3);
        assert_eq!(breaks.iter().filter(|&&b| b).count(), 1);
        assert!(breaks[chars.len() - 1]);
        // Two touching glyphs make one component two cells wide: its centre
        // is a cell and a half from its neighbour's, but no cell is skipped.
        let mut touching = e.clone();
        touching[2] = Edge {
            gap: 0.1,
            pitch: 0.9,
        };
        assert_eq!(line_breaks(&touching, 0.3), breaks);
        // The same gaps with proportional centres break at the periods.
        let prop: Vec<Edge> = e
            .iter()
            .enumerate()
            .map(|(i, x)| Edge {
                pitch: x.pitch * (1.0 + 0.3 * ((i % 3) as f64)),
                ..*x
            })
            .collect();
        assert!(fixed_pitch(&prop, 0.3).is_none());
        assert!(line_breaks(&prop, 0.3).iter().filter(|&&b| b).count() > 1);
    }

    #[test]
    fn a_tight_line_finds_its_own_gap() {
        // Justified tight serif: word gaps 0.28, letter gaps up to 0.1; the
        // page's gap (0.4, from looser lines) would merge every word.
        let e = line(6, 0.08, 0.28);
        let t = line_gap(&e, 0.4).expect("a clear split");
        assert!(t > 0.08 && t < 0.28, "{t}");
        let b = line_breaks(&e, 0.4);
        assert_eq!(b.iter().filter(|&&x| x).count(), 5);
        // A column gap on the line (3 units) does not make a class of its
        // own: the words still split at their gaps.
        let mut wide = e.clone();
        wide[8].gap = 3.0;
        assert!(line_gap(&wide, 0.4).is_some_and(|t| t > 0.08 && t < 0.28));
        // No clear split: the page's gap decides.
        let flat: Vec<Edge> = (0..10)
            .map(|i| Edge {
                gap: 0.1 + 0.02 * i as f64,
                pitch: 1.0,
            })
            .collect();
        assert_eq!(line_gap(&flat, 0.4), None);
    }

    /// A component with its box at `(x, y)`, `w × h`, fully inked.
    fn comp(x: u32, y: u32, w: u32, h: u32) -> Component {
        Component {
            x,
            y,
            w,
            h,
            pixels: (w * h) as u64,
            cx: x as f64 + w as f64 / 2.0,
            cy: y as f64 + h as f64 / 2.0,
        }
    }

    #[test]
    fn a_gap_is_measured_from_everything_left_of_it_on_the_line() {
        // "abc you": glyphs 10 high; the `y` (x 30..38, descending to 14)
        // has a broken-off tail at its left (x 30..32) sorted after it, and
        // `o` starts one pixel right of the `y`'s box. Measured from the
        // tail, the gap before `o` (7 px) would be a word break.
        let mut c: Vec<Component> = (0..3).map(|i| comp(i * 7, 0, 6, 10)).collect();
        c.push(comp(30, 0, 8, 14));
        c.push(comp(30, 11, 2, 3));
        c.extend((0..2).map(|i| comp(39 + i * 7, 0, 6, 10)));
        let refs: Vec<&Component> = c.iter().collect();
        let p = CcaParams::from_config(&workbench_api::Config::default()).unwrap();
        let mut words: Vec<Bounds> = group_words(&p, &refs, 10.0).iter().map(|w| w.b).collect();
        words.sort_by_key(|b| b.x0);
        let spans: Vec<(u32, u32)> = words.iter().map(|b| (b.x0, b.x1)).collect();
        assert_eq!(spans, vec![(0, 20), (30, 52)]);
    }

    #[test]
    fn a_typewriter_identifier_inside_prose_stays_whole() {
        // Prose (proportional centres), then `nocompatibility.` in a fixed
        // pitch of 0.6 whose narrow glyphs (i, l, t, .) leave gaps of 0.35
        // on both sides, then prose again after a space (a skipped cell).
        let mut e: Vec<Edge> = [0.55, 0.42, 0.7, 0.5, 1.3, 0.48, 0.62]
            .iter()
            .map(|&pitch| Edge {
                gap: if pitch > 1.0 { 0.6 } else { 0.08 },
                pitch,
            })
            .collect();
        let start = e.len();
        for ch in "nocompatibility.".chars().skip(1) {
            let narrow = "iltb.".contains(ch);
            e.push(Edge {
                gap: if narrow { 0.35 } else { 0.08 },
                pitch: 0.6,
            });
        }
        e.push(Edge {
            gap: 0.75,
            pitch: 1.2,
        });
        e.extend(
            [0.5, 0.66, 0.45]
                .iter()
                .map(|&pitch| Edge { gap: 0.08, pitch }),
        );
        let breaks = line_breaks(&e, 0.3);
        let at: Vec<usize> = (0..e.len()).filter(|&k| breaks[k]).collect();
        assert_eq!(
            at,
            vec![4, start + 15],
            "breaks at the prose space and after the identifier"
        );
        // Without the fixed pitch the narrow glyphs' gaps would break it.
        let proportional: Vec<Edge> = e
            .iter()
            .enumerate()
            .map(|(k, x)| Edge {
                pitch: x.pitch * (1.0 + 0.25 * ((k % 3) as f64)),
                ..*x
            })
            .collect();
        assert!(
            line_breaks(&proportional, 0.3)
                .iter()
                .filter(|&&b| b)
                .count()
                > 4
        );
        // Proportional glyphs whose centres happen to fall one pitch apart
        // over a space (`e; th`): the space follows a tight gap, so it is
        // no cell of a narrow glyph and stays a break.
        let tight: Vec<Edge> = [0.08, 0.05, 0.5, 0.08, 0.08]
            .iter()
            .map(|&gap| Edge { gap, pitch: 0.6 })
            .collect();
        assert_eq!(
            line_breaks(&tight, 0.3),
            vec![false, false, true, false, false]
        );
    }
}
