#!/usr/bin/env bash
# Lints every shell script the repository tracks: shellcheck (with .shellcheckrc), plus one rule
# that shellcheck lacks. A statement `[[ test ]] && cmd` (or `[ … ]`, `(( … ))`) returns 1 when
# the test is false; as a function's or script's last statement under set -e that ends the caller
# without a message (issue 11: the fresh-machine install died that way). Write `if …; then …; fi`.
# A test chained only to other tests (a predicate's return value) is allowed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
pn_ensure_packages shellcheck:shellcheck

cd "$PN_ROOT"
mapfile -t files < <(git ls-files | grep -E '\.sh$|^bin/powernode$|^\.ci/run$')
shellcheck -x "${files[@]}"

bad=$(awk '
  /^[[:space:]]*#/ { next }
  /^[[:space:]]*(\[\[? |\(\()/ && / && / {
    rest = $0; sub(/.* && /, "", rest)
    if (rest ~ /^(\[\[? |\(\(|!)/ || $0 ~ /\|\||\\$|&&$/) next
    printf "%s:%d: %s\n", FILENAME, FNR, $0
  }' "${files[@]}")
if [[ -n "$bad" ]]; then
  printf '%s\n' "$bad" >&2
  pn_die "test && command as a statement (use if … then … fi; see scripts/lint-shell.sh)"
fi
pn_log "shell lint: ${#files[@]} scripts clean (shellcheck $(shellcheck --version | sed -n 's/^version: //p'))"
