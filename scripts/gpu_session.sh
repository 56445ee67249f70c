#!/usr/bin/env bash
# One GPU-machine session: test, sanitize and benchmark CUDA binaries built elsewhere (carried
# in $BIN: ktconv_tests, ktconv-bench, ktconv-seed-workload), logs to $OUT. Used with the
# device tool, e.g.
#   BIN=.gpu-carry bash scripts/gpu_session.sh info tests sanitize suite
# Stages (in the order given; default: info tests sanitize seed compare):
#   info      the card, driver and clocks
#   tests     the whole test suite on the CUDA backend
#   sanitize  compute-sanitizer memcheck (tiled, gemm, direct tests) and racecheck (tiled kernel)
#   seed      the seed workload example at batch 128
#   compare   benchmarks/compare_gpu.py: the seed shape beside every peer, all math modes
#   suite     benchmarks/gpu_suite.py: the real-network suite (SUITE_ROWS, SUITE_PRECISIONS,
#             SUITE_ARGS pass through)
set -uo pipefail
BIN=${BIN:-.gpu-carry}
OUT=${OUT:-/tmp/ktconv-gpu}
mkdir -p "$OUT"
export KTCONV_GOLDEN_DIR=$PWD/tests/golden
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(info tests sanitize seed compare)

stage_info() {
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,memory.total --format=csv | tee "$OUT/device.txt"
  date -u | tee -a "$OUT/device.txt"
}

stage_tests() {
  "$BIN/ktconv_tests" --gtest_brief=1 2>&1 | tee "$OUT/tests.log" | tail -8
}

stage_sanitize() {
  compute-sanitizer --tool memcheck --error-exitcode 9 "$BIN/ktconv_tests" --gtest_brief=1 \
    --gtest_filter='ShapeTable*:RandomConfigurations.SeedShapeSmall:Golden*:BadInput*:Gemm*:DeviceDeterminism*' \
    > "$OUT/memcheck.log" 2>&1
  echo "memcheck exit $?: $(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1)"
  # width 37: the cp.async staging path; width 36: TMA staging (sm_90+), one tile per team.
  for w in 37 36; do
    for m in ieee tf32 tf32x3; do
      compute-sanitizer --tool racecheck --error-exitcode 9 "$BIN/ktconv-bench" --n 1 --cin 24 --cout 40 --h 9 \
        --w $w --algorithm gpu_tiled --reps 1 --warmup 0 --check 50 --math $m > "$OUT/racecheck_w${w}_$m.log" 2>&1
      echo "racecheck w $w $m exit $?: $(grep -E 'RACECHECK SUMMARY|ERROR SUMMARY' "$OUT/racecheck_w${w}_$m.log" | tail -1)"
      # every table entry with one chunk of 8 input channels (no stage refilled within a tile:
      # a refill is the bar.arrive -> bar.sync ordering racecheck does not follow, docs/DESIGN.md
      # "Staging"); entries as "kernel stride padding dilation", as in gpu_tiled_shapes
      for e in "3 2 0 1" "3 2 1 1" "4 2 0 1" "4 2 1 1" "2 2 0 1" "2 2 1 1" "3 1 0 1" "3 1 2 2"; do
        read -r ek es ep ed <<< "$e"
        compute-sanitizer --tool racecheck --error-exitcode 9 "$BIN/ktconv-bench" --n 1 --cin 8 --cout 40 --h 9 \
          --w $w --k $ek --s $es --p $ep --op 0 --d $ed --algorithm gpu_tiled --reps 1 --warmup 0 --check 50 \
          --math $m > "$OUT/racecheck_entry.log" 2>&1
        echo "racecheck k$ek s$es p$ep d$ed w $w $m exit $?: $(grep -E 'RACECHECK SUMMARY' "$OUT/racecheck_entry.log" | tail -1)"
      done
    done
  done
  # gemm's own kernels (copy, gather) use no shared memory; its product is cuBLAS'.
  compute-sanitizer --tool memcheck --error-exitcode 9 "$BIN/ktconv-bench" --n 3 --cin 24 --cout 40 --h 9 --w 11 \
    --algorithm gemm --workspace-mib 1 --reps 1 --warmup 0 --check 200 > "$OUT/memcheck_gemm_bench.log" 2>&1
  echo "memcheck gemm (chunked) exit $?: $(grep -E 'ERROR SUMMARY' "$OUT/memcheck_gemm_bench.log" | tail -1)"
}

stage_seed() {
  "$BIN/ktconv-seed-workload" --batch 128 --reps 20 2>&1 | tee "$OUT/seed.log"
}

stage_compare() {
  PYTHONUNBUFFERED=1 python3 benchmarks/compare_gpu.py --bench "$BIN/ktconv-bench" --json "$OUT/compare.json" \
    ${COMPARE_ARGS:-} > "$OUT/compare.log" 2>&1
  tail -16 "$OUT/compare.log"
}

stage_suite() {
  local args=(--bench "$BIN/ktconv-bench" --json "$OUT/suite.json" --log "$OUT/suite-bench.log")
  [ -n "${SUITE_ROWS:-}" ] && args+=(--rows "$SUITE_ROWS")
  [ -n "${SUITE_PRECISIONS:-}" ] && args+=(--precisions "$SUITE_PRECISIONS")
  # shellcheck disable=SC2086
  PYTHONUNBUFFERED=1 python3 benchmarks/gpu_suite.py "${args[@]}" ${SUITE_ARGS:-} 2>&1 | tee "$OUT/suite.log"
}

rc=0
for s in "${stages[@]}"; do
  echo "== $s"
  "stage_$s" || rc=1
done
exit $rc
