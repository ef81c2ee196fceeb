#!/usr/bin/env bash
# Installs the build tools the kit needs and fetches the artifacts it builds from
# (systemd-boot stub, a Debian kernel) into a local cache, without installing them:
# the kit must not depend on what the build host itself boots.
#
# Usage: buildkit/setup.sh [--no-test-tools] [--kernel-flavour cloud-amd64|amd64]
set -euo pipefail

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${POWERNODE_BUILDKIT_CACHE:-$KIT_DIR/.cache}"
WITH_TEST_TOOLS=1
# cloud-amd64 is small (fast to fetch, fast to boot under TCG) but has no AHCI
# driver: tests must attach disks as virtio. Use "amd64" for real SATA hardware.
KERNEL_FLAVOUR="${POWERNODE_KERNEL_FLAVOUR:-cloud-amd64}"

usage() {
  sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --no-test-tools) WITH_TEST_TOOLS=0 ;;
    --kernel-flavour) KERNEL_FLAVOUR="${2:?--kernel-flavour needs a value}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

log() { printf '[setup %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

BUILD_PKGS=(mtools gdisk dosfstools e2fsprogs binutils xorriso qemu-utils cpio zstd busybox-static erofs-utils kmod attr jq)
TEST_PKGS=(qemu-system-x86 ovmf skopeo)

wanted=("${BUILD_PKGS[@]}")
if [ "$WITH_TEST_TOOLS" = 1 ]; then
  wanted+=("${TEST_PKGS[@]}")
fi

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

if [ "${#missing[@]}" -gt 0 ]; then
  apt_update_once
  log "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "build tools already installed"
fi

# fetch_deb PACKAGE DESTDIR: download the .deb into the cache and unpack it
# there (dpkg -x), never installing it on the host.
fetch_deb() {
  local pkg="$1" dest="$2" deb
  mkdir -p "$CACHE_DIR/debs"
  deb="$(find "$CACHE_DIR/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n1)"
  if [ -z "$deb" ]; then
    if ! apt-cache show "$pkg" >/dev/null 2>&1; then apt_update_once; fi
    log "downloading $pkg"
    (cd "$CACHE_DIR/debs" && apt-get download -qq "$pkg")
    deb="$(find "$CACHE_DIR/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n1)"
  fi
  [ -n "$deb" ] || { echo "setup.sh: download of $pkg failed" >&2; exit 1; }
  if [ ! -e "$dest/.unpacked-$(basename "$deb")" ]; then
    rm -rf "$dest"
    mkdir -p "$dest"
    dpkg -x "$deb" "$dest"
    touch "$dest/.unpacked-$(basename "$deb")"
  fi
  printf '%s\n' "$deb"
}

t0=$(date +%s.%N)
fetch_deb systemd-boot-efi "$CACHE_DIR/systemd-boot-efi" >/dev/null
stub="$CACHE_DIR/systemd-boot-efi/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
[ -s "$stub" ] || { echo "setup.sh: stub missing after unpack: $stub" >&2; exit 1; }
t1=$(date +%s.%N)
log "stub ready: $stub ($(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s)"

# The linux-image-<flavour> package is a metapackage: resolve it to the
# versioned image package it depends on, which holds vmlinuz and modules.
meta="linux-image-$KERNEL_FLAVOUR"
if ! apt-cache show "$meta" >/dev/null 2>&1; then apt_update_once; fi
real_pkg="$(apt-cache depends "$meta" | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
[ -n "$real_pkg" ] || { echo "setup.sh: cannot resolve $meta to a kernel image package" >&2; exit 1; }
kdir="$CACHE_DIR/kernel-amd64"
fetch_deb "$real_pkg" "$kdir" >/dev/null
vmlinuz="$(find "$kdir/boot" -maxdepth 1 -name 'vmlinuz-*' | sort | tail -n1)"
[ -s "$vmlinuz" ] || { echo "setup.sh: no vmlinuz in $real_pkg" >&2; exit 1; }
# The .deb ships no modules.dep; generate it so a module-loading initramfs
# (dracut, later) can resolve dependencies inside the unpacked tree.
kver="${vmlinuz##*/vmlinuz-}"
if [ ! -s "$kdir/lib/modules/$kver/modules.dep" ] && command -v depmod >/dev/null; then
  depmod -b "$kdir" "$kver"
fi
t2=$(date +%s.%N)
log "kernel ready: $vmlinuz ($(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}') s)"
echo "kernel=$vmlinuz"
echo "stub=$stub"
