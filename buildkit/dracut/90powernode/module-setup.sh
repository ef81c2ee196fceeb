#!/bin/bash
# shellcheck disable=SC2154 # moddir, initdir, systemdsystemunitdir, SYSTEMCTL come from dracut
# dracut module "powernode": mounts the node's composefs root. root= names the real persist
# partition (systemd's sysroot.mount mounts it); powernode-root.service then runs before
# initrd-root-fs.target and puts the composefs image named on the command line in its place,
# with /etc and /var writable on persist. The pattern ostree-prepare-root and bootc use.

# only when asked (--add powernode): never pulled into a host's own initramfs by accident
check() {
    return 255
}

depends() {
    echo systemd-initrd fs-lib
}

installkernel() {
    # erofs (the metadata image), overlay (composefs), ext4 (persist, fs-verity), vfat + nls (BOOT
    # holds identity.cfg), loop (EROFS images that are not file-backed), virtio for VMs
    hostonly='' instmods erofs overlay loop ext4 vfat nls_cp437 nls_iso8859-1 nls_ascii \
        virtio_blk virtio_pci virtio_scsi sd_mod nvme ahci sr_mod cdrom isofs
}

install() {
    inst_multiple losetup sha256sum find mkdir cp cat mount umount sync sed head tail tr date sleep touch rm \
        blkid realpath stat chmod grep
    inst_script "$moddir/powernode-root.sh" /usr/lib/powernode/powernode-root.sh
    inst_script "$moddir/powernode-cdrom.sh" /usr/lib/powernode/powernode-cdrom.sh
    inst_simple "$moddir/powernode-root.service" "$systemdsystemunitdir/powernode-root.service"
    inst_simple "$moddir/powernode-cdrom.service" "$systemdsystemunitdir/powernode-cdrom.service"
    $SYSTEMCTL -q --root "$initdir" add-wants initrd-root-fs.target powernode-root.service
    $SYSTEMCTL -q --root "$initdir" add-wants initrd-root-device.target powernode-cdrom.service
}
