#!/usr/bin/env bash
# Makes docs/live-view.png: the live view (`tasim serve`) of the paper chip, ten epochs into a
# 1,000-epoch run, as headless Chromium shows it. It is the browser test of tests/it/serve.rs
# with TASIM_SCREENSHOT set. Needs Debian's `chromium` and `chromium-driver`.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/docs/live-view.png"
rm -f "$out"
CI=1 TASIM_SCREENSHOT="$out" cargo test --test it serve::page_in_a_headless_browser -- --exact
test -s "$out" && echo "wrote $out"
