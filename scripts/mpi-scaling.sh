#!/usr/bin/env bash
# Weak and strong scaling of ktconv::mpi (docs/DISTRIBUTED.md) on one multi-GPU node, with the
# seed workload example: one rank per GPU (Kokkos maps devices by rank), the image split over a
# rows x columns grid. For each rank count it prints the example's CSV line and a summary:
# median ms per forward (slowest rank), without overlap, the halo exchange alone, the fraction
# of the exchange hidden, the halo bytes per call, the scaling efficiency and the bitwise check.
#
#   scripts/mpi-scaling.sh [--build build/cuda-mpi] [--ranks "1 2 4 8"] [--batch 128]
#                          [--size 128] [--reps 20] [--mpiexec "mpiexec"] [-- extra example args]
#
# strong: the global problem (batch, size x size) fixed, split over N ranks;
# weak:   each rank keeps a size x size block: the global image is (size*R) x (size*C) for the
#         N = R x C grid. The check (bitwise against one process on rank 0) is on by default;
#         it needs the whole problem on rank 0's GPU (--check 0 after the extra-args `--` skips it).
# Here (no GPU) it runs for correctness only: scripts/mpi-scaling.sh --build build/openmp-mpi
#   --ranks "1 2 4" --batch 2 --size 32 --reps 3
set -euo pipefail
build=build/cuda-mpi ranks="1 2 4 8" batch=128 size=128 reps=20 mpiexec=mpiexec
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --mpiexec) mpiexec=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
exe=$build/examples/mpi/ktconv-mpi-seed-workload
[ -x "$exe" ] || { echo "build $exe first (KTCONV_ENABLE_MPI=ON)" >&2; exit 2; }
mpi_flags=()
if $mpiexec --version 2>&1 | grep -q "Open MPI\|OpenRTE"; then
  mpi_flags=(--oversubscribe)
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

grid() { # rows x columns for n ranks: the most square factorization
  local n=$1 r
  for ((r = $(awk "BEGIN{print int(sqrt($n))}"); r >= 1; r--)); do
    if [ $((n % r)) -eq 0 ]; then echo "$r $((n / r))"; return; fi
  done
}

run() { # mode n rows cols height width
  $mpiexec -n "$2" "${mpi_flags[@]}" "$exe" --batch "$batch" --height "$5" --width "$6" --grid "$3" "$4" \
    --reps "$reps" --csv "${extra[@]}" --kokkos-map-device-id-by=mpi_rank | grep '^csv,' | sed "s/^csv,/$1,/"
}

echo "mode,ranks,batch_ranks,rows,cols,batch,height,width,halo_bytes_max,ms,ms_no_overlap,ms_halo,hidden,bad"
results=()
for n in $ranks; do
  read -r r c < <(grid "$n")
  results+=("$(run strong "$n" "$r" "$c" "$size" "$size")")
  results+=("$(run weak "$n" "$r" "$c" $((size * r)) $((size * c)))")
done
printf '%s\n' "${results[@]}"
echo
printf '%-6s %5s %9s %9s %9s %7s %12s %6s %s\n' mode ranks ms no-ovl halo hidden halo-bytes eff check
printf '%s\n' "${results[@]}" | awk -F, '
  { key = $1; if (!(key in t1)) t1[key] = $10
    eff = ($1 == "strong") ? t1[key] / ($2 * $10) : t1[key] / $10
    printf "%-6s %5d %9.3f %9.3f %9.3f %6.0f%% %12d %5.0f%% %s\n", $1, $2, $10, $11, $12, 100 * $13, $9, 100 * eff, ($14 == 0 ? "ok" : "FAIL") }'
