#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds Powernode boot artifacts from a real Debian kernel, loop-free.
#
# Usage: buildkit/build.sh --arch amd64|arm64 --out DIR [options]
#
#   --arch amd64|arm64     target architecture (arm64 is cross-built on amd64)
#   --out DIR              output directory (created; existing outputs replaced)
#   --family LIST          comma-separated families to build, default: all
#                          families: kernel, uki, img, qcow2, iso, ipxe, oci,
#                          composefs (composefs-style EROFS + objects, root only)
#                          (kernel = kernel + initramfs.cpio.zst; img/qcow2/iso
#                          need the UKI and build it implicitly)
#   --build-script FILE    build the real system this build_script describes (format:
#                          buildkit/README.md): a Debian root as a composefs image, the
#                          dracut initramfs that mounts it, a UKI made with ukify; families
#                          kernel, uki, img, qcow2, iso (amd64), ipxe (amd64; netboot: the
#                          initramfs fetches the image over HTTP), oci, composefs
#   --agent-jar FILE       with --build-script: the powernode CLI jar (cli/target/powernode-cli-exec.jar)
#                          installed as the node agent (/usr/lib/powernode/powernode.jar); the
#                          build_script must bring a Java runtime, fsverity and
#                          /usr/lib/powernode/agent.json (docs/cli.md); see
#                          examples/agent.build-script.json
#   --offline              with --build-script: no network; the root comes from the .debs
#                          earlier builds kept (.cache/apt-archives/<suite>-<arch>, a flat
#                          file mirror) and the cached build environment
#   --initramfs minimal    busybox-static initramfs (default; fast tests)
#   --initramfs dracut     generic dracut initramfs (hostonly=no), amd64 only;
#                          its boot mounts persist by label as root
#   --kernel deb|DIR|FILE  "deb" (default): the kernel unpacked by setup.sh;
#                          DIR: an unpacked kernel tree (boot/vmlinuz-*);
#                          FILE: a bzImage
#   --cmdline STRING       kernel command line (default: console=ttyS0 panic=-1,
#                          ttyAMA0 on arm64)
#   --esp-mib N            ESP size in MiB, >= 64 (default 128; 80 with --build-script)
#   --persist-mib N|auto   persist partition size in MiB (default 64; with --build-script
#                          auto: the image and its objects plus 64 MiB, POWERNODE_PERSIST_ROOM_MIB)
#   -h, --help             this text
#
# Environment: SOURCE_DATE_EPOCH pins timestamps and derives GPT/filesystem
# UUIDs and the FAT serial from it, so two builds are byte-identical.
# BUILD_ID overrides the id the initramfs prints in its boot marker;
# POWERNODE_GIT_SHA the revision recorded (default: git rev-parse HEAD).
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/errtrap.sh"

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${POWERNODE_BUILDKIT_CACHE:-$KIT_DIR/.cache}"
# shellcheck source=lib/common.sh
. "$KIT_DIR/lib/common.sh"
# shellcheck source=lib/initramfs.sh
. "$KIT_DIR/lib/initramfs.sh"
# shellcheck source=lib/uki.sh
. "$KIT_DIR/lib/uki.sh"
# shellcheck source=lib/disk.sh
. "$KIT_DIR/lib/disk.sh"
# shellcheck source=lib/media.sh
. "$KIT_DIR/lib/media.sh"
# shellcheck source=lib/oci.sh
. "$KIT_DIR/lib/oci.sh"
# shellcheck source=lib/composefs.sh
. "$KIT_DIR/lib/composefs.sh"
# shellcheck source=lib/envs.sh
. "$KIT_DIR/lib/envs.sh"
# shellcheck source=lib/rootfs.sh
. "$KIT_DIR/lib/rootfs.sh"
# shellcheck source=lib/system.sh
. "$KIT_DIR/lib/system.sh"

usage() { sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

ARCH=""
OUT=""
FAMILIES="kernel,uki,img,qcow2,iso,ipxe,oci,composefs"
INITRAMFS=minimal
KERNEL_SRC=deb
CMDLINE=""
ESP_MIB=128
ESP_SET=0
PERSIST_MIB=""
# with --persist-mib auto: free room on persist beyond the image (for /etc, /var and the next image)
PERSIST_ROOM_MIB="${POWERNODE_PERSIST_ROOM_MIB:-64}"
BUILD_SCRIPT=""
AGENT_JAR=""
OFFLINE=0

while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH="${2:?--arch needs a value}"; shift ;;
    --out) OUT="${2:?--out needs a value}"; shift ;;
    --family) FAMILIES="${2:?--family needs a value}"; shift ;;
    --initramfs) INITRAMFS="${2:?--initramfs needs a value}"; shift ;;
    --build-script) BUILD_SCRIPT="${2:?--build-script needs a value}"; shift ;;
    --agent-jar) AGENT_JAR="${2:?--agent-jar needs a value}"; shift ;;
    --offline) OFFLINE=1 ;;
    --kernel) KERNEL_SRC="${2:?--kernel needs a value}"; shift ;;
    --cmdline) CMDLINE="${2:?--cmdline needs a value}"; shift ;;
    --esp-mib) ESP_MIB="${2:?--esp-mib needs a value}"; ESP_SET=1; shift ;;
    --persist-mib) PERSIST_MIB="${2:?--persist-mib needs a value}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

