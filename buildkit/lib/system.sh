# shellcheck shell=bash
# The real system's boot pieces, made in the build environment (lib/envs.sh): the dracut
# initramfs with the powernode module, the composefs image (mkcomposefs) and the UKI (ukify).
# Paths under /work are WORK_DIR inside the build environment.

# build_system_initramfs TOOLS ROOT_REL KVER OUT [net]: generic (--no-hostonly) dracut image from
# the build environment's binaries and the root's kernel modules, with the powernode module; with
# "net", the netboot initramfs (the iPXE family): powernode-net adds networkd, the NIC drivers and
# curl. The powernode modules must be in the build environment (install_dracut_modules).
build_system_initramfs() {
  local tools="$1" root_rel="$2" kver="$3" out="$4" variant="${5:-}" add=powernode log="$WORK_DIR/dracut.log"
  if [ "$variant" = net ]; then add="powernode powernode-net"; log="$WORK_DIR/dracut-net.log"; fi
  # Mounting a local ext4 persist and the composefs root needs no storage stacks (md, dm, crypt,
  # iSCSI/NFS/NBD), splash, keymaps, the udev hwdb (13 MB) or other filesystems: left out, the
  # UKI is ~20 MB instead of ~31, small enough for an El Torito boot image (< 32 MB). The netboot
  # variant gets its network from powernode-net (systemd-networkd), not dracut's network modules.
  in_tools "$tools" "$WORK_DIR" dracut --quiet --force --no-hostonly --reproducible --no-early-microcode \
    --kver "$kver" --kmoddir "/work/$root_rel/usr/lib/modules/$kver" --zstd \
    --filesystems "ext4 vfat erofs overlay isofs" \
    --add "$add" --omit "plymouth i18n network network-legacy network-manager connman nfs iscsi nbd lvm mdraid dmraid dm crypt systemd-cryptsetup multipath btrfs biosdevname hwdb fips fips-crypto-policies bluetooth fido2 pcsc pkcs11 tpm2-tss crypt-gpg crypt-loop ecryptfs nvmf fcoe fcoe-uefi cifs" \
    "/work/${out#"$WORK_DIR"/}" >"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "dracut${variant:+ ($variant)} failed"; }
  chmod 0644 "$out"
}

# install_dracut_modules TOOLS ROOT_REL KVER: the kit's dracut modules into the build environment,
# and the root's module dependency index (dracut reads the root's kernel modules).
install_dracut_modules() {
  local tools="$1" root_rel="$2" kver="$3" m
  for m in 90powernode 90powernode-net; do
    rm -rf "$tools/usr/lib/dracut/modules.d/$m"
    cp -r "$KIT_DIR/dracut/$m" "$tools/usr/lib/dracut/modules.d/$m"
  done
  [ -s "$WORK_DIR/$root_rel/usr/lib/modules/$kver/modules.dep" ] ||
    in_tools "$tools" "$WORK_DIR" depmod -b "/work/$root_rel" "$kver"
}

# build_composefs TOOLS ROOT_REL IMAGE_REL OBJECTS_REL: upstream mkcomposefs. Objects are named
# by their fs-verity digest (XX/62 hex), which the image records in each file's
# trusted.overlay.metacopy; ownership, modes, xattrs and special files are kept; files of 64
# bytes or less live inline in the image.
build_composefs() {
  local tools="$1" root_rel="$2" image_rel="$3" objects_rel="$4"
  rm -rf "${WORK_DIR:?}/$objects_rel" "${WORK_DIR:?}/$image_rel"
  mkdir -p "$WORK_DIR/$objects_rel"
  touch_tree "$WORK_DIR/$root_rel"
  in_tools "$tools" "$WORK_DIR" mkcomposefs --threads="$(nproc)" --digest-store="/work/$objects_rel" \
    "/work/$root_rel" "/work/$image_rel" >"$WORK_DIR/mkcomposefs.log" 2>&1 ||
    { tail -n 20 "$WORK_DIR/mkcomposefs.log" >&2; die "mkcomposefs failed"; }
  touch_tree "$WORK_DIR/$objects_rel"
}

