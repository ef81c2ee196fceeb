#!/usr/bin/env bash
# The default test run: for each arch, a fresh build, the build-level tests
# (reproducibility, fail-loud, identity) and the structure checks + minimal-
# initramfs boot matrix. Boots are TCG-emulated and bounded (~1 min per arch).
#
# Usage: buildkit/tests/all.sh [ARCH...]      (default: amd64 arm64)
set -euo pipefail

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -gt 0 ] || set -- amd64 arm64
OUT_BASE="${POWERNODE_TEST_OUT:-$KIT_DIR/out/test}"
rc=0
for arch in "$@"; do
  echo "=== $arch"
  out="$OUT_BASE/$arch"
  rm -rf "$out"
  "$KIT_DIR/build.sh" --arch "$arch" --out "$out" 2>"$OUT_BASE.$arch.build.log" ||
    { echo "FAIL  build $arch (log: $OUT_BASE.$arch.build.log)" >&2; rc=1; continue; }
  echo "build stages (s): $(tr '\t\n' '= ' <"$out/timings.tsv")"
  "$KIT_DIR/tests/build-test.sh" --arch "$arch" || rc=1
  "$KIT_DIR/tests/boot-test.sh" "$out" | sed -n '/^summary:/,$p' || rc=1
done
exit "$rc"
