#!/usr/bin/env python3
"""PyTorch CPU reference for the autoencoder throughput in BENCHMARKS.md.

The same architectures as plugins/autoencoders (see model.rs and config.rs),
the same data split as `experiments/autoencoders-mnist.yaml` (MNIST sample:
the first 7,500 of the 8,000 training images minus class 0 for training, the
last 500 minus class 0 for validation), batch 64, Adam (lr 1e-3, betas
0.9/0.999, eps 1e-8), the plugin's losses, and the workbench's definition of
samples/s: training images × epochs / seconds of the whole fit, per-epoch
validation included (the workbench's `train_seconds` covers the plugin's
`fit`, which validates after every epoch). The training-steps-only rate is
printed too.

    python3 benches/pytorch/autoencoders.py --variant undercomplete --epochs 10
    python3 benches/pytorch/autoencoders.py --variant convolutional --size light --epochs 1
    python3 benches/pytorch/autoencoders.py --variant convolutional --size full --epochs 1

Options: --dir (the four IDX files, default /work/shared/data/mnist),
--threads (default 2), --seed, --test (also print test MSE), --val
(validation images from the end of the training file, 500), --train (use
at most the first N of the other training images, as the dataset's `train`
limit; before class 0 is left out), --json FILE (every number, for
benches/compare.py).
"""

import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, path
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(dir_, stem):
    for name in (stem, stem + ".gz"):
        p = os.path.join(dir_, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(dir_, stem))


def load(dir_, val=500, held_out=0, train=None):
    x = read_idx(find(dir_, "train-images-idx3-ubyte")).astype(np.float32) / 255.0
    y = read_idx(find(dir_, "train-labels-idx1-ubyte"))
    xt = read_idx(find(dir_, "t10k-images-idx3-ubyte")).astype(np.float32) / 255.0
    x_tr, y_tr = x[: len(x) - val], y[: len(y) - val]
    if train is not None:
        x_tr, y_tr = x_tr[:train], y_tr[:train]
    x_va, y_va = x[len(x) - val :], y[len(y) - val :]
    x_tr, x_va = x_tr[y_tr != held_out], x_va[y_va != held_out]
    f = lambda a: torch.from_numpy(a.reshape(len(a), -1).copy())
    return f(x_tr), f(x_va), f(xt)


class Undercomplete(nn.Module):
    """784-500-300-code-300-500-784, ReLU (code too), sigmoid output, MSE."""

    def __init__(self, d=784, hidden=(500, 300), code=49):
        super().__init__()
        enc, dec, sizes = [], [], [d, *hidden, code]
        for a, b in zip(sizes, sizes[1:]):
            enc += [nn.Linear(a, b), nn.ReLU()]
        rev = sizes[::-1]
        for a, b in zip(rev[:-2], rev[1:-1]):
            dec += [nn.Linear(a, b), nn.ReLU()]
        dec += [nn.Linear(rev[-2], rev[-1])]
        self.enc, self.dec = nn.Sequential(*enc), nn.Sequential(*dec)

    def forward(self, x):
        return torch.sigmoid(self.dec(self.enc(x)))

    def loss(self, x):
        return ((self(x) - x) ** 2).mean()


class Convolutional(nn.Module):
    """The plugin's ConvNet: conv3x3 a → conv3x3 b → BN → ReLU → pool →
    conv3x3 e → BN → ReLU → pool → conv3x3 1 (7×7 code) → dropout → dense
    49, 49 (ReLU) → dense 784 ReLU → conv3x3 f ReLU → conv3x3 1 → sigmoid;
    RMSE loss. full: a, b, e, f = 64, 128, 256, 64; light: 16, 32, 32, 16."""

    def __init__(self, size="full", h=28, w=28, dropout=0.2):
        super().__init__()
        a, b, e, f = (64, 128, 256, 64) if size == "full" else (16, 32, 32, 16)
        code = (h // 4) * (w // 4)
        self.h, self.w = h, w
        conv = lambda i, o: nn.Conv2d(i, o, 3, padding=1)
        self.enc = nn.Sequential(
            conv(1, a), conv(a, b), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2),
            conv(b, e), nn.BatchNorm2d(e), nn.ReLU(), nn.MaxPool2d(2),
            conv(e, 1),
        )
        self.dense = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(code, code), nn.ReLU(),
            nn.Linear(code, code), nn.ReLU(),
            nn.Linear(code, h * w), nn.ReLU(),
        )
        self.dec = nn.Sequential(conv(1, f), nn.ReLU(), conv(f, 1))

    def forward(self, x):
        n = x.shape[0]
        z = self.enc(x.view(n, 1, self.h, self.w)).view(n, -1)
        y = self.dense(z).view(n, 1, self.h, self.w)
        return torch.sigmoid(self.dec(y)).view(n, -1)

    def loss(self, x):
        return (((self(x) - x) ** 2).mean() + 1e-12).sqrt()


def evaluate(model, x, batch=256):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = x[i : i + batch]
            total += ((model(xb) - xb) ** 2).mean().item() * len(xb)
    model.train()
    return total / max(len(x), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", choices=["undercomplete", "convolutional"], required=True)
    ap.add_argument("--size", choices=["light", "full"], default="full")
    ap.add_argument("--code-size", type=int, default=49)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dir", default="/work/shared/data/mnist")
    ap.add_argument("--test", action="store_true", help="print the test MSE at the end")
    ap.add_argument("--val", type=int, default=500, help="validation images (end of the training file)")
    ap.add_argument("--train", type=int, help="use at most this many training images")
    ap.add_argument("--json", help="write every number to this file")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_tr, x_va, x_te = load(args.dir, val=args.val, train=args.train)
    if args.variant == "undercomplete":
        model = Undercomplete(code=args.code_size)
    else:
        model = Convolutional(args.size)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    n = len(x_tr)
    gen = torch.Generator().manual_seed(args.seed)
    step_seconds = 0.0
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, args.batch):
            xb = x_tr[perm[i : i + args.batch]]
            t = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = model.loss(xb)
            loss.backward()
            opt.step()
            step_seconds += time.perf_counter() - t
        val = evaluate(model, x_va)
        print(f"epoch {epoch + 1}: loss {loss.item():.5f}, val mse {val:.5f}", flush=True)
    fit_seconds = time.perf_counter() - t0
    seen = n * args.epochs
    name = args.variant + (f" ({args.size})" if args.variant == "convolutional" else "")
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads: {name}, "
        f"{n} training images × {args.epochs} epochs, batch {args.batch}"
    )
    print(f"fit {fit_seconds:.1f} s: {seen / fit_seconds:.1f} samples/s (with validation)")
    print(f"steps {step_seconds:.1f} s: {seen / step_seconds:.1f} samples/s (training steps only)")
    test_mse = None
    if args.test:
        test_mse = evaluate(model, x_te)
        print(f"test mse {test_mse:.5f}")
    if args.json:
        import json

        with open(args.json, "w") as f:
            json.dump(
                {
                    "model": name,
                    "torch": torch.__version__,
                    "threads": torch.get_num_threads(),
                    "train": n,
                    "val": len(x_va),
                    "epochs": args.epochs,
                    "batch": args.batch,
                    "parameters": sum(p.numel() for p in model.parameters()),
                    "fit_seconds": fit_seconds,
                    "step_seconds": step_seconds,
                    "per_sec": seen / fit_seconds,
                    "steps_per_sec": seen / step_seconds,
                    "val_mse": val,
                    "test_mse": test_mse,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
