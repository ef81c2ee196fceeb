#!/usr/bin/env bash
# Publishes every artifact family of one build.sh output directory with `powernode publish`: one
# signed OCI artifact and one webhook per family, waiting for the platform's verdict on each.
# usage: buildkit/publish-build.sh OUT_DIR ARCH
# Environment (the CI secrets bootstrap_disk_image_ci sets, plus the operator's): PLATFORM_SLUG,
# REGISTRY (host/repository), POWERNODE_WEBHOOK_URL, POWERNODE_WEBHOOK_SECRET, COSIGN_PRIVATE_KEY
# (PKCS#8 PEM), optional OCI_REGISTRY_USERNAME + POWERNODE_REGISTRY_PASSWORD, POWERNODE_TOKEN and
# POWERNODE_API_URL (for --wait), PLAIN_HTTP=1 for a loopback registry.
set -euo pipefail

out=${1:?usage: publish-build.sh OUT_DIR ARCH}
arch=${2:?usage: publish-build.sh OUT_DIR ARCH}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${PLATFORM_SLUG:?set PLATFORM_SLUG}" "${REGISTRY:?set REGISTRY (host/repository)}"
: "${POWERNODE_WEBHOOK_URL:?set POWERNODE_WEBHOOK_URL}" "${COSIGN_PRIVATE_KEY:?set COSIGN_PRIVATE_KEY}"
[[ -f "$out/manifest.json" ]] || { echo "publish-build.sh: $out/manifest.json not found (run build.sh first)" >&2; exit 2; }
git_sha=$(jq -r .git_sha "$out/manifest.json")

key=$(mktemp)
trap 'rm -f "$key"' EXIT
chmod 600 "$key"
printf '%s\n' "$COSIGN_PRIVATE_KEY" >"$key"

# platform family -> files (the first is the primary artifact)
declare -A families=(
  [uefi_disk]="powernode-$arch.img"
  [iso]="powernode-$arch.iso"
  [qcow2]="powernode-$arch.qcow2"
  [kernel_initramfs]="kernel initramfs.cpio.zst"
  [ipxe]="powernode-$arch.ipxe powernode-$arch.efi"
  [oci]="powernode-$arch.oci.tar"
)
extra=()
[[ "${PLAIN_HTTP:-0}" == 1 ]] && extra+=(--plain-http)
[[ -n "${OCI_REGISTRY_USERNAME:-}" ]] && extra+=(--registry-username "$OCI_REGISTRY_USERNAME")
[[ -n "${POWERNODE_TOKEN:-}" ]] && extra+=(--wait)

failed=0
for family in uefi_disk iso qcow2 kernel_initramfs ipxe oci; do
  files=()
  for f in ${families[$family]}; do
    files+=("$out/$f")
  done
  if [[ ! -f "${files[0]}" ]]; then
    echo "publish-build.sh: skipping $family: ${files[0]} was not built" >&2
    continue
  fi
  echo "==> $family ($arch)" >&2
  if ! "$root/bin/powernode" publish --platform "$PLATFORM_SLUG" --family "$family" --arch "$arch" \
    --registry "$REGISTRY" --sign-key "$key" --webhook-url "$POWERNODE_WEBHOOK_URL" \
    --webhook-secret-env POWERNODE_WEBHOOK_SECRET --git-sha "$git_sha" --tag "$arch-$family-${git_sha:0:12}" \
    "${extra[@]}" "${files[@]}"; then
    failed=1
  fi
done
exit "$failed"
