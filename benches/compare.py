#!/usr/bin/env python3
"""Paired training-throughput benchmark: the workbench (dfdx, CPU) against
PyTorch (CPU) on the same four models, run alternately (issue 15).

    python3 benches/compare.py                      # 3 rounds, all four models
    python3 benches/compare.py --rounds 5 --models crnn,conv-light
    python3 benches/compare.py --quick --rounds 1   # smoke check, a few minutes

Run it on a quiet machine (nothing else busy: the load averages it records
before and after every measurement say whether it was) from the repository
root, after `cargo build --release`. It is not part of CI: it installs
PyTorch, takes about 17 minutes for three rounds on 2 idle cores (about
5.5 minutes a round, two thirds of it ours; plus, the first time, the
PyTorch install and about 30 s to cut the word crops), and its numbers only
mean something on a quiet machine.

What it runs, per round, for each model, ours first and then PyTorch's
(A B A B ...), each as its own process, one at a time:

| model | ours | PyTorch |
|---|---|---|
| `undercomplete` | `workbench run benches/specs/undercomplete.yaml` | `benches/pytorch/autoencoders.py --variant undercomplete --code-size 49 --epochs 10` |
| `conv-light` | `workbench run benches/specs/conv-light.yaml` | `... --variant convolutional --size light --epochs 1` |
| `conv-full` | `workbench run benches/specs/conv-full.yaml` | `... --variant convolutional --size full --epochs 1` |
| `crnn` | `workbench run benches/specs/crnn.yaml` | `benches/pytorch/crnn.py --epochs 3` |

The autoencoders train on the MNIST sample (`--mnist`, default
`../shared/data/mnist` beside the repository): validation the last 500
training images, class 0 held out of both, batch 64, Adam lr 1e-3, seed 0.
The CRNN trains on the first 1,805 word crops (`--words`) of
R-intro.pdf's corpus pages (experiments/corpus/manifest.tsv, a training
document), height 32, test the last 20 %, validation the last 10 % of the
rest, batch 32, Adam lr 1e-3, 3 epochs, seed 0, crop jitter off. Both
sides use the same split and the same layers; benches/pytorch/*.py say
how each mirrors the plugin and where they differ.

Measured, each the same way on both sides:
- throughput: training samples (words) x epochs / seconds of the whole
  fit, per-epoch validation and checkpoints included: ours is the run's
  `samples_per_sec` from its summary.json (training images x epochs /
  `train_seconds`, the plugin's `fit`), PyTorch's the scripts' `per_sec`;
  data loading before the fit and test scoring after it are outside both;
- peak memory: `ru_maxrss` of the process tree (the largest single process
  in it, not a sum), from the rusage `os.wait4` returns for the child, which
  is what `resource.getrusage(RUSAGE_CHILDREN)` reports in a process that
  ran only that child. Ours: the `workbench run` parent and its worker
  process, whose peak it is; the worker also scores the test split after
  the fit. PyTorch: the Python process, the torch libraries included (and
  the test scoring, which both scripts do after the fit);
- the 1-, 5- and 15-minute load averages right before and after.

Threads: 2 on each side (`--threads`): RAYON_NUM_THREADS for ours (rayon's
pool runs dfdx's matrix products, the conv op and the optimizer),
`torch.set_num_threads` and OMP_NUM_THREADS for PyTorch.

Prints a Markdown table (medians, ours / PyTorch, every round's values,
peak RSS, load averages) and a table of every measurement, and writes
every raw number as JSON (`--out`).

PyTorch comes from a virtual environment outside the repository:
$BENCH_VENV, default `../venvs/torch` beside the repository; created and
filled (`pip install torch numpy pillow`) when missing. Extra pip
arguments go in $BENCH_PIP_ARGS, e.g. an index URL for PyTorch's smaller
CPU-only wheels (the default wheel is the CUDA build, whose libraries make
the PyTorch process larger; the harness measures and prints that baseline). The word crops are made once with `workbench data pdf`
into $BENCH_DATA (`--data`), default `../bench-data` beside the
repository.
"""

import argparse
import datetime
import glob
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BESIDE = os.path.dirname(REPO)
SPECS = os.path.join(REPO, "benches", "specs")
PYTORCH = os.path.join(REPO, "benches", "pytorch")

