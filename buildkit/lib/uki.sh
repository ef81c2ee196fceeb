# shellcheck shell=bash
# UKI assembly. Bookworm ships no ukify, so the sections are added to the
# systemd-boot stub with objcopy. Each section goes after the previous one,
# 4 KiB aligned, starting past the stub's own last section: fixed VMAs (the
# old 0x30000/0x2000000 recipe) overlap once a kernel grows past them.

UKI_ALIGN=4096

# next_vma FILE: first 4 KiB aligned VMA after the last section of a PE file.
next_vma() {
  local idx size vma rest end max=0
  # mawk has no strtonum, so the hex arithmetic is done by bash.
  while read -r idx _ size vma rest; do
    case "$idx" in *[!0-9]*|'') continue ;; esac
    [ -n "$rest" ] || continue
    end=$(( 0x$vma + 0x$size ))
    if [ "$end" -gt "$max" ]; then max="$end"; fi
  done < <("$OBJDUMP" -h "$1")
  [ "$max" -gt 0 ] || return 1
  printf '0x%x\n' $(( (max + UKI_ALIGN - 1) / UKI_ALIGN * UKI_ALIGN ))
}

# require_real_kernel FILE: refuse a missing, empty or placeholder kernel so a
# broken build never produces an image that only fails on the device.
require_real_kernel() {
  local k="$1"
  [ -e "$k" ] || die "kernel missing: $k (run buildkit/setup.sh, or pass --kernel dir)"
  [ -s "$k" ] || die "kernel is empty: $k (placeholder kernel refused; the UKI would not boot)"
  # A kernel the stub can start has a recognisable header: x86 bzImage "HdrS"
  # at 0x202, arm64 Image "ARM\x64" at 0x38. Anything else is a placeholder.
  local magic
  case "${ARCH:-amd64}" in
    amd64)
      magic="$(dd if="$k" bs=1 skip=514 count=4 status=none)"
      [ "$magic" = "HdrS" ] || die "not an x86 bzImage (no HdrS header): $k (placeholder kernel refused)"
      ;;
    arm64)
      magic="$(od -An -tx1 -j56 -N4 "$k" 2>/dev/null | tr -d ' ' || true)"
      [ "$magic" = 41524d64 ] || die "not an arm64 Image (no ARM\\x64 magic): $k (placeholder kernel refused)"
      ;;
  esac
}

# build_uki OUT STUB KERNEL INITRD CMDLINE OSREL_FILE UNAME
build_uki() {
  local out="$1" stub="$2" kernel="$3" initrd="$4" cmdline="$5" osrel="$6" uname="$7"
  local args=() vma sec file size tmp_cmdline tmp_uname
  [ -s "$stub" ] || die "systemd-boot stub missing: $stub (run buildkit/setup.sh)"
  require_real_kernel "$kernel"
  [ -s "$initrd" ] || die "initramfs missing or empty: $initrd"

  tmp_cmdline="$WORK_DIR/uki.cmdline"
  tmp_uname="$WORK_DIR/uki.uname"
  printf '%s' "$cmdline" >"$tmp_cmdline"
  printf '%s' "$uname" >"$tmp_uname"

  vma="$(next_vma "$stub")" || die "cannot read sections of $stub"
  # .linux goes last, as current ukify does: the kernel is by far the
  # largest section and nothing has to be placed after it.
  for pair in ".osrel=$osrel" ".cmdline=$tmp_cmdline" ".uname=$tmp_uname" ".initrd=$initrd" ".linux=$kernel"; do
    sec="${pair%%=*}"
    file="${pair#*=}"
    size="$(stat -c %s "$file")"
    args+=(--add-section "$sec=$file" --change-section-vma "$sec=$vma")
    vma="$(printf '0x%x' $(( (vma + size + UKI_ALIGN - 1) / UKI_ALIGN * UKI_ALIGN )))"
  done
  "$OBJCOPY" "${args[@]}" "$stub" "$out"
  pe_pin_timestamp "$out" "$BUILD_EPOCH"
}

# pe_pin_timestamp FILE EPOCH: objcopy (binutils 2.40) stamps the wall clock
# into the COFF header and ignores SOURCE_DATE_EPOCH. Overwrite it, then
# recompute the PE checksum that covered the old stamp.
pe_pin_timestamp() {
  local f="$1" epoch="$2" pe_off
  pe_off="$(od -An -tu4 -j60 -N4 "$f" | tr -d ' ')"
  [ "$(dd if="$f" bs=1 skip="$pe_off" count=2 status=none)" = "PE" ] || die "not a PE file: $f"
  write_le32 "$f" $((pe_off + 8)) "$epoch"
  # CheckSum lives at offset 64 of the optional header (COFF header is 20 bytes).
  local ck_off=$((pe_off + 24 + 64))
  write_le32 "$f" "$ck_off" 0
  write_le32 "$f" "$ck_off" "$(pe_checksum "$f" "$ck_off")"
}

write_le32() {
  local f="$1" off="$2" v="$3"
  printf '%b' "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((v & 255)) $(((v >> 8) & 255)) $(((v >> 16) & 255)) $(((v >> 24) & 255)))" |
    dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# pe_checksum FILE CHECKSUM_OFFSET: the PE image checksum (16-bit one's
# complement style sum plus file length). UEFI firmware does not check it, but
# a stale value makes tools like sbverify/pesign complain; python3 is used when
# available, otherwise 0 (the "no checksum" value) is kept.
pe_checksum() {
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$1" "$2" <<'PY'
import sys, array
data = open(sys.argv[1], 'rb').read()
off = int(sys.argv[2])
data = data[:off] + b'\0\0\0\0' + data[off + 4:]
pad = data + (b'\0' if len(data) % 2 else b'')
s = sum(array.array('H', pad))
while s >> 16:
    s = (s & 0xffff) + (s >> 16)
print(s + len(data))
PY
  else
    echo 0
  fi
}
