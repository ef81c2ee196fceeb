#!/usr/bin/env bash
# Bench (not a test): COUNT artifacts of SIZE_MIB announced at once, spread over two replicas of
# the platform jar on one database and one loopback docker-registry (issue 19): the wall time from
# the first announcement to the last publication, how many ingests each replica ran, and that every
# one ends published. On this 2-core machine both replicas, PostgreSQL and the registry share the
# cores: the figure shows that the work spreads and nothing is lost, not how two machines scale.
# usage: bench/replicas-ingest.sh [COUNT=20] [SIZE_MIB=100]
set -euo pipefail
export LC_ALL=C
# shellcheck source=SCRIPTDIR/../scripts/lib/env.sh disable=SC1091 # followed with shellcheck -x
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"
# shellcheck source=SCRIPTDIR/../scripts/lib/demo.sh disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/demo.sh"

count=${1:-20}
size_mib=${2:-100}
[[ "$count" =~ ^[1-9][0-9]*$ && "$size_mib" =~ ^[1-9][0-9]*$ ]] || pn_die "COUNT and SIZE_MIB must be positive integers"

pn_ensure_base_tools
pn_demo_tools
pn_ensure_postgres
work=$(mktemp -d -t powernode-replicas-bench.XXXXXX)
db="powernode_bench_$(date +%s)_$$"
second_pid='' sampler_pid=''
cleanup() {
  pn_stop "$sampler_pid"
  pn_stop "$second_pid"
  pn_stop_loop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pn_log "building (./mvnw package, tests skipped) and resolving the classpath"
(cd "$PN_ROOT" && ./mvnw -B -q -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=runtime -pl common,platform -am)
cp="$PN_ROOT/common/target/classes:$(cat "$PN_ROOT/common/target/bench-classpath.txt")"
mkdir -p "$work/classes"
javac -encoding UTF-8 -nowarn -d "$work/classes" -cp "$cp" "$PN_ROOT/bench/ReplicasIngest.java"
helper() { java -cp "$work/classes:$cp" ReplicasIngest "$@"; }

export POWERNODE_INGEST_THREADS=${BENCH_INGEST_THREADS:-4}
# one set of keys for both replicas (each would otherwise make its own in its home)
POWERNODE_JWT_SECRET=$(head -c 32 /dev/urandom | base64)
POWERNODE_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
export POWERNODE_JWT_SECRET POWERNODE_MASTER_KEY
pn_start_loop "$work" "$db"
first_port=$POWERNODE_PORT first_pid=$PN_PLATFORM_PID
# the second replica: same database, registry, keys and public URL; its own port and home
POWERNODE_PORT=$(pn_free_port)
second_port=$POWERNODE_PORT
POWERNODE_HOME="$work/home-2" POWERNODE_PORT=$second_port pn_start_platform "$work/platform-2.log"
second_pid=$PN_PLATFORM_PID
POWERNODE_PORT=$first_port PN_PLATFORM_PID=$first_pid
pn_log "replicas on 127.0.0.1:$first_port and 127.0.0.1:$second_port, registry $PN_LOOP_REGISTRY, $POWERNODE_INGEST_THREADS ingest threads each"

POWERNODE_TOKEN=$("$PN_ROOT/bin/powernode" token mint --subject bench --scope system:admin)
export POWERNODE_TOKEN
pn_log "pushing $count artifacts of $size_mib MiB"
helper push "$PN_LOOP_REGISTRY" bench/disk "$count" "$size_mib" "$work"
pn_ensure_key_platform bench Bench "$work/cosign.pub"
hook=$(pn_api POST /api/v1/system/disk_image_webhooks '{"label":"bench"}')
url=$(jq -r .webhook_url <<<"$hook")
path=${url#http://*/}

# which replica runs each ingest: db-scheduler's picked_by (host#pid), sampled every 0.2 s
(
  while :; do
    PGPASSWORD=powernode_test psql -qAtX -h 127.0.0.1 -U powernode_test -d "$db" -c \
      "select task_instance, picked_by from scheduled_tasks where task_name = 'ingest-publication' and picked" \
      2>/dev/null || true
    sleep 0.2
  done
) >"$work/picks" &
sampler_pid=$!

pn_log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
helper announce "$work" "$(jq -r .webhook_secret <<<"$hook")" bench 900 "$POWERNODE_TOKEN" \
  "http://127.0.0.1:$first_port/$path" "http://127.0.0.1:$second_port/$path"
pn_log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
pn_stop "$sampler_pid"
sampler_pid=''
sort -u "$work/picks" | awk -F'|' -v a="$first_pid" -v b="$second_pid" '
  $2 ~ "#" a "$" { ra[$1] = 1 } $2 ~ "#" b "$" { rb[$1] = 1 }
  END { printf "  ingests run (seen picked): replica 1 %d, replica 2 %d\n", length(ra), length(rb) }'
PGPASSWORD=powernode_test psql -qAtX -h 127.0.0.1 -U powernode_test -d "$db" <<'SQL'
select format('  publications: %s, published once each: %s, active: %s, failed: %s',
  (select count(*) from disk_image_publication),
  (select count(*) from (select publication_id from disk_image_publication_transition
     where to_status = 'published' group by 1 having count(*) = 1) x),
  (select count(*) from disk_image_publication where active),
  (select count(*) from disk_image_publication where status = 'failed'));
SQL
