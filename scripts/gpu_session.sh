#!/usr/bin/env bash
# One GPU-machine session: test, sanitize and benchmark CUDA binaries built elsewhere (carried
# in $BIN), logs to $OUT. Used with the device tool:
#   BIN=.gpu-carry bash scripts/gpu_session.sh [quick]
set -uo pipefail
BIN=${BIN:-.gpu-carry}
OUT=${OUT:-/tmp/ktconv-gpu}
mkdir -p "$OUT"
export KTCONV_GOLDEN_DIR=$PWD/tests/golden
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,memory.total --format=csv | tee "$OUT/device.txt"
date -u | tee -a "$OUT/device.txt"
echo "== tests (CUDA backend)"
"$BIN/ktconv_tests" --gtest_brief=1 2>&1 | tee "$OUT/tests.log" | tail -6
echo "== seed workload example"
"$BIN/ktconv-seed-workload" --batch 128 --reps 20 2>&1 | tee "$OUT/seed.log"
[ "${1:-}" = quick ] && exit 0
echo "== compute-sanitizer (small shapes)"
compute-sanitizer --tool memcheck --error-exitcode 9 "$BIN/ktconv_tests" --gtest_brief=1 \
  --gtest_filter='RandomConfigurations.TiledKernelShapes:RandomConfigurations.SeedShapeSmall:Golden.*:BadInput.*' \
  > "$OUT/memcheck.log" 2>&1; echo "memcheck exit $?: $(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1)"
# width 37: the cp.async staging path; width 36: TMA staging (sm_90+), one tile per team; these six
# must be clean. n16 h32 w64 (TMA, two tiles per team) is reported, not required: racecheck flags
# accesses there that the stages' named barriers order (docs/DESIGN.md, "Staging").
for w in 37 36; do
  for m in ieee tf32 tf32x3; do
    compute-sanitizer --tool racecheck --error-exitcode 9 "$BIN/ktconv-bench" --n 1 --cin 24 --cout 40 --h 9 --w $w \
      --reps 1 --warmup 0 --check 50 --math $m > "$OUT/racecheck_w${w}_$m.log" 2>&1
    echo "racecheck w $w $m exit $?: $(grep -E 'RACECHECK SUMMARY|ERROR SUMMARY' "$OUT/racecheck_w${w}_$m.log" | tail -1)"
  done
done
for m in ieee tf32 tf32x3; do
  compute-sanitizer --tool racecheck "$BIN/ktconv-bench" --n 16 --cin 24 --cout 40 --h 32 --w 64 \
    --reps 1 --warmup 0 --check 50 --math $m > "$OUT/racecheck_n16_$m.log" 2>&1
  echo "racecheck n16 (two tiles per team, informational) $m: $(grep -E 'RACECHECK SUMMARY' "$OUT/racecheck_n16_$m.log" | tail -1)"
done
# The stage-release probe: what racecheck makes of each release form on a 60-line program
# (benchmarks/probes/stage_release_racecheck.cu; informational).
if command -v nvcc > /dev/null; then
  nvcc -O3 -std=c++17 -arch=sm_90 -o /tmp/stage_release_racecheck benchmarks/probes/stage_release_racecheck.cu &&
    for rel in named mbarrier team; do
      compute-sanitizer --tool racecheck /tmp/stage_release_racecheck $rel 12 --record > "$OUT/probe_$rel.log" 2>&1
      echo "probe $rel: $(grep -E 'wrong sums' "$OUT/probe_$rel.log"); racecheck $(grep -E 'RACECHECK SUMMARY' "$OUT/probe_$rel.log" | sed 's/=* RACECHECK SUMMARY: //')"
    done
fi
echo "== compare with PyTorch"
PYTHONUNBUFFERED=1 python3 benchmarks/compare_gpu.py --bench "$BIN/ktconv-bench" --json "$OUT/compare.json" \
  ${COMPARE_ARGS:-} > "$OUT/compare.log" 2>&1
tail -16 "$OUT/compare.log"
