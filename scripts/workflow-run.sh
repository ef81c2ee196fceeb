#!/usr/bin/env bash
# Proves the build repository's workflow runs: executes a job of .gitea/workflows/build-disk-image.yaml
# (default build-amd64-uefi) the way act_runner in host mode would (scripts/workflow/WorkflowRun.java:
# the checkout as a git clone of this repository's HEAD into a fresh workspace, each run: step in
# order with the runner's GITHUB_*/GITEA_* variables and the workflow's secrets and variables as
# env), against a platform jar and the real docker-registry started here on a throwaway database.
# The secrets are the ones bootstrap_disk_image_ci writes (webhook URL and secret, worker id and
# upload token, a read token) plus the operator's COSIGN_PRIVATE_KEY; the platform is given the
# demo build_script the job fetches. Passes when the job succeeds and the platform answers that the
# job's uefi_disk publication is published and current.
#
# usage: scripts/workflow-run.sh [--job NAME] [--no-build]
#   --job NAME   the workflow job to run (build-arm64-uefi emulates arm64: slow)
#   --no-build   use the platform jar already built (scripts/test.sh has just built it)
# Runs as root (the kit's steps need it, as on the runner). The runner's POWERNODE_BUILDKIT_CACHE
# is this checkout's buildkit/.cache, so the kit's downloads are not made twice.
set -euo pipefail
export LC_ALL=C
# shellcheck source=SCRIPTDIR/lib/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
# shellcheck source=SCRIPTDIR/lib/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/demo.sh"

job=build-amd64-uefi build=1
while (($#)); do
  case "$1" in
    --job) job=${2:?--job needs a name}; shift ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) pn_die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
((EUID == 0)) || pn_die "run as root: the workflow's build steps need it, as they do on the runner"
case "$job" in
  build-amd64-uefi) arch=amd64 ;;
  build-arm64-uefi) arch=arm64 ;;
  *) pn_die "unknown job $job (build-amd64-uefi or build-arm64-uefi)" ;;
esac

pn_ensure_base_tools
pn_demo_tools
pn_ensure_packages git:git
pn_ensure_postgres
if ((build)); then pn_build; fi
[[ -f "$PN_ROOT/platform/target/powernode-platform.jar" ]] || pn_die "the platform jar is not built"
snakeyaml=$(find "$HOME/.m2/repository/org/yaml/snakeyaml" -name 'snakeyaml-*.jar' ! -name '*sources*' 2>/dev/null | sort -V | tail -n1)
[[ -n "$snakeyaml" ]] || pn_die "no SnakeYAML jar in ~/.m2 (the build puts it there)"

work=$(mktemp -d -t powernode-workflow.XXXXXX)
db="powernode_workflow_$(date +%s)_$$"
ok=0
cleanup() {
  if ((!ok)); then
    echo "--- platform log (last 40 lines)" >&2
    tail -n 40 "$work/platform.log" >&2 2>/dev/null || true
  fi
  pn_stop_loop
  rm -rf "$work"
}
trap cleanup EXIT
fail() { printf '\033[1;31mWORKFLOW FAIL:\033[0m %s\n' "$*" >&2; exit 1; }

pn_start_loop "$work" "$db"
registry=$PN_LOOP_REGISTRY
pn_log "platform on $POWERNODE_API_URL (pid $PN_PLATFORM_PID), docker-registry on $registry (pid $PN_REGISTRY_PID)"

POWERNODE_TOKEN=$("$PN_ROOT/bin/powernode" token mint --subject workflow-run --scope system:admin --ttl 2h)
export POWERNODE_TOKEN
pn_signing_key "$work/keys"
pn_ensure_key_platform workflow "Workflow" "$work/keys/cosign.pub" "$PN_ROOT/buildkit/examples/demo.build-script.json"

# what bootstrap_disk_image_ci writes to the repository's secrets (its Gitea side is tested
# against Gitea's API description in CiApiTest; here the values come from the same routes)
hook=$(pn_api POST /api/v1/system/disk_image_webhooks '{"label": "workflow-builder"}')
worker=$(pn_api POST /api/v1/workers '{"label": "workflow-builder"}')
read_token=$("$PN_ROOT/bin/powernode" token mint --subject ci:workflow-builder --scope disk_images:read --ttl 2h)

# a .properties file (WorkflowRun's context): backslashes and newlines escaped
prop() { printf '%s=%s\n' "$1" "$(printf '%s' "$2" | sed 's/\\/\\\\/g' | sed ':a;N;$!ba;s/\n/\\n/g')"; }
{
  prop secrets.POWERNODE_WEBHOOK_URL "$(jq -r .webhook_url <<<"$hook")"
  prop secrets.POWERNODE_WEBHOOK_SECRET "$(jq -r .webhook_secret <<<"$hook")"
  prop secrets.POWERNODE_WORKER_ID "$(jq -r .worker_id <<<"$worker")"
  prop secrets.POWERNODE_UPLOAD_TOKEN "$(jq -r .upload_token <<<"$worker")"
  prop secrets.POWERNODE_API_TOKEN "$read_token"
  prop secrets.COSIGN_PRIVATE_KEY "$(cat "$work/keys/cosign.key")"
  prop vars.POWERNODE_API_URL "$POWERNODE_API_URL"
  prop vars.POWERNODE_REGISTRY "$registry/workflow/disk"
  prop vars.POWERNODE_REGISTRY_PLAIN_HTTP 1
  prop vars.POWERNODE_PLATFORM_SLUG workflow
  prop inputs.platform_slug workflow
  prop runner_env.POWERNODE_BUILDKIT_CACHE "$PN_ROOT/buildkit/.cache"
  prop github.repository ops/disk-images
  prop github.ref refs/heads/main
  prop github.event_name workflow_dispatch
} >"$work/context.properties"
chmod 600 "$work/context.properties"

pn_log "running job $job of .gitea/workflows/build-disk-image.yaml (commit $(git -C "$PN_ROOT" rev-parse --short HEAD))"
t0=$(date +%s)
# FORK, not the default posix_spawn: the job's apt-get may upgrade the JDK this harness runs on, and
# posix_spawn goes through the JDK's jspawnhelper, which then no longer matches the running JVM
# (act_runner, in Go, has no such helper)
java -Djdk.lang.Process.launchMechanism=FORK -cp "$snakeyaml" "$PN_ROOT/scripts/workflow/WorkflowRun.java" "$PN_ROOT/.gitea/workflows/build-disk-image.yaml" \
  "$job" "$PN_ROOT" "$work/workspace" "$work/context.properties" || fail "job $job failed (its output above)"

current=$(pn_api GET /api/v1/system/node_platforms/workflow/disk_image_publications | jq -c \
  --arg arch "$arch" '[.data[] | select(.artifact_family == "uefi_disk" and .arch == $arch)][0]')
[[ "$(jq -r .status <<<"$current")" == published ]] || fail "the job's uefi_disk publication is not published: $current"
[[ "$(jq -r .active <<<"$current")" == true ]] || fail "the job's uefi_disk publication is not current: $current"
[[ "$(jq -r .triggered_by_worker_id <<<"$current")" == "$(jq -r .worker_id <<<"$worker")" ]] ||
  fail "the publication does not name the bootstrapped worker: $current"
ok=1
printf '\033[1;32mWORKFLOW PASS\033[0m job %s: published and current (%s, sha256:%s) in %d s\n' \
  "$job" "$(jq -r .id <<<"$current")" "$(jq -r .sha256 <<<"$current" | cut -c1-12)" $(($(date +%s) - t0))
