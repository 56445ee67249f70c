#!/usr/bin/env bash
# One GPU-machine session: check, test, sanitize and benchmark CUDA binaries built elsewhere
# (carried in $BIN), writing logs to $OUT. Used with the device tool:
#   BIN=.gpu-carry OUT=... bash scripts/gpu_session.sh [quick]
set -uo pipefail
BIN=${BIN:-.gpu-carry}
OUT=${OUT:-/tmp/ktconv-gpu}
mkdir -p "$OUT"
export KTCONV_GOLDEN_DIR=$PWD/tests/golden
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,memory.total --format=csv
echo "== tests (CUDA backend)"
"$BIN/ktconv_tests" --gtest_brief=1 2>&1 | tee "$OUT/tests.log" | tail -25
echo "== seed workload example"
"$BIN/ktconv-seed-workload" --batch 128 --reps 20 2>&1 | tee "$OUT/seed.log"
if [ "${1:-}" != quick ]; then
  echo "== compare with PyTorch"
  PYTHONUNBUFFERED=1 python3 benchmarks/compare_gpu.py --bench "$BIN/ktconv-bench" --json "$OUT/compare.json" \
    ${COMPARE_ARGS:-} 2>&1 | tee "$OUT/compare.log" | tail -30
fi
