#!/bin/sh
# Draws the README's example plot docs/run-bandwidth.svg: the paper chip's bandwidth through
# its global buffer and DRAM over the first 400 us of a run (`run --out`'s bandwidth.svg).
# TASIM names the binary (default: a release build through cargo).
set -eu
cd "$(dirname "$0")/.."
tasim=${TASIM:-"cargo run --release --quiet --"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$tasim run topologies/paper-chip.yaml --until-ns 400000 --out "$tmp/run" >/dev/null
cp "$tmp/run/bandwidth.svg" docs/run-bandwidth.svg
echo "wrote docs/run-bandwidth.svg"