[ -n "$ARCH" ] || { usage >&2; die "--arch is required"; }
[ -n "$OUT" ] || { usage >&2; die "--out is required"; }
case "$ARCH" in
  amd64)
    EFI_NAME=BOOTX64.EFI; EFI_ARCH=x64; STUB_NAME=linuxx64.efi.stub; CONSOLE=ttyS0
    OBJCOPY=objcopy; OBJDUMP=objdump; BUSYBOX="$(command -v busybox || true)"
    ;;
  arm64)
    # Cross build on amd64: the aarch64 binutils read/write the aarch64 PE
    # stub; busybox comes from the arm64 .deb setup.sh unpacked.
    EFI_NAME=BOOTAA64.EFI; EFI_ARCH=aa64; STUB_NAME=linuxaa64.efi.stub; CONSOLE=ttyAMA0
    OBJCOPY=aarch64-linux-gnu-objcopy; OBJDUMP=aarch64-linux-gnu-objdump
    BUSYBOX="$CACHE_DIR/busybox-arm64/bin/busybox"
    ;;
  *) die "unknown --arch: $ARCH (amd64|arm64)" ;;
esac
if [ -n "$BUILD_SCRIPT" ]; then
  [ -f "$BUILD_SCRIPT" ] || die "--build-script $BUILD_SCRIPT: no such file"
  BUILD_SCRIPT="$(cd "$(dirname "$BUILD_SCRIPT")" && pwd)/$(basename "$BUILD_SCRIPT")"
  check_build_script "$BUILD_SCRIPT"
  if [ -n "$AGENT_JAR" ]; then
    [ -f "$AGENT_JAR" ] || die "--agent-jar $AGENT_JAR: no such file (./mvnw -pl cli -am package builds it)"
    AGENT_JAR="$(cd "$(dirname "$AGENT_JAR")" && pwd)/$(basename "$AGENT_JAR")"
  fi
  INITRAMFS=system
  CMDLINE_OVERRIDE="$CMDLINE"
  PERSIST_MIB="${PERSIST_MIB:-auto}"
  # the UKI of a real system is ~33 MB: 80 MiB holds two (an A/B pair) and keeps the disk small
  [ "$ESP_SET" = 1 ] || ESP_MIB=80
  case ",$FAMILIES," in
    # arm64: the UKI carries an uncompressed Image (~30 MB) and exceeds El Torito's 32 MB; its
    # iPXE netboot builds (--family ipxe) but is not in the default set: QEMU's iPXE is x86 only,
    # so nothing here can boot it, and a second dracut run under emulation costs minutes
    ",kernel,uki,img,qcow2,iso,ipxe,oci,composefs,")
      if [ "$ARCH" = arm64 ]; then FAMILIES="kernel,uki,img,qcow2,oci,composefs"; fi ;;
  esac
elif [ "$INITRAMFS" = dracut ]; then
  # dracut mounts persist as its root so the boot proves modules + by-label.
  CMDLINE="${CMDLINE:-console=$CONSOLE root=LABEL=persist rootfstype=ext4 ro rd.shell=0 panic=-1}"
else
  CMDLINE="${CMDLINE:-console=$CONSOLE panic=-1}"
fi
PERSIST_MIB="${PERSIST_MIB:-64}"
export OBJCOPY OBJDUMP ARCH
case "$INITRAMFS" in minimal|dracut|system) ;; *) die "unknown --initramfs $INITRAMFS (minimal|dracut)" ;; esac

want() { case ",$FAMILIES," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
for f in ${FAMILIES//,/ }; do
  case "$f" in kernel|uki|img|qcow2|iso|ipxe|oci|composefs) ;; *) die "unknown family: $f" ;; esac
done

if [ -n "$BUILD_SCRIPT" ]; then
  [ "$(id -u)" = 0 ] || die "--build-script needs root (mmdebstrap --mode=root, chroot, trusted.* xattrs)"
  require_tools mmdebstrap unshare apt-ftparchive
