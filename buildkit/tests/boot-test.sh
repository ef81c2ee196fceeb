#!/usr/bin/env bash
# Structure checks and QEMU boot tests for a build.sh output directory.
#
# Usage: buildkit/tests/boot-test.sh [--only LIST] [--timeout SECONDS] OUT_DIR
#
#   --only LIST     comma-separated boots: direct,disk,qcow2,iso-cd,iso-disk,ipxe-efi,ipxe-bios
#                   (default: all whose artifact exists)
#   --timeout N     per-boot bound in seconds (default 120; TCG, no KVM)
#
# Each boot passes when the initramfs marker "POWERNODE-BOOT-OK <build id>"
# appears on the serial console. Logs land in OUT_DIR/boot-logs/.
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"

ONLY=""
TIMEOUT=120
while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY="${2:?}"; shift ;;
    --timeout) TIMEOUT="${2:?}"; shift ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "boot-test.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
OUT="${1:?usage: boot-test.sh [--only LIST] OUT_DIR}"
OUT="$(cd "$OUT" && pwd)"
ARCH="$(jq -r .arch "$OUT/manifest.json")"
BUILD_ID="$(cat "$OUT/build-id")"
MARKER="POWERNODE-BOOT-OK $BUILD_ID"
INITRAMFS_KIND="$(jq -r .initramfs "$OUT/manifest.json")"
CMDLINE="$(jq -r .cmdline "$OUT/manifest.json")"
EXTRA=()
if [ "$INITRAMFS_KIND" = dracut ]; then
  # The dracut image mounts persist (by label) as its root and says so.
  MARKER="$MARKER persist-mounted"
fi
case "$ARCH" in
  amd64) EFI_NAME=BOOTX64.EFI ;;
  arm64) EFI_NAME=BOOTAA64.EFI ;;
  *) echo "boot-test.sh: unknown arch $ARCH" >&2; exit 2 ;;