# build_system_uki TOOLS KERNEL_REL INITRD_REL CMDLINE OSREL_REL KVER OUT_REL: real ukify
# (systemd 257) onto the build environment's own systemd-boot stub.
build_system_uki() {
  local tools="$1" kernel_rel="$2" initrd_rel="$3" cmdline="$4" osrel_rel="$5" kver="$6" out_rel="$7"
  in_tools "$tools" "$WORK_DIR" ukify build \
    --linux "/work/$kernel_rel" --initrd "/work/$initrd_rel" --cmdline "$cmdline" \
    --os-release "@/work/$osrel_rel" --uname "$kver" \
    --stub "/usr/lib/systemd/boot/efi/$STUB_NAME" --output "/work/$out_rel" >"$WORK_DIR/ukify.log" 2>&1 ||
    { tail -n 20 "$WORK_DIR/ukify.log" >&2; die "ukify failed"; }
}

# stub_ref TOOLS: the firmware_ref of a UKI made on the build environment's stub.
stub_ref() {
  local tools="$1" v
  # shellcheck disable=SC2016 # ${Version} is dpkg-query's field, not ours
  v="$(in_tools "$tools" "$WORK_DIR" dpkg-query -W -f='${Version}' systemd-boot-efi)"
  printf 'systemd-boot-efi/%s/%s@sha256:%s\n' "$v" "$STUB_NAME" \
    "$(sha256_of "$tools/usr/lib/systemd/boot/efi/$STUB_NAME")"
}

# stage_persist DIR IMAGE OBJECTS DIGEST: the persist partition's content for a disk that boots
# the image: powernode/images/<digest>.cfs + powernode/objects/ (hard links, no copy).
stage_persist() {
  local dir="$1" image="$2" objects="$3" digest="$4"
  rm -rf "$dir"
  mkdir -p "$dir/powernode/images"
  cp -al "$objects" "$dir/powernode/objects"
  ln "$image" "$dir/powernode/images/$digest.cfs"
}

# oci_root_layer ROOT OUT_TAR: the root as one layer, ownership, modes and xattrs kept (a
# bootc-style image of the same system the composefs image describes).
oci_root_layer() {
  tar --sort=name --mtime="@$BUILD_EPOCH" --numeric-owner --xattrs --xattrs-include='*' \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$1" -cf "$2" .
}

