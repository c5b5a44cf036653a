#!/bin/sh
# Runs each fuzz target for SECONDS (default 600), one after the other, with libFuzzer
# through cargo-fuzz on the nightly toolchain (`cargo install cargo-fuzz`). Seeds are the
# committed fuzz/corpus/TARGET (from the shipped files); inputs libFuzzer finds go to
# fuzz/work/TARGET (not committed), crashes to fuzz/artifacts/TARGET. Overflow checks are on
# (-a): a wrap-around is a crash. Limits per input: 10 s, 3 GiB.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Prints, per target, the executions per second and whether it found anything.
set -u
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-"topology model npy idx trace_binary trace_text trace_dramsim3 trace_ramulator"}
cd "$(dirname "$0")/../fuzz" || exit 1
mkdir -p logs
status=0
for t in $targets; do
    mkdir -p "work/$t" "artifacts/$t"
    cargo +nightly fuzz run -O -a -s none "$t" "work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=3072 -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" > "logs/$t.log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
    took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "logs/$t.log" | tail -1)
    found=$(ls "artifacts/$t" | wc -l)
    echo "$t: exit $rc, ${runs:-?} runs (${took:-no summary}), $found artifact(s); log fuzz/logs/$t.log"
    [ "$rc" -ne 0 ] && status=1
done
exit $status
