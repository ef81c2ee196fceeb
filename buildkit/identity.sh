#!/usr/bin/env bash
# Drops a per-device identity.cfg onto the BOOT partition of a built raw disk,
# after the build and without mounting it (mtools at the ESP's byte offset):
# the fleet shares one image, each device gets its own identity.
#
# Usage: buildkit/identity.sh DISK.img IDENTITY.cfg
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/errtrap.sh"

[ $# -eq 2 ] || { sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
img="$1"
cfg="$2"
[ -s "$cfg" ] || { echo "identity.sh: $cfg is missing or empty" >&2; exit 1; }
# Partition 1 is BOOT by construction (build.sh); check the label anyway so a
# wrong image is refused rather than scribbled on.
off="$(sgdisk -i 1 "$img" | awk '/First sector:/{print $3 * 512}')"
[ -n "$off" ] || { echo "identity.sh: no partition 1 in $img" >&2; exit 1; }
label="$(blkid -p -O "$off" -s LABEL -o value "$img" || true)"
[ "$label" = BOOT ] ||
  { echo "identity.sh: partition 1 of $img is not the BOOT ESP" >&2; exit 1; }
MTOOLS_SKIP_CHECK=1 mcopy -o -i "$img@@$off" "$cfg" ::/identity.cfg
echo "identity.cfg written to BOOT of $img"
