#!/usr/bin/env bash
# Installs the offline Sigstore signer's node packages (package-lock.json, pinned) into
# testkit/sigstore/node_modules with `npm ci`. A no-op when the installed lock matches.
# The packages declare node >= 22 but work on node 20 (checked); npm only warns.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/env.sh"

if command -v node >/dev/null && (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  pn_log "warning: node $(node --version) is older than the node 20 the signer was checked with"
fi
pn_npm_ci "$PN_ROOT/testkit/sigstore" "the Sigstore signer's node packages"
