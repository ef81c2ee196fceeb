#!/bin/bash
# shellcheck disable=SC2154 # moddir, initdir, systemdsystemunitdir, SYSTEMCTL come from dracut
# dracut module "powernode-net": the netboot initramfs (the iPXE family). Adds networking
# (systemd-networkd, DHCP from ip=dhcp) and curl to the powernode module; powernode-net.service
# fetches the node's read-only image file over HTTP(S), checks its sha256 against the command line
# and attaches it as a read-only loop device, whose filesystem (LABEL=powernode-net) then serves as
# persist for sysroot.mount and powernode-root.sh, which runs it live (/etc and /var in RAM).

# only when asked (--add powernode-net): the disk's initramfs has no network stack
check() {
    return 255
}

depends() {
    echo powernode systemd-networkd
}

installkernel() {
    # af_packet: DHCP; the NIC drivers come with kernel-network-modules (systemd-networkd's dependency)
    hostonly='' instmods af_packet
}

install() {
    inst_multiple curl sha256sum losetup stat mount mkdir rm cat date sed tr
    # https:// URLs need the CA bundle; the image's integrity is the sha256 either way
    inst_multiple -o /etc/ssl/certs/ca-certificates.crt
    inst_script "$moddir/powernode-net.sh" /usr/lib/powernode/powernode-net.sh
    inst_simple "$moddir/powernode-net.service" "$systemdsystemunitdir/powernode-net.service"
    $SYSTEMCTL -q --root "$initdir" add-wants initrd-root-device.target powernode-net.service
}
