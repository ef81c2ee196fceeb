# shellcheck shell=bash
# Loop-free UEFI raw disk: GPT with ESP (FAT32, label BOOT) + persist (ext4,
# label persist). No loop devices or mounts, so it builds unprivileged and in
# containers; mtools writes into the image at a byte offset (img@@offset).

# shellcheck disable=SC2034 # used by lib/media.sh (ISO appended ESP)
ESP_TYPE_GUID=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
# shellcheck disable=SC2034 # used by lib/media.sh (ISO appended persist)
LINUX_FS_TYPE_GUID=0FC63DAF-8483-4772-8E79-3D69D8477DE4
SECTOR=512

# make_persist_fs OUT_FILE MIB|auto DIR DEBUGFS_COMMANDS [LABEL] [FEATURES]: a standalone persist
# ext4 (LABEL, default persist; FEATURES added to -O, e.g. ^has_journal) made from DIR
# (mkfs.ext4 -d) with 4 KiB blocks and the verity feature, as a composefs object store needs, then
# DEBUGFS_COMMANDS run on it (lib/verity-seal.py writes the ones that mark the sealed objects as
# fs-verity files). "auto" sizes it to the tree plus PERSIST_ROOM_MIB. The disk and the ISO carry
# this same file.
make_persist_fs() {
  local out="$1" mib="$2" dir="$3" cmds="$4" label="${5:-persist}" features=verity
  if [ -n "${6:-}" ]; then features="verity,$6"; fi
  if [ "$mib" = auto ]; then
    # data + ext4 metadata (~5%) + the fs-verity Merkle trees (1/128 of the data) + room
    mib=$(( $(du -sm "$dir" | cut -f1) * 108 / 100 + PERSIST_ROOM_MIB ))
  fi
  rm -f "$out"
  # made first: mke2fs says "Creating regular file" on stdout otherwise, -q or not
  truncate -s "${mib}M" "$out"
  # inodes for the tree twice over plus room for /etc, /var and a next image; the default ratio
  # (one per 16 KiB) would spend ~7% of persist on inode tables of small objects
  E2FSPROGS_FAKE_TIME="$BUILD_EPOCH" mkfs.ext4 -q -F -L "$label" -b 4096 -O "$features" -d "$dir" \
    -N $(( $(find "$dir" | wc -l) * 2 + 16384 )) -U "$(det_uuid "fs-$label")" \
    -E "hash_seed=$(det_uuid "fs-$label-hash"),nodiscard" "$out" "${mib}M"
  debugfs -w -f "$cmds" "$out" >"$WORK_DIR/debugfs.log" 2>&1 ||
    { tail -n 5 "$WORK_DIR/debugfs.log" >&2; die "debugfs on persist failed"; }
  if grep -v '^debugfs' "$WORK_DIR/debugfs.log" | grep -q .; then
    grep -v '^debugfs' "$WORK_DIR/debugfs.log" | head -n 5 >&2
    die "debugfs reported errors while sealing persist (log: $WORK_DIR/debugfs.log)"
  fi
  e2fsck -fn "$out" >"$WORK_DIR/e2fsck.log" 2>&1 ||
    { tail -n 10 "$WORK_DIR/e2fsck.log" >&2; die "the sealed persist filesystem does not pass e2fsck -fn"; }
}

