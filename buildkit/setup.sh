#!/usr/bin/env bash
# Installs the build tools the kit needs and fetches the artifacts it builds from
# (systemd-boot stub, a Debian kernel) into a local cache, without installing them:
# the kit must not depend on what the build host itself boots.
#
# Usage: buildkit/setup.sh [--arch amd64|arm64] [--dracut] [--no-test-tools] [--kernel-flavour cloud|generic]
# (--arch may be repeated; default amd64. arm64 adds the foreign dpkg architecture.
#  --dracut installs dracut-core for --initramfs dracut.)
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/errtrap.sh"

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${POWERNODE_BUILDKIT_CACHE:-$KIT_DIR/.cache}"
WITH_TEST_TOOLS=1
WITH_DRACUT=0
# The cloud flavour is small (fast to fetch, fast to boot under TCG) but has no
# AHCI driver: tests attach disks as virtio. Use "generic" for real SATA hardware.
KERNEL_FLAVOUR="${POWERNODE_KERNEL_FLAVOUR:-cloud}"
ARCHES=()

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --no-test-tools) WITH_TEST_TOOLS=0 ;;
    --dracut) WITH_DRACUT=1 ;;
    --arch) ARCHES+=("${2:?--arch needs a value}"); shift ;;
    --kernel-flavour) KERNEL_FLAVOUR="${2:?--kernel-flavour needs a value}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

[ "${#ARCHES[@]}" -gt 0 ] || ARCHES=(amd64)
log() { printf '[setup %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# mmdebstrap makes the trixie build environment and the node roots (build.sh --build-script)
# (apt-utils: apt-ftparchive indexes the kept .debs for --offline rebuilds)
BUILD_PKGS=(mtools gdisk dosfstools e2fsprogs binutils xorriso qemu-utils cpio zstd busybox-static erofs-utils kmod attr jq mmdebstrap apt-utils)
TEST_PKGS=(qemu-system-x86 ovmf skopeo netcat-openbsd)

wanted=("${BUILD_PKGS[@]}")
if [ "$WITH_TEST_TOOLS" = 1 ]; then
  wanted+=("${TEST_PKGS[@]}")
fi
if [ "$WITH_DRACUT" = 1 ]; then wanted+=(dracut-core); fi
for a in "${ARCHES[@]}"; do
  case "$a" in
    amd64) ;;
    # Cross objcopy for the aarch64 PE stub; AAVMF + qemu-system-arm to boot it.
    arm64)
      # qemu-user-static + binfmt-support: the arm64 build environment and root run emulated;
      # arch-test: mmdebstrap refuses a foreign-architecture chroot without it
      wanted+=(binutils-aarch64-linux-gnu qemu-user-static binfmt-support arch-test)
      if [ "$WITH_TEST_TOOLS" = 1 ]; then wanted+=(qemu-system-arm qemu-efi-aarch64); fi
      ;;
    *) echo "setup.sh: unknown --arch $a" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# apt-get update only when something must be installed or downloaded and the
# lists are absent: keeps repeated runs offline and quick.
apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup.sh: need root for apt-get update/install" >&2; exit 1
    fi
    log "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
}

