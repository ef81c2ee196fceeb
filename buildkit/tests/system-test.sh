#!/usr/bin/env bash
# Tests of a real-system build (build.sh --build-script): structure checks, then real boots under
# QEMU (TCG, serial console, bounded), two at a time:
#   disk      the UEFI raw disk with an identity.cfg on BOOT boots to multi-user.target: the marker
#             names the booted image digest, the identity and boot=1; booted again, boot=2 (the
#             boot counter lives in /var on persist, so /var persisted)
#   qcow2     the qcow2 boots to multi-user (identity=none: no identity.cfg)
#   kernel    the kernel_initramfs family: kernel + initramfs direct, persist from the disk
#   iso-cd    the ISO as a CD: persist found on the CD, read-only, the system runs live
#   iso-usb   the ISO as a disk (a USB stick): its appended persist partition, writable
#   ipxe-efi  netboot (amd64): OVMF + QEMU's iPXE fetch an operator's menu script over HTTP, which
#             sets powernode-url and chains the build's script; the kernel + netboot initramfs
#             fetch the netboot image over HTTP into RAM, check its sha256 and run it live. The
#             HTTP server listens on 127.0.0.1 only; the guest reaches it through guestfwd + nc
#   ipxe-bios the same under SeaBIOS + iPXE (not in the default list)
#   netboot-tampered  netboot of an image file with one byte changed on the server: refused before
#             anything mounts it ("the fetched image is corrupt or tampered")
# qcow2 and iso-usb boot the disk's content again in another container: not in the default list
# (--only all, or name them).
#   tampered-trial   the same, booted as a counted trial (its boot entry renamed +1): the initramfs
#                    reboots instead of halting, so that the boot loader's counter runs down
#   tampered-image   one byte of the metadata image on persist changed: refused before mounting,
#             "POWERNODE-BOOT-FAILED: composefs image … is corrupt or tampered" on the console
#   tampered-object  one byte of an object (the file behind /usr/lib/powernode/booted.sh) changed:
#             fs-verity refuses to serve it (EIO), the unit fails, no marker
#   swapped-object   that object replaced by another valid, sealed object: overlayfs refuses it
#             (its fs-verity digest is not the one the image records), the unit fails, no marker
# The guests get QEMU user networking with restrict=on only.
#
# Usage: buildkit/tests/system-test.sh [--only LIST] [--timeout SECONDS] OUT_DIR
#   --only LIST   comma list of boots, or "all" (default: all but qcow2 and iso-usb)
#   --timeout N   per-boot bound in seconds (default 300)
# POWERNODE_TEST_SMP: vCPUs per guest (default 1; the tests run two guests at once on 2 cores)
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${POWERNODE_BUILDKIT_CACHE:-$KIT_DIR/.cache}"
ONLY=""
TIMEOUT=300
while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY="${2:?}"; shift ;;
    --timeout) TIMEOUT="${2:?}"; shift ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "system-test.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
OUT="$(cd "${1:?usage: system-test.sh [--only LIST] OUT_DIR}" && pwd)"
ARCH="$(jq -r .arch "$OUT/manifest.json")"
[ "$(jq -r .initramfs "$OUT/manifest.json")" = system ] ||
  { echo "system-test.sh: $OUT is not a --build-script build" >&2; exit 2; }
