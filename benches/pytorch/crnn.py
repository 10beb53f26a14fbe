#!/usr/bin/env python3
"""PyTorch CPU reference for the `crnn` recognizer's training throughput.

The model mirrors plugins/recognizers (model.rs, lib.rs) at its default sizes:

    (B, 1, 32, W)
      3 blocks: conv 3x3 (pad 1, bias) -> BatchNorm2d (eps 1e-5, momentum 0.1)
                -> ReLU -> max pool (2,2), (2,2), (2,1); channels 16, 32, 64.
                In a batch of unequal widths, the columns right of each
                word's own width are zeroed after every block (as the plugin
                does, so batch norm's response to the padding does not leak).
    (T = W/4, B, 64 * 4 = 256)
      2-layer bidirectional LSTM, hidden 64, packed by length
    (T, B, 128) -> linear -> log_softmax over blank (0) + charset
      CTC loss, blank 0, summed over the batch / batch size (the plugin's
      batch-mean loss); Adam lr 1e-3, betas 0.9/0.999, eps 1e-8.

Initialisation as the plugin's: conv He normal (fan in), zero biases; LSTM
weights Xavier uniform with the plugin's fans (W_ih: in, hidden; W_hh:
hidden, hidden), input bias 0 with the forget part 1, recurrent bias 0
(PyTorch's LSTM has a second, recurrent bias the plugin's lacks: 1,024
more parameters, all zero at the start); linear Xavier uniform, zero bias.

Data as the workbench's `words` dataset: `labels.csv` (`filename,text`) in
--dir; each image gray, scaled to height 32 keeping its aspect ratio
(triangle filter; width at most 64 heights); the last `test` fraction (0.2)
is the test split, the last `val` fraction (0.1) of the rest validation,
the charset the sorted unique characters of the training and validation
texts. Each word is then prepared as the plugin prepares it (ink.rs,
data.rs): polarity and levels by a 64-bin Otsu split, the ink box, a
margin of 0.08 of its height, resampled to height 32 (box filter when
shrinking, bilinear when enlarging), width clamped to [4, 512]; a batch is
right-padded with 0 to its widest word, at least label length + repeats
steps per word. The plugin's default crop jitter is off on both sides
(the benchmark's spec sets `augment: none`), so both train on the same
widths. The plugin prepares each word at every step inside its fit (Rust,
well under 1 % of a step); this script prepares every word once, before
the clock starts (its time is printed as `prepare`).

Each epoch: the training words in a fresh random order (torch's generator;
the plugin's order comes from its own seeded shuffle, so batches pad
alike only on average), then validation in batches of 32 in file order
(loss, greedy decoding, CER), then a checkpoint of the model and the
optimizer (as the plugin writes each epoch's and the best).

Throughput is the workbench's `samples_per_sec` for a recognizer run:
training words x epochs / seconds of the whole fit, per-epoch validation
and checkpoints included (the workbench's `train_seconds` covers the
plugin's `fit`). Also printed: the training-steps-only rate.

    python3 benches/pytorch/crnn.py --dir WORDS_DIR --epochs 3

Options: --threads (default 2), --batch (32), --lr, --seed, --val, --test,
--no-pack (run the LSTMs over the padding, as the plugin does), --json FILE
(every number, for benches/compare.py).
"""

import argparse
import csv
import json
import math
import os
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

HEIGHT = 32
FACTOR = 4  # columns per output step: two pools halve the width
MAX_WIDTH = 512  # the plugin's `max_width` default
MAX_WORD_ASPECT = 64  # the dataset's widest word, in heights
MARGIN = 0.08
MIN_CONTRAST = 0.08


def rround(x):
    """Rust's f32/f64 round: half away from zero (the values here are >= 0)."""
    return int(math.floor(x + 0.5))


# ---------------------------------------------------------------- the data