for a in "${ARCHES[@]}"; do
  # arm64 stub, kernel and busybox are fetched as arm64 .debs, which apt only
  # resolves once the foreign architecture is known.
  if [ "$a" = arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    [ "$(id -u)" = 0 ] || { echo "setup.sh: need root for dpkg --add-architecture" >&2; exit 1; }
    log "dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
    apt_update_once
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  apt_update_once
  log "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "build tools already installed"
fi

# fetch_deb PACKAGE ARCH DESTDIR: download the .deb into the cache and unpack
# it there (dpkg -x), never installing it on the host.
fetch_deb() {
  local pkg="$1" arch="$2" dest="$3" deb
  mkdir -p "$CACHE_DIR/debs"
  deb="$(find "$CACHE_DIR/debs" -maxdepth 1 -name "${pkg}_*_${arch}.deb" | sort | tail -n1)"
  if [ -z "$deb" ]; then
    if ! apt-cache show "$pkg:$arch" >/dev/null 2>&1; then apt_update_once; fi
    log "downloading $pkg:$arch"
    # _apt cannot write into root's cache dir; the warning about the unsandboxed
    # download is expected and harmless.
    if ! (cd "$CACHE_DIR/debs" && apt-get download -qq "$pkg:$arch") 2>"$CACHE_DIR/debs/.apt-download.log"; then
      cat "$CACHE_DIR/debs/.apt-download.log" >&2
    fi
    grep -v 'unsandboxed' "$CACHE_DIR/debs/.apt-download.log" >&2 || true
    deb="$(find "$CACHE_DIR/debs" -maxdepth 1 -name "${pkg}_*_${arch}.deb" | sort | tail -n1)"
  fi
  [ -n "$deb" ] || { echo "setup.sh: download of $pkg:$arch failed" >&2; exit 1; }
  if [ ! -e "$dest/.unpacked-$(basename "$deb")" ]; then
    rm -rf "$dest"
    mkdir -p "$dest"
    dpkg -x "$deb" "$dest"
    touch "$dest/.unpacked-$(basename "$deb")"
  fi
}

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

for arch in "${ARCHES[@]}"; do
  case "$arch" in
    amd64) stub_name=linuxx64.efi.stub ;;
    arm64) stub_name=linuxaa64.efi.stub ;;
  esac
  t0=$(date +%s.%N)
  fetch_deb systemd-boot-efi "$arch" "$CACHE_DIR/systemd-boot-efi-$arch"
  stub="$CACHE_DIR/systemd-boot-efi-$arch/usr/lib/systemd/boot/efi/$stub_name"
  [ -s "$stub" ] || { echo "setup.sh: stub missing after unpack: $stub" >&2; exit 1; }
  log "$arch stub ready: $stub ($(elapsed "$t0") s)"

  if [ "$arch" != amd64 ]; then
    # The initramfs runs on the target: it needs the target's busybox.
    t0=$(date +%s.%N)
    fetch_deb busybox-static "$arch" "$CACHE_DIR/busybox-$arch"
    log "$arch busybox ready ($(elapsed "$t0") s)"
  fi

  # linux-image-<flavour>-<arch> is a metapackage: resolve it to the versioned
  # image package it depends on, which holds vmlinuz and the modules.
  t0=$(date +%s.%N)
  case "$KERNEL_FLAVOUR" in
    cloud) meta="linux-image-cloud-$arch" ;;
    generic) meta="linux-image-$arch" ;;
    *) echo "setup.sh: unknown kernel flavour $KERNEL_FLAVOUR (cloud|generic)" >&2; exit 2 ;;
  esac
  if ! apt-cache show "$meta:$arch" >/dev/null 2>&1; then apt_update_once; fi
  real_pkg="$(apt-cache depends "$meta:$arch" | awk '/Depends: linux-image-[0-9]/{sub(/:.*/, "", $2); print $2; exit}')"
  [ -n "$real_pkg" ] || { echo "setup.sh: cannot resolve $meta to a kernel image package" >&2; exit 1; }
  kdir="$CACHE_DIR/kernel-$arch"
  fetch_deb "$real_pkg" "$arch" "$kdir"
  vmlinuz="$(find "$kdir/boot" -maxdepth 1 -name 'vmlinuz-*' | sort | tail -n1)"
  [ -s "$vmlinuz" ] || { echo "setup.sh: no vmlinuz in $real_pkg" >&2; exit 1; }
  # The .deb ships no modules.dep; generate it so a module-loading initramfs
  # (dracut, later) can resolve dependencies inside the unpacked tree.
  kver="${vmlinuz##*/vmlinuz-}"
  if [ ! -s "$kdir/lib/modules/$kver/modules.dep" ] && command -v depmod >/dev/null; then
    depmod -b "$kdir" "$kver"
  fi
  log "$arch kernel ready: $vmlinuz ($(elapsed "$t0") s)"
  echo "$arch kernel=$vmlinuz"
  echo "$arch stub=$stub"
done
