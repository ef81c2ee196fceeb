#!/usr/bin/env bash
# Bench (not a test): a fleet of simulated nodes (a load generator, not VMs) reporting to one
# platform replica. Default: 10,000 nodes each reporting every 30 s (333 reports/s) for 90 s, while
# the platform's convergence is queried 5 times a second, after a warm-up (WARMUP_S, default 120 s,
# the same load: every node's first report and the JIT's work) whose numbers are printed apart.
# Prints achieved reports/s, report p50/p99 (from the moment each report was due), convergence
# p50/p99 at that fleet size (target < 50 ms) beside a baseline read's (the machine's own tail under the
# same load), and node_report's growth: rows and bytes per report,
# and what a day at this rate adds.
# usage: bench/fleet-reports.sh [NODES] [INTERVAL_S] [DURATION_S] [WARMUP_S]
#   BENCH_PLATFORM_OPTS: more JVM options for the platform, e.g. a JFR recording:
#   -XX:StartFlightRecording=filename=/tmp/fleet.jfr,settings=profile
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"

nodes=${1:-10000}
interval=${2:-30}
duration=${3:-90}
warmup=${4:-120}
read -r -a platform_opts <<<"${BENCH_PLATFORM_OPTS:-}"
port=${BENCH_PORT:-18182}

pn_ensure_base_tools
pn_ensure_postgres
user=powernode_test password=powernode_test
db="powernode_bench_$(date +%s)_$$"
[[ -f "$PN_ROOT/platform/target/powernode-platform.jar" ]] || pn_build
secret=$(head -c 32 /dev/urandom | base64)
home=$(mktemp -d)
pid='' db_created=''
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n "$db_created" ]]; then pn_drop_database "$db"; fi
  rm -rf "$home"
}
trap cleanup EXIT
pn_ensure_role "$user" "$password"
pn_ensure_database "$db" "$user"
db_created=1
psql_db() { PGPASSWORD=$password psql -qAtX -v ON_ERROR_STOP=1 -h 127.0.0.1 -U $user -d "$db" "$@"; }

POWERNODE_DATABASE_URL="jdbc:postgresql://127.0.0.1:5432/$db" POWERNODE_DATABASE_USER=$user \
  POWERNODE_DATABASE_PASSWORD=$password POWERNODE_PORT=$port POWERNODE_JWT_SECRET=$secret \
  POWERNODE_HOME=$home POWERNODE_LOG_FORMAT=ecs \
  java "-Djava.io.tmpdir=$home" "${platform_opts[@]}" -jar "$PN_ROOT/platform/target/powernode-platform.jar" >"$home/platform.log" 2>&1 &
pid=$!
ready=0
for _ in $(seq 1 90); do
  if curl -fs "http://127.0.0.1:$port/actuator/health/readiness" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || { tail -n 30 "$home/platform.log" >&2; pn_die "platform exited"; }
  sleep 1
done
((ready)) || pn_die "the platform did not become ready in 90 s (log: $home/platform.log)"

pn_log "seeding one platform, its current uefi_disk publication and $nodes enrolled nodes"
publication=$(psql_db <<SQL
insert into node_platform (id, slug, name, created_at, updated_at)
values (gen_random_uuid(), 'fleet', 'Fleet', now(), now());
insert into disk_image_publication (id, node_platform_id, artifact_family, arch, status, active, git_sha, oci_ref,
    sha256, size_bytes, attempt_count, published_at, verified_at, created_at, updated_at)
select gen_random_uuid(), id, 'uefi_disk', 'amd64', 'published', true, md5('fleet'),
       'registry.local/fleet@sha256:' || encode(sha256('fleet'::bytea), 'hex'),
       encode(sha256('fleet-blob'::bytea), 'hex'), 1000000, 1, now(), now(), now(), now()
from node_platform where slug = 'fleet';
insert into node (id, node_platform_id, name, artifact_family, arch, token_sha256, enrolled_by, enrolled_at)
select gen_random_uuid(), p.id, 'node-' || g, 'uefi_disk', 'amd64',
       encode(sha256(('pnn_bench_' || g)::bytea), 'hex'), 'bench', now()
from node_platform p cross join generate_series(0, $nodes - 1) g where p.slug = 'fleet';
analyze node_platform, disk_image_publication, node;
select id from disk_image_publication where git_sha = md5('fleet');
SQL
)
sha=$(psql_db -c "select sha256 from disk_image_publication where id = '$publication'")

token=$(POWERNODE_JWT_SECRET=$secret "$PN_ROOT/bin/powernode" token mint --subject bench --scope disk_images:read)
before_rows=$(psql_db -c 'select count(*) from node_report')
before_bytes=$(psql_db -c "select pg_total_relation_size('node_report')")
java -Xmx512m "$PN_ROOT/bench/FleetReports.java" "http://127.0.0.1:$port" "$token" "$nodes" "$interval" "$duration" \
  "$publication" "$sha" fleet 5 "$warmup"
psql_db -c 'vacuum analyze node_report' >/dev/null
after_rows=$(psql_db -c 'select count(*) from node_report')
after_bytes=$(psql_db -c "select pg_total_relation_size('node_report')")
rows=$((after_rows - before_rows))
bytes=$((after_bytes - before_bytes))
per_day=$((nodes * 86400 / interval))
awk -v rows="$rows" -v bytes="$bytes" -v day="$per_day" -v nodes="$nodes" -v iv="$interval" -v dur="$((duration + warmup))" 'BEGIN {
  per = rows > 0 ? bytes / rows : 0
  due = int(nodes * dur / iv)
  printf "node_report: %d rows added for %d reports due (a heartbeat adds none), %.0f bytes per row with indexes;\n", rows, due, per
  printf "  at %d nodes every %d s (%d reports/day) the table grows only by boot events: a row per node per new\n", nodes, iv, day
  printf "  publication, failure or fallback (10,000 nodes x one rollout a day = %.1f MB/day), not %.1f GB/day\n", nodes * per / 1e6, day * per / 1e9
}'
