#!/usr/bin/env python3
"""Overhead of the slurm executor against the local one, on one machine.

Runs `workbench run experiments/quickstart.yaml --headless` (3 PCA runs)
alternately with `--executor local` and `--executor slurm` (a one-node
cluster, `.ci/slurm-up.sh`), ROUNDS rounds, and records for each: seconds
from the command's start to the first metric any run appends to its
metrics.csv, and to the command's end; the load average before and after.
Prints every round and the medians.

    python3 benches/slurm-overhead.py [WORKBENCH_BIN] [ROUNDS]
"""
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WB = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/workbench")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def first_metric(results):
    for path in glob.glob(os.path.join(results, "quickstart", "*", "metrics.csv")):
        try:
            with open(path) as f:
                if sum(1 for _ in f) >= 2:
                    return True
        except OSError:
            pass
    return False


def one(executor):
    results = tempfile.mkdtemp(prefix=f"wb-{executor}-")
    load_before = os.getloadavg()[0]
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [WB, "run", "experiments/quickstart.yaml", "--headless", "--executor", executor,
         "--results", results],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_first = None
    while proc.poll() is None:
        if t_first is None and first_metric(results):
            t_first = time.monotonic() - t0
        time.sleep(0.01)
    total = time.monotonic() - t0
    if t_first is None and first_metric(results):
        t_first = total
    if proc.returncode != 0:
        sys.exit(f"{executor}: workbench exited {proc.returncode}")
    return t_first, total, load_before, os.getloadavg()[0]


def main():
    rows = {"local": [], "slurm": []}
    print("executor round first_metric_s total_s load_before load_after")
    for r in range(ROUNDS):
        for executor in ("local", "slurm"):
            first, total, lb, la = one(executor)
            rows[executor].append((first, total))
            print(f"{executor:8} {r + 1:5} {first:14.2f} {total:7.2f} {lb:11.2f} {la:10.2f}")
    print()
    for executor, vals in rows.items():
        print(f"median {executor}: first metric {statistics.median(v[0] for v in vals):.2f} s, "
              f"whole experiment (3 runs) {statistics.median(v[1] for v in vals):.2f} s")
    d_first = statistics.median(v[0] for v in rows["slurm"]) - statistics.median(v[0] for v in rows["local"])
    d_total = statistics.median(v[1] for v in rows["slurm"]) - statistics.median(v[1] for v in rows["local"])
    print(f"slurm overhead: +{d_first:.2f} s to the first metric, +{d_total:.2f} s for the experiment")


if __name__ == "__main__":
    main()
