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
fi
mkdir -p /var/lib/powernode
n=$(( $(cat /var/lib/powernode/boot-count 2>/dev/null || echo 0) + 1 ))
echo "$n" >/var/lib/powernode/boot-count.new
mv /var/lib/powernode/boot-count.new /var/lib/powernode/boot-count
sync
echo "POWERNODE-MULTI-USER image=$image identity=$identity boot=$n"
