#!/usr/bin/env bash
# Build and install the pinned Kokkos release from a local archive, once, into a prefix
# outside the clone. Used by .ci/run (as a cache) and for CUDA builds, where the C++
# compiler must be Kokkos' nvcc_wrapper before CMake's project() runs.
#
#   scripts/build-kokkos.sh <openmp|serial|cuda> <install-prefix>
#
# Environment: KTCONV_KOKKOS_ARCHIVE (default ../shared/deps/kokkos-5.0.2.tar.gz next to
# the checkout), KTCONV_CUDA_ARCH (Kokkos arch option, default HOPPER90), JOBS.
set -euo pipefail
backend=${1:?backend: openmp, serial or cuda}
prefix=${2:?install prefix}
here=$(cd "$(dirname "$0")/.." && pwd)
archive=${KTCONV_KOKKOS_ARCHIVE:-$here/../shared/deps/kokkos-5.0.2.tar.gz}
sha=188817bb452ca805ee8701f1c5adbbb4fb83dc8d1c50624566a18a719ba0fa5e
jobs=${JOBS:-$(nproc)}

if [ -f "$prefix/.ktconv-kokkos-ok" ]; then
  echo "Kokkos ($backend) already installed in $prefix"
  exit 0
fi
[ -f "$archive" ] || { echo "error: Kokkos archive not found: $archive (set KTCONV_KOKKOS_ARCHIVE)" >&2; exit 1; }
echo "$sha  $archive" | sha256sum -c --quiet - || { echo "error: SHA-256 mismatch for $archive" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$archive" -C "$work"
src=$(echo "$work"/kokkos-*)

args=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF
      -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DKokkos_ENABLE_SERIAL=ON)
case "$backend" in
  # Host builds target the building machine's CPU (AVX2/AVX-512 for the host kernels), as an
  # HPC user building on their cluster would; set KTCONV_HOST_ARCH= (empty) for a generic build.
  openmp) args+=(-DKokkos_ENABLE_OPENMP=ON) ;;
  serial) ;;
  cuda)   args+=(-DKokkos_ENABLE_CUDA=ON -DKokkos_ARCH_${KTCONV_CUDA_ARCH:-HOPPER90}=ON
                 -DCMAKE_CXX_COMPILER="$src/bin/nvcc_wrapper") ;;
  *) echo "error: unknown backend '$backend' (openmp, serial, cuda)" >&2; exit 1 ;;
esac
if [ "$backend" != cuda ] && [ -n "${KTCONV_HOST_ARCH-NATIVE}" ]; then
  args+=(-DKokkos_ARCH_${KTCONV_HOST_ARCH-NATIVE}=ON)
fi

cmake -S "$src" -B "$work/build" -G Ninja "${args[@]}"
cmake --build "$work/build" -j "$jobs"
cmake --install "$work/build"
touch "$prefix/.ktconv-kokkos-ok"
