#!/usr/bin/env bash
# End to end, against the real things: two amd64 builds (build.sh, minimal initramfs, a real Debian
# kernel) published with `powernode publish --build-dir --wait` to the real docker-registry binary,
# ingested by the platform jar on a throwaway PostgreSQL database; then promotion, rollback and a
# retention run with count 1, checking the API's answers and the registry's contents at each step.
# Fails loudly on the first mismatch; stops what it started and drops its database on any exit.
# Prints the wall time of each stage of the second build's cycle.
#
# usage: scripts/e2e.sh [--first-build DIR] [--disk-mib N] [--no-build]
#   --first-build DIR  an existing amd64 build.sh output (e.g. buildkit/out/test/amd64, which the
#                      build-kit tests leave) as the first build, instead of building it
#   --disk-mib N       raw disk size of the builds (default: build.sh's, 194 MiB); ignores --first-build
#   --no-build         use the jars already in */target (scripts/test.sh has just built them)
# Needs buildkit/setup.sh --arch amd64 to have run (the kernel and the stub are in buildkit/.cache).
set -euo pipefail
export LC_ALL=C
# shellcheck source=SCRIPTDIR/lib/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
# shellcheck source=SCRIPTDIR/lib/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/demo.sh"

first_build='' disk_mib='' build=1
while (($#)); do
  case "$1" in
    --first-build) first_build=${2:?--first-build needs a directory}; shift ;;
    --disk-mib) disk_mib=${2:?--disk-mib needs a size}; shift ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) pn_die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
kit_args=(--family img)
if [[ -n "$disk_mib" ]]; then
  if ! [[ "$disk_mib" =~ ^[0-9]+$ ]] || ((disk_mib < 140)); then pn_die "--disk-mib must be a number >= 140"; fi
  # build.sh lays the disk out as 1 MiB GPT + ESP (128 MiB) + persist + 1 MiB backup GPT
  kit_args+=(--persist-mib $((disk_mib - 130)))
  first_build=''
fi

pn_ensure_base_tools
pn_demo_tools
pn_ensure_postgres

