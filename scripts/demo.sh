#!/usr/bin/env bash
# The demo command: build the openmp preset's seed-workload example and run it. Arguments go
# to the program (default: --batch 4; the full workload is --batch 128).
#
#   scripts/demo.sh                 # ktconv-seed-workload --batch 4
#   scripts/demo.sh --batch 128 --reps 5
set -euo pipefail
source "$(dirname "$0")/preset-common.sh"

[ $# -gt 0 ] || set -- --batch 4
configure_preset openmp
build_preset openmp --target ktconv-seed-workload
# Kokkos' advice for OpenMP performance (it warns when these are unset).
export OMP_PROC_BIND=${OMP_PROC_BIND:-spread} OMP_PLACES=${OMP_PLACES:-threads}
exec "$ktconv_root/build/openmp/examples/ktconv-seed-workload" "$@"
