#!/usr/bin/env bash
# CI glue around `powernode publish --build-dir`: turns the workflow's secrets and variables into
# its flags, and the private key secret into a 0600 file for the run. Which files make which
# artifact family is decided by the CLI from build.sh's manifest.json, not here.
# usage: buildkit/publish-build.sh OUT_DIR [ARCH]     (ARCH, when given, must be the build's)
# Environment (the CI secrets bootstrap_disk_image_ci sets, plus the operator's): PLATFORM_SLUG,
# REGISTRY (host/repository), POWERNODE_WEBHOOK_URL, POWERNODE_WEBHOOK_SECRET, COSIGN_PRIVATE_KEY
# (PKCS#8 PEM), optional OCI_REGISTRY_USERNAME + POWERNODE_REGISTRY_PASSWORD, POWERNODE_TOKEN and
# POWERNODE_API_URL (then it waits for the verdicts), POWERNODE_WORKER_ID (the registered ci_worker of
# the webhook's label, kept as triggered_by_worker_id), PLAIN_HTTP=1 for a loopback registry.
# The build time, signed into each manifest and the webhook, and the UKI stub (firmware_ref) come
# from build.sh's manifest.json.
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/errtrap.sh"

out=${1:?usage: publish-build.sh OUT_DIR [ARCH]}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${PLATFORM_SLUG:?set PLATFORM_SLUG}" "${REGISTRY:?set REGISTRY (host/repository)}"
: "${POWERNODE_WEBHOOK_URL:?set POWERNODE_WEBHOOK_URL}" "${COSIGN_PRIVATE_KEY:?set COSIGN_PRIVATE_KEY}"

key=$(mktemp)
trap 'rm -f "$key"' EXIT
chmod 600 "$key"
printf '%s\n' "$COSIGN_PRIVATE_KEY" >"$key"

args=(--platform "$PLATFORM_SLUG" --build-dir "$out" --registry "$REGISTRY" --sign-key "$key"
  --webhook-url "$POWERNODE_WEBHOOK_URL" --webhook-secret-env POWERNODE_WEBHOOK_SECRET)
if [[ -n "${2:-}" ]]; then args+=(--arch "$2"); fi
if [[ "${PLAIN_HTTP:-0}" == 1 ]]; then args+=(--plain-http); fi
if [[ -n "${OCI_REGISTRY_USERNAME:-}" ]]; then args+=(--registry-username "$OCI_REGISTRY_USERNAME"); fi
if [[ -n "${POWERNODE_TOKEN:-}" ]]; then args+=(--wait); fi
if [[ -n "${GITHUB_RUN_ID:-}" ]]; then args+=(--run-id "$GITHUB_RUN_ID"); fi
if [[ -n "${POWERNODE_WORKER_ID:-}" ]]; then args+=(--worker-id "$POWERNODE_WORKER_ID"); fi
"$root/bin/powernode" publish "${args[@]}"