# build_disk OUT UKI EFI_NAME ESP_MIB PERSIST_MIB [PERSIST_FS [BOOTLOADER IMAGE_DIGEST]]: with
# PERSIST_FS (from make_persist_fs), the persist partition is that filesystem, copied in at its
# offset; otherwise an empty ext4 of PERSIST_MIB. With BOOTLOADER (systemd-boot's EFI binary) the
# ESP boots through it (populate_esp_sdboot), otherwise the UKI is the removable-media path.
build_disk() {
  local out="$1" uki="$2" efi_name="$3" esp_mib="$4" persist_mib="$5" persist_fs="${6:-}"
  local bootloader="${7:-}" image_digest="${8:-}"
  if [ -n "$persist_fs" ]; then
    persist_mib=$(( ($(stat -c %s "$persist_fs") + 1048575) / 1048576 ))
  fi
  local esp_start=2048 esp_sectors persist_start persist_sectors total_bytes
  [ "$esp_mib" -ge 64 ] || die "ESP must be at least 64 MiB (got $esp_mib)"
  esp_sectors=$((esp_mib * 1024 * 1024 / SECTOR))
  persist_start=$((esp_start + esp_sectors))
  persist_sectors=$((persist_mib * 1024 * 1024 / SECTOR))
  # 1 MiB at the end leaves room for the backup GPT (33 sectors) and alignment.
  total_bytes=$(( (persist_start + persist_sectors) * SECTOR + 1024 * 1024 ))

  rm -f "$out"
  truncate -s "$total_bytes" "$out"
  sgdisk \
    --disk-guid="$(det_uuid disk)" \
    --new=1:"$esp_start":+"$esp_sectors" --typecode=1:EF00 --change-name=1:BOOT \
    --partition-guid=1:"$(det_uuid part-boot)" \
    --new=2:"$persist_start":+"$persist_sectors" --typecode=2:8300 --change-name=2:persist \
    --partition-guid=2:"$(det_uuid part-persist)" \
    "$out" >/dev/null
  # sgdisk's "+N" is an end offset; read back what it made rather than assume.
  local s e
  read -r s e < <(sgdisk -i 1 "$out" | awk '/First sector:/{f=$3} /Last sector:/{l=$3} END{print f, l}')
  if [ "$s" != "$esp_start" ] || [ $((e - s + 1)) -gt "$esp_sectors" ]; then
    die "unexpected ESP extent $s-$e"
  fi
  esp_sectors=$((e - s + 1))
  read -r s e < <(sgdisk -i 2 "$out" | awk '/First sector:/{f=$3} /Last sector:/{l=$3} END{print f, l}')
  persist_start="$s"
  persist_sectors=$((e - s + 1))

  local esp_off=$((esp_start * SECTOR))
  format_esp "$out@@$esp_off" "$esp_sectors" "$(det_hex32 esp-serial)"
  write_identity_slot "$out@@$esp_off"
  if [ -n "$bootloader" ]; then
    populate_esp_sdboot "$out@@$esp_off" "$uki" "$efi_name" "$bootloader" "$image_digest"
  else
    populate_esp "$out@@$esp_off" "$uki" "$efi_name"
  fi

  # An explicit fs size is essential: without it mke2fs sizes the filesystem
  # to the end of the file and overwrites the backup GPT.
  local persist_off=$((persist_start * SECTOR)) persist_kib=$((persist_sectors * SECTOR / 1024))
  if [ -n "$persist_fs" ]; then
    dd if="$persist_fs" of="$out" bs=1M seek="$persist_off" oflag=seek_bytes conv=notrunc,sparse status=none
  else
    E2FSPROGS_FAKE_TIME="$BUILD_EPOCH" mkfs.ext4 -q -F -L persist \
      -U "$(det_uuid fs-persist)" \
      -E "offset=$persist_off,hash_seed=$(det_uuid fs-persist-hash),root_owner=0:0,nodiscard" \
      "$out" "${persist_kib}k"
  fi
  sgdisk --verify "$out" | grep -q 'No problems found' || die "GPT verification failed for $out"
}

# format_esp IMG@@OFFSET SECTORS SERIAL: FAT32 with a pinned serial; mformat's
# defaults are otherwise deterministic.
format_esp() {
  local target="$1" sectors="$2" serial="$3"
  # -T total sectors, -h/-s a geometry that divides nothing (LBA firmware
  # ignores it); -F forces FAT32 as UEFI specifies for the ESP.
  MTOOLS_SKIP_CHECK=1 mformat -i "$target" -F -T "$sectors" -h 64 -s 32 -v BOOT -N "$serial" ::
}