DIGEST="$(sed 's/^sha256://' "$OUT/image-digest")"
IMG="$OUT/powernode-$ARCH.img"
CFS="$OUT/powernode-$ARCH.composefs.erofs"
TOOLS="$CACHE_DIR/tools-trixie-$ARCH"
LOGS="$OUT/system-logs"
mkdir -p "$LOGS"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/powernode-systest.XXXXXX")"
PIDS=()
HTTPD_PID=""
cleanup() {
  local p
  if [ -n "$HTTPD_PID" ]; then kill "$HTTPD_PID" 2>/dev/null || true; fi
  # the tracks' QEMUs first (their parent is the track's subshell), then the tracks
  for p in "${PIDS[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

FAILS=0
RESULTS=()
pass() { RESULTS+=("PASS  $*"); echo "PASS  $*"; }
fail() { RESULTS+=("FAIL  $*"); echo "FAIL  $*" >&2; FAILS=$((FAILS + 1)); }
ONLY="${ONLY:-disk,kernel,iso-cd,ipxe-efi,tampered-image,tampered-trial,tampered-object,swapped-object,netboot-tampered}"
[ "$ONLY" != all ] || ONLY="disk,qcow2,kernel,iso-cd,iso-usb,ipxe-efi,ipxe-bios,tampered-image,tampered-trial,tampered-object,swapped-object,netboot-tampered"
selected() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
check() {
  local name="$1"; shift
  if "$@" >"$WORK/check.out" 2>&1; then pass "check $name"; else fail "check $name"; sed 's/^/    /' "$WORK/check.out" >&2; fi
}
part_offset() { sgdisk -i "$2" "$1" | awk '/First sector:/{print $3 * 512}'; }
PERSIST_OFF="$(part_offset "$IMG" 2)"

# composefs-info runs in the build environment (composefs is not installed on the host)
cfs_dump() {
  cp "$CFS" "$TOOLS/tmp/powernode-systest.cfs"
  chroot "$TOOLS" composefs-info dump /tmp/powernode-systest.cfs
  rm -f "$TOOLS/tmp/powernode-systest.cfs"
}
cfs_dump >"$WORK/dump"
# the object behind one path of the image (field 9 of composefs-info dump)
object_of() { awk -v p="$1" '$1 == p {print $9}' "$WORK/dump"; }

# --- structure -------------------------------------------------------------------
digest_matches() { [ "$(sha256sum "$CFS" | cut -d' ' -f1)" = "$DIGEST" ]; }
uki_names_image() {
  local objcopy=objcopy c
  [ "$ARCH" = amd64 ] || objcopy=aarch64-linux-gnu-objcopy
  "$objcopy" -O binary --only-section=.cmdline "$OUT/powernode-$ARCH.efi" "$WORK/cmdline.bin"
  c="$(tr -d '\0' <"$WORK/cmdline.bin")"
  echo "$c"
  grep -q "powernode.image=sha256:$DIGEST" <<<"$c"
}
ownership_kept() {
  # /etc/shadow is root:shadow (gid 42) 0640 in Debian; an --all-root image would say 0 0
  grep -E '^/etc/shadow [0-9]+ 100640 1 0 42 ' "$WORK/dump"
}
persist_sealed() {
  local obj blk flags
  dd if="$IMG" of="$WORK/persist.ext4" bs=1M iflag=skip_bytes,count_bytes skip="$PERSIST_OFF" \
    count="$(( $(sgdisk -i 2 "$IMG" | awk '/Partition size:/{print $3}') * 512 ))" status=none
  e2fsck -fn "$WORK/persist.ext4" || return 1
  dumpe2fs -h "$WORK/persist.ext4" 2>/dev/null | grep -E '^Filesystem features:.* verity' || { echo "no verity feature"; return 1; }
  dumpe2fs -h "$WORK/persist.ext4" 2>/dev/null | grep -E '^Block size: +4096' || return 1
  obj="$(object_of /usr/lib/powernode/booted.sh)"
  flags="$(debugfs -R "stat /powernode/objects/$obj" "$WORK/persist.ext4" 2>/dev/null | sed -n 's/.*Flags: \(0x[0-9a-f]*\).*/\1/p')"
  echo "object $obj flags $flags"
  [ $(( flags & 0x100000 )) -ne 0 ]
  blk="$(debugfs -R "stat /powernode/images/$DIGEST.cfs" "$WORK/persist.ext4" 2>/dev/null | grep -c 'Size:')"
  [ "$blk" -ge 1 ] || { echo "image $DIGEST.cfs not on persist"; return 1; }
  rm -f "$WORK/persist.ext4"
}
oci_is_bootc() {
  local cfg
  cfg="$(skopeo inspect --config "oci:$OUT/powernode-$ARCH.oci:latest")"
  jq -e '.config.Labels["containers.bootc"] == "1"' <<<"$cfg"
  jq -e --arg d "sha256:$DIGEST" '.config.Labels["org.powernode.composefs-image"] == $d' <<<"$cfg"
}
iso_carries_persist() {
  local off
  off="$(sgdisk -i 3 "$OUT/powernode-$ARCH.iso" | awk '/First sector:/{print $3 * 512}')"
  [ -n "$off" ] || { echo "no partition 3"; return 1; }
  blkid -p -O "$off" "$OUT/powernode-$ARCH.iso" | tee /dev/stderr | grep -q 'LABEL="persist" .*TYPE="ext4"'
}
no_per_node_secrets() {
  # the fleet boots one image: no SSH host keys, machine-id empty
  if grep -E '^/etc/ssh/ssh_host_' "$WORK/dump"; then return 1; fi
  grep -E '^/etc/machine-id 0 ' "$WORK/dump"
}
check "image-digest is the sha256 of the composefs image" digest_matches
check "image ships no SSH host keys and an empty machine-id" no_per_node_secrets
check "UKI command line names the image (powernode.image=sha256:…)" uki_names_image
check "composefs image keeps ownership (/etc/shadow root:shadow 0640)" ownership_kept
check "persist: e2fsck clean, 4 KiB blocks, verity feature, objects sealed, image present" persist_sealed
if [ -f "$OUT/powernode-$ARCH.iso" ]; then
  check "ISO appends persist (ext4, LABEL=persist) as GPT partition 3" iso_carries_persist
fi
netboot_sealed() {
  local script="$OUT/powernode-$ARCH.ipxe" nb="$OUT/powernode-$ARCH.netboot.ext4" sha
  sha="$(sed -n 's/.* powernode\.netboot\.sha256=\([0-9a-f]*\).*/\1/p' "$script")"
  echo "script names sha256 $sha"
  [ "$sha" = "$(sha256sum "$nb" | cut -d' ' -f1)" ] || { echo "the netboot image's sha256 differs"; return 1; }
  grep -q "powernode.image=sha256:$DIGEST " "$script" || { echo "script does not name the image"; return 1; }
  e2fsck -fn "$nb" || return 1
  blkid -p "$nb" | tee /dev/stderr | grep -q 'LABEL="powernode-net" .*TYPE="ext4"' || return 1
  debugfs -R "stat /powernode/images/$DIGEST.cfs" "$nb" 2>/dev/null | grep -q 'Size:' || { echo "image not in it"; return 1; }
}
if [ -f "$OUT/powernode-$ARCH.netboot.ext4" ]; then
  check "netboot: the iPXE script names the image and the netboot file's sha256; the file is an ext4 (LABEL=powernode-net) holding the image" netboot_sealed
fi
if [ -d "$OUT/powernode-$ARCH.oci" ] && command -v skopeo >/dev/null; then
  check "OCI image is bootc-style (containers.bootc=1, names the composefs image)" oci_is_bootc
fi

# --- boots -------------------------------------------------------------------------
case "$ARCH" in
  amd64)
    QEMU=(qemu-system-x86_64 -machine q35)
    FW_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
    FW_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
    ;;
  arm64)
    QEMU=(qemu-system-aarch64 -machine virt -cpu cortex-a57)
    FW_CODE=/usr/share/AAVMF/AAVMF_CODE.fd
    FW_VARS=/usr/share/AAVMF/AAVMF_VARS.fd
    ;;
