#!/bin/sh
# The ISO appends persist as GPT partition 3. Written to a USB stick (or attached as a disk) that
# partition is a block device with LABEL=persist and this script does nothing. Booted as a CD, the
# kernel does not scan partitions on it: this script waits a little for LABEL=persist, and when it
# does not come but a CD labelled POWERNODE (the ISO) is present, puts a read-only,
# partition-scanning loop device over the CD, whose third partition then appears as
# LABEL=persist for sysroot.mount. powernode-root.sh runs such a read-only persist live: /etc and
# /var in RAM.
set -u
i=0
while [ "$i" -lt 40 ]; do
    if [ -e /dev/disk/by-label/persist ]; then exit 0; fi
    for cd in /dev/sr*; do
        [ -b "$cd" ] || continue
        if [ "$(blkid -p -o value -s LABEL "$cd" 2>/dev/null)" = POWERNODE ]; then
            loop="$(losetup --read-only --partscan --find --show "$cd")" || {
                echo "powernode: POWERNODE-BOOT-FAILED: cannot attach a loop device to $cd" >/dev/console
                exit 1
            }
            echo "powernode: booted from CD $cd: persist is the ISO's partition 3 on $loop (read-only, live)" >/dev/console
            exit 0
        fi
    done
    sleep 0.5
    i=$((i + 1))
done
exit 0