def load_words(dir_, height=HEIGHT):
    """labels.csv's images, gray in [0, 1], scaled to `height` (data/words.rs)."""
    images, texts = [], []
    with open(os.path.join(dir_, "labels.csv"), newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        assert header == ["filename", "text"], header
        for name, text in reader:
            img = Image.open(os.path.join(dir_, name)).convert("L")
            w, h = img.size
            nw = min(max(rround(w * height / max(h, 1)), 1), MAX_WORD_ASPECT * height)
            img = img.resize((nw, height), Image.BILINEAR)
            images.append(np.asarray(img, dtype=np.float32) / 255.0)
            texts.append(text)
    return images, texts


def split(n, val, test):
    """(train, val, test) index ranges as the `words` dataset cuts them."""
    n_test = rround(n * test)
    rest = n - n_test
    n_val = rround(rest * val)
    return range(0, rest - n_val), range(rest - n_val, rest), range(rest, n)


def otsu_split(hist):
    """workbench_vision::binarize::otsu_split."""
    total = int(hist.sum())
    sum_all = float((np.arange(len(hist)) * hist).sum())
    w0, sum0, best = 0, 0.0, None
    for t, count in enumerate(hist):
        w0 += int(count)
        sum0 += t * float(count)
        w1 = total - w0
        if w0 == 0 or w1 == 0:
            continue
        m0, m1 = sum0 / w0, (sum_all - sum0) / w1
        between = w0 * w1 * (m0 - m1) * (m0 - m1)
        if best is None or between > best[0]:
            best = (between, t)
    return None if best is None else best[1]


def upper_median(v):
    """The plugin's median: the element at len/2 of the sorted values."""
    if len(v) == 0:
        return 0.0
    return float(np.partition(v, len(v) // 2)[len(v) // 2])


def runs(mass):
    out, i = [], 0
    while i < len(mass):
        if mass[i] == 0:
            i += 1
            continue
        start, s = i, 0
        while i < len(mass) and mass[i] > 0:
            s += int(mass[i])
            i += 1
        out.append((start, i, s))
    return out


def ink_box(data):
    """ink.rs `ink_box` on white-on-black values."""
    h, w = data.shape
    on = data > 0.5
    row_runs = runs(on.sum(axis=1))
    if not row_runs:
        return None
    # Rust's max_by_key keeps the last of equal maxima.
    main = max(range(len(row_runs)), key=lambda i: (row_runs[i][2], i))
    lo = hi = main
    main_h, main_mass = row_runs[main][1] - row_runs[main][0], row_runs[main][2]
    while True:
        band = row_runs[hi][1] - row_runs[lo][0]
        reach = max(0.2 * band, 2.0)

        def joins(i, gap):
            return gap <= reach or (row_runs[i][2] * 2 >= main_mass and gap <= max(main_h, 2.0))

        up = lo - 1 if lo > 0 and joins(lo - 1, row_runs[lo][0] - row_runs[lo - 1][1]) else None
        down = (
            hi + 1
            if hi + 1 < len(row_runs) and joins(hi + 1, row_runs[hi + 1][0] - row_runs[hi][1])
            else None
        )
        if up is not None:
            lo = up
        elif down is not None:
            hi = down
        else:
            break
    y0, y1 = row_runs[lo][0], row_runs[hi][1]
    col_runs = runs(on[y0:y1].sum(axis=0))
    band = y1 - y0

    def sliver(r, gap):
        return (r[1] - r[0]) < 0.5 * band and gap >= 0.3 * band

    while len(col_runs) > 1:
        first = col_runs[0]
        if first[0] == 0 and sliver(first, col_runs[1][0] - first[1]):
            col_runs.pop(0)
        else:
            break
    while len(col_runs) > 1:
        last = col_runs[-1]
        if last[1] == w and sliver(last, last[0] - col_runs[-2][1]):
            col_runs.pop()
        else:
            break
    if not col_runs:
        return None
    return col_runs[0][0], y0, col_runs[-1][1], y1


def find_ink(g):
    """ink.rs `find`: white-on-black values and the ink box (or None)."""
    h, w = g.shape
    bins = 64
    b = np.floor(np.clip(g, 0.0, 1.0) * (bins - 1) + 0.5).astype(np.int64)
    s = otsu_split(np.bincount(b.ravel(), minlength=bins))
    if s is None:
        return np.zeros_like(g), None
    dark = b <= s
    weight = np.ones((h, w), dtype=np.int64)
    weight[0, :] = weight[-1, :] = weight[:, 0] = weight[:, -1] = 3
    n_dark, n_light = int(weight[dark].sum()), int(weight[~dark].sum())
    ink_is_dark = n_light >= n_dark
    ink_sel = dark == ink_is_dark
    ink_level, paper = upper_median(g[ink_sel]), upper_median(g[~ink_sel])
    if abs(ink_level - paper) < MIN_CONTRAST:
        return np.zeros_like(g), None
    data = np.clip((g - paper) * (1.0 / (ink_level - paper)), 0.0, 1.0).astype(np.float32)
    return data, ink_box(data)


def axis_weights(start, step, n_out, n_src):
    """Rows of averaged bilinear weights along one axis (ink.rs `resample`):
    output i averages k samples at start + (i + (j + 0.5) / k) * step - 0.5;
    outside the source is background (weight dropped)."""
    k = max(math.ceil(step), 1)
    m = np.zeros((n_out, n_src), dtype=np.float64)
    for i in range(n_out):
        for j in range(k):
            f = start + (i + (j + 0.5) / k) * step - 0.5
            fl = math.floor(f)
            t = f - fl
            for idx, wgt in ((fl, 1.0 - t), (fl + 1, t)):
                if 0 <= idx < n_src:
                    m[i, idx] += wgt / k
    return m


def prepare(g):
    """data.rs `prepare` without jitter: the window around the ink at HEIGHT."""
    data, ink = find_ink(g)
    if ink is None:
        return np.zeros((HEIGHT, FACTOR), dtype=np.float32)
    x0, y0, x1, y1 = ink
    m = MARGIN * (y1 - y0)
    wx0, wy0, wx1, wy1 = x0 - m, y0 - m, x1 + m, y1 + m
    ww, wh = wx1 - wx0, wy1 - wy0
    nw = min(max(rround(ww * HEIGHT / wh), FACTOR), max(MAX_WIDTH, FACTOR))
    h, w = data.shape
    wy = axis_weights(wy0, wh / HEIGHT, HEIGHT, h)
    wx = axis_weights(wx0, ww / nw, nw, w)
    return (wy @ data.astype(np.float64) @ wx.T).astype(np.float32)


def min_input_length(labels):
    return len(labels) + sum(1 for a, b in zip(labels, labels[1:]) if a == b)


def make_batch(items, need):
    """data.rs `batch`: right-pad to the widest, with each word's steps."""
    lengths = [max(-(-p.shape[1] // FACTOR), n, 1) for p, n in zip(items, need)]
    width = max(lengths) * FACTOR
    x = np.zeros((len(items), 1, HEIGHT, width), dtype=np.float32)
    for i, p in enumerate(items):
        x[i, 0, :, : p.shape[1]] = p
    return torch.from_numpy(x), lengths


# --------------------------------------------------------------- the model


class Crnn(nn.Module):
    def __init__(self, classes, channels=(16, 32, 64), hidden=64, layers=2, pack=True):
        super().__init__()
        self.pack = pack
        self.blocks = nn.ModuleList()
        c_in = 1
        for i, c in enumerate(channels):
            pool = (2, 2) if i < 2 else (2, 1)
            conv = nn.Conv2d(c_in, c, 3, padding=1)
            nn.init.kaiming_normal_(conv.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(conv.bias)
            self.blocks.append(nn.ModuleList([conv, nn.BatchNorm2d(c), nn.MaxPool2d(pool, pool)]))
            c_in = c
        self.factor = 4
        feat = c_in * (HEIGHT >> len(channels))
        self.rnn = nn.LSTM(feat, hidden, num_layers=layers, bidirectional=True)
        for name, p in self.rnn.named_parameters():
            if name.startswith("weight_ih"):
                fan_in = p.shape[1]
                a = math.sqrt(6.0 / (fan_in + hidden))
                nn.init.uniform_(p, -a, a)
            elif name.startswith("weight_hh"):
                a = math.sqrt(6.0 / (hidden + hidden))
                nn.init.uniform_(p, -a, a)
            elif name.startswith("bias_ih"):
                nn.init.zeros_(p)
                with torch.no_grad():
                    p[hidden : 2 * hidden] = 1.0
            else:
                nn.init.zeros_(p)
        self.out = nn.Linear(2 * hidden, classes)
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, lengths):
        steps = x.shape[3] // self.factor
        ragged = any(n != steps for n in lengths)
        if ragged:
            cols = torch.arange(steps)
            keep = (cols[None, :] < torch.tensor(lengths)[:, None]).float()  # (B, steps)
        y = x
        for conv, bn, pool in self.blocks:
            y = pool(F.relu(bn(conv(y))))
            if ragged:
                per_step = y.shape[3] // steps
                mask = keep.repeat_interleave(per_step, dim=1)
                y = y * mask[:, None, None, :]
        b, c, fh, t = y.shape
        seq = y.permute(3, 0, 1, 2).reshape(t, b, c * fh)
        if self.pack:
            packed = nn.utils.rnn.pack_padded_sequence(
                seq, torch.tensor(lengths), enforce_sorted=False
            )
            seq, _ = nn.utils.rnn.pad_packed_sequence(self.rnn(packed)[0], total_length=t)
        else:
            seq = self.rnn(seq)[0]
        return F.log_softmax(self.out(seq), dim=2)


def ctc(lp, labels, lengths):
    """The plugin's loss: per-word -log p(text), mean over the batch."""
    targets = torch.tensor([l for ls in labels for l in ls], dtype=torch.long)
    tl = torch.tensor([len(ls) for ls in labels], dtype=torch.long)
    il = torch.tensor(lengths, dtype=torch.long)
    return F.ctc_loss(lp, targets, il, tl, blank=0, reduction="sum") / lp.shape[1]


def greedy(lp, lengths):
    best = lp.argmax(dim=2).T.tolist()  # (B, T)
    out = []
    for row, n in zip(best, lengths):
        labels, prev = [], 0
        for k in row[:n]:
            if k != prev and k != 0:
                labels.append(k)
            prev = k
        out.append(labels)
    return out


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def evaluate(model, items, labels, texts, chars, batch=32):
    model.eval()
    loss, errs, nchars, right = 0.0, 0, 0, 0
    with torch.no_grad():
        for s in range(0, len(items), batch):
            lab = labels[s : s + batch]
            x, lengths = make_batch(items[s : s + batch], [min_input_length(l) for l in lab])
            lp = model(x, lengths)
            loss += ctc(lp, lab, lengths).item() * len(lab)
            for d, ref in zip(greedy(lp, lengths), texts[s : s + batch]):
                text = "".join(chars[k - 1] for k in d)
                errs += levenshtein(text, ref)
                nchars += len(ref)
                right += text == ref
    model.train()
    n = max(len(items), 1)
    return loss / n, errs / max(nchars, 1), right / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True, help="word directory with labels.csv")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val", type=float, default=0.1, help="fraction of the training words (dataset `val`)")
    ap.add_argument("--test", type=float, default=0.2, help="fraction of the words (dataset `test`)")
    ap.add_argument("--no-pack", action="store_true", help="run the LSTMs over the padding too")
    ap.add_argument("--json", help="write every number to this file")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t_load = time.perf_counter()
    images, texts = load_words(args.dir)
    tr, va, te = split(len(images), args.val, args.test)
    chars = sorted(set("".join(texts[i] for i in [*tr, *va])))
    index = {c: i + 1 for i, c in enumerate(chars)}
    load_seconds = time.perf_counter() - t_load

    t_prep = time.perf_counter()
    items = [prepare(g) for g in images]
    prepare_seconds = time.perf_counter() - t_prep
    tr_items = [items[i] for i in tr]
    tr_labels = [[index[c] for c in texts[i]] for i in tr]
    va_items = [items[i] for i in va]
    va_labels = [[index[c] for c in texts[i]] for i in va]
    va_texts = [texts[i] for i in va]
    need = [min_input_length(l) for l in tr_labels]

    model = Crnn(len(chars) + 1, pack=not args.no_pack)
    # Built before the clock starts, as in autoencoders.py: torch's first
    # optimizer construction takes ~2 s of one-time library set-up.
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(args.seed)
    n = len(tr_items)
    step_seconds, val_seconds, padded_cols, real_cols, best = 0.0, 0.0, 0, 0, None
    ckdir = tempfile.mkdtemp(prefix="crnn-ck-")
    history = []
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(n, generator=gen).tolist()
        total, seen = 0.0, 0
        for s in range(0, n, args.batch):
            idx = perm[s : s + args.batch]
            t = time.perf_counter()
            x, lengths = make_batch([tr_items[i] for i in idx], [need[i] for i in idx])
            opt.zero_grad(set_to_none=True)
            loss = ctc(model(x, lengths), [tr_labels[i] for i in idx], lengths)
            loss.backward()
            opt.step()
            step_seconds += time.perf_counter() - t
            total += loss.item() * len(idx)
            seen += len(idx)
            padded_cols += x.shape[0] * x.shape[3]
            real_cols += sum(tr_items[i].shape[1] for i in idx)
        t_val = time.perf_counter()
        vloss, vcer, vacc = evaluate(model, va_items, va_labels, va_texts, chars)
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch}
        if best is None or vcer < best:
            best = vcer
            torch.save(state, os.path.join(ckdir, "best.pt"))
        torch.save(state, os.path.join(ckdir, f"epoch-{epoch:04}.pt"))
        val_seconds += time.perf_counter() - t_val
        history.append({"epoch": epoch, "train_loss": total / max(seen, 1), "val_loss": vloss, "val_cer": vcer, "val_word_accuracy": vacc})
        print(
            f"epoch {epoch}: train loss {total / max(seen, 1):.4f}, val loss {vloss:.4f}, "
            f"val cer {vcer:.4f}, val word accuracy {vacc:.4f}",
            flush=True,
        )
    fit_seconds = time.perf_counter() - t0
    # As the workbench scores the test split after the fit (not timed): by
    # width, 64 at a time, greedy decoding.
    te_items = [items[i] for i in te]
    order = sorted(range(len(te_items)), key=lambda i: te_items[i].shape[1])
    errs, nchars = 0, 0
    model.eval()
    with torch.no_grad():
        for s in range(0, len(order), 64):
            chunk = order[s : s + 64]
            x, lengths = make_batch([te_items[i] for i in chunk], [1] * len(chunk))
            for i, d in zip(chunk, greedy(model(x, lengths), lengths)):
                ref = texts[te[i]]
                errs += levenshtein("".join(chars[k - 1] for k in d), ref)
                nchars += len(ref)
    test_cer = errs / max(nchars, 1)
    for f in os.listdir(ckdir):
        os.remove(os.path.join(ckdir, f))
    os.rmdir(ckdir)

    seen = n * args.epochs
    params = sum(p.numel() for p in model.parameters())
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads: crnn, "
        f"{n} training words ({len(va_items)} validation, {len(te)} test, {len(chars)} characters) "
        f"x {args.epochs} epochs, batch {args.batch}, {params} parameters, "
        f"{'packed' if not args.no_pack else 'unpacked'} LSTMs"
    )
    print(f"load {load_seconds:.1f} s, prepare {prepare_seconds:.1f} s (not timed)")
    print(f"padding: {padded_cols / max(real_cols, 1):.3f} batch columns per word column")
    print(f"fit {fit_seconds:.1f} s: {seen / fit_seconds:.1f} words/s (with validation)")
    print(f"steps {step_seconds:.1f} s: {seen / step_seconds:.1f} words/s (training steps only)")
    print(f"validation and checkpoints {val_seconds:.1f} s")
    print(f"test cer {test_cer:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "model": "crnn",
                    "torch": torch.__version__,
                    "threads": torch.get_num_threads(),
                    "train": n,
                    "val": len(va_items),
                    "test": len(te),
                    "classes": len(chars) + 1,
                    "epochs": args.epochs,
                    "batch": args.batch,
                    "parameters": params,
                    "packed": not args.no_pack,
                    "load_seconds": load_seconds,
                    "prepare_seconds": prepare_seconds,
                    "fit_seconds": fit_seconds,
                    "step_seconds": step_seconds,
                    "val_seconds": val_seconds,
                    "per_sec": seen / fit_seconds,
                    "steps_per_sec": seen / step_seconds,
                    "padding": padded_cols / max(real_cols, 1),
                    "history": history,
                    "test_cer": test_cer,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
