#!/usr/bin/env python3
"""Tesseract on a word directory, scored as `workbench recognize --labels` scores.

Usage: experiments/corpus/tesseract-words.py WORD_DIR [--out CSV]

Runs `tesseract IMAGE stdout --psm 8 -l eng` (one word per image,
OMP_THREAD_LIMIT=1) on every image `WORD_DIR/labels.csv` names, and prints
CER (Σ Levenshtein / Σ reference characters, Unicode scalar values), and
word accuracy, the definitions of docs/CONTRACTS.md. `--scores CSV` scores a
`filename,text` CSV (e.g. the reader's `--out`) the same way instead of
running Tesseract. Needs tesseract-ocr and tesseract-ocr-eng (Debian).
"""
import argparse, csv, os, subprocess, sys


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--out", help="write Tesseract's readings here")
ap.add_argument("--scores", help="score this filename,text CSV instead")
a = ap.parse_args()
truth = {r["filename"]: r["text"] for r in csv.DictReader(open(os.path.join(a.dir, "labels.csv"), encoding="utf-8"))}
if a.scores:
    read = {r["filename"]: r["text"] for r in csv.DictReader(open(a.scores, encoding="utf-8"))}
    # The reader's CSV names files by path; match on the file name.
    read = {os.path.basename(k): v for k, v in read.items()}
else:
    env = {"OMP_THREAD_LIMIT": "1", "PATH": os.environ.get("PATH", "/usr/bin")}
    read = {}
    for name in truth:
        p = subprocess.run(["tesseract", os.path.join(a.dir, name), "stdout", "--psm", "8", "-l", "eng"],
                           capture_output=True, text=True, env=env)
        if p.returncode != 0:
            sys.exit(f"tesseract-words.py: tesseract failed on {name}: {p.stderr.strip()}")
        read[name] = p.stdout.strip()
    if a.out:
        with open(a.out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["filename", "text"])
            w.writerows(read.items())
edits = chars = right = 0
for name, t in truth.items():
    p = read.get(name, "")
    edits += levenshtein(p, t)
    chars += len(t)
    right += p == t
print(f"words {len(truth)}  CER {100 * edits / chars:.2f} %  word accuracy {100 * right / len(truth):.2f} %")
