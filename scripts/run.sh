#!/usr/bin/env bash
# The whole loop on this machine, on 127.0.0.1: installs what is missing, starts PostgreSQL, builds,
# starts the platform and a local docker-registry, makes a dev signing key pair, a platform that
# trusts it and a webhook, builds a real Debian system from the demo platform's build_script with
# the build kit (amd64: root filesystem as a composefs image, dracut initramfs, UKI, UEFI disk,
# qcow2, kernel + initramfs + composefs blob, bootc-style OCI image) and publishes it with
# `powernode publish --wait`: pushed, signed, announced,
# verified, published and current. Run it again and a new build is published, promoted, and the
# previous one retired. Ctrl-C stops what it started; --detach leaves it running; --no-demo runs the
# platform alone.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
# shellcheck source=SCRIPTDIR/lib/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/demo.sh"

usage() {
  cat <<USAGE
usage: scripts/run.sh [--detach] [--no-build] [--no-demo] | --registry-gc
  --detach    leave the platform and the registry running in the background; a second run then
              reuses them and publishes one more build (stop: kill \$(cat .powernode/platform.pid)
              \$(cat .powernode/registry/registry.pid))
  --no-build  reuse the jars already in */target
  --no-demo   only the platform (no registry, build or publish), seeded with an empty platform
  --registry-gc  only the local registry's garbage collection: frees the blobs of the manifests
              retention deleted (a retention run reports them as reclaimable_bytes); a running
              registry is stopped for it and started again
Environment: see README "Configuration" (POWERNODE_PORT, POWERNODE_DATABASE_URL, ...), and
  POWERNODE_DEMO_REGISTRY_PORT (default 5001): the local registry's port on 127.0.0.1.
USAGE
}

detach=0 build=1 demo=1 gc=0
while (($#)); do
  case "$1" in
    --registry-gc) gc=1 ;;
    --detach) detach=1 ;;
    --no-build) build=0 ;;
    --no-demo) demo=0 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

export POWERNODE_HOME="${POWERNODE_HOME:-$PN_ROOT/.powernode}"
export POWERNODE_PORT="${POWERNODE_PORT:-8080}"
export POWERNODE_PUBLIC_URL="${POWERNODE_PUBLIC_URL:-http://127.0.0.1:$POWERNODE_PORT}"
export POWERNODE_DATABASE_USER="${POWERNODE_DATABASE_USER:-powernode}"
export POWERNODE_DATABASE_PASSWORD="${POWERNODE_DATABASE_PASSWORD:-powernode}"
db_name="${POWERNODE_DATABASE_NAME:-powernode}"
export POWERNODE_DATABASE_URL="${POWERNODE_DATABASE_URL:-jdbc:postgresql://127.0.0.1:5432/$db_name}"
export POWERNODE_API_URL="http://127.0.0.1:$POWERNODE_PORT"
mkdir -p "$POWERNODE_HOME"

registry_dir="$POWERNODE_HOME/registry"
registry_addr="127.0.0.1:${POWERNODE_DEMO_REGISTRY_PORT:-5001}"
pidfile="$POWERNODE_HOME/platform.pid"
modefile="$POWERNODE_HOME/platform.mode"
mode=$([[ $demo == 1 ]] && echo demo || echo plain)

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

if ((gc)); then
  pn_ensure_packages docker-registry:docker-registry
  pn_registry_gc "$registry_dir" "$registry_addr"
  exit 0
fi

pn_ensure_base_tools
if ((demo)); then pn_demo_tools; fi
pn_ensure_postgres
if [[ "$POWERNODE_DATABASE_URL" == "jdbc:postgresql://127.0.0.1:5432/$db_name" ]]; then
  pn_ensure_role "$POWERNODE_DATABASE_USER" "$POWERNODE_DATABASE_PASSWORD"
  pn_ensure_database "$db_name" "$POWERNODE_DATABASE_USER"
fi

# A platform left running by an earlier --detach run is reused (the second demo run publishes into
# it); a platform in the other mode, or anything else on the port, is in the way.
reuse=0
if alive "$pidfile"; then
  [[ "$(cat "$modefile" 2>/dev/null)" == "$mode" ]] ||
    pn_die "a platform started by run.sh in another mode is running (pid $(cat "$pidfile")); stop it with: kill $(cat "$pidfile")"
  reuse=1