esac
# virtio-rng: without a hardware RNG a guest can wait tens of seconds for entropy (ssh-keygen)
NET=(-netdev "user,id=n0,restrict=on" -device "virtio-net-pci,netdev=n0" -device virtio-rng-pci)

# run_boot NAME SUCCESS_REGEX FAIL_REGEX QEMU_ARGS...: QEMU until SUCCESS_REGEX shows on the
# serial console (then it is stopped), FAIL_REGEX shows, or the timeout. Writes NAME.result.
run_boot() {
  local name="$1" ok="$2" bad="$3" log="$LOGS/$1.log" t0 pid verdict=timeout
  shift 3
  : >"$log"
  t0=$(date +%s.%N)
  "${QEMU[@]}" -m 1024 -smp "${POWERNODE_TEST_SMP:-1}" -nographic -no-reboot "$@" </dev/null >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if grep -qaE -- "$ok" "$log"; then verdict=ok; break; fi
    if [ -n "$bad" ] && grep -qaE -- "$bad" "$log"; then verdict=bad; break; fi
    if awk -v a="$t0" -v b="$(date +%s.%N)" -v t="$TIMEOUT" 'BEGIN{exit !(b-a > t)}'; then break; fi
    sleep 0.5
  done
  if [ "$verdict" = timeout ] && grep -qaE -- "$ok" "$log"; then verdict=ok; fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  printf '%s %s\n' "$verdict" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')" >"$WORK/$name.result"
}
verdict() {
  local name="$1" what="$2" v t
  read -r v t <"$WORK/$name.result"
  if [ "$v" = ok ]; then
    pass "boot $ARCH $name: $what after $t s"
  else
    fail "boot $ARCH $name: $what not seen ($v after $t s); log: $LOGS/$name.log"
    sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' "$LOGS/$name.log" | grep -a . | tail -n 12 | sed 's/^/    /' >&2
  fi
}
fw() {
  cp "$FW_VARS" "$WORK/vars-$1.fd"
  printf '%s\n' -drive "if=pflash,format=raw,unit=0,readonly=on,file=$FW_CODE" \
    -drive "if=pflash,format=raw,unit=1,file=$WORK/vars-$1.fd"
}
disk() { printf '%s\n' -drive "if=none,id=d0,format=$1,file=$2${3:+,$3}" -device virtio-blk-pci,drive=d0; }
# flip_byte FILE_IN_PERSIST OFFSET: changes one byte of a file on the disk copy's persist, in place
flip_byte() {
  local disk="$1" path="$2" at="$3" blk pos old
  blk="$(debugfs -R "bmap $path 0" "$disk?offset=$PERSIST_OFF" 2>/dev/null)"
  if [ -z "$blk" ] || [ "$blk" -le 0 ]; then echo "no block for $path"; return 1; fi
  pos=$(( PERSIST_OFF + blk * 4096 + at ))
  old="$(dd if="$disk" bs=1 skip="$pos" count=1 status=none | od -An -tu1 | tr -d ' ')"
  # shellcheck disable=SC2059 # the format is the octal escape of the new byte
  printf "\\$(printf '%03o' $(( (old + 1) % 256 )))" | dd of="$disk" bs=1 seek="$pos" conv=notrunc status=none
}