# Per model: the spec, the PyTorch script and its arguments, the epochs,
# and the --quick reductions (ours' `--set`s and PyTorch's arguments).
MODELS = {
    "undercomplete": {
        "label": "undercomplete 784-500-300-49",
        "data": "mnist",
        "unit": "samples/s",
        "spec": "undercomplete.yaml",
        "torch": ["autoencoders.py", "--variant", "undercomplete", "--code-size", "49"],
        "epochs": 10,
        "quick": {"epochs": 1, "train": 1000, "val": 100, "test": 200},
    },
    "conv-light": {
        "label": "convolutional `light`",
        "data": "mnist",
        "unit": "samples/s",
        "spec": "conv-light.yaml",
        "torch": ["autoencoders.py", "--variant", "convolutional", "--size", "light"],
        "epochs": 1,
        "quick": {"epochs": 1, "train": 500, "val": 100, "test": 200},
    },
    "conv-full": {
        "label": "convolutional `full` (418k parameters)",
        "data": "mnist",
        "unit": "samples/s",
        "spec": "conv-full.yaml",
        "torch": ["autoencoders.py", "--variant", "convolutional", "--size", "full"],
        "epochs": 1,
        "quick": {"epochs": 1, "train": 128, "val": 64, "test": 200},
    },
    "crnn": {
        "label": "`crnn` (default sizes), real word crops",
        "data": "words",
        "unit": "words/s",
        "spec": "crnn.yaml",
        "torch": ["crnn.py"],
        "epochs": 3,
        "quick": {"epochs": 1, "words": 300},
    },
}

WORDS_DOC = "r-intro"  # the manifest row whose pages give the word crops


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def fmt(v, digits=None):
    if v is None:
        return "—"
    if digits is None:
        digits = 0 if v >= 1000 else 1 if v >= 10 else 2
    return f"{v:,.{digits}f}"


# ------------------------------------------------------------ preparation


def torch_python(venv):
    """The venv's python with torch, numpy and pillow, installing them if needed."""
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        log(f"creating the PyTorch virtual environment {venv}")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    check = [py, "-c", "import torch, numpy, PIL; print(torch.__version__)"]
    r = subprocess.run(check, capture_output=True, text=True)
    if r.returncode != 0:
        extra = shlex.split(os.environ.get("BENCH_PIP_ARGS", ""))
        cmd = [py, "-m", "pip", "install", *extra, "torch", "numpy", "pillow"]
        log(f"installing PyTorch into {venv}: {shlex.join(cmd)}")
        subprocess.run(cmd, check=True)
        r = subprocess.run(check, capture_output=True, text=True, check=True)
    version = r.stdout.strip()
    log(f"PyTorch {version} from the virtual environment {venv}")
    return py, version


def manifest_row(doc):
    path = os.path.join(REPO, "experiments", "corpus", "manifest.tsv")
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            if row.get("id") == doc:
                return row
    raise SystemExit(f"{path} has no row `{doc}`")