elif [ "$OFFLINE" = 1 ]; then
  die "--offline needs --build-script"
elif [ -n "$AGENT_JAR" ]; then
  die "--agent-jar needs --build-script"
fi
require_tools "$OBJCOPY" "$OBJDUMP" jq sgdisk mformat mcopy mkfs.ext4 cpio zstd qemu-img readelf od dd sha256sum
if want iso; then require_tools xorriso; fi

# FAT stores local time: pin the zone so the host's TZ cannot change the bytes.
export TZ=UTC
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  BUILD_EPOCH="$SOURCE_DATE_EPOCH"
else
  BUILD_EPOCH="$(date +%s)"
fi
export BUILD_EPOCH
# POWERNODE_GIT_SHA lets CI (and the reproducibility test) state the revision
# instead of asking the checkout, which may move during a long run.
GIT_SHA="${POWERNODE_GIT_SHA:-$(git -C "$KIT_DIR" rev-parse HEAD 2>/dev/null || echo unknown)}"
BUILD_ID="${BUILD_ID:-${GIT_SHA:0:12}-$BUILD_EPOCH}"
# set when a UKI is built (the families that boot through it record it as firmware_ref)
FIRMWARE_REF=""

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
# a reused output directory: what an earlier build left must not be published as this one's
rm -rf "$OUT"/kernel "$OUT"/initramfs.cpio.zst "$OUT"/initramfs-net.cpio.zst "$OUT"/build-id "$OUT"/image-digest "$OUT"/packages.tsv \
  "$OUT"/rootfs.log "$OUT"/manifest.json "$OUT"/powernode-"$ARCH".*
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/powernode-build.XXXXXX")"
# a build killed mid-way can leave mounts under WORK_DIR (mmdebstrap's file-mirror-automount bind
# of the .deb cache): unmount them first, and never let rm cross into one
cleanup_work() {
  [ -d "$WORK_DIR" ] || return 0
  awk -v d="$WORK_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$WORK_DIR"
}
trap cleanup_work EXIT
TIMINGS_FILE="$OUT/timings.tsv"
: >"$TIMINGS_FILE"

if [ -n "$BUILD_SCRIPT" ]; then
  build_real_system
  stage_begin manifest
  write_manifest "$OUT/manifest.json"
  stage_end
  log "outputs in $OUT"
  exit 0
fi

# --- kernel -----------------------------------------------------------------
stage_begin kernel
# --kernel deb: the kernel setup.sh unpacked; DIR: an unpacked kernel tree
# (DIR/boot/vmlinuz-* or DIR/vmlinuz-*); FILE: a bzImage.
find_vmlinuz() {
  find "$1" "$1/boot" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort | tail -n1 || true
}
case "$KERNEL_SRC" in
  deb) KERNEL_FILE="$(find_vmlinuz "$CACHE_DIR/kernel-$ARCH")" ;;
  *) if [ -d "$KERNEL_SRC" ]; then KERNEL_FILE="$(find_vmlinuz "$KERNEL_SRC")"; else KERNEL_FILE="$KERNEL_SRC"; fi ;;
esac
if [ -n "$KERNEL_FILE" ] && [ -s "$KERNEL_FILE" ]; then
  case "$KERNEL_FILE" in
    */vmlinuz-*) KVER="${KERNEL_FILE##*/vmlinuz-}" ;;
    *) KVER="$(file -b "$KERNEL_FILE" 2>/dev/null | sed -n 's/.*version \([^ ]*\).*/\1/p')"; KVER="${KVER:-unknown}" ;;
  esac
  # Some arm64 kernels ship gzip-compressed; the stub cannot start those.
  if [ "$(od -An -tx1 -N2 "$KERNEL_FILE" | tr -d ' ')" = 1f8b ]; then
    zcat "$KERNEL_FILE" >"$OUT/kernel"
  else
    cp "$KERNEL_FILE" "$OUT/kernel"
  fi
else
  # As the spec asks: without a real kernel a placeholder is emitted, and every
  # consumer below refuses it, so the build fails instead of shipping an image
  # that cannot boot.
  log "WARNING: no kernel found (--kernel $KERNEL_SRC); emitting an empty placeholder kernel"
  KVER=placeholder
  : >"$OUT/kernel"
  rm -f "$OUT"/powernode-"$ARCH".{efi,img,qcow2,iso,ipxe} "$OUT/manifest.json"
fi
touch -d "@$BUILD_EPOCH" "$OUT/kernel"
require_real_kernel "$OUT/kernel"
stage_end