# swap_object DISK TARGET OTHER: the directory entry of object TARGET on the disk copy's persist
# now names object OTHER's inode (valid data, valid fs-verity, the wrong digest for TARGET)
swap_object() {
  local disk="$1" target="$2" other="$3"
  if [ -z "$target" ] || [ -z "$other" ] || [ "$target" = "$other" ]; then echo "swap_object: bad objects" >&2; return 1; fi
  printf 'unlink /powernode/objects/%s\nln /powernode/objects/%s /powernode/objects/%s\n' "$target" "$other" "$target" >"$WORK/swap.debugfs"
  debugfs -w -f "$WORK/swap.debugfs" "$disk?offset=$PERSIST_OFF" >/dev/null 2>&1
}
marker="POWERNODE-MULTI-USER image=sha256:$DIGEST"

# netboot: the build's iPXE files under good/, a copy with one byte of the image file changed under
# tampered/, each with an operator's menu script (boot.ipxe) that sets powernode-url and chains the
# build's script. One HTTP server on loopback; each guest reaches it only as 10.0.2.100:80.
netboot_selected() {
  [ "$ARCH" = amd64 ] && [ -f "$OUT/powernode-$ARCH.netboot.ext4" ] &&
    { selected ipxe-efi || selected ipxe-bios || selected netboot-tampered; }
}
if netboot_selected; then
  # shellcheck source=scripts/lib/demo.sh
  source "$KIT_DIR/../scripts/lib/demo.sh"
  pn_die() { echo "system-test.sh: $*" >&2; exit 1; }
  command -v nc >/dev/null || { echo "system-test.sh: nc missing (run buildkit/setup.sh)" >&2; exit 1; }
  for d in good tampered; do
    mkdir -p "$WORK/http/$d"
    for f in kernel initramfs-net.cpio.zst "powernode-$ARCH.ipxe" "powernode-$ARCH.netboot.ext4"; do
      ln -s "$OUT/$f" "$WORK/http/$d/$f"
    done
    # shellcheck disable=SC2016 # ${powernode-url} is iPXE's
    printf '#!ipxe\nset powernode-url http://10.0.2.100/%s\nchain ${powernode-url}/powernode-%s.ipxe\n' "$d" "$ARCH" \
      >"$WORK/http/$d/boot.ipxe"
  done
  rm "$WORK/http/tampered/powernode-$ARCH.netboot.ext4"
  cp "$OUT/powernode-$ARCH.netboot.ext4" "$WORK/http/tampered/powernode-$ARCH.netboot.ext4"
  # a byte of the metadata image inside it: the file's sha256 changes, its ext4 stays valid
  nb_blk="$(debugfs -R "bmap /powernode/images/$DIGEST.cfs 0" "$WORK/http/tampered/powernode-$ARCH.netboot.ext4" 2>/dev/null)"
  printf 'X' | dd of="$WORK/http/tampered/powernode-$ARCH.netboot.ext4" bs=1 seek=$(( nb_blk * 4096 + 1200 )) conv=notrunc status=none
  HTTP_PORT="$(pn_free_port)"
  busybox httpd -f -p "127.0.0.1:$HTTP_PORT" -h "$WORK/http" &
  HTTPD_PID=$!
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null; then break; fi
    sleep 0.1
  done
