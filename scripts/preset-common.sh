# Sourced by scripts/test.sh and scripts/demo.sh: configure a CMake preset, with a prebuilt
# Kokkos when one is available, else the pinned Kokkos built in-tree (FetchContent from
# KTCONV_KOKKOS_ARCHIVE, ../shared/deps/kokkos-5.0.2.tar.gz, or the upstream URL).
#
# Environment:
#   KTCONV_KOKKOS_CACHE        folder holding installs made by scripts/build-kokkos.sh, named
#                              kokkos-5.0.2-openmp, kokkos-5.0.2-serial, kokkos-5.0.2-cuda-hopper90
#                              (used when the install's marker file .ktconv-kokkos-ok is there),
#                              and the Kokkos Kernels installs of scripts/build-kokkos-kernels.sh
#                              beside them (kokkos-kernels-4.7.00-<same suffix>, marker
#                              .ktconv-kokkos-kernels-ok; else Kokkos Kernels is built in-tree)
#   KTCONV_WARNINGS_AS_ERRORS  ON: warnings in ktconv's own code fail the build (CI sets it)
#   JOBS                       parallel build jobs (default: all cores)

ktconv_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${JOBS:-$(nproc)}

# The prebuilt Kokkos a preset can use (asan builds against the OpenMP one; fuzz, built with
# clang, and tsan against the Serial one: Kokkos is not instrumented, ktconv's targets are).
kokkos_install_for() {
  case "$1" in
    openmp | asan) echo "kokkos-5.0.2-openmp" ;;
    serial | fuzz | tsan) echo "kokkos-5.0.2-serial" ;;
    cuda) echo "kokkos-5.0.2-cuda-$(echo "${KTCONV_CUDA_ARCH:-HOPPER90}" | tr 'A-Z' 'a-z')" ;;
  esac
}

configure_preset() {
  local preset=$1
  shift
  local args=()
  if [ -n "${KTCONV_KOKKOS_CACHE:-}" ]; then
    local inst
    inst="$KTCONV_KOKKOS_CACHE/$(kokkos_install_for "$preset")"
    if [ -f "$inst/.ktconv-kokkos-ok" ]; then
      echo "== $preset: using the Kokkos installed in $inst"
      args+=("-DKokkos_ROOT=$inst")
    else
      echo "== $preset: no Kokkos install in $inst; building Kokkos in-tree"
    fi
    local kk
    kk="$KTCONV_KOKKOS_CACHE/$(kokkos_install_for "$preset" | sed 's/^kokkos-5.0.2-/kokkos-kernels-4.7.00-/')"
    if [ -f "$kk/.ktconv-kokkos-kernels-ok" ] && [ -f "$inst/.ktconv-kokkos-ok" ]; then
      echo "== $preset: using the Kokkos Kernels installed in $kk"
      args+=("-DKokkosKernels_ROOT=$kk")
    fi
  fi
  if [ -n "${KTCONV_WARNINGS_AS_ERRORS:-}" ]; then
    args+=("-DKTCONV_WARNINGS_AS_ERRORS=$KTCONV_WARNINGS_AS_ERRORS")
  fi
  (cd "$ktconv_root" && cmake --preset "$preset" "${args[@]}" "$@")
}

build_preset() {
  local preset=$1
  shift
  (cd "$ktconv_root" && cmake --build --preset "$preset" --parallel "$jobs" "$@")
}
