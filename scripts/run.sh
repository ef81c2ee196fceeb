#!/usr/bin/env bash
# Runs the platform on this machine with a development configuration: installs what is missing,
# starts PostgreSQL, builds, starts the service on 127.0.0.1, seeds a demo platform and prints the
# URL and an admin token. Ctrl-C stops it; --detach leaves it running in the background.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

usage() {
  cat <<USAGE
usage: scripts/run.sh [--detach] [--no-build]
  --detach    leave the service running in the background (stop: kill \$(cat .powernode/platform.pid))
  --no-build  reuse the jars already in */target
Environment: see README "Configuration" (POWERNODE_PORT, POWERNODE_DATABASE_URL, ...).
USAGE
}

detach=0 build=1
while (($#)); do
  case "$1" in
    --detach) detach=1 ;;
    --no-build) build=0 ;;
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
mkdir -p "$POWERNODE_HOME"

pn_ensure_base_tools
pn_ensure_postgres
if [[ "$POWERNODE_DATABASE_URL" == "jdbc:postgresql://127.0.0.1:5432/$db_name" ]]; then
  pn_ensure_role "$POWERNODE_DATABASE_USER" "$POWERNODE_DATABASE_PASSWORD"
  pn_ensure_database "$db_name" "$POWERNODE_DATABASE_USER"
fi
((build)) && pn_build

pidfile="$POWERNODE_HOME/platform.pid"
if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  pn_die "the platform is already running (pid $(cat "$pidfile")); stop it with: kill $(cat "$pidfile")"
fi
if curl -s -o /dev/null "http://127.0.0.1:$POWERNODE_PORT/" 2>/dev/null; then
  pn_die "port $POWERNODE_PORT is in use; set POWERNODE_PORT to a free port"
fi

log="$POWERNODE_HOME/platform.log"
pn_log "starting the platform on $POWERNODE_PUBLIC_URL (log: $log)"
java -jar "$PN_ROOT/platform/target/powernode-platform.jar" >"$log" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"
if ((!detach)); then
  trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$pidfile"' EXIT INT TERM
fi

for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$POWERNODE_PORT/actuator/health/readiness" >/dev/null 2>&1; then
    break
  fi
  kill -0 "$pid" 2>/dev/null || { tail -n 40 "$log" >&2; pn_die "the platform exited during start-up"; }
  sleep 1
done
curl -fs "http://127.0.0.1:$POWERNODE_PORT/actuator/health/readiness" >/dev/null || pn_die "the platform did not become ready in 120 s (see $log)"

token=$("$PN_ROOT/bin/powernode" token mint --subject dev-admin --scope system:admin --ttl 12h)
export POWERNODE_TOKEN="$token" POWERNODE_API_URL="http://127.0.0.1:$POWERNODE_PORT"
if ! "$PN_ROOT/bin/powernode" platforms show demo-bookworm >/dev/null 2>&1; then
  "$PN_ROOT/bin/powernode" platforms create --slug demo-bookworm --name "Demo: Debian bookworm" >/dev/null
  pn_log "seeded the demo platform 'demo-bookworm'"
fi

cat <<DONE

  Powernode platform is up.
    API:          $POWERNODE_API_URL/api/v1/system/node_platforms
    Health:       $POWERNODE_API_URL/actuator/health
    Admin token:  $token
  Try:
    export POWERNODE_TOKEN=$token
    curl -s -H "Authorization: Bearer \$POWERNODE_TOKEN" $POWERNODE_API_URL/api/v1/system/disk_image_publications
    bin/powernode platforms list
DONE

if ((detach)); then
  echo "  Running in the background (pid $pid); stop it with: kill $pid"
else
  echo "  Ctrl-C stops it."
  wait "$pid"
fi
