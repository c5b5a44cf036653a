#!/usr/bin/env bash
# Submits a tasim sweep to Slurm: a job array with one task per point
# (deploy/sweep-array.sbatch) and a merge job that runs when every task has ended.
#
#   deploy/submit-sweep.sh FILE --set KEY=V1,V2,... [--set ...] --out DIR [--scaling] [--plot-x KEY]
#
# Environment: TASIM, the tasim binary (default: `tasim` on PATH); SBATCH_* variables are
# sbatch's own (SBATCH_PARTITION, SBATCH_ACCOUNT, ...); TASIM_SUBMIT_WAIT=1 waits for the
# merge and exits with its status (what the test does). Run it from the directory the
# topology path is relative to: the tasks start there too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tasim=${TASIM:-tasim}
export TASIM=$tasim

out=sweep-out
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    if [[ ${args[i]} == --out ]]; then
        out=${args[i + 1]:-}
    elif [[ ${args[i]} == --out=* ]]; then
        out=${args[i]#--out=}
    fi
done

# The dry run checks every point (exit 2 on bad input) and writes the manifest.
n=$("$tasim" sweep "$@" --dry-run | awk '/^points/ {print $2}')
mkdir -p "$out/slurm"
array=$(sbatch --parsable --array="0-$((n - 1))" --output="$out/slurm/point-%a.out" \
    "$here/sweep-array.sbatch" "$@")
array=${array%%;*}
wait=()
if [[ ${TASIM_SUBMIT_WAIT:-} == 1 ]]; then
    wait=(--wait)
fi
echo "submitted job array $array: $n points into $out"
merge=$(sbatch --parsable "${wait[@]}" --dependency="afterany:$array" --job-name=tasim-sweep-merge \
    --output="$out/slurm/merge.out" --wrap "\"$tasim\" sweep merge \"$out\"") || {
    status=$?
    cat "$out/slurm/merge.out" >&2 2>/dev/null || true
    exit $status
}
echo "submitted merge job ${merge%%;*} (after the array); then: $out/table.csv, $out/plots/"