elif curl -s -o /dev/null "http://127.0.0.1:$POWERNODE_PORT/" 2>/dev/null; then
  pn_die "port $POWERNODE_PORT is in use; set POWERNODE_PORT to a free port"
fi
if ((build && !reuse)); then pn_build; fi
if ((reuse && build)); then
  pn_log "not rebuilding: the running platform keeps the code it was started with (stop it for new code)"
fi

started=() # PIDs this invocation started, stopped on exit unless --detach
cleanup() {
  local p
  for p in "${started[@]}"; do
    pn_stop "$p"
    if [[ "$(cat "$pidfile" 2>/dev/null)" == "$p" ]]; then rm -f "$pidfile"; fi
  done
  return 0
}
# a reused platform was left running on purpose: what this run adds stays running with it
if ((!detach && !reuse)); then
  trap cleanup EXIT
  trap 'exit 130' INT TERM
fi

if ((demo)); then
  # the platform may pull only from the registries it is told about, this one over plain http
  export POWERNODE_REGISTRY_ALLOWED_HOSTS="${POWERNODE_REGISTRY_ALLOWED_HOSTS:+$POWERNODE_REGISTRY_ALLOWED_HOSTS,}$registry_addr"
  export POWERNODE_REGISTRY_PLAIN_HTTP="${POWERNODE_REGISTRY_PLAIN_HTTP:+$POWERNODE_REGISTRY_PLAIN_HTTP,}$registry_addr"
  if alive "$registry_dir/registry.pid"; then
    pn_log "reusing the running registry on $registry_addr (pid $(cat "$registry_dir/registry.pid"))"
  else
    if (exec 3<>"/dev/tcp/${registry_addr/://}") 2>/dev/null; then
      pn_die "$registry_addr is in use; set POWERNODE_DEMO_REGISTRY_PORT to a free port"
    fi
    pn_start_registry "$registry_dir" "$registry_addr"
    started+=("$PN_REGISTRY_PID")
    pn_log "docker-registry on $registry_addr (pid $PN_REGISTRY_PID, storage $registry_dir/storage)"
  fi
fi

log="$POWERNODE_HOME/platform.log"
if ((reuse)); then
  pid=$(cat "$pidfile")
  pn_log "reusing the running platform on $POWERNODE_PUBLIC_URL (pid $pid)"
else
  pn_log "starting the platform on $POWERNODE_PUBLIC_URL (log: $log)"
  pn_start_platform "$log"
  pid=$PN_PLATFORM_PID
  started+=("$pid")
  echo "$pid" >"$pidfile"
  echo "$mode" >"$modefile"
fi

token=$("$PN_ROOT/bin/powernode" token mint --subject dev-admin --scope system:admin --ttl 12h)
export POWERNODE_TOKEN="$token"
slug="demo-trixie"

if ((demo)); then
  pn_signing_key "$POWERNODE_HOME/dev-signing"
  pn_ensure_key_platform "$slug" "Demo: Debian trixie" "$POWERNODE_HOME/dev-signing/cosign.pub" \
    "$PN_ROOT/buildkit/examples/demo.build-script.json"
  # the bootstrap_disk_image_ci equivalent for a local runner: a webhook (re-provisioning the
  # label rotates its secret, so every run gets a fresh one)
  webhook_url=$(pn_provision_webhook demo-amd64-builder "$POWERNODE_HOME/dev-signing/webhook-secret")
  pn_log "webhook $webhook_url"

  pn_log "build kit: tools (buildkit/setup.sh --arch amd64)"
  pn_as_root "$PN_ROOT/buildkit/setup.sh" --arch amd64 --no-test-tools >/dev/null
  # every build differs (its epoch is now, its disk UUIDs random): a second run is a new image
  out="$POWERNODE_HOME/demo/builds/$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$out"
  # what the platform says to build: its build_script, as the CI workflow gets it
  pn_api GET "/api/v1/system/node_platforms/$slug" | jq -r '.build_script // ""' >"$out.build-script.json"
  [[ -s "$out.build-script.json" ]] || pn_die "platform $slug has no build_script"
  pn_log "building the system of $slug's build_script (buildkit/build.sh --arch amd64 --build-script; ~2-3 min, the first run ~4 min) into $out"
  pn_as_root env POWERNODE_GIT_SHA="$(pn_git_sha)" "$PN_ROOT/buildkit/build.sh" --arch amd64 \
    --build-script "$out.build-script.json" --out "$out" 2>"$out.log" ||
    { tail -n 20 "$out.log" >&2; pn_die "the build failed (log: $out.log)"; }
  # keep the last two builds: the current one and the rollback target
  find "$POWERNODE_HOME/demo/builds" -mindepth 1 -maxdepth 1 -type d | sort | head -n -2 |
    while read -r old; do pn_as_root rm -rf "$old" "$old".*; done

  pn_log "publishing: powernode publish --build-dir $out --wait"
  "$PN_ROOT/bin/powernode" publish --platform "$slug" --build-dir "$out" \
    --registry "$registry_addr/powernode/demo" --plain-http \
    --sign-key "$POWERNODE_HOME/dev-signing/cosign.key" \
    --webhook-url "$webhook_url" --webhook-secret-file "$POWERNODE_HOME/dev-signing/webhook-secret" \
    --wait --wait-timeout 10m >"$out.publications"