def words_dir(workbench, cache, n):
    """The first `n` word crops of the manifest document, made once."""
    out = os.path.join(cache, f"{WORDS_DOC}-words-{n}")
    if os.path.exists(os.path.join(out, "labels.csv")):
        return out
    row = manifest_row(WORDS_DOC)
    pages = os.path.join(cache, f"{WORDS_DOC}-pages")
    labels = os.path.join(pages, "words", "labels.csv")
    if not os.path.exists(labels):
        cmd = [workbench, "data", "pdf", row["file"], "--out", pages, "--pages", row["pages"], "--words"]
        log(f"making the word crops once: {shlex.join(cmd)}")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(labels, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header, rows = lines[0], lines[1:]
    if len(rows) < n:
        raise SystemExit(f"{labels} has {len(rows)} words, fewer than --words {n}")
    tmp = out + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    import csv
    import io

    for name, _ in csv.reader(io.StringIO("\n".join(rows[:n]))):
        shutil.copy(os.path.join(pages, "words", name), tmp)
    with open(os.path.join(tmp, "labels.csv"), "w", encoding="utf-8") as f:
        f.write("\n".join([header, *rows[:n]]) + "\n")
    os.rename(tmp, out)
    log(f"{n} word crops in {out}")
    return out


# ------------------------------------------------------------ measurement


def measure(cmd, env, log_path):
    """Runs `cmd` to its end; wall time, rusage and load averages."""
    before = os.getloadavg()
    t0 = time.perf_counter()
    with open(log_path, "w") as out:
        out.write(f"$ {shlex.join(cmd)}\n")
        out.flush()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    after = os.getloadavg()
    return {
        "command": cmd,
        "returncode": p.returncode,
        "wall_seconds": wall,
        "user_seconds": ru.ru_utime,
        "system_seconds": ru.ru_stime,
        "peak_rss_mib": ru.ru_maxrss / 1024.0,  # Linux: KiB
        "load_before": list(before),
        "load_after": list(after),
        "log": log_path,
    }


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def run_ours(name, m, args, data, work, tag, env):
    spec = os.path.join(SPECS, m["spec"])
    results = os.path.join(work, f"results-{tag}")
    q = m["quick"] if args.quick else {}
    epochs = q.get("epochs", m["epochs"])
    sets = [f"dataset.params.dir={data}", f"train.epochs={epochs}"]
    for key in ("train", "val", "test"):
        if m["data"] == "mnist" and key in q:
            sets.append(f"dataset.params.{key}={q[key]}")
    cmd = [args.workbench, "run", spec, "--headless", "--results", results]
    for s in sets:
        cmd += ["--set", s]
    r = measure(cmd, env, os.path.join(work, f"{tag}.log"))
    summaries = glob.glob(os.path.join(results, "*", "*", "summary.json"))
    if r["returncode"] == 0 and len(summaries) == 1:
        with open(summaries[0]) as f:
            s = json.load(f)
        mt = s.get("metrics", {})
        if s.get("status") == "done" and "samples_per_sec" in mt:
            r["per_sec"] = mt["samples_per_sec"]
            r["fit_seconds"] = mt["train_seconds"]
            r["train"] = round(mt["samples_per_sec"] * mt["train_seconds"] / epochs)
            r["epochs"] = epochs
            r["parameters"] = mt.get("parameters")
            r["metrics"] = mt
            r["run_dir"] = os.path.dirname(summaries[0])
    if "per_sec" not in r:
        r["error"] = f"exit {r['returncode']}; last lines of {r['log']}:\n{tail(r['log'])}"
    if not args.keep:
        shutil.rmtree(results, ignore_errors=True)
    return r


def run_torch(name, m, args, py, data, work, tag, env):
    q = m["quick"] if args.quick else {}
    out = os.path.join(work, f"{tag}.json")
    cmd = [py, os.path.join(PYTORCH, m["torch"][0]), *m["torch"][1:]]
    cmd += ["--dir", data, "--epochs", str(q.get("epochs", m["epochs"]))]
    cmd += ["--threads", str(args.threads), "--json", out]
    if m["data"] == "mnist":
        if "train" in q:
            cmd += ["--train", str(q["train"]), "--val", str(q["val"])]
        else:
            cmd += ["--test"]  # ours scores the test split after the fit too
    r = measure(cmd, env, os.path.join(work, f"{tag}.log"))
    if r["returncode"] == 0 and os.path.exists(out):
        with open(out) as f:
            j = json.load(f)
        r.update(
            per_sec=j["per_sec"],
            fit_seconds=j["fit_seconds"],
            train=j["train"],
            epochs=j["epochs"],
            parameters=j.get("parameters"),
            details=j,
        )
    else:
        r["error"] = f"exit {r['returncode']}; last lines of {r['log']}:\n{tail(r['log'])}"
    return r


# ------------------------------------------------------------------ report


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def load_pair(r):
    if r is None:
        return "—"
    return f"{r['load_before'][0]:.2f}→{r['load_after'][0]:.2f}"


def report(results, names, rounds):
    lines = [
        "| model | unit | ours (median) | PyTorch (median) | ours / PyTorch | paired ratio (median of rounds) "
        "| ours, each round | PyTorch, each round | peak RSS ours / PyTorch (MiB, median) "
        "| load (1 min) before→after, ours; PyTorch, each round |",
        "|---|---|---:|---:|---:|---:|---|---|---:|---|",
    ]
    summary = {}
    for name in names:
        m = MODELS[name]
        ours = [results[name]["ours"][i] for i in range(rounds)]
        torch_ = [results[name]["torch"][i] for i in range(rounds)]
        ov = [r.get("per_sec") for r in ours]
        tv = [r.get("per_sec") for r in torch_]
        om, tm = median(ov), median(tv)
        ratio = om / tm if om and tm else None
        paired = median([o / t if o and t else None for o, t in zip(ov, tv)])
        orss, trss = median([r["peak_rss_mib"] for r in ours]), median([r["peak_rss_mib"] for r in torch_])
        epochs = next((r["epochs"] for r in ours + torch_ if "epochs" in r), None)
        label = f"{m['label']}, {epochs} epoch{'s' if epochs != 1 else ''}"
        each = lambda vs: "; ".join(fmt(v) if v is not None else "failed" for v in vs)
        loads = " · ".join(f"{load_pair(o)}; {load_pair(t)}" for o, t in zip(ours, torch_))
        lines.append(
            f"| {label} | {m['unit']} | {fmt(om)} | {fmt(tm)} | {fmt(ratio, 2) + '×' if ratio else '—'} "
            f"| {fmt(paired, 2) + '×' if paired else '—'} | {each(ov)} | {each(tv)} "
            f"| {fmt(orss, 0)} / {fmt(trss, 0)} | {loads} |"
        )
        summary[name] = {
            "label": label,
            "unit": m["unit"],
            "ours_median": om,
            "torch_median": tm,
            "ratio": ratio,
            "paired_ratio": paired,
            "ours_peak_rss_mib": orss,
            "torch_peak_rss_mib": trss,
        }
    detail = [
        "| round | model | side | throughput | samples × epochs | fit s | wall s | CPU s (user+sys) | peak RSS MiB | load 1/5/15 before | load 1/5/15 after |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for i in range(rounds):
        for name in names:
            for side, key in (("ours", "ours"), ("PyTorch", "torch")):
                r = results[name][key][i]
                lb = "/".join(f"{x:.2f}" for x in r["load_before"])
                la = "/".join(f"{x:.2f}" for x in r["load_after"])
                tp = f"{fmt(r['per_sec'])} {MODELS[name]['unit']}" if "per_sec" in r else "failed"
                n = f"{r['train']:,} × {r['epochs']}" if "train" in r else "—"
                detail.append(
                    f"| {i + 1} | {name} | {side} | {tp} | {n} | {fmt(r.get('fit_seconds'), 1)} "
                    f"| {r['wall_seconds']:.1f} | {r['user_seconds'] + r['system_seconds']:.1f} "
                    f"| {r['peak_rss_mib']:.0f} | {lb} | {la} |"
                )
    return "\n".join(lines), "\n".join(detail), summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of ours-then-PyTorch per model (default 3)")
    ap.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {','.join(MODELS)}")
    ap.add_argument("--quick", action="store_true", help="tiny subsets and 1 epoch: a smoke check of the harness")
    ap.add_argument("--workbench", default=os.path.join(REPO, "target", "release", "workbench"))
    ap.add_argument("--out", help="JSON file for every raw number (default: compare-TIME.json under --data)")
    ap.add_argument("--threads", type=int, default=2, help="threads on each side (default 2)")
    ap.add_argument("--mnist", default=os.path.join(BESIDE, "shared", "data", "mnist"), help="the four MNIST IDX files")
    ap.add_argument("--words", type=int, default=1805, help="word crops for the CRNN (default 1805)")
    ap.add_argument("--data", default=os.environ.get("BENCH_DATA", os.path.join(BESIDE, "bench-data")),
                    help="cache for the word crops and the JSON ($BENCH_DATA)")
    ap.add_argument("--venv", default=os.environ.get("BENCH_VENV", os.path.join(BESIDE, "venvs", "torch")),
                    help="PyTorch's virtual environment ($BENCH_VENV)")
    ap.add_argument("--keep", action="store_true", help="keep the logs and our run directories")
    args = ap.parse_args()

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names or args.rounds < 1:
        ap.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}" if unknown else "nothing to run")
    args.workbench = os.path.abspath(args.workbench)
    if not os.access(args.workbench, os.X_OK):
        raise SystemExit(f"{args.workbench} is missing: run `cargo build --release` first")
    for d in (args.venv, args.data):
        if os.path.abspath(d).startswith(REPO + os.sep):
            raise SystemExit(f"{d} is inside the repository; keep it outside")
    os.makedirs(args.data, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_json = args.out or os.path.join(args.data, f"compare-{stamp}{'-quick' if args.quick else ''}.json")

    py, torch_version = torch_python(args.venv)
    data = {}
    if any(MODELS[n]["data"] == "mnist" for n in names):
        if not os.path.isdir(args.mnist):
            raise SystemExit(f"{args.mnist} is not a directory (the MNIST IDX files; --mnist)")
        data["mnist"] = os.path.abspath(args.mnist)
    if "crnn" in names:
        n_words = MODELS["crnn"]["quick"]["words"] if args.quick else args.words
        data["words"] = words_dir(args.workbench, os.path.abspath(args.data), n_words)

    threads = str(args.threads)
    env = dict(os.environ)
    env.update(RAYON_NUM_THREADS=threads, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    env.pop("WORKBENCH_RESULTS", None)
    work = tempfile.mkdtemp(prefix="workbench-compare-")
    version = subprocess.run([args.workbench, "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    log(f"{version} ({commit}) vs torch {torch_version}; {os.cpu_count()} CPUs ({cpu}); {threads} threads each side")
    log(f"models {', '.join(names)}, {args.rounds} round(s){', quick' if args.quick else ''}; logs in {work}")
    la = os.getloadavg()
    if la[0] > 0.5:
        log(f"warning: load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}: the machine is not quiet")

    # What the PyTorch side holds before it trains anything (the interpreter
    # and the torch libraries), to read its peak RSS against.
    base = measure([py, "-c", "import numpy, PIL, torch; torch.set_num_threads(2); (torch.ones(64, 64) @ torch.ones(64, 64)).sum()"],
                   env, os.path.join(work, "torch-baseline.log"))
    log(f"PyTorch baseline (python + import torch, one small product): peak RSS {base['peak_rss_mib']:.0f} MiB")

    results = {n: {"ours": [], "torch": []} for n in names}
    t_start = time.time()
    failed = False
    for i in range(args.rounds):
        for name in names:
            m = MODELS[name]
            d = data[m["data"]]
            for side in ("ours", "torch"):
                tag = f"r{i + 1}-{name}-{side}"
                log(f"round {i + 1}/{args.rounds}: {name}, {'ours' if side == 'ours' else 'PyTorch'} …")
                if side == "ours":
                    r = run_ours(name, m, args, d, work, tag, env)
                else:
                    r = run_torch(name, m, args, py, d, work, tag, env)
                results[name][side].append(r)
                if "error" in r:
                    failed = True
                    log(f"  failed: {r['error']}")
                else:
                    log(
                        f"  {fmt(r['per_sec'])} {m['unit']} ({r['train']:,} × {r['epochs']} in {r['fit_seconds']:.1f} s; "
                        f"wall {r['wall_seconds']:.1f} s, peak RSS {r['peak_rss_mib']:.0f} MiB, "
                        f"load {load_pair(r)})"
                    )
            o, t = results[name]["ours"][-1], results[name]["torch"][-1]
            if "train" in o and "train" in t and o["train"] != t["train"]:
                log(f"  warning: {name}: ours trained on {o['train']} samples, PyTorch on {t['train']}")
    elapsed = time.time() - t_start

    table, detail, summary = report(results, names, args.rounds)
    print(
        f"Paired benchmark{' (--quick: tiny subsets, not a measurement)' if args.quick else ''}: "
        f"{version} ({commit}) vs PyTorch {torch_version}, {threads} threads each, "
        f"{os.cpu_count()} CPUs ({cpu}), {args.rounds} round(s) of ours then PyTorch, "
        f"{stamp}, {elapsed / 60:.1f} min.\n"
    )
    print(table)
    print(
        f"\nPeak RSS: the largest process of each run (ru_maxrss). PyTorch's includes what python and "
        f"`import torch` hold before any training: {base['peak_rss_mib']:.0f} MiB here."
    )
    print()
    print(detail)
    record = {
        "time": stamp,
        "quick": args.quick,
        "rounds": args.rounds,
        "threads": args.threads,
        "workbench": version,
        "commit": commit,
        "torch": torch_version,
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "host": os.uname().nodename,
        "data": data,
        "elapsed_seconds": elapsed,
        "torch_baseline": base,
        "summary": summary,
        "measurements": results,
    }
    with open(out_json, "w") as f:
        json.dump(record, f, indent=1)
    print(f"\nraw numbers: {out_json}")
    if args.keep or failed:
        print(f"logs: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
