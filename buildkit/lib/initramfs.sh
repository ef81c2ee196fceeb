# shellcheck shell=bash
# Minimal busybox-static initramfs for fast boot tests: it proves the kernel and
# the boot chain work by printing a marker on the console and powering off.

# build_minimal_initramfs OUT_FILE BUILD_ID BUSYBOX
build_minimal_initramfs() {
  local out="$1" build_id="$2" bb="$3" root
  [ -s "${bb:-/nonexistent}" ] || die "busybox not found: '$bb' (run buildkit/setup.sh --arch $ARCH)"
  # A dynamically linked busybox would need its libraries inside the initramfs.
  if file_is_dynamic "$bb"; then
    die "$bb is dynamically linked; install busybox-static"
  fi
  root="$WORK_DIR/initramfs-root"
  rm -rf "$root"
  mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,etc}
  cp "$bb" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  printf '%s\n' "$build_id" >"$root/etc/powernode-build-id"
  cat >"$root/init" <<'INIT'
#!/bin/sh
# No /dev/console node is shipped in the archive (creating one needs root), so
# the kernel starts us without stdio: mount devtmpfs first and then reattach.
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "powernode minimal initramfs: kernel $(uname -r), cmdline: $(cat /proc/cmdline)"
echo "block devices: $(ls /sys/class/block | tr '\n' ' ')"
echo "POWERNODE-BOOT-OK $(cat /etc/powernode-build-id)"
sync
poweroff -f
# poweroff only returns on failure; keep PID 1 alive so the kernel does not
# panic and the test harness sees the marker and its own timeout instead.
echo "POWERNODE-POWEROFF-FAILED"
while :; do sleep 3600; done
INIT
  chmod 0755 "$root/init"
  touch_tree "$root"
  # newc with --reproducible drops inode numbers and device ids; sorted input
  # and pinned owners make the archive depend on content only.
  (cd "$root" && find . -print0 | LC_ALL=C sort -z |
    cpio --null --create --format=newc --reproducible --owner=0:0 --quiet) |
    zstd -q -19 -T0 -f -o "$out"
}

file_is_dynamic() {
  # PT_INTERP present means the binary asks for a dynamic loader.
  LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
}

# build_dracut_initramfs OUT_FILE BUILD_ID KMOD_TREE KVER: the generic
# (hostonly=no) dracut initramfs against the unpacked Debian kernel, plus a
# pre-pivot hook that reports whether the real root (persist, by label) got
# mounted and powers off, so boot tests see a marker instead of a login.
build_dracut_initramfs() {
  local out="$1" build_id="$2" kroot="$3" kver="$4" hook idfile
  command -v dracut >/dev/null || die "dracut not installed (buildkit/setup.sh --dracut)"
  [ "$ARCH" = amd64 ] || die "--initramfs dracut needs an environment of the target arch (dracut copies host binaries); use --initramfs minimal for $ARCH"
  [ -d "$kroot/lib/modules/$kver" ] || die "no modules for $kver under $kroot (run buildkit/setup.sh)"
  [ -s "$kroot/lib/modules/$kver/modules.dep" ] || depmod -b "$kroot" "$kver"
  # dracut records its arguments (with these paths) in build-parameter.txt
  # inside the image, so the staging dir must not be a random temp dir.
  local stage="$CACHE_DIR/dracut-stage/$build_id"
  mkdir -p "$stage"
  hook="$stage/99-powernode.sh"
  idfile="$stage/powernode-build-id"
  printf '%s\n' "$build_id" >"$idfile"
  # Sourced by dracut's shell: builtins only (the generic image has no grep/cut).
  cat >"$hook" <<'HOOK'
#!/bin/sh
read -r powernode_id </etc/powernode-build-id
if [ -d /sysroot/lost+found ]; then powernode_state=persist-mounted; else powernode_state=persist-NOT-mounted; fi
echo "POWERNODE-BOOT-OK $powernode_id $powernode_state" >/dev/console
echo 1 >/proc/sys/kernel/sysrq
echo o >/proc/sysrq-trigger
HOOK
  SOURCE_DATE_EPOCH="$BUILD_EPOCH" dracut --quiet --force --no-hostonly --reproducible --no-early-microcode \
    --kver "$kver" --kmoddir "$kroot/lib/modules/$kver" --zstd \
    --include "$hook" /usr/lib/dracut/hooks/pre-pivot/99-powernode.sh \
    --include "$idfile" /etc/powernode-build-id \
    "$out"
  rm -rf "$stage"
  # dracut creates the image 0600; the other outputs are world-readable.
  chmod 0644 "$out"
}