# --- initramfs --------------------------------------------------------------
stage_begin initramfs
if [ "$INITRAMFS" = dracut ]; then
  build_dracut_initramfs "$OUT/initramfs.cpio.zst" "$BUILD_ID" "$CACHE_DIR/kernel-$ARCH" "$KVER"
else
  build_minimal_initramfs "$OUT/initramfs.cpio.zst" "$BUILD_ID" "$BUSYBOX"
fi
printf '%s\n' "$BUILD_ID" >"$OUT/build-id"
stage_end

# --- UKI --------------------------------------------------------------------
if want uki || want img || want qcow2 || want iso || want ipxe || want oci || want composefs; then
  stage_begin uki
  osrel="$WORK_DIR/os-release"
  cat >"$osrel" <<OSREL
NAME="Powernode"
ID=powernode
PRETTY_NAME="Powernode $BUILD_ID"
VERSION_ID="$BUILD_ID"
BUILD_ID="$BUILD_ID"
OSREL
  stub="$CACHE_DIR/systemd-boot-efi-$ARCH/usr/lib/systemd/boot/efi/$STUB_NAME"
  build_uki "$OUT/powernode-$ARCH.efi" "$stub" \
    "$OUT/kernel" "$OUT/initramfs.cpio.zst" "$CMDLINE" "$osrel" "$KVER"
  # What the UKI boots through, for the publication's firmware_ref: the stub's package version
  # (from the unpacked .deb's marker) and the stub's own digest.
  stub_deb="$(find "$CACHE_DIR/systemd-boot-efi-$ARCH" -maxdepth 1 -name '.unpacked-*.deb' -printf '%f\n' | head -n1)"
  stub_version="${stub_deb#.unpacked-systemd-boot-efi_}"
  stub_version="${stub_version%%_*}"
  FIRMWARE_REF="systemd-boot-efi/${stub_version:-unknown}/$STUB_NAME@sha256:$(sha256_of "$stub")"
  stage_end
fi

# --- raw disk + qcow2 -------------------------------------------------------
if want img || want qcow2; then
  stage_begin disk
  build_disk "$OUT/powernode-$ARCH.img" "$OUT/powernode-$ARCH.efi" "$EFI_NAME" "$ESP_MIB" "$PERSIST_MIB"
  stage_end
fi
if want qcow2; then
  stage_begin qcow2
  qemu-img convert -f raw -O qcow2 "$OUT/powernode-$ARCH.img" "$OUT/powernode-$ARCH.qcow2"
  stage_end
fi

# --- ISO + iPXE ---------------------------------------------------------------
if want iso; then
  stage_begin iso
  build_iso "$OUT/powernode-$ARCH.iso" "$OUT/powernode-$ARCH.efi" "$EFI_NAME"
  stage_end
fi
if want ipxe; then
  stage_begin ipxe
  build_ipxe_script "$OUT/powernode-$ARCH.ipxe" "powernode-$ARCH.efi" "$CMDLINE"
  stage_end
fi

# --- OCI image layout -------------------------------------------------------
if want oci; then
  stage_begin oci
  build_oci "$OUT/powernode-$ARCH.oci" "$OUT/powernode-$ARCH.oci.tar" "$OUT/powernode-$ARCH.efi" \
    "$OUT/kernel" "$OUT/initramfs.cpio.zst" "$KVER"
  stage_end
fi

# --- composefs-style blob ----------------------------------------------------
if want composefs; then
  stage_begin composefs
  # The root filesystem view: the initramfs tree plus kernel and UKI where a
  # bootc-like image keeps them (the same content as the OCI layers).
  rootfs="$WORK_DIR/rootfs"
  rm -rf "$rootfs"
  # The dracut image has no unpacked tree here: its root view is kernel + UKI.
  if [ -d "$WORK_DIR/initramfs-root" ]; then cp -a "$WORK_DIR/initramfs-root" "$rootfs"; else mkdir -p "$rootfs"; fi
  mkdir -p "$rootfs/usr/lib/modules/$KVER" "$rootfs/boot/EFI/Linux"
  cp "$OUT/kernel" "$rootfs/usr/lib/modules/$KVER/vmlinuz"
  cp "$OUT/powernode-$ARCH.efi" "$rootfs/boot/EFI/Linux/powernode-$ARCH.efi"
  build_composefs_style "$OUT/powernode-$ARCH.composefs.erofs" "$OUT/powernode-$ARCH.composefs-objects" \
    "$OUT/powernode-$ARCH.composefs-objects.tar" "$rootfs"
  stage_end
fi

# --- manifest ---------------------------------------------------------------
stage_begin manifest
write_manifest "$OUT/manifest.json"
stage_end
log "outputs in $OUT"
