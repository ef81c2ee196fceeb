#!/usr/bin/env bash
# Bench (not a test): the node agent's fetch (`powernode agent fetch`: the common OCI client, every
# byte hashed and written to a synced file on the way) against `curl | sha256sum` on the same 1 GiB
# blob from the real docker-registry on loopback. Target (issue 15): the agent at >= 0.9x curl's
# throughput. Three runs each, alternating; prints each run and the medians.
# usage: bench/agent-fetch.sh [MIB]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/demo.sh"

mib=${1:-1024}
pn_ensure_base_tools
pn_demo_tools
[[ -f "$PN_ROOT/cli/target/powernode-cli-exec.jar" ]] || pn_build
work=$(mktemp -d -t powernode-agent-fetch.XXXXXX)
registry_pid=
cleanup() { pn_stop "$registry_pid"; rm -rf "$work"; }
trap cleanup EXIT

registry="127.0.0.1:$(pn_free_port)"
pn_start_registry "$work/registry" "$registry"
registry_pid=$PN_REGISTRY_PID

pn_log "making a $mib MiB blob and pushing it"
head -c "$((mib * 1048576))" /dev/urandom >"$work/blob"
digest="sha256:$(sha256sum "$work/blob" | cut -d' ' -f1)"
size=$(stat -c %s "$work/blob")
location=$(curl -fsS -X POST -D - -o /dev/null "http://$registry/v2/bench/disk/blobs/uploads/" |
  tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
case "$location" in http*) ;; *) location="http://$registry$location" ;; esac
sep='?'; [[ "$location" == *'?'* ]] && sep='&'
curl -fsS -X PUT -H 'Content-Type: application/octet-stream' -T "$work/blob" \
  "$location${sep}digest=$digest" >/dev/null
config='{}'
config_digest="sha256:$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)"
location=$(curl -fsS -X POST -D - -o /dev/null "http://$registry/v2/bench/disk/blobs/uploads/" |
  tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
case "$location" in http*) ;; *) location="http://$registry$location" ;; esac
sep='?'; [[ "$location" == *'?'* ]] && sep='&'
printf '%s' "$config" | curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary @- \
  "$location${sep}digest=$config_digest" >/dev/null
manifest=$(jq -cn --arg d "$digest" --argjson s "$size" --arg c "$config_digest" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.empty.v1+json", digest: $c, size: 2},
  layers: [{mediaType: "application/octet-stream", digest: $d, size: $s,
            annotations: {"org.opencontainers.image.title": "disk.img"}}]}')
printf '%s' "$manifest" | curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary @- "http://$registry/v2/bench/disk/manifests/bench" >/dev/null
ref="$registry/bench/disk@sha256:$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)"
rm -f "$work/blob"

run_curl() {
  local t0 t1 got
  t0=$(date +%s.%N)
  got=$(curl -fsS "http://$registry/v2/bench/disk/blobs/$digest" | sha256sum | cut -d' ' -f1)
  t1=$(date +%s.%N)
  [[ "sha256:$got" == "$digest" ]] || return 1
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
run_agent() {
  local t0 t1
  rm -rf "$work/out"
  t0=$(date +%s.%N)
  java -XX:+UseSerialGC -jar "$PN_ROOT/cli/target/powernode-cli-exec.jar" agent fetch "$ref" --out "$work/out" \
    --skip-signature --plain-http >"$work/agent.out" || return 1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
curl_s=() agent_s=()
for i in 1 2 3; do
  c=$(run_curl) || pn_die "curl | sha256sum failed"
  a=$(run_agent) || pn_die "powernode agent fetch failed"
  curl_s+=("$c") agent_s+=("$a")
  printf 'run %d: curl|sha256sum %6.2f s (%6.1f MiB/s)   agent fetch %6.2f s wall (%6.1f MiB/s), in-process: %s\n' \
    "$i" "$c" "$(awk -v m="$mib" -v s="$c" 'BEGIN{print m/s}')" "$a" "$(awk -v m="$mib" -v s="$a" 'BEGIN{print m/s}')" \
    "$(awk '{print $5, $6, $7, $8}' "$work/agent.out")"
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
mc=$(median "${curl_s[@]}") ma=$(median "${agent_s[@]}")
printf 'median: curl|sha256sum %.2f s, agent fetch %.2f s (JVM start included): agent at %.2fx curl throughput\n' \
  "$mc" "$ma" "$(awk -v c="$mc" -v a="$ma" 'BEGIN{print c/a}')"
