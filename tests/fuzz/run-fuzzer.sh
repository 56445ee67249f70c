#!/usr/bin/env bash
# Builds the libFuzzer target (the `fuzz` preset: clang, ASan + UBSan + libFuzzer coverage on
# ktconv's code, Kokkos Serial) and fuzzes for a fixed time with a fresh seed (printed), after
# running every committed regression input (tests/fuzz/regressions). CI's `fuzz` leg.
#
#   tests/fuzz/run-fuzzer.sh [seconds, default 150] [seed, default random]
#
# Memory is bounded by libFuzzer's own limits, not `ulimit -v` (ASan reserves terabytes of
# address space for its shadow memory, so an address-space limit cannot apply to it): any single
# allocation above 1 GiB (-malloc_limit_mb) or a resident size above 2.5 GiB (-rss_limit_mb) is
# a failure with a stack trace. The uninstrumented replay (ctest fuzz.replay) runs under
# `ulimit -v` instead. A finding is written to $KTCONV_FUZZ_ARTIFACTS (default: a temporary
# folder) and printed in hex; add it to tests/fuzz/regressions/ once fixed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-150}
seed=${2:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
# shellcheck source=../../scripts/preset-common.sh
source "$root/scripts/preset-common.sh"
configure_preset fuzz
build_preset fuzz

work=$(mktemp -d "${TMPDIR:-/tmp}/ktconv-fuzz.XXXXXX")
artifacts=${KTCONV_FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$work/corpus" "$artifacts"
cp "$root"/tests/fuzz/regressions/* "$work/corpus/"
echo "== fuzzing for ${seconds} s, seed ${seed} (repeat: tests/fuzz/run-fuzzer.sh ${seconds} ${seed})"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
"$root/build/fuzz/tests/fuzz/ktconv_fuzz" -seed="$seed" -max_total_time="$seconds" -timeout=60 \
  -rss_limit_mb=2560 -malloc_limit_mb=1024 -max_len=96 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$work/corpus" || rc=$?
if [ $rc -ne 0 ]; then
  for f in "$artifacts"/*; do
    [ -f "$f" ] || continue
    echo "== finding $f:"
    od -An -tx1 "$f"
    KTCONV_FUZZ_VERBOSE=1 "$root/build/fuzz/tests/fuzz/ktconv_fuzz_replay" "$f" 2>&1 | tail -n 3 || true
  done
  echo "== fuzzing FAILED (seed ${seed})"
  exit $rc
fi
[ -n "${KTCONV_FUZZ_ARTIFACTS:-}" ] || rm -rf "$work"
echo "== fuzzing passed: ${seconds} s, seed ${seed}"
