#!/usr/bin/env bash
# Installs the MCP Inspector's CLI (@modelcontextprotocol/inspector-cli 1.0.3, package-lock.json
# pinned) into testkit/mcp-inspector/node_modules with `npm ci`. A no-op when the installed lock
# matches. Inspector 2.x needs node >= 22.19, which Debian 12 lacks; 1.0.3 runs on node 20.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/env.sh"

pn_npm_ci "$PN_ROOT/testkit/mcp-inspector" "the MCP Inspector's CLI"
