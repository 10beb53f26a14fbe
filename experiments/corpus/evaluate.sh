#!/usr/bin/env bash
# Scores segmenter variants on one split of the corpus, per document and
# pooled: word and figure (images + graphics) P/R/F1 at IoU >= 0.5, as
# `workbench segment` prints them against the pages' ground truth.
#
# Usage: experiments/corpus/evaluate.sh [SPLIT] [WORKBENCH_BIN] [VARIANT[:k=v,...]]...
#   SPLIT          val (default) or test; `train` works too
#   WORKBENCH_BIN  default target/release/workbench
#   VARIANT        default: cca cca-dilate xy-cut; `cca:rules=false` sets parameters
# Prints a Markdown table per variant. The corpus is built by build.sh.
set -euo pipefail
SPLIT="${1:-val}"
WB="${2:-target/release/workbench}"
shift $(( $# >= 2 ? 2 : $# ))
VARIANTS=("$@")
(( ${#VARIANTS[@]} > 0 )) || VARIANTS=(cca cca-dilate xy-cut)
ROOT="${CORPUS:-corpus}/$SPLIT"
[[ -d "$ROOT" ]] || { echo "evaluate.sh: no $ROOT (build the corpus with experiments/corpus/build.sh)" >&2; exit 1; }
[[ -x "$WB" ]] || { echo "evaluate.sh: no workbench binary at $WB" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
score() { # dir variant-with-params -> "P R F1 | P R F1"
    local dir=$1 v=${2%%:*} sets=()
    if [[ "$2" == *:* ]]; then
        IFS=',' read -ra kv <<< "${2#*:}"
        for x in "${kv[@]}"; do sets+=(--set "$x"); done
    fi
    "$WB" segment --plugin segmenters --variant "$v" "${sets[@]}" "$dir" --out "$OUT/x" 2>/dev/null | tail -1 |
        sed -E 's#.*word P/R/F1 ([0-9.]+)/([0-9.]+)/([0-9.]+), image P/R/F1 ([0-9.]+)/([0-9.]+)/([0-9.]+).*#\1 \2 \3 \4 \5 \6#'
}
for v in "${VARIANTS[@]}"; do
    echo "### $v on $SPLIT"
    echo
    echo "| document | pages | word P | word R | word F1 | figure P | figure R | figure F1 |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for d in "$ROOT"/*/; do
        id=$(basename "$d")
        n=$(find "$d" -maxdepth 1 -name '*.json' | wc -l)
        read -r wp wr wf ip ir if_ <<< "$(score "$d" "$v")"
        echo "| $id | $n | $wp | $wr | $wf | $ip | $ir | $if_ |"
    done
    n=$(find "$ROOT" -name '*.json' -not -path '*/words/*' | wc -l)
    read -r wp wr wf ip ir if_ <<< "$(score "$ROOT" "$v")"
    echo "| **pooled** | $n | $wp | $wr | **$wf** | $ip | $ir | **$if_** |"
    echo
done
