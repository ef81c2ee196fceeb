#!/usr/bin/env bash
# Installs the Gitea mock's node packages (Stoplight Prism 5.14.2, package-lock.json pinned) into
# testkit/gitea/node_modules with `npm ci`. A no-op when the installed lock matches.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/env.sh"

dir="$PN_ROOT/testkit/gitea"
# a copy of the lock that was installed, written after a successful npm ci
stamp="$dir/node_modules/.installed-package-lock.json"
if cmp -s "$dir/package-lock.json" "$stamp"; then
  exit 0
fi
pn_ensure_packages node:nodejs npm:npm
major=$(node -p 'process.versions.node.split(".")[0]')
if ((major < 18)); then
  pn_die "Prism 5.14.2 needs node >= 18.20 (this is $(node --version)); 5.15+ need node 24, which Debian 12 lacks"
fi
pn_log "installing the Gitea mock's node packages (Stoplight Prism, testkit/gitea)"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cp "$dir/package-lock.json" "$stamp"
