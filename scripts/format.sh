#!/usr/bin/env bash
# Formats ktconv's C++ sources in place with clang-format and the repository's .clang-format.
#   scripts/format.sh            format every tracked .hpp/.cpp (or the files given)
#   scripts/format.sh --check    change nothing; list the files that differ, exit 1 if any
# CLANG_FORMAT picks the binary (default: clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
if ! command -v "$clang_format" > /dev/null 2>&1; then
  echo "format.sh: $clang_format not found" >&2
  exit 2
fi
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files '*.hpp' '*.cpp')
fi
if [ $check = 0 ]; then
  "$clang_format" -i --style=file "${files[@]}"
  exit 0
fi
differ=0
for f in "${files[@]}"; do
  if ! "$clang_format" --style=file "$f" | cmp -s - "$f"; then
    echo "format.sh: $f is not formatted"
    differ=1
  fi
done
exit $differ
