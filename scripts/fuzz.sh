#!/usr/bin/env bash
# Runs every fuzz target (or those named after the seconds) for SECONDS each, from the seed corpus in
# fuzz/corpus/TARGET (run first, so its regression inputs are checked every time) and a working
# corpus in .build/fuzz-corpus/TARGET where libFuzzer keeps what it finds. A crash is written to
# fuzz/crashes/ and fails the run: add it to fuzz/corpus/TARGET as regression-NAME once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
binary=.build/fuzz/debug/qoltanba-fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cms cosign pdf xml base64 check)
mkdir -p fuzz/crashes
# The Swift runtime keeps some allocations for the life of the process: not leaks worth failing on.
export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"
failed=0
passed=0
for target in "${targets[@]}"; do
    mkdir -p ".build/fuzz-corpus/$target"
    echo "fuzz: $target for ${seconds}s"
    if ! "$binary" "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="fuzz/crashes/$target-" \
        ".build/fuzz-corpus/$target" "fuzz/corpus/$target" > ".build/fuzz-$target.log" 2>&1; then
        echo "fuzz: $target FAILED; the input is in fuzz/crashes/, the log in .build/fuzz-$target.log"
        tail -40 ".build/fuzz-$target.log"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
        grep -E "stat::number_of_executed_units|stat::new_units_added" ".build/fuzz-$target.log" | tr '\n' ' '
        echo
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