# The identity slot: BOOT's identity.cfg, IDENTITY_SLOT_BYTES of a comment line and newlines, written
# first on the empty ESP so its clusters sit right after the root directory. Provisioning
# (dev.powernode.common.disk.IdentitySlot) finds it through GPT and FAT32 and overwrites those bytes
# with a node's identity padded with newlines, while it streams the published disk (or writes them
# into a qcow2 overlay): one generic image, one identity per node, no mount and no second copy. The
# file size stays the slot's, so the FAT needs no change. The initramfs copies identity.cfg only
# when it names a device_id, so an unprovisioned disk boots as one without identity.
IDENTITY_SLOT_BYTES=4096
IDENTITY_SLOT_MARKER='# powernode identity slot: unprovisioned'
write_identity_slot() {
  local target="$1" slot="$WORK_DIR/identity-slot/identity.cfg"
  mkdir -p "${slot%/*}"
  { printf '%s\n' "$IDENTITY_SLOT_MARKER"
    head -c $(( IDENTITY_SLOT_BYTES - ${#IDENTITY_SLOT_MARKER} - 1 )) /dev/zero | tr '\0' '\n'
  } >"$slot"
  [ "$(stat -c %s "$slot")" = "$IDENTITY_SLOT_BYTES" ] || die "identity slot is not $IDENTITY_SLOT_BYTES bytes"
  touch_tree "${slot%/*}"
  MTOOLS_SKIP_CHECK=1 mcopy -i "$target" -m -Q "$slot" ::/identity.cfg
}

# populate_esp IMG@@OFFSET UKI EFI_NAME: the removable-media fallback path
# needs no boot entries in NVRAM, so a freshly flashed disk boots as is.
populate_esp() {
  local target="$1" uki="$2" efi_name="$3" tree
  tree="$WORK_DIR/esp-tree"
  rm -rf "$tree"
  mkdir -p "$tree/EFI/BOOT"
  cp "$uki" "$tree/EFI/BOOT/$efi_name"
  touch_tree "$tree"
  # -m keeps the pinned mtimes; -s copies the tree recursively.
  MTOOLS_SKIP_CHECK=1 mcopy -i "$target" -s -m -Q "$tree/EFI" ::/
}

# populate_esp_sdboot IMG@@OFFSET UKI EFI_NAME BOOTLOADER IMAGE_DIGEST: the layout the node agent
# updates (docs/decisions/006): systemd-boot on the removable-media path, the UKI under
# /EFI/powernode/<image digest>.efi and one Boot Loader Specification type #1 entry for it,
# loader/entries/powernode-1.conf (version 1, no boot counter: the image the disk was made with is
# known good). The agent adds an entry per new image, "powernode-<n>+<tries>.conf" with a higher
# version, which systemd-boot then boots first and counts down; once that entry runs out of tries
# it sorts last and the previous image boots again.
populate_esp_sdboot() {
  local target="$1" uki="$2" efi_name="$3" bootloader="$4" digest="$5" tree
  case "$digest" in *[!0-9a-f]*|"") die "populate_esp_sdboot: image digest must be hex, got '$digest'" ;; esac
  tree="$WORK_DIR/esp-tree"
  rm -rf "$tree"
  mkdir -p "$tree/EFI/BOOT" "$tree/EFI/powernode" "$tree/loader/entries"
  cp "$bootloader" "$tree/EFI/BOOT/$efi_name"
  cp "$uki" "$tree/EFI/powernode/$digest.efi"
  # no menu, no editor, no entries of its own making: a node boots unattended
  printf '%s\n' 'timeout 0' 'editor no' 'auto-entries no' 'auto-firmware no' >"$tree/loader/loader.conf"
  printf '%s\n' "title Powernode ${BUILD_ID:-image}" 'sort-key powernode' 'version 1' \
    "efi /EFI/powernode/$digest.efi" >"$tree/loader/entries/powernode-1.conf"
  touch_tree "$tree"
  MTOOLS_SKIP_CHECK=1 mcopy -i "$target" -s -m -Q "$tree/EFI" "$tree/loader" ::/
}

# esp_offset IMG: byte offset of partition 1, for mcopy after the build.
esp_offset() {
  sgdisk -i 1 "$1" | awk '/First sector:/{print $3 * 512}'
}
