#!/usr/bin/env bash
# The test command: configure, build and test the host presets (default: openmp, then serial).
# From a fresh clone it builds the pinned Kokkos in-tree for each preset (from the archive in
# ../shared/deps when present); with KTCONV_KOKKOS_CACHE it uses prebuilt installs instead
# (see scripts/preset-common.sh).
#
#   scripts/test.sh                 # openmp and serial
#   scripts/test.sh asan            # any presets, in order
set -euo pipefail
source "$(dirname "$0")/preset-common.sh"

presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(openmp serial)
for preset in "${presets[@]}"; do
  start=$SECONDS
  configure_preset "$preset"
  build_preset "$preset"
  (cd "$ktconv_root" && ctest --preset "$preset")
  echo "== $preset: configured, built and tested in $((SECONDS - start)) s"
done