work=$(mktemp -d -t powernode-e2e.XXXXXX)
db="powernode_e2e_$(date +%s)_$$"
ok=0
cleanup() {
  if ((!ok)); then
    echo "--- platform log (last 40 lines)" >&2
    tail -n 40 "$work/platform.log" >&2 2>/dev/null || true
    echo "--- registry log (last 10 lines)" >&2
    tail -n 10 "$work/registry/registry.log" >&2 2>/dev/null || true
  fi
  pn_stop_loop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { printf '\033[1;31mE2E FAIL:\033[0m %s\n' "$*" >&2; exit 1; }
# expect WHAT ACTUAL EXPECTED
expect() {
  [[ "$2" == "$3" ]] || fail "$1: expected '$3', got '$2'"
  printf '  ok  %s = %s\n' "$1" "$3"
}
now() { date +%s.%N; }
stages=()
stage() { stages+=("$(printf '%-30s %8.2f' "$1" "$2")"); }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

if ((build)); then pn_build; fi
[[ -f "$PN_ROOT/platform/target/powernode-platform.jar" ]] || pn_die "the platform jar is not built"

# ---- registry, database, platform ------------------------------------------------------------
pn_start_loop "$work" "$db"
registry=$PN_LOOP_REGISTRY
repo=e2e/disk
pn_log "platform on $POWERNODE_API_URL (pid $PN_PLATFORM_PID, db $db), docker-registry on $registry (pid $PN_REGISTRY_PID)"

POWERNODE_TOKEN=$("$PN_ROOT/bin/powernode" token mint --subject e2e --scope system:admin --ttl 1h)
export POWERNODE_TOKEN
pn_signing_key "$work/keys"
pn_ensure_key_platform e2e "E2E" "$work/keys/cosign.pub"
webhook_url=$(pn_provision_webhook e2e-builder "$work/webhook-secret")

# ---- builds ----------------------------------------------------------------------------------
sha=$(pn_git_sha)
build_into() { # DIR: a build with a unique epoch; prints its seconds
  local t0
  t0=$(now)
  POWERNODE_GIT_SHA=$sha SOURCE_DATE_EPOCH=$2 "$PN_ROOT/buildkit/build.sh" --arch amd64 "${kit_args[@]}" \
    --out "$1" 2>"$1.log" || { tail -n 20 "$1.log" >&2; fail "build.sh failed (log above)"; }
  since "$t0"
}
epoch=$(date +%s)
if [[ -n "$first_build" && -f "$first_build/manifest.json" && -f "$first_build/powernode-amd64.img" ]]; then
  pn_log "first build: $first_build (reused)"
  b1=$first_build
else
  b1="$work/build-1"
  mkdir -p "$b1"
  pn_log "first build ($(build_into "$b1" $((epoch - 60))) s)"
fi
b2="$work/build-2"
mkdir -p "$b2"
t_build=$(build_into "$b2" "$epoch")
stage "build (build.sh)" "$t_build"
pn_log "second build ($t_build s)"
img1=$(jq -r '.outputs[] | select(.name == "powernode-amd64.img") | .sha256' "$b1/manifest.json")
img2=$(jq -r '.outputs[] | select(.name == "powernode-amd64.img") | .sha256' "$b2/manifest.json")
[[ "$img1" != "$img2" ]] || fail "the two builds have the same disk image bytes ($img1)"
size2=$(jq -r '.outputs[] | select(.name == "powernode-amd64.img") | .size' "$b2/manifest.json")

publish() { # DIR LOG: publish the build's uefi_disk family; prints the publication id
  "$PN_ROOT/bin/powernode" publish --platform e2e --build-dir "$1" --family uefi_disk \
    --registry "$registry/$repo" --plain-http --sign-key "$work/keys/cosign.key" \
    --webhook-url "$webhook_url" --webhook-secret-file "$work/webhook-secret" --wait --wait-timeout 5m \
    2>"$2" | awk '$1 == "uefi_disk" { print $2 }' || { cat "$2" >&2; fail "publish of $1 failed"; }
}
pub() { pn_api GET "/api/v1/system/disk_image_publications/$1"; }
field() { jq -r ".$2" <<<"$(pub "$1")"; }
manifest_status() { curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$registry/v2/$repo/manifests/$1"; }
set_default() { # ID: make it current; prints seconds
  local t0
  t0=$(now)
  pn_api POST /api/v1/system/node_platforms/e2e/default_disk_image_publication "$(jq -nc --arg id "$1" '{publication_id: $id}')" >/dev/null
  since "$t0"
}

# ---- publish 1 ------------------------------------------------------------------------------
echo "== publish the first build"
p1=$(publish "$b1" "$work/publish-1.log")
[[ -n "$p1" ]] || { cat "$work/publish-1.log" >&2; fail "no publication id from the first publish"; }
expect "p1 status" "$(field "$p1" status)" published
expect "p1 active" "$(field "$p1" active)" true
expect "p1 sha256 (webhook = build manifest)" "$(field "$p1" sha256)" "$img1"
ref1=$(field "$p1" oci_ref)
digest1=${ref1##*@}
expect "p1 manifest in the registry" "$(manifest_status "$digest1")" 200
expect "p1 signature in the registry" "$(manifest_status "${digest1/:/-}.sig")" 200
[[ "$(field "$p1" verified_at)" != null ]] || fail "p1 has no verified_at"

# ---- publish 2: auto-promoted, the first retired --------------------------------------------
echo "== publish the second build"
p2=$(publish "$b2" "$work/publish-2.log")
[[ -n "$p2" ]] || { cat "$work/publish-2.log" >&2; fail "no publication id from the second publish"; }
grep -v '^  upload' "$work/publish-2.log" | sed 's/^/  | /'
expect "p2 status" "$(field "$p2" status)" published
expect "p2 active" "$(field "$p2" active)" true
expect "p2 size_bytes" "$(field "$p2" size_bytes)" "$size2"
expect "p2 sha256" "$(field "$p2" sha256)" "$img2"
expect "p1 after p2" "$(field "$p1" status)/$(field "$p1" active)" retired/false
expect "p2 firmware_ref (the UKI's stub, from the build manifest)" "$(field "$p2" firmware_ref)" \
  "$(jq -r .firmware_ref "$b2/manifest.json")"
# the first build announced again (a re-run, or a replay signed afresh): nothing new, p2 stays current
again=$(publish "$b1" "$work/publish-1-again.log")
expect "p1 announced again: same publication" "$again" "$p1"
expect "p2 still current after p1 again" "$(field "$p2" active)" true
ref2=$(field "$p2" oci_ref)
digest2=${ref2##*@}
expect "platform pointer" "$(pn_api GET /api/v1/system/node_platforms/e2e | jq -r .disk_image_oci_ref)" "$ref2"
secs_of() { sed -n "s/^$1.*(\([0-9.]*\) s).*/\1/p" "$work/publish-2.log" | head -n1; }
stage "push (blobs + manifest)" "$(secs_of pushed)"
stage "sign (cosign key pair)" "$(secs_of signed)"
stage "webhook accept (202)" "$(secs_of announced)"
# ingest: the platform's own transition times (verifying -> published is the pull, hash, verify)
audit=$(pn_api GET "/api/v1/system/node_platforms/e2e/audit?per_page=200")
at() { jq -r --arg p "$p2" --arg to "$1" '[.data[] | select(.publication_id == $p and .kind == "transition" and .to == $to)][0].at' <<<"$audit"; }
t_verifying=$(at verifying)
t_published=$(at published)
[[ "$t_verifying" != null && "$t_published" != null ]] || fail "the audit trail lacks p2's verifying/published transitions"
between() { awk -v a="$(date -d "$1" +%s.%N)" -v b="$(date -d "$2" +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
t_queued=$(at queued)
if [[ "$t_queued" != null ]]; then stage "job pickup (queued)" "$(between "$t_queued" "$t_verifying")"; fi
stage "ingest pull + hash + verify" "$(between "$t_verifying" "$t_published")"
stage "webhook -> published" "$(sed -n 's/.*published and current (\([0-9.]*\) s after the webhook).*/\1/p' "$work/publish-2.log")"

# ---- rollback, promote, rollback ------------------------------------------------------------
echo "== roll back to the first build, promote the second, roll back again"
t=$(set_default "$p1")
stage "rollback (set default)" "$t"
expect "p1 after rollback" "$(field "$p1" status)/$(field "$p1" active)" published/true
expect "p2 after rollback" "$(field "$p2" status)/$(field "$p2" active)" retired/false
expect "platform pointer after rollback" "$(pn_api GET /api/v1/system/node_platforms/e2e | jq -r .disk_image_oci_ref)" "$ref1"
t=$(set_default "$p2")
stage "promote (set default)" "$t"
expect "p2 after promote" "$(field "$p2" status)/$(field "$p2" active)" published/true
expect "p1 after promote" "$(field "$p1" status)/$(field "$p1" active)" retired/false
set_default "$p1" >/dev/null
expect "p1 current again" "$(field "$p1" active)" true
reasons=$(pn_api GET "/api/v1/system/node_platforms/e2e/audit?per_page=200" |
  jq -r '[.data[] | select(.kind == "pointer") | .reason] | reverse | join(",")')
expect "pointer audit trail" "$reasons" "auto-promote,auto-promote,rollback,set-default,rollback"

# ---- retention with count 1 -----------------------------------------------------------------
echo "== retention with count 1"
pn_api PATCH /api/v1/system/node_platforms/e2e '{"disk_image_retention_count": 1}' >/dev/null
plan=$(pn_api GET "/api/v1/system/retention_plan?platform=e2e")
expect "retention plan" "$(jq -r '[.data[].publication_id] | join(",")' <<<"$plan")" "$p2"
t0=$(now)
report=$(pn_api POST "/api/v1/system/retention_runs?platform=e2e")
stage "retention run (count 1)" "$(since "$t0")"
expect "retention purged" "$(jq -r .purged <<<"$report")" 1
expect "retention errors" "$(jq -r '.errors | length' <<<"$report")" 0
expect "p2 after retention" "$(field "$p2" status)" purged
[[ "$(field "$p2" purged_at)" != null ]] || fail "p2 has no purged_at"
expect "p1 after retention" "$(field "$p1" status)/$(field "$p1" active)" published/true
expect "p2 manifest in the registry" "$(manifest_status "$digest2")" 404
expect "p2 signature in the registry" "$(manifest_status "${digest2/:/-}.sig")" 404
expect "p1 manifest in the registry" "$(manifest_status "$digest1")" 200
expect "p1 signature in the registry" "$(manifest_status "${digest1/:/-}.sig")" 200
expect "rollback to the purged one" "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $POWERNODE_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"publication_id\":\"$p2\"}" "$POWERNODE_API_URL/api/v1/system/node_platforms/e2e/default_disk_image_publication")" 409

# ---- registry garbage collection ------------------------------------------------------------
echo "== registry garbage collection"
reclaimable=$(jq -r .reclaimable_bytes <<<"$report")
((reclaimable >= size2)) || fail "retention reports $reclaimable reclaimable bytes, less than p2's disk image ($size2)"
t0=$(now)
pn_registry_gc "$work/registry" "$registry"
stage "registry garbage collection" "$(since "$t0")"
((PN_REGISTRY_GC_FREED >= reclaimable)) ||
  fail "GC freed $PN_REGISTRY_GC_FREED bytes, less than the $reclaimable retention reported reclaimable"
pn_log "retention said $reclaimable bytes reclaimable; GC freed $PN_REGISTRY_GC_FREED"
expect "p1 manifest after GC" "$(manifest_status "$digest1")" 200
layer1=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$registry/v2/$repo/manifests/$digest1" |
  jq -r '.layers[] | select(.annotations["org.opencontainers.image.title"] == "powernode-amd64.img") | .digest')
expect "p1 disk image pulled after GC" "$(curl -fsS "http://$registry/v2/$repo/blobs/$layer1" | sha256sum | cut -d' ' -f1)" "$img1"
"$PN_ROOT/bin/powernode" verify "$registry/$repo@$digest1" --plain-http --key "$work/keys/cosign.pub" >/dev/null ||
  fail "powernode verify of the current image failed after GC"

echo
echo "stage (second build, $((size2 >> 20)) MiB raw disk)   seconds"
printf '  %s\n' "${stages[@]}"
ok=1
printf '\033[1;32mE2E PASS\033[0m build -> publish -> ingest -> verify -> published -> promoted -> rollback -> retention -> registry GC\n'
