#!/usr/bin/env python3
"""Word crops of a corpus split, cut as issue 13's evaluation crops are.

Usage: experiments/corpus/crops.py SPLIT_DIR OUT_DIR [--limit N] [--seed S]

Every ground-truth word of every page under SPLIT_DIR (the pages format that
`workbench data pdf` writes) is cut at its ink-tight box plus 2 pixels, the
same crop `workbench data pdf --words` writes, into OUT_DIR with a
`labels.csv` (`filename,text`) for `workbench recognize --labels`. With
--limit, a seeded sample of N words. Needs Pillow (pip install pillow).
"""
import argparse, csv, glob, json, os, random, sys

try:
    from PIL import Image
except ImportError:
    sys.exit("crops.py: error: needs Pillow (pip install pillow)")

ap = argparse.ArgumentParser()
ap.add_argument("split")
ap.add_argument("out")
ap.add_argument("--limit", type=int, default=0)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()
words = []
for page in sorted(glob.glob(os.path.join(a.split, "**", "*.json"), recursive=True)):
    png = page[:-5] + ".png"
    if not os.path.isfile(png):
        continue
    for i, w in enumerate(json.load(open(page)).get("words", [])):
        if (w.get("text") or "").strip():
            words.append((png, i, w))
if a.limit:
    random.Random(a.seed).shuffle(words)
    words = sorted(words[: a.limit], key=lambda t: (t[0], t[1]))
os.makedirs(a.out, exist_ok=True)
rows, current, img = [], None, None
for png, i, w in words:
    if png != current:
        current, img = png, Image.open(png).convert("L")
    x0, y0 = max(0, int(w["x"]) - 2), max(0, int(w["y"]) - 2)
    x1 = min(img.width, int(w["x"] + w["w"] + 0.999) + 2)
    y1 = min(img.height, int(w["y"] + w["h"] + 0.999) + 2)
    if x1 <= x0 or y1 <= y0:
        continue
    name = os.path.relpath(png, a.split).replace(os.sep, "_")[:-4] + f"-{i}.png"
    img.crop((x0, y0, x1, y1)).save(os.path.join(a.out, name))
    rows.append((name, w["text"]))
with open(os.path.join(a.out, "labels.csv"), "w", newline="", encoding="utf-8") as f:
    out = csv.writer(f)
    out.writerow(["filename", "text"])
    out.writerows(rows)
print(f"{len(rows)} crops in {a.out}")