fi
# netdev DIR: user networking with restrict=on; DHCP names DIR's menu script, 10.0.2.100:80 is the
# loopback HTTP server (a new nc per connection)
netdev() {
  printf '%s\n' -netdev "user,id=n0,restrict=on,bootfile=http://10.0.2.100/$1/boot.ipxe,guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 $HTTP_PORT" \
    -device virtio-net-pci,netdev=n0 -device virtio-rng-pci
}
failed_unit="Failed to start .*powernode-booted"
# track A: the disk twice (persistence), the tampered image, qcow2, the swapped object, the ISO as a disk
track_a() {
  if selected disk; then
    cp --sparse=always "$IMG" "$WORK/disk.img"
    printf 'device_id=node-test-0001\n' >"$WORK/identity.cfg"
    "$KIT_DIR/identity.sh" "$WORK/disk.img" "$WORK/identity.cfg" >/dev/null
    mapfile -t a < <(fw disk; disk raw "$WORK/disk.img")
    run_boot disk-boot1 "$marker identity=node-test-0001 boot=1" "POWERNODE-BOOT-FAILED|POWERNODE-IDENTITY-EXPOSED|$failed_unit" "${a[@]}" "${NET[@]}"
    run_boot disk-boot2 "$marker identity=node-test-0001 boot=2" "POWERNODE-BOOT-FAILED|POWERNODE-IDENTITY-EXPOSED|$failed_unit|boot=1" "${a[@]}" "${NET[@]}"
    rm -f "$WORK/disk.img"
  fi
  if selected tampered-image; then
    cp --sparse=always "$IMG" "$WORK/tampered-image.img"
    flip_byte "$WORK/tampered-image.img" "/powernode/images/$DIGEST.cfs" 1200
    mapfile -t a < <(fw tampered-image; disk raw "$WORK/tampered-image.img")
    run_boot tampered-image "POWERNODE-BOOT-FAILED: composefs image $DIGEST is corrupt or tampered" "POWERNODE-MULTI-USER" "${a[@]}" "${NET[@]}"
    rm -f "$WORK/tampered-image.img"
  fi
  if selected tampered-trial; then
    cp --sparse=always "$IMG" "$WORK/tampered-trial.img"
    flip_byte "$WORK/tampered-trial.img" "/powernode/images/$DIGEST.cfs" 1200
    esp_off="$(part_offset "$WORK/tampered-trial.img" 1)"
    MTOOLS_SKIP_CHECK=1 mren -i "$WORK/tampered-trial.img@@$esp_off" ::/loader/entries/powernode-1.conf \
      ::/loader/entries/powernode-1+1.conf
    mapfile -t a < <(fw tampered-trial; disk raw "$WORK/tampered-trial.img")
    run_boot tampered-trial "POWERNODE-TRIAL-FAILED" "POWERNODE-MULTI-USER|the node cannot boot this image; halting" "${a[@]}" "${NET[@]}"
    # systemd-boot counted the try down before booting it
    MTOOLS_SKIP_CHECK=1 mdir -b -i "$WORK/tampered-trial.img@@$esp_off" ::/loader/entries/ >"$WORK/tampered-trial.entries" 2>&1 || true
    rm -f "$WORK/tampered-trial.img"
  fi
  if selected qcow2 && [ -f "$OUT/powernode-$ARCH.qcow2" ]; then
    mapfile -t a < <(fw qcow2; disk qcow2 "$OUT/powernode-$ARCH.qcow2" snapshot=on)
    run_boot qcow2 "$marker identity=none boot=1" "POWERNODE-BOOT-FAILED|$failed_unit" "${a[@]}" "${NET[@]}"
  fi
  if selected swapped-object; then
    cp --sparse=always "$IMG" "$WORK/swapped-object.img"
    swap_object "$WORK/swapped-object.img" "$(object_of /usr/lib/powernode/booted.sh)" "$(object_of /usr/lib/os-release)"
    mapfile -t a < <(fw swapped-object; disk raw "$WORK/swapped-object.img")
    # the kernel's refusal is the proof: it happens when the unit executes the file, and systemd
    # may no longer print unit failures once the boot has finished
    run_boot swapped-object "wrong fs-verity digest" "POWERNODE-MULTI-USER" "${a[@]}" "${NET[@]}"
    rm -f "$WORK/swapped-object.img"
  fi
  if selected netboot-tampered && netboot_selected; then
    mapfile -t a < <(fw netboot-tampered; netdev tampered)
    run_boot netboot-tampered "POWERNODE-BOOT-FAILED: the fetched image is corrupt or tampered" "POWERNODE-MULTI-USER|composefs root mounted" "${a[@]}"
  fi
  if selected iso-usb && [ -f "$OUT/powernode-$ARCH.iso" ]; then
    mapfile -t a < <(fw iso-usb; disk raw "$OUT/powernode-$ARCH.iso" snapshot=on)
    run_boot iso-usb "$marker identity=none boot=1" "POWERNODE-BOOT-FAILED|$failed_unit|running live" "${a[@]}" "${NET[@]}"
  fi
}