fi

seeded=""
if ((!demo)) && ! "$PN_ROOT/bin/powernode" platforms show "$slug" >/dev/null 2>&1; then
  "$PN_ROOT/bin/powernode" platforms create --slug "$slug" --name "Demo: Debian trixie" >/dev/null
  seeded="    Seeded the platform '$slug' (no verification policy yet)."
fi

# a one-time login link (jq is only installed for the demo: sed reads the one field)
login_link=$(POWERNODE_TOKEN=$token "$PN_ROOT/bin/powernode" ui login --json 2>/dev/null |
  sed -n 's/.*"url" *: *"\([^"]*\)".*/\1/p' || true)
login_link=${login_link:-"(bin/powernode ui login prints a link)"}

cat <<DONE

  Powernode platform is up.
    API:          $POWERNODE_API_URL/api/v1/system/node_platforms
    Health:       $POWERNODE_API_URL/actuator/health
    MCP:          $POWERNODE_API_URL/mcp (Streamable HTTP, Authorization: Bearer <token>;
                  stdio for desktop clients: bin/powernode mcp --token-env POWERNODE_TOKEN; docs/mcp.md)
    Web UI:       $POWERNODE_API_URL/ui (log in with the admin token below, or once within 5 minutes:
                  $login_link)
    Admin token:  $token
$seeded
DONE
if ((demo)); then
  cat <<DONE
    Registry:     http://$registry_addr/v2/ (docker-registry, storage $registry_dir/storage)
    Build:        $out
    Signing key:  $POWERNODE_HOME/dev-signing/cosign.key (dev only; the platform trusts cosign.pub)

  Publications of '$slug' (this build first):
DONE
  while read -r _ id; do
    pn_api GET "/api/v1/system/disk_image_publications/$id" |
      jq -r '"    \(.artifact_family | . + " " * (17 - length))\(.status)\(if .active then " and current" else "" end)  \(.id)  \(.oci_ref)"'
  done <"$out.publications"
  pn_api GET "/api/v1/system/disk_image_publications?platform=$slug&status=retired&per_page=6" |
    jq -r '.data[] | "    \(.artifact_family | . + " " * (17 - length))retired             \(.id)  (an earlier build)"'
  cat <<DONE

  Run scripts/run.sh again to publish a new build: it becomes current and this one is retired
  (after --detach the second run reuses the running platform and registry). Roll back with:
    bin/powernode publications rollback <id>
DONE
fi
cat <<DONE
  Try:
    export POWERNODE_TOKEN=$token
    bin/powernode publications list --platform $slug
    bin/powernode platforms audit $slug
  With a Gitea (POWERNODE_GITEA_URL, POWERNODE_GITEA_TOKEN), one call sets a build repository up
  for CI (docs/ci.md), then the platform dispatches and watches its builds:
    bin/powernode ci bootstrap --owner OWNER --repo REPO --label amd64-builder --create-platform-read-token
    bin/powernode ci dispatch OWNER/REPO --workflow-file build-disk-image.yaml --ref main
DONE

if ((reuse)); then
  echo "  The platform was already running (pid $pid) and stays running."
elif ((detach)); then
  echo "  Running in the background (platform pid $pid${PN_REGISTRY_PID:+, registry pid $PN_REGISTRY_PID});"
  echo "  stop with: kill $pid${PN_REGISTRY_PID:+ $PN_REGISTRY_PID}"
else
  echo "  Ctrl-C stops it."
  wait "$pid"
fi
