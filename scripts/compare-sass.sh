#!/usr/bin/env bash
# Compares the GPU code two commits generate: builds the CUDA preset's library (target ktconv)
# of each commit in a temporary tree, dumps `cuobjdump -sass` of its object files, cuts the
# dump into one file per (object file, architecture, kernel), normalises symbol names and
# addresses, and compares kernel by kernel. Prints "identical" or "DIFFERENT" per kernel and
# exits 1 when any kernel differs or exists in one commit only (2 on a build failure).
#
#   scripts/compare-sass.sh <commitA> <commitB>
#
# Environment:
#   KTCONV_KOKKOS_CACHE  folder holding kokkos-5.0.2-cuda-hopper90 (scripts/build-kokkos.sh cuda) and,
#                        for commits with Algorithm::gemm, kokkos-kernels-4.7.00-cuda-hopper90
#   JOBS                 parallel compile jobs (default 1: nvcc needs several GB per job)
#   CUOBJDUMP            the cuobjdump to use (default: PATH, then /usr/local/cuda*/bin; the
#                        PyPI package nvidia-cuda-cuobjdump has one for machines without it)
#   NVDISASM             the nvdisasm cuobjdump -sass runs (default: PATH, then beside
#                        cuobjdump, then /usr/local/cuda*/bin; PyPI: nvidia-cuda-nvdisasm)
#   KTCONV_SASS_WORK     where trees, builds and dumps go (default ${TMPDIR:-/tmp}/ktconv-sass);
#                        a commit whose dump is there already is not built again
#   KEEP=1               keep the temporary source trees and builds (the dumps are always kept)
#
# Normalisation: the instruction addresses (/*0a30*/), the names in backquotes (`(_Z...)`,
# called functions and relocated symbols) and the name of the ELF section are replaced by fixed
# tokens. The instruction words (the hex encodings, which hold the scheduling control bits too)
# are kept, so two kernels are "identical" only if their machine code is, instruction by
# instruction. A kernel is matched by its mangled name: renaming a type that appears in a
# kernel's name shows up as "only in A" / "only in B".
set -uo pipefail

