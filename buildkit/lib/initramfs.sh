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
