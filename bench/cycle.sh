#!/usr/bin/env bash
# Bench (not a test): the wall time of each stage of one full cycle for a raw disk image of
# SIZE_MIB (default 300): build (build.sh), push, sign, webhook accept, ingest (pull + hash +
# verify), webhook -> published, rollback, promote, retention. It is scripts/e2e.sh with a bigger
# disk and fresh builds: the real docker-registry binary, the platform jar, a throwaway database,
# every step checked; the stage table comes from the second build's cycle.
# usage: bench/cycle.sh [SIZE_MIB=300] [RUNS=1]
# Wall-clock figures are only as good as the machine is quiet: the load average is printed too.
set -euo pipefail
export LC_ALL=C
# shellcheck source=SCRIPTDIR/../scripts/lib/env.sh disable=SC1091 # followed with shellcheck -x
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"

size_mib=${1:-300}
runs=${2:-1}
[[ "$size_mib" =~ ^[0-9]+$ ]] || pn_die "SIZE_MIB must be a number, got '$size_mib'"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || pn_die "RUNS must be a positive number, got '$runs'"

pn_log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
build_args=()
for run in $(seq 1 "$runs"); do
  pn_log "cycle $run of $runs ($size_mib MiB raw disk)"
  out=$(mktemp)
  if ! "$PN_ROOT/scripts/e2e.sh" --disk-mib "$size_mib" "${build_args[@]}" >"$out" 2>&1; then
    cat "$out" >&2
    rm -f "$out"
    pn_die "cycle $run failed"
  fi
  sed -n '/^stage /,/^E2E PASS/p' "$out" | sed '$d'
  rm -f "$out"
  build_args=(--no-build) # the jars are built once
done
pn_log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
