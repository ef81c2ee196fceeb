#!/usr/bin/env bash
# The node loop under QEMU (issue 15), against the real things: the platform jar on a throwaway
# PostgreSQL database, the docker-registry binary, and a node that is a QEMU (TCG) VM booted from
# the published UEFI disk, provisioned from a template with its own identity.cfg. The guest's only
# network is user-mode `restrict=on` with guestfwd to the platform (10.0.2.100:80) and the registry
# (10.0.2.101:5000).
#
#   v1 published -> the node boots it and reports healthy
#   v2 published -> its agent stages v2, reboots into it (systemd-boot, counted entry), blesses it,
#                   reports healthy; convergence shows 1 of 1 on the current publication
#   v3 published (its health check fails) -> 2 trial boots fail, systemd-boot falls back to v2,
#                   the agent reports fell_back; the platform's auto-rollback policy (1 of 5) has
#                   set the pointer back to v2 and its audit says why
#   retention with count 1 keeps v2 (a live node boots it)
#
# usage: scripts/node-loop.sh [--no-build] [--keep]
#   --no-build  use the jars already in */target
#   --keep      keep the work directory (serial log, builds) for inspection
# Slow (three real-system builds and about seven TCG boots): part of scripts/test.sh --slow.
set -euo pipefail
export LC_ALL=C
# shellcheck source=SCRIPTDIR/lib/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
# shellcheck source=SCRIPTDIR/lib/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/demo.sh"

build=1 keep=0
while (($#)); do
  case "$1" in
    --no-build) build=0 ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) pn_die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

pn_ensure_base_tools
pn_demo_tools
# the kit's build tools, QEMU, OVMF and netcat (guestfwd)
"$PN_ROOT/buildkit/setup.sh" --arch amd64 >/dev/null
pn_ensure_postgres

