#!/bin/sh
# Runs in the initramfs after persist is mounted at /sysroot (root=LABEL=persist). Puts the
# node's root in its place:
#   /sysroot                     composefs: EROFS metadata image + content objects, read-only,
#                                every file's data checked against its fs-verity digest
#   /sysroot/etc                 overlay: the image's /etc + persist/powernode/state/etc (writable)
#   /sysroot/var                 persist/powernode/state/var (seeded from the image on first boot)
#   /sysroot/persist             the persist partition itself
# A read-only persist (the ISO booted as a CD, powernode-cdrom.sh) runs live: state in a tmpfs.
# The image is named by the sha256 of its metadata image (powernode.image=sha256:<hex> on the
# command line, signed into the UKI); that digest is checked before anything is mounted.
# BOOT's identity.cfg, if present, is copied to /run/powernode/identity (mode 0600: it holds the
# node's token).
set -u
P=/sysroot
STATE=$P/powernode/state
RUN=/run/powernode

say() { echo "powernode: $*" >/dev/console; echo "powernode: $*"; }
# systemd-boot sets this (volatile) variable when it booted a counted entry: a trial of a new image
COUNTED=/sys/firmware/efi/efivars/LoaderBootCountPath-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
fail() {
    say "POWERNODE-BOOT-FAILED: $*"
    if [ -e "$COUNTED" ]; then
        # a trial boot: halting would keep the node on a broken image for good; rebooting lets the
        # boot loader's counter run down, and then the last good image boots (docs/decisions/006)
        say "POWERNODE-TRIAL-FAILED: this was a counted trial boot; rebooting so that the last good image boots"
        sync
        systemctl reboot --force --force
        sleep 60
    fi
    say "the node cannot boot this image; halting (the console keeps this message)"
    exit 1
}

digest=""
read -r cmdline </proc/cmdline
set -f # the command line's words are not file patterns
for arg in $cmdline; do
    case "$arg" in powernode.image=sha256:*) digest="${arg#powernode.image=sha256:}" ;; esac
done
set +f
case "$digest" in
    "") fail "no powernode.image=sha256:<hex> on the kernel command line" ;;
    *[!0-9a-f]*) fail "powernode.image is not a lowercase sha256: $digest" ;;
esac
[ "${#digest}" -eq 64 ] || fail "powernode.image is not a sha256 (64 hex digits): $digest"

img="$P/powernode/images/$digest.cfs"
objects="$P/powernode/objects"
[ -f "$img" ] || fail "composefs image $digest not found on persist ($img)"
[ -d "$objects" ] || fail "object store missing on persist ($objects)"
actual="$(sha256sum "$img" | { read -r d _; echo "$d"; })"
[ "$actual" = "$digest" ] ||
    fail "composefs image $digest is corrupt or tampered: its sha256 is $actual; refusing to mount it"

# Every object is an fs-verity file, sealed at build time (buildkit/lib/verity-seal.py): with
# verity=require the kernel checks each one it serves against the digest the image records and
# refuses a changed or unsealed one with EIO.
mkdir -p "$RUN/meta" "$RUN/root"
# on a loop device rather than file-backed: a file-backed EROFS counts as a stacked filesystem,
# and the /etc overlay over the composefs overlay would then exceed the kernel's stacking depth
mount -t erofs -o ro,loop "$img" "$RUN/meta" 2>/dev/null || mount -t erofs -o ro "$img" "$RUN/meta" ||
    fail "cannot mount the metadata image $img (erofs)"
mount -t overlay composefs -o "ro,metacopy=on,redirect_dir=on,verity=require,lowerdir=$RUN/meta::$objects" "$RUN/root" ||
    fail "cannot mount the composefs root (overlay with verity=require)"
umount -l "$RUN/meta"

# persist read-only (the ISO booted as a CD): run live, /etc and /var changes in RAM
live=0
p_opts="$(while read -r _ mnt _ opts _; do [ "$mnt" = "$P" ] && echo "$opts"; done </proc/mounts | tail -n 1)"
case ",$p_opts," in
    *,ro,*) live=1 ;;
    *) touch "$P/powernode/.rw-check" 2>/dev/null ||
        fail "persist is mounted read-write but cannot be written (full, or remounted read-only after an I/O error)" ;;
esac
if [ "$live" = 1 ]; then
    STATE=$RUN/live-state
    mkdir -p "$STATE"
    mount -t tmpfs -o mode=0755 live-state "$STATE" || fail "cannot mount the live state tmpfs"
    say "persist is read-only: running live, /etc and /var changes are kept in RAM only"
else
    rm -f "$P/powernode/.rw-check"
fi

# writable /etc: the image's /etc with persist's changes over it
mkdir -p "$STATE/etc/upper" "$STATE/etc/work"
mount -t overlay etc -o "lowerdir=$RUN/root/etc,upperdir=$STATE/etc/upper,workdir=$STATE/etc/work" "$RUN/root/etc" ||
    fail "cannot mount the writable /etc overlay"
# /var is the node's: seeded from the image the first time, kept across images and boots
if [ ! -d "$STATE/var" ]; then
    [ "$live" = 1 ] || say "first boot: seeding /var on persist from the image"
    rm -rf "$STATE/var.new"
    cp -a "$RUN/root/var" "$STATE/var.new" || fail "cannot seed /var on persist"
    mv "$STATE/var.new" "$STATE/var" || fail "cannot seed /var on persist"
fi
mount --bind "$STATE/var" "$RUN/root/var" || fail "cannot bind /var from persist"

# identity.cfg from BOOT (the ESP), exposed read-only to the system; not for a netboot, whose
# identity would otherwise come from whatever local disk or stick carries a BOOT label
netboot=0
case " $cmdline " in *" powernode.netboot="*) netboot=1 ;; esac
if [ "$netboot" = 0 ] && [ -e /dev/disk/by-label/BOOT ]; then
    mkdir -p "$RUN/boot"
    if mount -t vfat -o ro /dev/disk/by-label/BOOT "$RUN/boot" 2>/dev/null; then
        # it carries the node's token (powernode nodes enroll): root's alone, 0600 (a copy would
        # keep the FAT mount's 0755 less the umask)
        # an unprovisioned disk's identity.cfg is the empty slot (lib/disk.sh): no device_id, no identity
        if grep -q '^device_id=' "$RUN/boot/identity.cfg" 2>/dev/null; then
            (umask 077 && cat "$RUN/boot/identity.cfg" >"$RUN/identity") || say "cannot copy identity.cfg from BOOT"
        fi
        umount "$RUN/boot"
    fi
    rmdir "$RUN/boot" 2>/dev/null
fi
printf 'sha256:%s\n' "$digest" >"$RUN/image"

# swap: persist goes under the new root at /persist, the new root takes /sysroot
mount --make-rprivate / || fail "cannot make mounts private"
mount --move "$P" "$RUN/root/persist" || fail "cannot move persist under the new root (/persist missing in the image?)"
mount --move "$RUN/root" "$P" || fail "cannot move the composefs root to /sysroot"
say "composefs root mounted: image sha256:$digest (verity=require)"
