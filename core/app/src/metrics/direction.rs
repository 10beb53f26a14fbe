//! Which way is "better" for a metric, derived from its name by a fixed rule table.

/// Whether larger or smaller values of a metric are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Larger is better (accuracy, F1, PSNR, throughput, ...).
    Higher,
    /// Smaller is better (losses, error rates, wall time, ...).
    Lower,
    /// No preferred direction (parameter counts, unknown names); never marked as best.
    Neutral,
}

/// The rule table, checked top to bottom; the first rule that matches decides.
///
/// A key containing `_` is a sequence of tokens that must appear contiguously in the name.
/// Any other key matches one token that equals it or, if the key has at least 4 characters,
/// ends with it (so `valloss` and `runtime` match, but `lower` does not match `wer`).
const RULES: &[(&str, Direction)] = &[
    // Rates first: `words_per_sec` is a throughput, not a time.
    ("per_sec", Direction::Higher),
    ("per_second", Direction::Higher),
    ("per_s", Direction::Higher),
    ("throughput", Direction::Higher),
    ("fps", Direction::Higher),
    // Sizes: more parameters is neither better nor worse.
    ("params", Direction::Neutral),
    ("parameters", Direction::Neutral),
    ("param", Direction::Neutral),
    // Negated ELBO is a loss; must come before `elbo`.
    ("neg_elbo", Direction::Lower),
    ("nelbo", Direction::Lower),
    // Smaller is better.
    ("mse", Direction::Lower),
    ("rmse", Direction::Lower),
    ("mae", Direction::Lower),
    ("bce", Direction::Lower),
    ("nll", Direction::Lower),
    ("loss", Direction::Lower),
    ("cer", Direction::Lower),
    ("wer", Direction::Lower),
    ("error", Direction::Lower),
    ("err", Direction::Lower),
    ("perplexity", Direction::Lower),
    ("time", Direction::Lower),
    ("seconds", Direction::Lower),
    ("secs", Direction::Lower),
    ("latency", Direction::Lower),
    // Larger is better.
    ("accuracy", Direction::Higher),
    ("acc", Direction::Higher),
    ("precision", Direction::Higher),
    ("recall", Direction::Higher),
    ("f1", Direction::Higher),
    ("psnr", Direction::Higher),
    ("ssim", Direction::Higher),
    ("auroc", Direction::Higher),
    ("auc", Direction::Higher),
    ("iou", Direction::Higher),
    ("elbo", Direction::Higher),
];

/// The better-direction of a metric, from its name.
///
/// The name is lower-cased and split into tokens at every character that is not a letter or
/// digit (`val/word_accuracy` → `val`, `word`, `accuracy`); then the rule table is tried in
/// order. Rates (`*_per_sec`, `throughput`) are `Higher`; parameter counts are `Neutral`;
/// losses, error rates (`mse`, `rmse`, `bce`, `loss`, `cer`, `wer`, `error`, ...) and times
/// (`time`, `seconds`) are `Lower`; `accuracy`, `precision`, `recall`, `f1`, `psnr`, `auroc`,
/// `elbo`, ... are `Higher`; anything else is `Neutral`.
pub fn direction(metric: &str) -> Direction {
    let lower = metric.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    RULES
        .iter()
        .find(|(key, _)| rule_matches(key, &tokens))
        .map_or(Direction::Neutral, |&(_, d)| d)
}

fn rule_matches(key: &str, tokens: &[&str]) -> bool {
    if key.contains('_') {
        let seq: Vec<&str> = key.split('_').collect();
        tokens.windows(seq.len()).any(|w| w == seq.as_slice())
    } else {
        tokens
            .iter()
            .any(|t| *t == key || (key.len() >= 4 && t.ends_with(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_names() {
        use Direction::*;
        let cases: &[(&str, Direction)] = &[
            ("mse", Lower),
            ("rmse", Lower),
            ("test_bce", Lower),
            ("val_loss", Lower),
            ("valLoss", Lower),
            ("cer", Lower),
            ("WER", Lower),
            ("val/cer", Lower),
            ("recon_error", Lower),
            ("train_time", Lower),
            ("runtime", Lower),
            ("epoch_seconds", Lower),
            ("params", Neutral),
            ("num_params", Neutral),
            ("nparams", Neutral),
            ("accuracy", Higher),
            ("word_accuracy", Higher),
            ("precision", Higher),
            ("macro_recall", Higher),
            ("f1", Higher),
            ("macro_f1", Higher),
            ("psnr", Higher),
            ("psnr_db", Higher),
            ("auroc", Higher),
            ("elbo", Higher),
            ("neg_elbo", Lower),
            ("throughput", Higher),
            ("samples_per_sec", Higher),
            ("pages_per_sec", Higher),
            ("words_per_sec", Higher),
            // Short keys must be whole tokens: no false hits inside English words.
            ("lower_bound", Neutral),
            ("answer_len", Neutral),
            ("epoch", Neutral),
            ("seed", Neutral),
            ("", Neutral),
        ];
        for &(name, want) in cases {
            assert_eq!(direction(name), want, "direction({name:?})");
        }
    }
}
