#!/usr/bin/env bash
# The default test run: for each arch, a fresh build, the build-level tests
# (reproducibility, fail-loud, identity) and the structure checks + minimal-
# initramfs boot matrix. Boots are TCG-emulated and bounded (~1 min per arch).
# Then the real system: amd64 built from examples/demo.build-script.json and
# booted to multi-user (tests/system-test.sh; ~8 min with the build).
#
# Usage: buildkit/tests/all.sh [--dracut] [--no-system] [--system-arm64] [ARCH...]
#                                                       (default: amd64 arm64)
#   --dracut        also build amd64 with the dracut fixture initramfs and run its
#                   boot matrix (mounts persist by label; ~2.5 min more)
#   --no-system     skip the real-system build and boots
#   --system-arm64  also build the arm64 real system (emulated under
#                   qemu-user-static, slow) and boot its UEFI disk under AAVMF
#   --system-offline  rebuild the amd64 system with --offline inside a network
#                   namespace without network, from the .debs the first build kept;
#                   its packages.tsv must equal the first build's
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRACUT=0
SYSTEM=1
SYSTEM_ARM64=0
SYSTEM_OFFLINE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dracut) DRACUT=1 ;;
    --no-system) SYSTEM=0 ;;
    --system-arm64) SYSTEM_ARM64=1 ;;
    --system-offline) SYSTEM_OFFLINE=1 ;;
    -*) echo "all.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
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
# system_run ARCH [system-test args]: the real system from the demo build_script
system_run() {
  local arch="$1" out="$OUT_BASE/system-$1"
  shift
  echo "=== $arch real system (build_script examples/demo.build-script.json)"
  rm -rf "$out"
  if "$KIT_DIR/build.sh" --arch "$arch" --build-script "$KIT_DIR/examples/demo.build-script.json" \
    --out "$out" 2>"$OUT_BASE.system-$arch.build.log"; then
    echo "build stages (s): $(tr '\t\n' '= ' <"$out/timings.tsv")"
    echo "sizes (MiB): $(for f in "$out"/powernode-"$arch".{img,qcow2,efi,oci.tar,composefs.erofs,composefs-objects.tar}; do
      if [ -f "$f" ]; then printf '%s=%s ' "${f##*/}" "$(( $(stat -c %s "$f") / 1048576 ))"; fi; done)"
    "$KIT_DIR/tests/system-test.sh" "$@" "$out" | sed -n '/^summary:/,$p' || rc=1
  else
    tail -n 15 "$OUT_BASE.system-$arch.build.log" >&2
    echo "FAIL  build $arch real system (log: $OUT_BASE.system-$arch.build.log)" >&2; rc=1
  fi
}
if [ "$SYSTEM" = 1 ] || [ "$SYSTEM_ARM64" = 1 ]; then
  echo "=== build_script checks"
  "$KIT_DIR/tests/build-script-test.sh" || rc=1
fi
if [ "$SYSTEM" = 1 ]; then
  # the slow suite boots every form (qcow2 and the ISO as a USB stick too)
  if [ "$SYSTEM_ARM64" = 1 ] || [ "$SYSTEM_OFFLINE" = 1 ]; then system_run amd64 --only all; else system_run amd64; fi
fi
if [ "$SYSTEM" = 1 ] && [ "$SYSTEM_OFFLINE" = 1 ]; then
  echo "=== amd64 real system, offline rebuild"
  out="$OUT_BASE/system-amd64-offline"
  rm -rf "$out"
  if unshare --net "$KIT_DIR/build.sh" --arch amd64 --offline --family composefs \
    --build-script "$KIT_DIR/examples/demo.build-script.json" --out "$out" 2>"$OUT_BASE.system-offline.build.log"; then
    if cmp -s "$out/packages.tsv" "$OUT_BASE/system-amd64/packages.tsv"; then
      echo "PASS  offline rebuild without network: $(wc -l <"$out/packages.tsv") packages, the same versions ($(tr '\t\n' '= ' <"$out/timings.tsv"))"
    else
      echo "FAIL  offline rebuild: packages differ from the online build:" >&2
      diff "$OUT_BASE/system-amd64/packages.tsv" "$out/packages.tsv" | head -n 10 >&2; rc=1
    fi
  else
    tail -n 15 "$OUT_BASE.system-offline.build.log" >&2
    echo "FAIL  offline rebuild (log: $OUT_BASE.system-offline.build.log)" >&2; rc=1
  fi
fi
if [ "$SYSTEM_ARM64" = 1 ]; then system_run arm64 --only disk --timeout 1200; fi
exit "$rc"