esac
LOGS="$OUT/boot-logs"
mkdir -p "$LOGS"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/powernode-boot.XXXXXX")"
QEMU_PID=""
cleanup() {
  # Only our own QEMU (by PID) is stopped; other users' VMs are left alone.
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then kill "$QEMU_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

FAILS=0
RESULTS=()
pass() { RESULTS+=("PASS  $*"); echo "PASS  $*"; }
fail() { RESULTS+=("FAIL  $*"); echo "FAIL  $*" >&2; FAILS=$((FAILS + 1)); }
selected() {
  if [ -z "$ONLY" ]; then return 0; fi
  case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }

# --- structure checks ----------------------------------------------------------
check() {
  local name="$1"; shift
  if "$@" >"$WORK/check.out" 2>&1; then pass "check $name"; else fail "check $name"; sed 's/^/    /' "$WORK/check.out" >&2; fi
}
img="$OUT/powernode-$ARCH.img"
uki="$OUT/powernode-$ARCH.efi"
iso="$OUT/powernode-$ARCH.iso"

uki_has_sections() {
  local s x
  s="$(if [ "$ARCH" = arm64 ]; then aarch64-linux-gnu-objdump -h "$uki"; else objdump -h "$uki"; fi)"
  for x in .osrel .cmdline .linux .initrd; do
    grep -q " $x " <<<"$s" || { echo "missing $x"; return 1; }
  done
}
# Output is captured before grep: with pipefail, grep -q closing the pipe early
# would fail the producer with SIGPIPE and make checks flaky.
matches() { local o; o="$("${@:2}" 2>&1)" || true; echo "$o"; grep -qE -- "$1" <<<"$o"; }
gpt_valid() { matches "No problems found" sgdisk -v "$1"; }
part_offset() { sgdisk -i "$2" "$1" | awk '/First sector:/{print $3 * 512}'; }
# fs_at IMG OFFSET LABEL TYPE [VERSION]: blkid probes the filesystem at an offset,
# no loop device needed.
fs_at() {
  local o
  o="$(blkid -p -O "$2" "$1")"
  echo "$o"
  grep -q "LABEL=\"$3\"" <<<"$o" && grep -q "TYPE=\"$4\"" <<<"$o" &&
    { [ -z "${5:-}" ] || grep -q "VERSION=\"$5\"" <<<"$o"; }
}
esp_holds_uki() {
  MTOOLS_SKIP_CHECK=1 mcopy -n -i "$img@@$(part_offset "$img" 1)" "::/EFI/BOOT/$EFI_NAME" "$WORK/esp.efi" &&
    cmp "$WORK/esp.efi" "$uki"
}
persist_fsck_clean() {
  local off size
  off="$(part_offset "$img" 2)"
  size="$(sgdisk -i 2 "$img" | awk '/Partition size:/{print $3}')"
  dd if="$img" of="$WORK/persist.ext4" bs=512 skip=$((off / 512)) count="$size" status=none
  e2fsck -fn "$WORK/persist.ext4"
}
iso_has_uefi_eltorito() { matches "El Torito boot img : *1 *UEFI" xorriso -indev "$iso" -report_el_torito plain; }
iso_has_appended_esp() { matches " EF00 " sgdisk -p "$iso"; }

if [ -f "$uki" ]; then check "UKI has .osrel .cmdline .linux .initrd" uki_has_sections; fi
if [ -f "$img" ]; then
  check "sgdisk -v" gpt_valid "$img"
  check "partition 1 is FAT32 BOOT" fs_at "$img" "$(part_offset "$img" 1)" BOOT vfat FAT32
  check "partition 2 is ext4 persist" fs_at "$img" "$(part_offset "$img" 2)" persist ext4
  check "ESP holds /EFI/BOOT/$EFI_NAME identical to the UKI" esp_holds_uki
  check "persist passes e2fsck -fn" persist_fsck_clean
fi
if [ -f "$OUT/powernode-$ARCH.qcow2" ]; then check "qemu-img check" qemu-img check "$OUT/powernode-$ARCH.qcow2"; fi
oci="$OUT/powernode-$ARCH.oci"
oci_valid() { matches "\"Architecture\": \"$ARCH\"" skopeo inspect "oci:$oci:latest"; }
# skopeo copy re-reads every blob and checks it against its digest.
oci_blobs_match() { skopeo copy --quiet "oci:$oci:latest" "oci:$WORK/oci-copy:latest"; }
if [ -d "$oci" ]; then
  if command -v skopeo >/dev/null; then
    check "skopeo inspect oci:" oci_valid
    check "skopeo copy verifies all blob digests" oci_blobs_match
  else
    fail "skopeo not installed (run buildkit/setup.sh)"
  fi
fi
cfs="$OUT/powernode-$ARCH.composefs.erofs"
cfs_objects="$OUT/powernode-$ARCH.composefs-objects"
# Metadata-only: the EROFS image must be far smaller than the data it describes.
cfs_metadata_only() {
  local img_kib obj_kib
  img_kib=$(( $(stat -c %s "$cfs") / 1024 ))
  obj_kib="$(du -sk "$cfs_objects" | cut -f1)"
  echo "erofs ${img_kib} KiB, objects ${obj_kib} KiB"
  [ "$img_kib" -lt 1024 ] && [ "$obj_kib" -gt $((img_kib * 10)) ]
}
cfs_objects_content_addressed() {
  local f name
  while IFS= read -r -d '' f; do
    name="$(basename "$(dirname "$f")")$(basename "$f")"
    [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$name" ] || { echo "bad object $f"; return 1; }
  done < <(find "$cfs_objects" -type f -print0)
}
if [ -f "$cfs" ]; then
  check "composefs-style EROFS passes fsck.erofs" fsck.erofs "$cfs"
  check "composefs-style EROFS is metadata-only" cfs_metadata_only
  check "composefs-style objects are named by sha256" cfs_objects_content_addressed
fi
if [ -f "$iso" ]; then
  check "ISO El Torito has a UEFI boot image" iso_has_uefi_eltorito
  check "ISO GPT has the appended ESP" iso_has_appended_esp
fi

# --- boots -----------------------------------------------------------------
case "$ARCH" in
  amd64)
    QEMU=(qemu-system-x86_64 -machine q35)
    FW_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
    FW_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
    ;;
  arm64)
    # cortex-a57 rather than max: max is much slower under TCG.
    QEMU=(qemu-system-aarch64 -machine virt -cpu cortex-a57)
    FW_CODE=/usr/share/AAVMF/AAVMF_CODE.fd
    FW_VARS=/usr/share/AAVMF/AAVMF_VARS.fd
    ;;
esac

# boot NAME QEMU_ARGS...: runs QEMU bounded by timeout, reports the time until
# the marker shows on the serial console.
boot() {
  local name="$1"; shift
  local log="$LOGS/$name.log" t0 t_marker="" rc
  : >"$log"
  t0="$(now)"
  timeout --kill-after=5 "$TIMEOUT" "${QEMU[@]}" -m 512 -nographic -no-reboot \
    "$@" </dev/null >"$log" 2>&1 &
  QEMU_PID=$!
  while kill -0 "$QEMU_PID" 2>/dev/null; do
    if [ -z "$t_marker" ] && grep -qa "$MARKER" "$log"; then t_marker="$(now)"; fi
    sleep 0.2
  done
  rc=0; wait "$QEMU_PID" || rc=$?
  QEMU_PID=""
  if [ -z "$t_marker" ] && grep -qa "$MARKER" "$log"; then t_marker="$(now)"; fi
  if [ -n "$t_marker" ]; then
    pass "boot $ARCH $name: marker after $(elapsed "$t0" "$t_marker") s (qemu exit $rc, total $(elapsed "$t0" "$(now)") s)"
  else
    fail "boot $ARCH $name: no marker within ${TIMEOUT}s (qemu exit $rc); log: $log"
    tail -n 15 "$log" | sed 's/^/    /' >&2
  fi
}

