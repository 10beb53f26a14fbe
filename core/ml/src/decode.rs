//! Decoding CTC outputs into label sequences.
//!
//! Inputs are log-probabilities of one sample, `(T, C)` row-major (take
//! them out of a `(T, B, C)` batch with [`sample`]), blank = class 0 as in
//! [`crate::ctc`]. Outputs are label sequences (indices into the charset
//! shifted by one, the caller maps them to text) with a score:
//!
//! - [`greedy`]: best class per step, then collapse repeats and drop blanks
//!   (`a a - a` → `a a`). `log_prob` is the log-probability of that single
//!   best path, a lower bound of the labelling's probability.
//! - [`beam_search`]: prefix beam search (Hannun et al. 2014): keeps the
//!   `width` best label prefixes, each with the probability of all
//!   alignments ending in blank and in non-blank, so `log_prob` sums over
//!   alignments (exact for the surviving prefixes). With a [`Lexicon`], a
//!   prefix may only grow into a prefix of a listed word, and at the end
//!   complete words win over unfinished prefixes (when no complete word
//!   survived, the best prefix is returned).
//!
//! `confidence` is `exp(log_prob)`, in `[0, 1]`.

use crate::ctc::{log_add, BLANK};
use std::collections::HashMap;

/// A decoded sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// Labels (blank-free, repeats collapsed).
    pub labels: Vec<usize>,
    /// Log-probability of the result (see the module docs).
    pub log_prob: f32,
    /// `exp(log_prob)`.
    pub confidence: f32,
}

impl Decoded {
    fn new(labels: Vec<usize>, log_prob: f32) -> Self {
        Decoded {
            labels,
            log_prob,
            confidence: log_prob.exp(),
        }
    }
}

/// The first `len` rows of sample `b` of a `(T, B, C)` batch, as `(len, C)`.
pub fn sample(
    log_probs: &[f32],
    (t, b_n, c): (usize, usize, usize),
    b: usize,
    len: usize,
) -> Vec<f32> {
    assert!(
        len <= t && b < b_n,
        "sample {b} / length {len} out of ({t}, {b_n}, {c})"
    );
    (0..len)
        .flat_map(|ti| {
            log_probs[(ti * b_n + b) * c..(ti * b_n + b + 1) * c]
                .iter()
                .copied()
        })
        .collect()
}

/// Greedy (best path) decoding of `(T, C)` log-probabilities.
pub fn greedy(log_probs: &[f32], classes: usize) -> Decoded {
    let mut labels = Vec::new();
    let mut prev = BLANK;
    let mut lp = 0.0f32;
    for row in log_probs.chunks_exact(classes) {
        let (k, v) = row
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |(bk, bv), (k, &v)| {
                if v > bv {
                    (k, v)
                } else {
                    (bk, bv)
                }
            });
        lp += v;
        if k != BLANK && k != prev {
            labels.push(k);
        }
        prev = k;
    }
    Decoded::new(labels, lp)
}

/// A word list as a trie over labels, for [`beam_search`].
#[derive(Clone, Debug)]
pub struct Lexicon {
    /// Per node: its children by label, and whether a word ends there.
    nodes: Vec<(HashMap<usize, usize>, bool)>,
}

impl Lexicon {
    /// A trie of the given label sequences.
    pub fn new<I: IntoIterator<Item = Vec<usize>>>(words: I) -> Self {
        let mut lex = Lexicon {
            nodes: vec![(HashMap::new(), false)],
        };
        for w in words {
            let mut node = 0;
            for k in w {
                node = match lex.nodes[node].0.get(&k) {
                    Some(&n) => n,
                    None => {
                        lex.nodes.push((HashMap::new(), false));
                        let n = lex.nodes.len() - 1;
                        lex.nodes[node].0.insert(k, n);
                        n
                    }
                };
            }
            lex.nodes[node].1 = true;
        }
        lex
    }

