#!/usr/bin/env bash
# The build_script checks (lib/rootfs.sh check_build_script): a bad script fails in well under a
# second, before any download, with exit 1 and one line per problem; the demo script passes them.
#
# Usage: buildkit/tests/build-script-test.sh
set -euo pipefail
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/powernode-bstest.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
FAILS=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*" >&2; FAILS=$((FAILS + 1)); }

# refused NAME JSON EXPECTED_LINE...: build.sh exits 1 naming every expected problem, and builds nothing
refused() {
  local name="$1" json="$2" rc=0 line missing=""
  shift 2
  printf '%s' "$json" >"$WORK/$name.json"
  "$KIT_DIR/build.sh" --arch amd64 --build-script "$WORK/$name.json" --out "$WORK/out-$name" 2>"$WORK/$name.log" || rc=$?
  for line in "$@"; do grep -qF -- "$line" "$WORK/$name.log" || missing+=" [$line]"; done
  if [ "$rc" = 1 ] && [ -z "$missing" ] && [ ! -e "$WORK/out-$name/kernel" ]; then
    pass "build_script $name refused: $(grep -c '^  ' "$WORK/$name.log" || true) problem(s) named"
  else
    fail "build_script $name: exit $rc, missing:$missing; log: $(tr '\n' ' ' <"$WORK/$name.log")"
  fi
}

refused not-json '{"format": ' "is not valid JSON"
refused wrong-version '{"format": "powernode.build-script/v9", "suite": "trixie", "kernel": "linux-image-cloud", "packages": []}' \
  'format: must be "powernode.build-script/v1" (got "powernode.build-script/v9")'
refused many-problems '{"format": "powernode.build-script/v1", "suite": "bookworm", "kernel": "vmlinuz", "packages": ["ok", "Bad Name"], "files": [{"path": "etc/x", "content": "y"}, {"path": "/etc/../x", "content": 1}], "hooks": "echo", "colour": "blue"}' \
  "suite: one of trixie" "kernel: linux-image (generic) or linux-image-<flavour>" 'packages: not a package name: "Bad Name"' \
  "files[0].path: an absolute path" "files[1].path: an absolute path" "hooks: an array of shell commands" "colour: unknown field"
refused not-an-object '["trixie"]' "the script must be a JSON object"
# a unit name is passed to systemctl: an option or shell text is not one
refused bad-units '{"format": "powernode.build-script/v1", "suite": "trixie", "kernel": "linux-image", "packages": [], "enable_units": ["-h", "x;rm -rf /", "ssh.service", "getty@tty1.service"]}' \
  'enable_units: not a unit name: "-h"' 'enable_units: not a unit name: "x;rm -rf /"'

# the demo script passes the checks (jq alone, the same program build.sh runs)
# shellcheck source=../lib/common.sh
. "$KIT_DIR/lib/common.sh"
# shellcheck source=../lib/rootfs.sh
. "$KIT_DIR/lib/rootfs.sh"
if (check_build_script "$KIT_DIR/examples/demo.build-script.json") 2>"$WORK/demo.log"; then
  pass "examples/demo.build-script.json passes the checks"
else
  fail "examples/demo.build-script.json: $(cat "$WORK/demo.log")"
fi
[ "$FAILS" -eq 0 ] || { echo "$FAILS failure(s)" >&2; exit 1; }