work=$(mktemp -d -t powernode-loop.XXXXXX)
db="powernode_loop_$(date +%s)_$$"
qemu_pid='' ok=0
cleanup() {
  if ((!ok)); then
    echo "--- serial console (last 60 lines)" >&2
    tail -n 60 "$work/serial.log" >&2 2>/dev/null || true
    echo "--- platform log (last 20 lines)" >&2
    tail -n 20 "$work/platform.log" >&2 2>/dev/null || true
  fi
  pn_stop "$qemu_pid"
  pn_stop_loop
  if ((keep)); then pn_log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { printf '\033[1;31mNODE LOOP FAIL:\033[0m %s\n' "$*" >&2; exit 1; }
expect() { # WHAT ACTUAL EXPECTED
  [[ "$2" == "$3" ]] || fail "$1: expected '$3', got '$2'"
  printf '  ok  %s = %s\n' "$1" "$3"
}
t0=$(date +%s)
elapsed() { echo $(($(date +%s) - t0)); }

if ((build)); then pn_build; fi
[[ -f "$PN_ROOT/cli/target/powernode-cli-exec.jar" && -f "$PN_ROOT/platform/target/powernode-platform.jar" ]] ||
  pn_die "the jars are not built"
# copies: a rebuild in the checkout during this long run must not change the running platform's
# jar under it (a JVM loads classes from its jar lazily) or what goes into the next image
cp "$PN_ROOT/cli/target/powernode-cli-exec.jar" "$PN_ROOT/platform/target/powernode-platform.jar" "$work/"
jar="$work/powernode-cli-exec.jar"
export PN_PLATFORM_JAR="$work/powernode-platform.jar"
powernode() { java -jar "$jar" "$@"; }

# ---- registry, database, platform ------------------------------------------------------------
pn_start_loop "$work" "$db"
registry=$PN_LOOP_REGISTRY
POWERNODE_TOKEN=$(powernode token mint --subject node-loop --scope system:admin --ttl 2h)
export POWERNODE_TOKEN
pn_signing_key "$work/keys"
pn_ensure_key_platform loop "Node loop" "$work/keys/cosign.pub"
webhook_url=$(pn_provision_webhook loop-builder "$work/webhook-secret")
pn_log "platform on $POWERNODE_API_URL, registry on $registry ($(elapsed) s)"

# ---- three builds of the node image ----------------------------------------------------------
# the agent's policy trusts this run's key only; the guest reaches the platform and the registry
# through guestfwd addresses, the registry under its own name (references say 127.0.0.1:port)
agent_json=$(jq -n --arg pem "$(cat "$work/keys/cosign.pub")" --arg reg "$registry" '{
  signers: {keys: [$pem], require_tlog: false},
  boot_tries: 2, poll_seconds: 5, reboot: "immediate",
  platform_url: "http://10.0.2.100",
  plain_http_registries: [$reg],
  registry_endpoints: {($reg): "10.0.2.101:5000"}
}')
script_for() { # VERSION [FAILING]: the agent example's build_script with this run's agent.json
  jq --arg agent "$agent_json" --arg v "$1" --arg failing "${2:-}" '
    .files |= (map(select(.path != "/usr/lib/powernode/agent.json"))
      + [{path: "/usr/lib/powernode/agent.json", mode: "0644", content: ($agent + "\n")},
         {path: "/etc/powernode-release", mode: "0644", content: ("node-loop " + $v + "\n")}]
      + (if $failing == "" then [] else
          [{path: "/usr/lib/powernode/health.d/50-node-loop", mode: "0755",
            content: "#!/bin/sh\necho \"node-loop: this image fails its health check on purpose\"\nexit 1\n"}] end))
  ' "$PN_ROOT/buildkit/examples/agent.build-script.json"
}
sha=$(pn_git_sha)
epoch=$(date +%s)
build_image() { # N PERSIST_MIB [FAILING]
  local n=$1 s="$work/v$1.build-script.json" b0
  script_for "v$n" "${3:-}" >"$s"
  b0=$(date +%s)
  POWERNODE_GIT_SHA=$sha SOURCE_DATE_EPOCH=$((epoch - 100 + n)) "$PN_ROOT/buildkit/build.sh" --arch amd64 \
    --build-script "$s" --agent-jar "$jar" --family img --persist-mib "$2" --out "$work/v$n" \
    >"$work/v$n.log" 2>&1 || { tail -n 20 "$work/v$n.log" >&2; fail "build of v$n failed"; }
  pn_log "built v$n in $(($(date +%s) - b0)) s: image $(cut -c8-19 "$work/v$n/image-digest")"
}
# v1's persist has room for a staged image; the others are only published
build_image 1 1600
build_image 2 auto
build_image 3 auto failing
d1=$(sed 's/^sha256://' "$work/v1/image-digest")
d2=$(sed 's/^sha256://' "$work/v2/image-digest")
d3=$(sed 's/^sha256://' "$work/v3/image-digest")

publish() { # N: publishes vN's uefi_disk; prints the publication id
  powernode publish --platform loop --build-dir "$work/v$1" --family uefi_disk \
    --registry "$registry/loop/disk" --plain-http --sign-key "$work/keys/cosign.key" \
    --webhook-url "$webhook_url" --webhook-secret-file "$work/webhook-secret" --wait --wait-timeout 5m \
    2>"$work/publish-$1.log" | awk '$1 == "uefi_disk" { print $2 }' ||
    { cat "$work/publish-$1.log" >&2; fail "publish v$1 failed"; }
}
convergence() { pn_api GET /api/v1/system/node_platforms/loop/convergence | jq -r ".data[0].$1"; }

# ---- v1: enrol, flash, boot ------------------------------------------------------------------
p1=$(publish 1)
pn_log "published v1 ($p1)"
# provisioned from a template: the platform streams the published disk with the node's identity in
# BOOT's slot (the CLI writes it sparse)
powernode templates create loop-metal --platform loop --family uefi_disk --arch amd64 >/dev/null
powernode templates provision loop-metal loop-node --out "$work" >"$work/provision.log" 2>&1 ||
  { cat "$work/provision.log" >&2; fail "provisioning loop-node failed"; }
pn_log "provisioned loop-node: $(du -h --apparent-size "$work/loop-node.img" | cut -f1) disk, $(du -h "$work/loop-node.img" | cut -f1) on disk"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$work/vars.fd"
: >"$work/serial.log"
qemu-system-x86_64 -machine q35 -m 1536 -smp "${POWERNODE_TEST_SMP:-2}" -nographic \
  -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
  -drive "if=pflash,format=raw,unit=1,file=$work/vars.fd" \
  -drive "if=none,id=d0,format=raw,file=$work/loop-node.img" -device virtio-blk-pci,drive=d0 \
  -netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 $POWERNODE_PORT,guestfwd=tcp:10.0.2.101:5000-cmd:nc ${registry/:/ }" \
  -device virtio-net-pci,netdev=n0 </dev/null >"$work/serial.log" 2>&1 &
qemu_pid=$!

# wait_for PATTERN TIMEOUT WHAT: until the serial log has PATTERN past the mark (set by mark)
mark_line=0
mark() { mark_line=$(wc -l <"$work/serial.log"); }
wait_for() {
  local deadline=$(($(date +%s) + $2))
  while (($(date +%s) < deadline)); do
    if tail -n "+$((mark_line + 1))" "$work/serial.log" | grep -q -E "$1"; then
      pn_log "$3 ($(elapsed) s)"
      return 0
    fi
    kill -0 "$qemu_pid" 2>/dev/null || fail "QEMU exited while waiting for: $3"
    grep -q 'POWERNODE-BOOT-FAILED' "$work/serial.log" && fail "a boot failed: $(grep -m1 POWERNODE-BOOT-FAILED "$work/serial.log")"
    sleep 2
  done
  fail "no '$1' on the console in $2 s ($3)"
}
wait_for "POWERNODE-MULTI-USER image=sha256:$d1" 900 "v1 booted"
wait_for "powernode-agent: reported healthy for publication $p1" 600 "the agent reported v1 healthy"
expect "nodes on the current publication (v1)" "$(convergence on_current)" 1

# ---- v2: staged, rebooted into, blessed --------------------------------------------------------
mark
p2=$(publish 2)
pn_log "published v2 ($p2)"
wait_for "powernode-agent: staged image ${d2:0:12}" 900 "the agent staged v2"
wait_for "POWERNODE-MULTI-USER image=sha256:$d2" 900 "v2 booted (systemd-boot, counted entry)"
wait_for "image ${d2:0:12} passed .* on trial boot 1" 600 "v2 passed its health checks and was blessed"
wait_for "powernode-agent: reported healthy for publication $p2" 300 "the agent reported v2 healthy"
expect "nodes on the current publication (v2)" "$(convergence on_current)" 1
expect "current publication" "$(convergence current_publication_id)" "$p2"

# ---- v3: fails its health check, falls back, the platform rolls back ----------------------------
pn_api PUT /api/v1/system/node_platforms/loop/auto_rollback '{"failures":1,"window":5}' >/dev/null
mark
p3=$(publish 3)
pn_log "published v3 ($p3), auto-rollback 1 of the first 5"
wait_for "powernode-agent: staged image ${d3:0:12}" 900 "the agent staged v3"
wait_for "image ${d3:0:12} FAILED its health checks on trial boot 1" 900 "v3 failed its first trial boot"
wait_for "image ${d3:0:12} FAILED its health checks on trial boot 2" 900 "v3 failed its second trial boot"
wait_for "fell back to ${d2:0:12}" 900 "systemd-boot fell back to v2"
wait_for "powernode-agent: reported fell_back for publication $p3" 300 "the agent reported the fallback"
expect "current publication after auto-rollback" "$(convergence current_publication_id)" "$p2"
# the pointer change names auto-rollback and why (its actor)
reason=$(pn_api GET /api/v1/system/node_platforms/loop/audit |
  jq -r '[.data[] | .actor, .reason | strings | select(test("auto-rollback"))] | .[0] // ""')
[[ "$reason" == *auto-rollback* ]] || fail "no auto-rollback reason in the audit"
printf '  ok  audit: %s\n' "$reason"
# after the fallback report the agent reports v2 healthy again; until then the node counts on v3,
# the publication it last reported on (a fallback report names the one that failed)
wait_for "powernode-agent: reported healthy for publication $p2" 300 "the agent reported v2 healthy again"
expect "nodes on the current publication (v2 again)" "$(convergence on_current)" 1

# ---- retention with count 1 keeps what the node boots -------------------------------------------
pn_api PATCH /api/v1/system/node_platforms/loop '{"disk_image_retention_count":1}' >/dev/null
plan=$(pn_api GET "/api/v1/system/retention_plan?platform=loop")
action=$(jq -r --arg p "$p2" '[.. | objects | select(.publication_id? == $p) | .action] | .[0] // "not a candidate"' <<<"$plan")
[[ "$action" != purge ]] || fail "retention would purge v2, which the node boots"
printf '  ok  retention (count 1) on v2: %s; the plan: %s\n' "$action" \
  "$(jq -c '[.data[] | {publication_id, action}]' <<<"$plan")"

ok=1
pn_log "node loop passed in $(elapsed) s"