# shellcheck disable=SC2034 # KVER, CMDLINE, FIRMWARE_REF are read by write_manifest (lib/media.sh)
# build_real_system: build.sh's stages for --build-script (globals from build.sh: ARCH, OUT,
# WORK_DIR, BUILD_SCRIPT, FAMILIES via want, CONSOLE, EFI_NAME, ESP_MIB, PERSIST_MIB, BUILD_ID).
# Sets KVER, CMDLINE, FIRMWARE_REF and IMAGE_DIGEST for the manifest.
build_real_system() {
  local tools root_rel=rootfs
  stage_begin build-env
  tools="$(ensure_tools "$ARCH")"
  stage_end

  stage_begin rootfs
  build_rootfs "$BUILD_SCRIPT" "$WORK_DIR/$root_rel" "$CACHE_DIR/apt-archives/$(jq -r .suite "$BUILD_SCRIPT")-$ARCH"
  KVER="$ROOT_KVER"
  # arm64 Debian kernels are gzip-compressed Images, which the UEFI stub cannot start
  if [ "$(od -An -tx1 -N2 "$WORK_DIR/$root_rel/usr/lib/modules/$KVER/vmlinuz" | tr -d ' ')" = 1f8b ]; then
    zcat "$WORK_DIR/$root_rel/usr/lib/modules/$KVER/vmlinuz" >"$OUT/kernel"
  else
    cp "$WORK_DIR/$root_rel/usr/lib/modules/$KVER/vmlinuz" "$OUT/kernel"
  fi
  touch -d "@$BUILD_EPOCH" "$OUT/kernel"
  require_real_kernel "$OUT/kernel"
  stage_end

  stage_begin initramfs
  install_dracut_modules "$tools" "$root_rel" "$KVER"
  local net_pid=""
  if want ipxe; then
    # the netboot variant alongside (dracut is mostly one core)
    build_system_initramfs "$tools" "$root_rel" "$KVER" "$WORK_DIR/initramfs-net.img" net &
    net_pid=$!
  fi
  build_system_initramfs "$tools" "$root_rel" "$KVER" "$WORK_DIR/initramfs.img"
  if [ -n "$net_pid" ]; then wait "$net_pid" || die "the netboot initramfs failed (log: $WORK_DIR/dracut-net.log)"; fi
  cp "$WORK_DIR/initramfs.img" "$OUT/initramfs.cpio.zst"
  printf '%s\n' "$BUILD_ID" >"$OUT/build-id"
  stage_end

  stage_begin composefs
  build_composefs "$tools" "$root_rel" composefs.cfs objects
  IMAGE_DIGEST="$(sha256_of "$WORK_DIR/composefs.cfs")"
  cp "$WORK_DIR/composefs.cfs" "$OUT/powernode-$ARCH.composefs.erofs"
  det_tar "$WORK_DIR/objects" "$OUT/powernode-$ARCH.composefs-objects.tar"
  printf 'sha256:%s\n' "$IMAGE_DIGEST" >"$OUT/image-digest"
  log "composefs image sha256:$IMAGE_DIGEST ($(du -sh "$WORK_DIR/objects" | cut -f1) of objects)"
  stage_end

  # the image to boot is part of the signed command line: the initramfs checks the metadata
  # image against it before mounting anything
  # systemd.ssh_auto=0: no sshd on AF_VSOCK (its generator fails noisily on VMs without a CID)
  # rd.shell=0 rd.emergency=halt: a failure the powernode units do not cover (no persist, fsck or
  # mount errors) halts with the reason on the console instead of waiting at a locked root shell
  CMDLINE="${CMDLINE_OVERRIDE:-console=tty0 console=$CONSOLE root=LABEL=persist rootfstype=ext4 rw rd.shell=0 rd.emergency=halt systemd.ssh_auto=0} powernode.image=sha256:$IMAGE_DIGEST"
  stage_begin uki
  cat >"$WORK_DIR/os-release" <<OSREL
NAME="Powernode"
ID=powernode
ID_LIKE=debian
PRETTY_NAME="Powernode $BUILD_ID"
VERSION_ID="$BUILD_ID"
BUILD_ID="$BUILD_ID"
IMAGE_VERSION="sha256:$IMAGE_DIGEST"
OSREL
  cp "$OUT/kernel" "$WORK_DIR/kernel"
  build_system_uki "$tools" kernel initramfs.img "$CMDLINE" os-release "$KVER" uki.efi
  cp "$WORK_DIR/uki.efi" "$OUT/powernode-$ARCH.efi"
  touch -d "@$BUILD_EPOCH" "$OUT/powernode-$ARCH.efi"
  FIRMWARE_REF="$(stub_ref "$tools")"
  stage_end

  if want img || want qcow2 || want iso || want ipxe; then
    stage_begin persist
    stage_persist "$WORK_DIR/persist" "$WORK_DIR/composefs.cfs" "$WORK_DIR/objects" "$IMAGE_DIGEST"
    cp "$KIT_DIR/lib/verity-seal.py" "$WORK_DIR/verity-seal.py"
    in_tools "$tools" "$WORK_DIR" python3 /work/verity-seal.py /work/persist/powernode/objects \
      /powernode/objects /work/verity.debugfs >&2 || die "sealing the objects with fs-verity failed"
    touch_tree "$WORK_DIR/persist"
    if want img || want qcow2 || want iso; then
      make_persist_fs "$WORK_DIR/persist.ext4" "$PERSIST_MIB" "$WORK_DIR/persist" "$WORK_DIR/verity.debugfs"
    fi
    stage_end
  fi
  if want img || want qcow2; then
    stage_begin disk
    # systemd-boot in front of the UKI: the node agent adds counted entries for new images
    build_disk "$OUT/powernode-$ARCH.img" "$OUT/powernode-$ARCH.efi" "$EFI_NAME" "$ESP_MIB" "$PERSIST_MIB" \
      "$WORK_DIR/persist.ext4" "$tools/usr/lib/systemd/boot/efi/systemd-boot${EFI_ARCH}.efi" "$IMAGE_DIGEST"
    stage_end
  fi
  if want iso; then
    stage_begin iso
    # El Torito counts the boot image in 16 bits of 512-byte sectors: a bigger one gets size 0,
    # which firmware need not boot (OVMF did not, here)
    [ "$(stat -c %s "$OUT/powernode-$ARCH.efi")" -le $((31 * 1024 * 1024)) ] ||
      die "the UKI is $(( $(stat -c %s "$OUT/powernode-$ARCH.efi") / 1048576 )) MiB: too big for an ISO's El Torito boot image (31 MiB with its FAT); build without --family iso"
    build_iso "$OUT/powernode-$ARCH.iso" "$OUT/powernode-$ARCH.efi" "$EFI_NAME" "$WORK_DIR/persist.ext4"
    stage_end
  fi
  if want ipxe; then
    stage_begin ipxe
    # what netboot fetches into RAM: persist's content as a read-only ext4 sized to it (no room, no
    # journal), labelled powernode-net so that it never stands in for a local disk's persist
    PERSIST_ROOM_MIB=4 make_persist_fs "$WORK_DIR/netboot.ext4" auto "$WORK_DIR/persist" "$WORK_DIR/verity.debugfs" \
      powernode-net ^has_journal
    mv "$WORK_DIR/netboot.ext4" "$OUT/powernode-$ARCH.netboot.ext4"
    touch -d "@$BUILD_EPOCH" "$OUT/powernode-$ARCH.netboot.ext4"
    cp "$WORK_DIR/initramfs-net.img" "$OUT/initramfs-net.cpio.zst"
    build_ipxe_netboot_script "$OUT/powernode-$ARCH.ipxe" "powernode-$ARCH.netboot.ext4" \
      "$(sha256_of "$OUT/powernode-$ARCH.netboot.ext4")" "$(stat -c %s "$OUT/powernode-$ARCH.netboot.ext4")" \
      "console=tty0 console=$CONSOLE ip=dhcp rd.neednet=1 root=LABEL=powernode-net rootfstype=ext4 ro rd.shell=0 rd.emergency=halt systemd.ssh_auto=0 powernode.image=sha256:$IMAGE_DIGEST"
    stage_end
  fi
  if want qcow2; then
    stage_begin qcow2
    qemu-img convert -f raw -O qcow2 -c "$OUT/powernode-$ARCH.img" "$OUT/powernode-$ARCH.qcow2"
    stage_end
  fi
  if want oci; then
    stage_begin oci
    # bootc's layout: the initramfs next to the kernel (the composefs root leaves it out: the node
    # boots it from the UKI or the kernel_initramfs family, and persist has no room to spare)
    cp "$WORK_DIR/initramfs.img" "$WORK_DIR/$root_rel/usr/lib/modules/$KVER/initramfs.img"
    build_oci_system "$OUT/powernode-$ARCH.oci" "$OUT/powernode-$ARCH.oci.tar" "$WORK_DIR/$root_rel" "$KVER"
    stage_end
  fi
  # only what was asked for reaches the manifest (powernode publish reads it): a kernel_initramfs
  # without its composefs blob could not boot
  # (the iPXE family boots the kernel too, with its own initramfs)
  if ! want kernel; then
    rm -f "$OUT/initramfs.cpio.zst"
    want ipxe || rm -f "$OUT/kernel"
  fi
  # (a disk carries them too: its node agent installs a new image from them)
  if ! want composefs && ! want kernel && ! want img && ! want qcow2; then
    rm -f "$OUT/powernode-$ARCH.composefs.erofs" "$OUT/powernode-$ARCH.composefs-objects.tar"
  fi
}