# track B: the tampered object, the kernel_initramfs family, the ISO as a CD
track_b() {
  if selected tampered-object; then
    cp --sparse=always "$IMG" "$WORK/tampered-object.img"
    flip_byte "$WORK/tampered-object.img" "/powernode/objects/$(object_of /usr/lib/powernode/booted.sh)" 40
    mapfile -t a < <(fw tampered-object; disk raw "$WORK/tampered-object.img")
    run_boot tampered-object "FILE CORRUPTED" "POWERNODE-MULTI-USER" "${a[@]}" "${NET[@]}"
    rm -f "$WORK/tampered-object.img"
  fi
  if selected kernel; then
    run_boot kernel "$marker identity=none boot=1" "POWERNODE-BOOT-FAILED|$failed_unit" \
      -kernel "$OUT/kernel" -initrd "$OUT/initramfs.cpio.zst" -append "$(jq -r .cmdline "$OUT/manifest.json")" \
      -drive "if=none,id=d0,format=raw,snapshot=on,file=$IMG" -device virtio-blk-pci,drive=d0 "${NET[@]}"
  fi
  if selected iso-cd && [ -f "$OUT/powernode-$ARCH.iso" ]; then
    mapfile -t a < <(fw iso-cd)
    a+=(-drive "if=none,id=cd0,media=cdrom,readonly=on,file=$OUT/powernode-$ARCH.iso")
    if [ "$ARCH" = amd64 ]; then a+=(-device "ide-cd,drive=cd0"); else a+=(-device virtio-scsi-pci -device "scsi-cd,drive=cd0"); fi
    run_boot iso-cd "$marker identity=none boot=1" "POWERNODE-BOOT-FAILED|$failed_unit" "${a[@]}" "${NET[@]}"
  fi
  if selected ipxe-efi && netboot_selected; then
    mapfile -t a < <(fw ipxe-efi; netdev good)
    run_boot ipxe-efi "$marker identity=none boot=1" "POWERNODE-BOOT-FAILED|$failed_unit" "${a[@]}"
  fi
  if selected ipxe-bios && netboot_selected; then
    mapfile -t a < <(netdev good)
    run_boot ipxe-bios "$marker identity=none boot=1" "POWERNODE-BOOT-FAILED|$failed_unit" -boot n "${a[@]}"
  fi
}
if [ -f "$FW_CODE" ]; then
  track_a &
  PIDS+=($!)
  track_b &
  PIDS+=($!)
  wait "${PIDS[@]}" || true
  PIDS=()
  for n in disk-boot1 disk-boot2 qcow2 swapped-object netboot-tampered iso-usb tampered-image tampered-trial tampered-object kernel iso-cd ipxe-efi ipxe-bios; do
    [ -f "$WORK/$n.result" ] || continue
    case "$n" in
      disk-boot1)
        verdict "$n" "multi-user marker with image digest, identity node-test-0001, boot=1"
        if grep -q '^openssh-server' "$OUT/packages.tsv"; then
          # (QEMU stops at the marker: "Started ssh.service" may not have reached the console yet)
          sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' "$LOGS/$n.log" >"$WORK/$n.plain"
          if grep -qa 'Finished powernode-ssh-host-keys' "$WORK/$n.plain" && ! grep -qa 'Failed to start ssh' "$WORK/$n.plain"; then
            pass "boot $ARCH disk-boot1: the node made its own SSH host keys on its first boot"
          else
            fail "boot $ARCH disk-boot1: powernode-ssh-host-keys did not finish, or ssh failed"
          fi
        fi
        ;;
      disk-boot2) verdict "$n" "second boot of the same disk: boot=2 (/var kept on persist)" ;;
      qcow2) verdict "$n" "multi-user marker (identity=none)" ;;
      kernel) verdict "$n" "kernel + initramfs direct boot: multi-user marker" ;;
      iso-usb) verdict "$n" "the ISO as a disk (USB stick form): multi-user marker, persist writable" ;;
      iso-cd)
        verdict "$n" "the ISO as a CD: multi-user marker"
        if grep -qa 'running live' "$LOGS/$n.log"; then
          pass "boot $ARCH iso-cd: persist found on the CD and run live (read-only)"
        else
          fail "boot $ARCH iso-cd: no 'running live' message"
        fi
        ;;
      tampered-image) verdict "$n" "refusal of the tampered metadata image before mounting" ;;
      tampered-trial)
        verdict "$n" "a counted trial of a tampered image reboots instead of halting"
        check "systemd-boot counted the trial down before booting it (powernode-1+0-1.conf)" \
          grep -q 'powernode-1+0-1.conf' "$WORK/tampered-trial.entries" ;;
      ipxe-efi|ipxe-bios)
        verdict "$n" "netboot ($n): image fetched over HTTP, sha256 checked, multi-user marker"
        grep -aoE 'netboot: fetched [0-9]+ MiB in [0-9]+ s' "$LOGS/$n.log" | head -n1 | sed 's/^/      /'
        ;;
      netboot-tampered) verdict "$n" "netboot of a changed image file refused before mounting (sha256)" ;;
      swapped-object)
        verdict "$n" "swapped object refused by overlayfs (EIO, no marker)"
        echo "      $(grep -aoE 'overlayfs: [^[:cntrl:]]*wrong fs-verity digest' "$LOGS/$n.log" | head -n1 | cut -c1-120)"
        ;;
      tampered-object)
        verdict "$n" "tampered object refused by fs-verity (EIO, no marker)"
        echo "      $(grep -aoE 'fs-verity \([^)]*\): FILE CORRUPTED[^,]*' "$LOGS/$n.log" | head -n1 | cut -c1-120)"
        ;;
    esac
  done
else
  fail "firmware not found at $FW_CODE (run buildkit/setup.sh --arch $ARCH)"
fi

echo
echo "summary:"
printf '  %s\n' "${RESULTS[@]}"
[ "$FAILS" -eq 0 ] || { echo "$FAILS failure(s)" >&2; exit 1; }
