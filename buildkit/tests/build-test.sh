#!/usr/bin/env bash
# Build-level tests that need no VM: reproducibility (two SOURCE_DATE_EPOCH
# builds give the same bytes) and fail-loud (no real kernel => non-zero exit,
# clear message, no image). Also exercises identity.sh on a copy of the disk.
#
# Usage: buildkit/tests/build-test.sh [--arch amd64]
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARCH=amd64
if [ "${1:-}" = --arch ]; then ARCH="${2:?}"; fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/powernode-buildtest.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
FAILS=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*" >&2; FAILS=$((FAILS + 1)); }

# --- reproducibility -----------------------------------------------------------
export SOURCE_DATE_EPOCH=1700000000
# Pin the revision once: a commit landing between the two builds would
# otherwise change the build id and fail the comparison for the wrong reason.
POWERNODE_GIT_SHA="$(git -C "$KIT_DIR" rev-parse HEAD 2>/dev/null || echo unknown)"
export POWERNODE_GIT_SHA
"$KIT_DIR/build.sh" --arch "$ARCH" --out "$WORK/r1" 2>"$WORK/r1.log"
# A different wall clock second and working directory must not matter.
sleep 2
"$KIT_DIR/build.sh" --arch "$ARCH" --out "$WORK/r2" 2>"$WORK/r2.log"
for f in kernel initramfs.cpio.zst "powernode-$ARCH.efi" "powernode-$ARCH.img" \
  "powernode-$ARCH.qcow2" "powernode-$ARCH.iso" "powernode-$ARCH.ipxe" "powernode-$ARCH.oci.tar" \
  "powernode-$ARCH.composefs.erofs" "powernode-$ARCH.composefs-objects.tar" manifest.json; do
  if cmp -s "$WORK/r1/$f" "$WORK/r2/$f"; then
    pass "reproducible $f ($(sha256sum "$WORK/r1/$f" | cut -c1-16)…)"
  else
    fail "reproducible $f: builds differ"
  fi
done
unset SOURCE_DATE_EPOCH

# --- fail loud -------------------------------------------------------------------
# expect_refused NAME KERNEL_ARG: the build must exit non-zero, say why, and
# leave no bootable-looking image behind.
expect_refused() {
  local name="$1" karg="$2" out="$WORK/fail-$1" rc=0
  "$KIT_DIR/build.sh" --arch "$ARCH" --kernel "$karg" --out "$out" 2>"$out.log" || rc=$?
  if [ "$rc" -ne 0 ] && grep -q 'placeholder kernel refused' "$out.log" &&
    [ ! -e "$out/powernode-$ARCH.img" ] && [ ! -e "$out/powernode-$ARCH.efi" ]; then
    pass "fail-loud $name: exit $rc, $(grep 'error:' "$out.log" | head -n1)"
  else
    fail "fail-loud $name: exit $rc, log: $(tr '\n' ' ' <"$out.log")"
  fi
}
mkdir -p "$WORK/nokernel"
expect_refused missing-kernel "$WORK/nokernel"
: >"$WORK/empty-vmlinuz"
expect_refused empty-kernel "$WORK/empty-vmlinuz"
printf 'not a kernel\n' >"$WORK/fake-vmlinuz"
expect_refused non-bzimage "$WORK/fake-vmlinuz"

# --- identity.cfg -------------------------------------------------------------------
cp "$WORK/r1/powernode-$ARCH.img" "$WORK/device.img"
printf 'device_id=test-0001\n' >"$WORK/identity.cfg"
"$KIT_DIR/identity.sh" "$WORK/device.img" "$WORK/identity.cfg" >/dev/null
off="$(sgdisk -i 1 "$WORK/device.img" | awk '/First sector:/{print $3 * 512}')"
if MTOOLS_SKIP_CHECK=1 mtype -i "$WORK/device.img@@$off" ::/identity.cfg | grep -q 'device_id=test-0001' &&
  sgdisk -v "$WORK/device.img" >/dev/null; then
  pass "identity.sh drops identity.cfg onto BOOT"
else
  fail "identity.sh"
fi

[ "$FAILS" -eq 0 ] || { echo "$FAILS failure(s)" >&2; exit 1; }
