#!/usr/bin/env bash
# Build and install the pinned Kokkos Kernels release (BLAS component only, no explicit
# instantiations) from a local archive, once, into a prefix outside the clone, against a Kokkos
# installed by scripts/build-kokkos.sh. Used by .ci/run (as a cache) and for CUDA builds.
#
#   scripts/build-kokkos-kernels.sh <openmp|serial|cuda> <install-prefix>
#
# Environment: KTCONV_KOKKOS_KERNELS_ARCHIVE (default ../shared/deps/kokkos-kernels-4.7.00.tar.gz
# next to the checkout), Kokkos_ROOT (the Kokkos to build against; default: the install named
# kokkos-5.0.2-<backend> beside <install-prefix>, as in KTCONV_KOKKOS_CACHE), KTCONV_CUDA_ARCH
# (default HOPPER90; names the default Kokkos), JOBS. On CUDA the cuBLAS TPL is on; on the host
# Kokkos Kernels' own GEMM is used (no BLAS TPL).
set -euo pipefail
backend=${1:?backend: openmp, serial or cuda}
prefix=${2:?install prefix}
here=$(cd "$(dirname "$0")/.." && pwd)
archive=${KTCONV_KOKKOS_KERNELS_ARCHIVE:-$here/../shared/deps/kokkos-kernels-4.7.00.tar.gz}
sha=5c7c8c8f91817ab22dbc50ea72f02292bbd6c5b412d6f1588b27574600c478ef
jobs=${JOBS:-$(nproc)}

case "$backend" in
  openmp | serial) kokkos_name=kokkos-5.0.2-$backend ;;
  cuda) kokkos_name=kokkos-5.0.2-cuda-$(echo "${KTCONV_CUDA_ARCH:-HOPPER90}" | tr 'A-Z' 'a-z') ;;
  *) echo "error: unknown backend '$backend' (openmp, serial, cuda)" >&2; exit 1 ;;
esac
kokkos=${Kokkos_ROOT:-$(dirname "$prefix")/$kokkos_name}

if [ -f "$prefix/.ktconv-kokkos-kernels-ok" ]; then
  echo "Kokkos Kernels ($backend) already installed in $prefix"
  exit 0
fi
[ -f "$kokkos/.ktconv-kokkos-ok" ] || [ -n "${Kokkos_ROOT:-}" ] ||
  { echo "error: no Kokkos install in $kokkos (run scripts/build-kokkos.sh or set Kokkos_ROOT)" >&2; exit 1; }
[ -f "$archive" ] || { echo "error: Kokkos Kernels archive not found: $archive (set KTCONV_KOKKOS_KERNELS_ARCHIVE)" >&2; exit 1; }
echo "$sha  $archive" | sha256sum -c --quiet - || { echo "error: SHA-256 mismatch for $archive" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$archive" -C "$work"
src=$(echo "$work"/kokkos-kernels-*)

# BLAS only, no explicit instantiations: ktconv instantiates the GEMMs it calls itself.
args=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF
      -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DKokkos_ROOT="$kokkos"
      -DKokkosKernels_ENABLE_ALL_COMPONENTS=OFF -DKokkosKernels_ENABLE_COMPONENT_BLAS=ON
      -DKokkosKernels_ADD_DEFAULT_ETI=OFF
      -DKokkosKernels_INST_DOUBLE=OFF -DKokkosKernels_INST_FLOAT=OFF
      -DKokkosKernels_INST_COMPLEX_DOUBLE=OFF -DKokkosKernels_INST_COMPLEX_FLOAT=OFF
      -DKokkosKernels_INST_ORDINAL_INT=OFF -DKokkosKernels_INST_ORDINAL_INT64_T=OFF
      -DKokkosKernels_INST_OFFSET_INT=OFF -DKokkosKernels_INST_OFFSET_SIZE_T=OFF
      -DKokkosKernels_INST_LAYOUTLEFT=OFF -DKokkosKernels_INST_LAYOUTRIGHT=OFF
      -DKokkosKernels_ENABLE_TPL_BLAS=OFF -DKokkosKernels_ENABLE_TPL_LAPACK=OFF)
if [ "$backend" = cuda ]; then
  args+=(-DCMAKE_CXX_COMPILER="$kokkos/bin/nvcc_wrapper" -DKokkosKernels_ENABLE_TPL_CUBLAS=ON
         -DKokkosKernels_ENABLE_TPL_CUSPARSE=OFF -DKokkosKernels_ENABLE_TPL_CUSOLVER=OFF)
fi

cmake -S "$src" -B "$work/build" -G Ninja "${args[@]}"
cmake --build "$work/build" -j "$jobs"
cmake --install "$work/build"
touch "$prefix/.ktconv-kokkos-kernels-ok"
