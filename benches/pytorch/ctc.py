"""PyTorch's CPU ctc_loss on the sizes of `core/ml/benches/ctc.rs`.

T = 32, L = 10, batch 64, 80 classes (blank 0), every sample full length,
2 threads. Two measurements, matching the two criterion benchmarks:

- ctc_only:  log-probabilities (a leaf) -> ctc_loss (sum) -> backward
  (ours: `ctc_host`, the forward-backward giving losses and occupancy)
- step:      logits -> log_softmax -> ctc_loss (sum) -> backward, gradient
  w.r.t. the logits (ours: `ctc_loss_dfdx`)

    python3 benches/pytorch/ctc.py
"""

import torch
import torch.nn.functional as F
import torch.utils.benchmark as benchmark

T, L, B, C = 32, 10, 64, 80
torch.set_num_threads(2)
torch.manual_seed(0)
logits = torch.randn(T, B, C)
targets = torch.randint(1, C, (B, L))
in_lens = torch.full((B,), T, dtype=torch.long)
tg_lens = torch.full((B,), L, dtype=torch.long)
log_probs = F.log_softmax(logits, dim=-1).detach()


def ctc_only():
    lp = log_probs.clone().requires_grad_()
    F.ctc_loss(lp, targets, in_lens, tg_lens, blank=0, reduction="sum").backward()


def step():
    x = logits.clone().requires_grad_()
    lp = F.log_softmax(x, dim=-1)
    F.ctc_loss(lp, targets, in_lens, tg_lens, blank=0, reduction="sum").backward()


for name, fn in [("ctc_only", ctc_only), ("step", step)]:
    t = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=2)
    m = t.blocked_autorange(min_run_time=5.0)
    print(f"torch {torch.__version__} {name} T{T} L{L} B{B} C{C}: "
          f"median {m.median * 1e3:.3f} ms (IQR {m.iqr * 1e3:.3f} ms, {len(m.times)} blocks)")