    /// The node reached by `prefix`, if it is a prefix of a word.
    pub fn node(&self, prefix: &[usize]) -> Option<usize> {
        prefix
            .iter()
            .try_fold(0, |n, k| self.nodes[n].0.get(k).copied())
    }

    /// The child of `node` by label `k`.
    pub fn child(&self, node: usize, k: usize) -> Option<usize> {
        self.nodes[node].0.get(&k).copied()
    }

    /// Whether `prefix` is a listed word.
    pub fn contains(&self, prefix: &[usize]) -> bool {
        self.node(prefix).is_some_and(|n| self.nodes[n].1)
    }
}

/// One prefix in the beam: log-probabilities of its alignments ending in
/// blank and in a non-blank, and its trie node.
#[derive(Clone, Copy, Debug)]
struct Beam {
    blank: f32,
    non_blank: f32,
    node: usize,
}

impl Beam {
    fn total(&self) -> f32 {
        log_add(self.blank, self.non_blank)
    }
}

/// Prefix beam search over `(T, C)` log-probabilities, keeping `width`
/// prefixes (at least 1), optionally constrained by `lexicon`.
pub fn beam_search(
    log_probs: &[f32],
    classes: usize,
    width: usize,
    lexicon: Option<&Lexicon>,
) -> Decoded {
    let width = width.max(1);
    let ninf = f32::NEG_INFINITY;
    let mut beams: Vec<(Vec<usize>, Beam)> = vec![(
        Vec::new(),
        Beam {
            blank: 0.0,
            non_blank: ninf,
            node: 0,
        },
    )];
    let mut next: HashMap<Vec<usize>, Beam> = HashMap::new();
    for row in log_probs.chunks_exact(classes) {
        next.clear();
        for (prefix, beam) in &beams {
            let total = beam.total();
            // Stay on the same prefix: emit a blank, or repeat the last label.
            let e = next.entry(prefix.clone()).or_insert(Beam {
                blank: ninf,
                non_blank: ninf,
                node: beam.node,
            });
            e.blank = log_add(e.blank, total + row[BLANK]);
            if let Some(&last) = prefix.last() {
                e.non_blank = log_add(e.non_blank, beam.non_blank + row[last]);
            }
            // Extend by a label.
            for (k, &lp) in row.iter().enumerate().skip(1) {
                if lp == ninf {
                    continue;
                }
                let node = match lexicon {
                    Some(lex) => match lex.child(beam.node, k) {
                        Some(n) => n,
                        None => continue,
                    },
                    None => 0,
                };
                // A repeat of the last label needs a blank in between.
                let from = if prefix.last() == Some(&k) {
                    beam.blank
                } else {
                    total
                };
                if from == ninf {
                    continue;
                }
                let mut p = prefix.clone();
                p.push(k);
                let e = next.entry(p).or_insert(Beam {
                    blank: ninf,
                    non_blank: ninf,
                    node,
                });
                e.non_blank = log_add(e.non_blank, from + lp);
            }
        }
        beams = next.drain().collect();
        beams.sort_by(|a, b| b.1.total().total_cmp(&a.1.total()).then(a.0.cmp(&b.0)));
        beams.truncate(width);
    }
    let best = match lexicon {
        Some(lex) => beams
            .iter()
            .find(|(p, _)| lex.contains(p))
            .or_else(|| beams.first()),
        None => beams.first(),
    };
    match best {
        Some((p, b)) => Decoded::new(p.clone(), b.total()),
        None => Decoded::new(Vec::new(), ninf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctc::ctc_host;

    /// Log-probabilities from per-step probability rows.
    fn rows(p: &[&[f32]]) -> Vec<f32> {
        p.iter().flat_map(|r| r.iter().map(|v| v.ln())).collect()
    }

    fn labelling_prob(lp: &[f32], c: usize, labels: &[usize]) -> f32 {
        let t = lp.len() / c;
        let r = ctc_host(lp, (t, 1, c), &[labels.to_vec()], &[t]).unwrap();
        (-r.losses[0]).exp()
    }

    #[test]
    fn greedy_collapses_repeats_and_drops_blanks() {
        // Best path a a - a b b -  →  "a a b" (labels 1 1 2).
        let hi = 0.9;
        let lo = 0.05;
        let a: &[f32] = &[lo, hi, lo];
        let b: &[f32] = &[lo, lo, hi];
        let blank: &[f32] = &[hi, lo, lo];
        let lp = rows(&[a, a, blank, a, b, b, blank]);
        let d = greedy(&lp, 3);
        assert_eq!(d.labels, vec![1, 1, 2]);
        assert!((d.log_prob - (6.0 * hi.ln() + hi.ln())).abs() < 1e-5);
        assert!((d.confidence - hi.powi(7)).abs() < 1e-5);
        // Beam search agrees on this clear case.
        assert_eq!(beam_search(&lp, 3, 4, None).labels, vec![1, 1, 2]);
        // Batch extraction picks the right rows.
        let batch: Vec<f32> = lp.chunks(3).flat_map(|r| [r, r].concat()).collect();
        assert_eq!(sample(&batch, (7, 2, 3), 1, 7), lp);
    }

    #[test]
    fn beam_beats_greedy_where_the_best_path_is_not_the_best_labelling() {
        // Two steps, P(blank) = 0.6, P(a) = 0.4 each: the best path is
        // "- -" (→ "", 0.36) but P("a") = 0.4·0.4 + 2·0.4·0.6 = 0.64.
        let lp = rows(&[&[0.6, 0.4], &[0.6, 0.4]]);
        let g = greedy(&lp, 2);
        assert!(g.labels.is_empty());
        let b = beam_search(&lp, 2, 4, None);
        assert_eq!(b.labels, vec![1]);
        assert!((b.confidence - 0.64).abs() < 1e-5, "{b:?}");
        assert!(labelling_prob(&lp, 2, &b.labels) > labelling_prob(&lp, 2, &g.labels));
        // The beam's score is the labelling's probability (exact here).
        assert!((labelling_prob(&lp, 2, &b.labels) - b.confidence).abs() < 1e-5);
        // A wider beam never does worse on a random case.
        let lp = {
            use rand::{Rng, SeedableRng};
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
            let mut v = Vec::new();
            for _ in 0..8 {
                let r: Vec<f32> = (0..4).map(|_| rng.gen_range(0.1..1.0f32)).collect();
                let s: f32 = r.iter().sum();
                v.extend(r.iter().map(|x| (x / s).ln()));
            }
            v
        };
        let g = greedy(&lp, 4);
        let b = beam_search(&lp, 4, 16, None);
        assert!(labelling_prob(&lp, 4, &b.labels) >= labelling_prob(&lp, 4, &g.labels) - 1e-6);
    }

    #[test]
    fn lexicon_constrains_the_result_to_a_listed_word() {
        // Classes: 0 blank, 1 a, 2 b, 3 c. Unconstrained: "ab".
        let lp = rows(&[
            &[0.05, 0.6, 0.3, 0.05],
            &[0.1, 0.05, 0.5, 0.35],
            &[0.9, 0.04, 0.03, 0.03],
        ]);
        assert_eq!(beam_search(&lp, 4, 8, None).labels, vec![1, 2]);
        let lex = Lexicon::new([vec![1, 3], vec![2, 1], vec![3, 3, 3]]);
        assert!(lex.contains(&[1, 3]) && !lex.contains(&[1]) && lex.node(&[3, 3]).is_some());
        let d = beam_search(&lp, 4, 8, Some(&lex));
        assert_eq!(d.labels, vec![1, 3]);
        assert!((d.confidence - labelling_prob(&lp, 4, &[1, 3])).abs() < 1e-5);
    }
}