if [ $# -ne 2 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-1}
work=${KTCONV_SASS_WORK:-${TMPDIR:-/tmp}/ktconv-sass}
kokkos=${KTCONV_KOKKOS_CACHE:-}/kokkos-5.0.2-cuda-hopper90
if [ -z "${KTCONV_KOKKOS_CACHE:-}" ] || [ ! -f "$kokkos/.ktconv-kokkos-ok" ]; then
  echo "compare-sass: needs KTCONV_KOKKOS_CACHE with a CUDA Kokkos (kokkos-5.0.2-cuda-hopper90)" >&2
  exit 2
fi
# Commits with Algorithm::gemm build Kokkos Kernels' CUDA install from the same cache when it is
# there (scripts/build-kokkos-kernels.sh cuda); without it such a commit cannot configure.
kernels_install=$KTCONV_KOKKOS_CACHE/kokkos-kernels-4.7.00-cuda-hopper90
kernels_arg=()
[ -d "$kernels_install" ] && kernels_arg=(-DKokkosKernels_ROOT="$kernels_install")

find_cuobjdump() {
  if [ -n "${CUOBJDUMP:-}" ]; then echo "$CUOBJDUMP"; return; fi
  if command -v cuobjdump > /dev/null 2>&1; then command -v cuobjdump; return; fi
  local c
  for c in /usr/local/cuda*/bin/cuobjdump; do
    if [ -x "$c" ]; then echo "$c"; return; fi
  done
}
cuobjdump=$(find_cuobjdump)
if [ -z "$cuobjdump" ]; then
  echo "compare-sass: no cuobjdump (set CUOBJDUMP; e.g. pip install nvidia-cuda-cuobjdump)" >&2
  exit 2
fi
find_nvdisasm() {
  if [ -n "${NVDISASM:-}" ]; then echo "$NVDISASM"; return; fi
  if command -v nvdisasm > /dev/null 2>&1; then command -v nvdisasm; return; fi
  local c
  for c in "$(dirname "$cuobjdump")/nvdisasm" /usr/local/cuda*/bin/nvdisasm; do
    if [ -x "$c" ]; then echo "$c"; return; fi
  done
}
nvdisasm=$(find_nvdisasm)
if [ -z "$nvdisasm" ]; then
  echo "compare-sass: no nvdisasm, which cuobjdump -sass needs (set NVDISASM; e.g. pip install nvidia-cuda-nvdisasm)" >&2
  exit 2
fi
export NVDISASM_PATH
NVDISASM_PATH=$(dirname "$nvdisasm")
echo "compare-sass: $cuobjdump, $nvdisasm"

# build_and_dump <commit hash>: the library's SASS, one normalised file per kernel, in
# $work/<hash>/kernels/<object>.<arch>.<n>.sass; a list of the kernels in $work/<hash>/kernels.txt.
build_and_dump() {
  local hash=$1 dir=$work/$1
  if [ -f "$dir/dump.ok" ]; then
    echo "== $hash: dump found in $dir"
    return 0
  fi
  rm -rf "$dir" && mkdir -p "$dir/src" "$dir/kernels"
  echo "== $hash: building the CUDA library in $dir (JOBS=$jobs; log: $dir/build.log)"
  git -C "$repo" archive "$hash" | tar -x -C "$dir/src" || return 1
  (cd "$dir/src" &&
    cmake --preset cuda -B "$dir/build" -DKokkos_ROOT="$kokkos" "${kernels_arg[@]}" -DKTCONV_ENABLE_TESTS=OFF \
      -DKTCONV_ENABLE_EXAMPLES=OFF -DKTCONV_ENABLE_BENCHMARKS=OFF &&
    cmake --build "$dir/build" --target ktconv --parallel "$jobs") > "$dir/build.log" 2>&1 || {
    tail -n 30 "$dir/build.log"
    return 1
  }
  local obj base
  while IFS= read -r obj; do
    base=$(basename "$obj" .o)
    "$cuobjdump" -sass "$obj" > "$dir/$base.sass" || return 1
    split_kernels "$dir/$base.sass" "$dir/kernels" "$base" || return 1
  done < <(find "$dir/build/CMakeFiles/ktconv.dir" -name '*.o' | sort)
  (cd "$dir/kernels" && for f in *.sass; do
    printf '%s %s\n' "$(head -n 1 "$f")" "$f"
  done) | sort > "$dir/kernels.txt"
  [ "${KEEP:-0}" = 1 ] || rm -rf "$dir/src" "$dir/build"
  touch "$dir/dump.ok"
}

# split_kernels <dump> <out dir> <object name>: one file per "Function : <name>" block, named
# <object>.<arch>.<name hash>; its first line is "<object> <arch> <mangled name>".
split_kernels() {
  awk -v out="$2" -v obj="$3" '
    /arch = sm_/ { arch = $3 }
    /^[[:space:]]*Function : / {
      if (file != "") close(file)
      name = $3
      cmd = "printf %s \"" name "\" | sha1sum | cut -c1-16"
      cmd | getline h
      close(cmd)
      file = out "/" obj "." arch "." h ".sass"
      print obj, arch, name > file
      next
    }
    file == "" { next }
    /^[[:space:]]*\.{5,}/ { next }
    {
      line = $0
      gsub(/\/\*[0-9a-f]{4,}\*\//, "/*ADDR*/", line)   # instruction addresses
      gsub(/`\([^)]*\)/, "`(SYMBOL)", line)            # called or relocated symbols
      gsub(/\.text\.[A-Za-z0-9_.$]+/, ".text.SYMBOL", line)
      print line > file
    }
    END { if (file != "") close(file) }
  ' "$1"
}

declare -a hashes=()
for c in "$1" "$2"; do
  h=$(git -C "$repo" rev-parse --verify "$c^{commit}") || exit 2
  hashes+=("$h")
  build_and_dump "$h" || { echo "compare-sass: build of $c ($h) failed" >&2; exit 2; }
done
a=$work/${hashes[0]}
b=$work/${hashes[1]}

echo
echo "== SASS of $1 (${hashes[0]}) vs $2 (${hashes[1]}), kernel by kernel"
differ=0 same=0
while IFS= read -r key; do
  fa=$(awk -v k="$key" '$1" "$2" "$3 == k { print $4 }' "$a/kernels.txt")
  fb=$(awk -v k="$key" '$1" "$2" "$3 == k { print $4 }' "$b/kernels.txt")
  if [ -z "$fa" ]; then
    echo "only in B   $key"; differ=$((differ + 1))
  elif [ -z "$fb" ]; then
    echo "only in A   $key"; differ=$((differ + 1))
  elif cmp -s "$a/kernels/$fa" "$b/kernels/$fb"; then
    echo "identical   $key ($(($(wc -l < "$a/kernels/$fa") / 2)) instructions)"; same=$((same + 1))
  else
    echo "DIFFERENT   $key (diff $a/kernels/$fa $b/kernels/$fb)"; differ=$((differ + 1))
  fi
done < <(cat "$a/kernels.txt" "$b/kernels.txt" | awk '{ print $1, $2, $3 }' | sort -u)
echo "== $same kernels identical, $differ different or in one commit only"
[ $differ -eq 0 ]
