#!/bin/bash
# Written by `workbench run --executor slurm` for experiment "my exp": 3 run(s), 2 per array task.
# Submitted as `sbatch --parsable --array=0-1[%K] --output=OUT script` (OUT: the experiment's slurm/%A_%a.out); each task runs its runs one after another.
#SBATCH --job-name=wb-my-exp
#SBATCH --open-mode=append
#SBATCH --partition=gpu
#SBATCH --time=2:00:00
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --gres=gpu:1
#SBATCH --account=thesis
#SBATCH --qos=normal
#SBATCH --requeue
#SBATCH --constraint=avx512

set -u
exe='/opt/workbench/bin/workbench'
pack=2
plugins=( --plugins '/shared/plugins' )
runs=(
  '/shared/results/my exp/20261201T000000-000-pca'
  '/shared/results/my exp/20261201T000000-001-it'\''s'
  '/shared/results/my exp/20261201T000000-002-vae'
)
if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
    echo "not a Slurm array task: submit this script with sbatch --array" >&2
    exit 2
fi
requeued=()
if [ "${SLURM_RESTART_COUNT:-0}" != 0 ]; then
    requeued=(--requeued)
fi
first=$(( SLURM_ARRAY_TASK_ID * pack ))
status=0
for run in "${runs[@]:first:pack}"; do
    # A run cancelled before its turn is not started.
    if [ -e "$run/stop" ]; then
        continue
    fi
    "$exe" worker "$run" --events-file ${requeued[@]+"${requeued[@]}"} ${plugins[@]+"${plugins[@]}"}
    code=$?
    if [ "$code" != 0 ]; then
        status=$code
        # How the worker ended, for the run's error (no pipe reports it).
        if [ "$code" -gt 128 ]; then
            echo "workbench worker died from signal $((code - 128)) (SIG$(kill -l $((code - 128)) 2>/dev/null))" >> "$run/log.txt"
        else
            echo "workbench worker exited with status $code" >> "$run/log.txt"
        fi
    fi
done
exit "$status"