fw_args() {
  cp "$FW_VARS" "$WORK/vars-$1.fd"
  printf '%s\n' -drive "if=pflash,format=raw,unit=0,readonly=on,file=$FW_CODE" \
    -drive "if=pflash,format=raw,unit=1,file=$WORK/vars-$1.fd"
}
# virtio_disk FORMAT FILE: snapshot=on, so a boot never writes the artifact.
# virtio, because the cloud kernel has no AHCI driver.
virtio_disk() {
  printf '%s\n' -drive "if=none,id=d0,format=$1,snapshot=on,file=$2" -device virtio-blk-pci,drive=d0
}

# With dracut, boots that do not come from the raw disk get it as a second
# disk, so there is a persist partition to mount.
if [ "$INITRAMFS_KIND" = dracut ]; then
  EXTRA=(-drive "if=none,id=p0,format=raw,snapshot=on,file=$img" -device "virtio-blk-pci,drive=p0")
fi
if selected direct && [ -f "$OUT/kernel" ]; then
  boot direct -kernel "$OUT/kernel" -initrd "$OUT/initramfs.cpio.zst" -append "$CMDLINE" "${EXTRA[@]}"
fi
if [ -f "$FW_CODE" ]; then
  if selected disk && [ -f "$img" ]; then
    mapfile -t a < <(fw_args disk; virtio_disk raw "$img")
    boot disk "${a[@]}"
  fi
  if selected qcow2 && [ -f "$OUT/powernode-$ARCH.qcow2" ]; then
    mapfile -t a < <(fw_args qcow2; virtio_disk qcow2 "$OUT/powernode-$ARCH.qcow2")
    boot qcow2 "${a[@]}"
  fi
  if selected iso-cd && [ -f "$iso" ]; then
    mapfile -t a < <(fw_args iso-cd)
    a+=(-drive "if=none,id=cd0,media=cdrom,readonly=on,file=$iso")
    if [ "$ARCH" = amd64 ]; then
      a+=(-device "ide-cd,drive=cd0")
    else
      # The virt machine has no IDE: a SCSI CD on virtio-scsi.
      a+=(-device virtio-scsi-pci -device "scsi-cd,drive=cd0")
    fi
    boot iso-cd "${a[@]}" "${EXTRA[@]}"
  fi
  if selected iso-disk && [ -f "$iso" ]; then
    mapfile -t a < <(fw_args iso-disk; virtio_disk raw "$iso")
    boot iso-disk "${a[@]}" "${EXTRA[@]}"
  fi
  # QEMU's iPXE option ROMs are x86 only, so the iPXE boots run on amd64.
  if [ "$ARCH" = amd64 ] && selected ipxe-efi && [ -f "$OUT/powernode-$ARCH.ipxe" ]; then
    # OVMF loads QEMU's iPXE option ROM as an EFI driver; its network boot runs
    # the script, which takes the EFI branch and chains the UKI over TFTP.
    mapfile -t a < <(fw_args ipxe-efi)
    boot ipxe-efi "${a[@]}" -netdev "user,id=n0,tftp=$OUT,bootfile=powernode-$ARCH.ipxe" \
      -device virtio-net-pci,netdev=n0 "${EXTRA[@]}"
  fi
else
  fail "firmware not found at $FW_CODE (run buildkit/setup.sh --arch $ARCH)"
fi
if [ "$ARCH" = amd64 ] && selected ipxe-bios && [ -f "$OUT/powernode-$ARCH.ipxe" ]; then
  # SeaBIOS + QEMU's iPXE option ROM fetch the script over the built-in TFTP;
  # the script takes its BIOS branch (kernel + initramfs).
  boot ipxe-bios -netdev "user,id=n0,tftp=$OUT,bootfile=powernode-$ARCH.ipxe" \
    -device virtio-net-pci,netdev=n0 -boot n "${EXTRA[@]}"
fi

echo
echo "summary:"
printf '  %s\n' "${RESULTS[@]}"
[ "$FAILS" -eq 0 ] || { echo "$FAILS failure(s)" >&2; exit 1; }
