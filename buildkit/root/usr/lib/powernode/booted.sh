#!/bin/sh
# Once the node reaches multi-user.target: counts the boot in /var (persist) and prints
#   POWERNODE-MULTI-USER image=sha256:<metadata image> identity=<device_id from BOOT> boot=<n>
# on the console. The initramfs (dracut module powernode) wrote /run/powernode/{image,identity}.
set -eu
image="$(cat /run/powernode/image)"
identity=none
if [ -f /run/powernode/identity ]; then
    identity="$(sed -n 's/^device_id=//p' /run/powernode/identity | head -n 1)"
    identity="${identity:-unnamed}"
    # it holds the node's token: root's alone
    mode="$(stat -c %a /run/powernode/identity)"
    if [ "$mode" != 600 ]; then
        echo "POWERNODE-IDENTITY-EXPOSED: /run/powernode/identity has mode $mode, not 600" >&2
        exit 1
    fi
fi
mkdir -p /var/lib/powernode
n=$(( $(cat /var/lib/powernode/boot-count 2>/dev/null || echo 0) + 1 ))
echo "$n" >/var/lib/powernode/boot-count.new
mv /var/lib/powernode/boot-count.new /var/lib/powernode/boot-count
sync
echo "POWERNODE-MULTI-USER image=$image identity=$identity boot=$n"
