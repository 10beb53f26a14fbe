#!/usr/bin/env bash
# Copies a finished recognizer run into models/reader/, the bundled reader
# that `workbench recognize` and `workbench ocr` use when no run is named.
#
# Usage: experiments/bundle-reader.sh RUN_DIR [CHECKPOINT]
#   RUN_DIR     a recognizer run directory (results/reader/<run-id>)
#   CHECKPOINT  optional: bundle this checkpoint (e.g. RUN_DIR/checkpoints/
#               best.safetensors of a run that was stopped) instead of the
#               run's saved model
# The job's absolute plugin path is reduced to the library's file name (a
# run directory never names code to load; the plugin is found by name in
# the plugin directories). Write the model card (models/reader/README.md)
# from the run's summary.json.
set -euo pipefail
die() { echo "bundle-reader.sh: error: $*" >&2; exit 1; }
[[ $# -ge 1 ]] || die "usage: experiments/bundle-reader.sh RUN_DIR [CHECKPOINT]"
run="$1"
model="${2:-$run/artifacts/model/recognizer.safetensors}"
[[ -f "$run/run.json" ]] || die "$run is not a run directory (no run.json)"
[[ -f "$model" ]] || die "no model at $model (did the run finish? pass a checkpoint)"
out="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/models/reader"
mkdir -p "$out/artifacts/model"
python3 - "$run/run.json" "$out/run.json" <<'PY'
import json, os, sys
job = json.load(open(sys.argv[1]))
if job["plan"]["kind"] != "recognizer":
    sys.exit(f"bundle-reader.sh: error: {sys.argv[1]} is a {job['plan']['kind']} run, not a recognizer run")
job["plan"]["plugin_file"] = os.path.basename(job["plan"]["plugin_file"])
json.dump(job, open(sys.argv[2], "w"), indent=2, ensure_ascii=False)
PY
cp "$model" "$out/artifacts/model/recognizer.safetensors"
if [[ -f "$run/summary.json" ]]; then
    python3 - "$run/summary.json" "$out/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["checkpoint"] = "artifacts/model"  # not the machine's absolute path
json.dump(s, open(sys.argv[2], "w"), indent=2, ensure_ascii=False)
PY
fi
ls -l "$out" "$out/artifacts/model"
