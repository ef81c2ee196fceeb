#!/usr/bin/env bash
# Tests scripts/lib/env.sh's install path the way a fresh machine meets it: a package missing, with
# and without a policy-rc.d already in place (Debian container images ship one), and a failing
# apt-get. A fake apt-get first on PATH records its calls and "installs" a command; the real
# functions run under set -euo pipefail, each in its own bash, exactly as test.sh and run.sh run them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/errtrap.sh"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# setup: a fresh fake machine under $work/m: bin/ (first on PATH), apt.log, policy-rc.d path
setup() {
  rm -rf "$work/m"
  mkdir -p "$work/m/bin"
  cat >"$work/m/bin/apt-get" <<'FAKE'
#!/usr/bin/env bash
# fake apt-get: records each call and whether a policy-rc.d was in place; `install P` makes a
# command named P-cmd, unless FAKE_APT_FAIL is set
echo "$*" >>"$FAKE_M/apt.log"
if [[ "$1" == install ]]; then
  if [[ -x "$PN_POLICY_RC_D" ]]; then echo "policy:$("$PN_POLICY_RC_D"; echo $?)" >>"$FAKE_M/apt.log"; fi
  if [[ -n "${FAKE_APT_FAIL:-}" ]]; then echo "E: Unable to locate package" >&2; exit 100; fi
  for p in "$@"; do
    case "$p" in -*|install) ;; *) printf '#!/bin/sh\n' >"$FAKE_M/bin/$p-cmd"; chmod +x "$FAKE_M/bin/$p-cmd" ;; esac
  done
fi
exit 0
FAKE
  chmod +x "$work/m/bin/apt-get"
}

# run_ensure ARGS...: the real pn_ensure_packages in a fresh bash under set -e; prints its output
run_ensure() {
  FAKE_M="$work/m" PN_POLICY_RC_D="$work/m/policy-rc.d" PATH="$work/m/bin:$PATH" \
    bash -c 'set -euo pipefail; source "$1/scripts/lib/env.sh"; shift; pn_ensure_packages "$@"; echo "survived"' \
    _ "$ROOT" "$@" 2>&1
}

check() {
  local name=$1; shift
  if "$@"; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name" >&2
  fi
}

returns_zero_and_installs_when_policy_rc_d_already_exists() {
  setup
  printf '#!/bin/sh\n# the machine own\nexit 101\n' >"$work/m/policy-rc.d"; chmod +x "$work/m/policy-rc.d"
  local out
  out=$(run_ensure pkga-cmd:pkga) || { echo "$out" >&2; return 1; }
  [[ "$out" == *survived* ]] && [[ -x "$work/m/bin/pkga-cmd" ]] &&
    grep -q 'install -y -qq pkga' "$work/m/apt.log" &&
    grep -q 'the machine own' "$work/m/policy-rc.d" # left in place, as it was
}

returns_zero_and_removes_its_own_policy_rc_d() {
  setup
  local out
  out=$(run_ensure pkgb-cmd:pkgb) || { echo "$out" >&2; return 1; }
  [[ "$out" == *survived* ]] && [[ -x "$work/m/bin/pkgb-cmd" ]] &&
    grep -q 'policy:101' "$work/m/apt.log" && # services denied during the install
    [[ ! -e "$work/m/policy-rc.d" ]]          # and the guard gone afterwards
}

calls_no_apt_get_when_nothing_is_missing() {
  setup
  local out
  out=$(run_ensure bash:bash) || { echo "$out" >&2; return 1; }
  [[ "$out" == *survived* ]] && [[ ! -e "$work/m/apt.log" ]]
}

fails_loudly_when_apt_get_fails() {
  setup
  local out rc=0
  out=$(FAKE_APT_FAIL=1 run_ensure pkgc-cmd:pkgc) || rc=$?
  ((rc != 0)) && [[ "$out" != *survived* ]] &&
    [[ "$out" == *"apt-get install pkgc failed"* ]] &&
    [[ ! -e "$work/m/policy-rc.d" ]] # the guard is removed even when the install fails
}

fails_loudly_when_the_package_brings_no_such_command() {
  setup
  local out rc=0
  out=$(run_ensure othercmd:pkgd) || rc=$?
  ((rc != 0)) && [[ "$out" == *"installed pkgd, but there is still no othercmd"* ]]
}

err_trap_names_script_line_and_command() {
  local out rc=0
  out=$(bash -c 'set -euo pipefail; source "$1/scripts/lib/errtrap.sh"; f() { local g=0; ((g)) && echo x; }; f; echo survived' _ "$ROOT" 2>&1) || rc=$?
  ((rc == 1)) && [[ "$out" != *survived* ]] && [[ "$out" == *"error: line 1: \"((g))\" exited with status 1"* ]]
}

check "pn_ensure_packages returns 0 and installs when policy-rc.d already exists" returns_zero_and_installs_when_policy_rc_d_already_exists
check "pn_ensure_packages installs behind its own policy-rc.d and removes it" returns_zero_and_removes_its_own_policy_rc_d
check "pn_ensure_packages calls no apt-get when nothing is missing" calls_no_apt_get_when_nothing_is_missing
check "pn_ensure_packages fails with a message when apt-get fails" fails_loudly_when_apt_get_fails
check "pn_ensure_packages fails with a message when the command is still missing" fails_loudly_when_the_package_brings_no_such_command
check "the ERR trap names the line and the command that failed" err_trap_names_script_line_and_command
echo "env-test: $passed passed, $failed failed"
((failed == 0))
