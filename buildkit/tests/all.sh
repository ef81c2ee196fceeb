#!/usr/bin/env bash
# The default test run: for each arch, a fresh build, the build-level tests
# (reproducibility, fail-loud, identity) and the structure checks + minimal-
# initramfs boot matrix. Boots are TCG-emulated and bounded (~1 min per arch).
#
# Usage: buildkit/tests/all.sh [--dracut] [ARCH...]      (default: amd64 arm64)
#   --dracut  also build amd64 with the dracut initramfs and run its boot
#             matrix (mounts persist by label; ~2.5 min more)
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRACUT=0
if [ "${1:-}" = --dracut ]; then DRACUT=1; shift; fi
[ $# -gt 0 ] || set -- amd64 arm64
OUT_BASE="${POWERNODE_TEST_OUT:-$KIT_DIR/out/test}"
# the build logs sit next to OUT_BASE: in a fresh clone its parent does not exist yet
mkdir -p "$OUT_BASE"
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
if [ "$DRACUT" = 1 ]; then
  echo "=== amd64 dracut"
  out="$OUT_BASE/amd64-dracut"
  rm -rf "$out"
  if "$KIT_DIR/build.sh" --arch amd64 --initramfs dracut --out "$out" 2>"$OUT_BASE.dracut.build.log"; then
    echo "build stages (s): $(tr '\t\n' '= ' <"$out/timings.tsv")"
    "$KIT_DIR/tests/boot-test.sh" --timeout 180 "$out" | sed -n '/^summary:/,$p' || rc=1
  else
    echo "FAIL  build amd64 dracut (log: $OUT_BASE.dracut.build.log)" >&2; rc=1
  fi
fi
exit "$rc"
