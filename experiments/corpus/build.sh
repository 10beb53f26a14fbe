#!/usr/bin/env bash
# Build the real-document development corpus from Debian-shipped PDF manuals.
#
# Usage: experiments/corpus/build.sh [OUT_DIR] [WORKBENCH_BIN]
#   OUT_DIR        output root (default: corpus)
#   WORKBENCH_BIN  workbench binary (default: target/release/workbench)
#
# For every row of experiments/corpus/manifest.tsv this runs
#   "$WB" data pdf "$file" --out "$OUT/$split/$id" --dpi 150 --pages "$pages"
# (gunzipping *.pdf.gz to a temporary file first). Documents whose output
# directory already holds as many .json files as selected pages are skipped,
# so the script can be re-run after an interruption.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANIFEST="$SCRIPT_DIR/manifest.tsv"
OUT="${1:-corpus}"
WB="${2:-target/release/workbench}"
DPI=150

# Packages held out for independent evaluation: never install or use them.
HELD_OUT="debian-edu-doc-en dicomscope-doc ghostscript-doc maint-guide gitmagic"

die() { echo "build.sh: error: $*" >&2; exit 1; }

[[ -f "$MANIFEST" ]] || die "manifest not found: $MANIFEST"
if [[ ! -x "$WB" ]]; then
    die "workbench binary not found or not executable: $WB
  build it first (cargo build --release) or pass its path as the 2nd argument"
fi

# Expand a poppler-style page selection ("5-20,31") into a page count.
count_pages() {
    local sel="$1" n=0 part a b
    IFS=',' read -ra parts <<< "$sel"
    for part in "${parts[@]}"; do
        if [[ "$part" =~ ^([0-9]+)-([0-9]+)$ ]]; then
            a=${BASH_REMATCH[1]}; b=${BASH_REMATCH[2]}
            (( b >= a )) || die "bad page range '$part' in '$sel'"
            n=$(( n + b - a + 1 ))
        elif [[ "$part" =~ ^[0-9]+$ ]]; then
            n=$(( n + 1 ))
        else
            die "bad page selection '$sel'"
        fi
    done
    echo "$n"
}

count_json() {
    if [[ -d "$1" ]]; then find "$1" -type f -name '*.json' | wc -l; else echo 0; fi
}

# Read the manifest (skip header) into parallel arrays.
ids=(); pkgs=(); files=(); pagesels=(); splits=()
while IFS=$'\t' read -r id package file pages split _licence _typo; do
    [[ "$id" == "id" || -z "$id" ]] && continue
    for h in $HELD_OUT; do
        [[ "$package" == "$h" ]] && die "manifest row '$id' uses held-out package '$h'"
    done
    case "$split" in train|val|test) ;; *) die "row '$id': bad split '$split'";; esac
    ids+=("$id"); pkgs+=("$package"); files+=("$file"); pagesels+=("$pages"); splits+=("$split")
done < "$MANIFEST"
(( ${#ids[@]} > 0 )) || die "manifest has no rows"

# Install the packages whose files are missing.
missing=()
for i in "${!ids[@]}"; do
    if [[ ! -f "${files[$i]}" ]]; then
        p="${pkgs[$i]}"
        [[ " ${missing[*]-} " == *" $p "* ]] || missing+=("$p")
    fi
done
if (( ${#missing[@]} > 0 )); then
    if [[ $(id -u) -ne 0 ]]; then
        die "missing PDF files; install these Debian packages as root first:
  apt-get install -y --no-install-recommends ${missing[*]}"
    fi
    echo "installing: ${missing[*]}"
    ok=0
    for attempt in 1 2 3 4 5; do
        if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            -o DPkg::Lock::Timeout=300 "${missing[@]}"; then
            ok=1; break
        fi
        echo "apt-get failed (attempt $attempt, dpkg may be locked); retrying in 30 s" >&2
        sleep 30
    done
    (( ok )) || die "could not install: ${missing[*]}"
    for i in "${!ids[@]}"; do
        [[ -f "${files[$i]}" ]] || die "${files[$i]} still missing after installing ${pkgs[$i]}"
    done
fi

TMP="$(mktemp -d)"
trap 'rm -rf -- "$TMP"' EXIT

mkdir -p "$OUT"
for i in "${!ids[@]}"; do
    id="${ids[$i]}"; file="${files[$i]}"; pages="${pagesels[$i]}"; split="${splits[$i]}"
    dest="$OUT/$split/$id"
    want=$(count_pages "$pages")
    have=$(count_json "$dest")
    if (( have >= want )); then
        echo "skip  $split/$id ($have/$want pages present)"
        continue
    fi
    src="$file"
    if [[ "$file" == *.gz ]]; then
        src="$TMP/$id.pdf"
        gunzip -c -- "$file" > "$src"
    fi
    # Remove a partial/stale result before regenerating this document.
    if [[ -n "$id" && -d "$dest" ]]; then rm -rf -- "$dest"; fi
    mkdir -p "$(dirname "$dest")"
    echo "build $split/$id: $file pages $pages ($want)"
    if ! "$WB" data pdf "$src" --out "$dest" --dpi "$DPI" --pages "$pages"; then
        die "workbench failed on $id ($file, pages $pages)"
    fi
    if [[ "$src" != "$file" ]]; then rm -f -- "$src"; fi
    got=$(count_json "$dest")
    (( got >= want )) || echo "warning: $split/$id has $got .json files, expected $want" >&2
done

echo
printf '%-6s %5s %6s\n' split docs pages
total_d=0; total_p=0
for split in train val test; do
    d=0; p=0
    if [[ -d "$OUT/$split" ]]; then
        for dir in "$OUT/$split"/*/; do
            [[ -d "$dir" ]] || continue
            d=$(( d + 1 )); p=$(( p + $(count_json "$dir") ))
        done
    fi
    printf '%-6s %5d %6d\n' "$split" "$d" "$p"
    total_d=$(( total_d + d )); total_p=$(( total_p + p ))
done
printf '%-6s %5d %6d\n' total "$total_d" "$total_p"
