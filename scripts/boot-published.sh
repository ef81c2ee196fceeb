#!/usr/bin/env bash
# Boots the current published UEFI disk of a platform in QEMU, as a node would get it: the
# publication's OCI artifact is pulled from the registry, its sha256 checked against what the
# platform verified and recorded, a per-device identity.cfg dropped onto BOOT, then QEMU (UEFI
# firmware, TCG) boots it with the serial console on this terminal. Log in as root (the demo
# build_script sets the password "powernode"); Ctrl-A X quits QEMU.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
# shellcheck source=SCRIPTDIR/lib/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/demo.sh"

usage() {
  cat <<USAGE
usage: scripts/boot-published.sh [--platform SLUG] [--device-id ID] [--until-marker]
  --platform SLUG   the platform whose current uefi_disk (amd64) to boot (default demo-trixie)
  --device-id ID    the device_id written to identity.cfg on BOOT (default demo-node-1)
  --until-marker    headless: wait for the node's "POWERNODE-MULTI-USER" line, print it, stop QEMU
                    (exit 1 if it does not come within 5 minutes)
Needs the platform (scripts/run.sh --detach) and POWERNODE_TOKEN (run.sh prints one). The disk is
kept in .powernode/boot/ and reused while the publication stays the same; each boot writes to it.
USAGE
}
slug=demo-trixie device=demo-node-1 until_marker=0
while (($#)); do
  case "$1" in
    --platform) slug=${2:?--platform needs a value}; shift ;;
    --device-id) device=${2:?--device-id needs a value}; shift ;;
    --until-marker) until_marker=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ -n "${POWERNODE_TOKEN:-}" ]] || pn_die "set POWERNODE_TOKEN (scripts/run.sh prints one)"
export POWERNODE_API_URL="${POWERNODE_API_URL:-http://127.0.0.1:${POWERNODE_PORT:-8080}}"
pn_ensure_packages qemu-system-x86_64:qemu-system-x86 jq:jq curl:curl
[[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ]] || pn_ensure_packages /usr/share/OVMF/OVMF_CODE_4M.fd:ovmf

pub=$(pn_api GET "/api/v1/system/disk_image_publications?platform=$slug&family=uefi_disk&arch=amd64&status=published&per_page=50" |
  jq -c '[.data[] | select(.active)][0] // empty')
[[ -n "$pub" ]] || pn_die "platform $slug has no current amd64 uefi_disk publication (run scripts/run.sh first)"
id=$(jq -r .id <<<"$pub")
ref=$(jq -r .oci_ref <<<"$pub")
sha=$(jq -r .sha256 <<<"$pub")
registry=${ref%%/*}
repo=${ref#*/}
repo=${repo%@*}
manifest_digest=${ref#*@}

dir="$PN_ROOT/.powernode/boot"
mkdir -p "$dir"
disk="$dir/$id.img"
if [[ ! -f "$disk" ]]; then
  # plain http: run.sh's registry listens on loopback without TLS
  layer=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$registry/v2/$repo/manifests/$manifest_digest" | jq -r '.layers[0].digest')
  [[ "$layer" == "sha256:$sha" ]] || pn_die "the artifact's layer is $layer, the publication records sha256:$sha"
  pn_log "pulling publication $id ($(jq -r '.size_bytes / 1048576 | floor' <<<"$pub") MiB) from $registry/$repo"
  curl -fsS -o "$disk.part" "http://$registry/v2/$repo/blobs/$layer"
  got=$(sha256sum "$disk.part" | cut -d' ' -f1)
  [[ "$got" == "$sha" ]] || { rm -f "$disk.part"; pn_die "downloaded disk has sha256 $got, expected $sha"; }
  mv "$disk.part" "$disk"
  # older disks of this platform are not kept
  find "$dir" -maxdepth 1 -name '*.img' ! -name "$id.img" -delete
fi
printf 'device_id=%s\n' "$device" >"$dir/identity.cfg"
"$PN_ROOT/buildkit/identity.sh" "$disk" "$dir/identity.cfg" >/dev/null
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$dir/vars.fd"

qemu=(qemu-system-x86_64 -machine q35 -m 1024 -nographic
  -drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
  -drive "if=pflash,format=raw,unit=1,file=$dir/vars.fd"
  -drive "if=none,id=d0,format=raw,file=$disk" -device "virtio-blk-pci,drive=d0"
  -netdev "user,id=n0,restrict=on" -device "virtio-net-pci,netdev=n0" -device virtio-rng-pci)
pn_log "booting publication $id (sha256 $sha) as device $device; under TCG the login prompt takes ~2 min"
if ((!until_marker)); then
  pn_log "log in as root / powernode; Ctrl-A X quits"
  exec "${qemu[@]}"
fi
log="$dir/console.log"
"${qemu[@]}" </dev/null >"$log" 2>&1 &
qpid=$!
trap 'kill "$qpid" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  if line=$(grep -a -m1 -o 'POWERNODE-MULTI-USER[^[:cntrl:]]*' "$log"); then
    echo "$line"
    exit 0
  fi
  if grep -aq 'POWERNODE-BOOT-FAILED' "$log"; then
    grep -a -m1 -o 'POWERNODE-BOOT-FAILED[^[:cntrl:]]*' "$log" >&2
    exit 1
  fi
  kill -0 "$qpid" 2>/dev/null || break
  sleep 0.5
done
tail -n 20 "$log" >&2
pn_die "no POWERNODE-MULTI-USER line within 5 minutes (console: $log)"
