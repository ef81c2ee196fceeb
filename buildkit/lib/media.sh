# shellcheck shell=bash
# ISO, iPXE script and the build manifest.

# build_iso OUT UKI EFI_NAME [PERSIST_FS]: the UKI sits in a small FAT image that serves as
# the El Torito EFI boot image *and*, appended as GPT partition 2, as the ESP
# when the ISO is written to a USB stick (-isohybrid-gpt-basdat alone gave no
# bootable disk form here). El Torito points at the appended partition, so the
# FAT image is stored once.
#
# With PERSIST_FS (a real system), that persist filesystem is appended as GPT partition 3: written
# to a USB stick it is the node's persist partition; booted as a CD, the initramfs finds it through
# a read-only partition-scanning loop device over the CD and runs live (powernode-cdrom.sh).
build_iso() {
  local out="$1" uki="$2" efi_name="$3" persist_fs="${4:-}" efiboot tree kib extra=()
  efiboot="$WORK_DIR/efiboot.img"
  # UKI + 1 MiB for FAT metadata, rounded to whole MiB; kept small because
  # boot images over 32 MB get size 0 in the boot catalog.
  kib=$(( ( ($(stat -c %s "$uki") / 1024 + 1024) / 1024 + 1) * 1024 ))
  rm -f "$efiboot"
  truncate -s "${kib}K" "$efiboot"
  MTOOLS_SKIP_CHECK=1 mformat -i "$efiboot" -T $((kib * 2)) -h 64 -s 32 -v BOOT -N "$(det_hex32 iso-esp-serial)" ::
  populate_esp "$efiboot" "$uki" "$efi_name"
  tree="$WORK_DIR/iso-tree"
  rm -rf "$tree"
  mkdir -p "$tree"
  printf '%s\n' "$BUILD_ID" >"$tree/powernode-build-id"
  touch_tree "$tree"
  if [ -n "$persist_fs" ]; then extra=(-append_partition 3 "$LINUX_FS_TYPE_GUID" "$persist_fs"); fi
  # xorriso takes volume dates and the volume UUID from SOURCE_DATE_EPOCH.
  SOURCE_DATE_EPOCH="$BUILD_EPOCH" xorriso -report_about SORRY -as mkisofs \
    -o "$out" -iso-level 3 -V POWERNODE -R -J \
    -append_partition 2 "$ESP_TYPE_GUID" "$efiboot" "${extra[@]}" -appended_part_as_gpt \
    -e --interval:appended_partition_2:all:: -no-emul-boot \
    "$tree"
}

# build_ipxe_script OUT UKI_NAME CMDLINE: chains the UKI on EFI. The cmdline is
# repeated on the chain line because the systemd 252 stub replaces its
# embedded cmdline with the caller's when Secure Boot is off, and iPXE always
# passes one. BIOS iPXE cannot run a UKI, so it boots kernel + initramfs.
build_ipxe_script() {
  local out="$1" uki_name="$2" cmdline="$3"
  cat >"$out" <<IPXE
#!ipxe
echo Powernode $BUILD_ID
iseq \${platform} efi && goto uki || goto bios
:uki
chain $uki_name $cmdline
:bios
kernel kernel initrd=initramfs.cpio.zst $cmdline
initrd initramfs.cpio.zst
boot
IPXE
  touch -d "@$BUILD_EPOCH" "$out"
}

