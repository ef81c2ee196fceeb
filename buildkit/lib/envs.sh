# shellcheck shell=bash
# The two Debian trees a real-system build uses, both made by mmdebstrap:
#  - the build environment ("tools"): Debian trixie with systemd-ukify, dracut, erofs-utils,
#    e2fsprogs, fsverity and composefs (mkcomposefs; from sid, pinned alone: trixie does not ship
#    it). Cached per arch as a directory and rebuilt only when its package list changes. Commands
#    run in it through in_tools, in a private mount namespace, so nothing stays mounted.
#  - the node's root filesystem, from the platform's build_script (lib/build-script.sh).
# For arm64 both are arm64 trees, run under qemu-user-static (binfmt_misc): dracut copies the
# binaries of the environment it runs in into the initramfs, so that must be the target's.

MIRROR="${POWERNODE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
TOOLS_SUITE=trixie
TOOLS_PKGS=(systemd-ukify systemd-boot-efi dracut-core systemd systemd-sysv udev kmod e2fsprogs erofs-utils
  fsverity composefs util-linux mount coreutils findutils zstd cpio binutils python3-pefile
  dracut-network iproute2 curl ca-certificates)

# need_binfmt ARCH: a foreign-arch chroot needs qemu-user-static registered in binfmt_misc.
need_binfmt() {
  local arch="$1" host
  host="$(dpkg --print-architecture)"
  [ "$arch" != "$host" ] || return 0
  command -v qemu-aarch64-static >/dev/null || die "qemu-user-static missing (run buildkit/setup.sh --arch $arch)"
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
      die "cannot mount binfmt_misc (needed to run $arch binaries)"
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] ||
    die "qemu-aarch64 is not registered in binfmt_misc (update-binfmts --enable qemu-aarch64)"
}

# apt_cache_hooks DIR: mmdebstrap's documented way to keep the .debs of a build (sync-in before,
# sync-out after), so the same packages are not fetched again.
apt_cache_hooks() {
  local dir="$1"
  mkdir -p "$dir"
  # shellcheck disable=SC2016 # "$1" is for mmdebstrap's hook shell: the chroot's directory
  printf '%s\n' --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in $dir /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives $dir"
}

# ensure_tools ARCH: prints the path of the cached build environment, building it when missing
# or when TOOLS_PKGS changed.
ensure_tools() {
  local arch="$1" dir stamp want log
  dir="$CACHE_DIR/tools-$TOOLS_SUITE-$arch"
  stamp="$dir/.powernode-tools"
  want="$(printf '%s\n' "$TOOLS_SUITE" "$MIRROR" "${TOOLS_PKGS[@]}" | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    printf '%s\n' "$dir"
    return 0
  fi
  [ "${OFFLINE:-0}" != 1 ] ||
    die "--offline: the $TOOLS_SUITE/$arch build environment is not cached (or its package list changed); build once online first"
  need_binfmt "$arch"
  command -v mmdebstrap >/dev/null || die "mmdebstrap missing (run buildkit/setup.sh)"
  log "build environment: mmdebstrap $TOOLS_SUITE/$arch (${TOOLS_PKGS[*]}; composefs from sid)"
  rm -rf "$dir" "$dir.tmp"
  log="$CACHE_DIR/tools-$TOOLS_SUITE-$arch.log"
  local hooks
  mapfile -t hooks < <(apt_cache_hooks "$CACHE_DIR/apt-archives/tools-$TOOLS_SUITE-$arch")
  # sid is only a source for composefs: trixie stays the default release, and the archive's
  # frozen sid Release file is past its Valid-Until.
  if ! mmdebstrap --mode=root --format=directory --variant=apt --architectures="$arch" \
    --include="$(IFS=,; echo "${TOOLS_PKGS[*]}")" \
    --aptopt="APT::Default-Release \"$TOOLS_SUITE\"" --aptopt='Acquire::Check-Valid-Until "false"' \
    "${hooks[@]}" \
    "$TOOLS_SUITE" "$dir.tmp" "deb $MIRROR $TOOLS_SUITE main" "deb $MIRROR sid main" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -rf "$dir.tmp"
    die "building the $TOOLS_SUITE/$arch build environment failed (log: $log)"
  fi
  mkdir -p "$dir.tmp/work"
  printf '%s\n' "$want" >"$dir.tmp/.powernode-tools"
  mv "$dir.tmp" "$dir"
  printf '%s\n' "$dir"
}

# chroot_run ROOT HOST_WORK CMD...: runs CMD chrooted into ROOT with a minimal /dev (null, zero,
# full, random, urandom, tty; no disks), its own PID namespace and /proc, a read-only /sys and, when
# HOST_WORK is not empty, HOST_WORK bind-mounted at ROOT/work; with OFFLINE=1 also without network.
# The mounts live in a private mount namespace and vanish with it. This contains accidents (a hook
# cannot reach the host's processes through /proc or its disks through /dev), not a hostile
# build_script: it runs as root, which is why setting one needs system:admin on the platform.
chroot_run() {
  local root="$1" work="$2" ns=(--mount --pid --fork --propagation private)
  shift 2
  if [ "${OFFLINE:-0}" = 1 ]; then ns+=(--net); fi
  # shellcheck disable=SC2016 # the script is for the inner shell, its $1.. are its arguments
  SOURCE_DATE_EPOCH="$BUILD_EPOCH" unshare "${ns[@]}" -- /bin/sh -ec '
    r="$1"; w="$2"; shift 2
    mkdir -p "$r/dev" "$r/proc" "$r/sys"
    mount -t tmpfs -o mode=0755,nosuid devtmp "$r/dev"
    for d in null zero full random urandom tty; do
      : >"$r/dev/$d"
      mount --bind "/dev/$d" "$r/dev/$d"
    done
    mkdir -p "$r/dev/pts" "$r/dev/shm"
    ln -s /proc/self/fd "$r/dev/fd"
    mount -t proc proc "$r/proc"
    mount -t sysfs -o ro sysfs "$r/sys"
    if [ -n "$w" ]; then mount --bind "$w" "$r/work"; fi
    exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
      TZ=UTC SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" "$@"' sh "$root" "$work" "$@"
}

# in_tools TOOLS_DIR HOST_WORK CMD...: CMD in the build environment, HOST_WORK at /work.
in_tools() {
  chroot_run "$@"
}

# in_root ROOT CMD...: CMD in a root filesystem under construction.
in_root() {
  local root="$1"
  shift
  chroot_run "$root" "" "$@"
}
