#!/usr/bin/env bash
# Installs the offline Sigstore signer's node packages (package-lock.json, pinned) into
# testkit/sigstore/node_modules with `npm ci`. A no-op when the installed lock matches.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/env.sh"

dir="$PN_ROOT/testkit/sigstore"
# a copy of the lock that was installed, written after a successful npm ci
stamp="$dir/node_modules/.installed-package-lock.json"
if cmp -s "$dir/package-lock.json" "$stamp"; then
  exit 0
fi
pn_ensure_packages node:nodejs npm:npm
major=$(node -p 'process.versions.node.split(".")[0]')
if ((major < 20)); then
  pn_log "warning: node $(node --version) is older than the node 20 the signer was checked with"
fi
pn_log "installing the Sigstore signer's node packages (testkit/sigstore)"
# the packages declare node >= 22 but work on node 20 (checked); npm only warns
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cp "$dir/package-lock.json" "$stamp"