# build_ipxe_netboot_script OUT NETBOOT_NAME NETBOOT_SHA256 NETBOOT_SIZE CMDLINE: a real system's
# netboot. On EFI and BIOS alike iPXE boots the kernel with the netboot initramfs, whose
# powernode-net fetches NETBOOT_NAME from ${powernode-url} (set by the operator's menu script; else
# the script's own directory, ${cwduri}, on an iPXE that has that setting) and checks it against
# NETBOOT_SIZE and NETBOOT_SHA256.
build_ipxe_netboot_script() {
  local out="$1" name="$2" sha="$3" size="$4" cmdline="$5"
  cat >"$out" <<IPXE
#!ipxe
echo Powernode $BUILD_ID: netboot (kernel + initramfs, then the image over HTTP into RAM)
isset \${powernode-url} && goto boot ||
isset \${cwduri} && set powernode-url \${cwduri} && goto boot ||
echo powernode: set powernode-url to the http(s) URL of the directory this script's files are served from
echo powernode: (this iPXE has no cwduri setting to find it), e.g. set powernode-url http://boot.example/powernode
exit 1
:boot
echo powernode: the image comes from \${powernode-url}/$name
kernel kernel initrd=initramfs-net.cpio.zst $cmdline powernode.netboot=\${powernode-url}/$name powernode.netboot.sha256=$sha powernode.netboot.size=$size
initrd initramfs-net.cpio.zst
boot
IPXE
  touch -d "@$BUILD_EPOCH" "$out"
}

family_of() {
  case "$1" in
    kernel|initramfs.cpio.zst) echo kernel-initrd ;;
    initramfs-net.cpio.zst|*.netboot.ext4) echo ipxe ;;
    *.efi) echo uki ;;
    *.img) echo disk-image-uefi ;;
    *.qcow2) echo qcow2 ;;
    *.iso) echo iso ;;
    *.ipxe) echo ipxe ;;
    *.oci.tar) echo oci ;;
    # a real system's composefs image and objects are what its kernel + initramfs boot
    *.composefs.erofs|*.composefs-objects.tar)
      if [ "${INITRAMFS:-}" = system ]; then echo kernel-initrd; else echo composefs-style; fi ;;
    *) echo other ;;
  esac
}

# write_manifest OUT: reads the build globals (ARCH, KVER, GIT_SHA, BUILD_ID,
# BUILD_EPOCH, CMDLINE, INITRAMFS, FIRMWARE_REF) set by build.sh.
# shellcheck disable=SC2153
# write_manifest OUT: one entry per output with what a publisher needs to
# verify and label it. Contains no wall-clock time, so it is reproducible too.
write_manifest() {
  local out="$1" f name entries=()
  for f in "$OUT"/kernel "$OUT"/initramfs.cpio.zst "$OUT"/*.efi "$OUT"/*.img "$OUT"/*.qcow2 "$OUT"/*.iso "$OUT"/*.ipxe "$OUT"/initramfs-net.cpio.zst "$OUT"/*.netboot.ext4 "$OUT"/*.oci.tar "$OUT"/*.composefs.erofs "$OUT"/*.composefs-objects.tar; do
    [ -f "$f" ] || continue
    name="${f##*/}"
    entries+=("$(jq -n --arg name "$name" --arg sha "$(sha256_of "$f")" --argjson size "$(size_of "$f")" \
      --arg family "$(family_of "$name")" \
      '{name: $name, sha256: $sha, size: $size, family: $family}')")
  done
  printf '%s\n' "${entries[@]}" | jq -s \
    --arg arch "$ARCH" --arg kver "$KVER" --arg sha "$GIT_SHA" --arg id "$BUILD_ID" \
    --argjson epoch "$BUILD_EPOCH" --arg cmdline "$CMDLINE" --arg initramfs "$INITRAMFS" \
    --arg fw "${FIRMWARE_REF:-}" --arg img "${IMAGE_DIGEST:+sha256:$IMAGE_DIGEST}" \
    '{build_id: $id, arch: $arch, kernel_version: $kver, git_sha: $sha, source_date_epoch: $epoch,
      cmdline: $cmdline, initramfs: $initramfs}
      + (if $img == "" then {} else {composefs_image: $img} end)
      + (if $fw == "" then {} else {firmware_ref: $fw} end)
      + {outputs: map(. + {arch: $arch, kernel_version: $kver, git_sha: $sha})}' >"$out"
}
