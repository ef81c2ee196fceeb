#!/usr/bin/env bash
# Installs the Gitea mock's node packages (Stoplight Prism 5.14.2, package-lock.json pinned) into
# testkit/gitea/node_modules with `npm ci`. A no-op when the installed lock matches.
# Prism 5.15 and later need node 24, which Debian 12 lacks; 5.14.2 needs node >= 18.20.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/env.sh"

pn_npm_ci "$PN_ROOT/testkit/gitea" "the Gitea mock's node packages (Stoplight Prism)"
