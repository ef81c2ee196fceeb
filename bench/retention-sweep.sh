#!/usr/bin/env bash
# Bench (not a test): one retention sweep over PLATFORMS platforms x 10 publications (retention 3:
# 7 purges per platform, each deleting the artifact and its signature manifest), through the real
# service and database; registry deletes go to a counting
# stand-in registry (bench/CountingRegistry.java), so the figure is the platform's own work.
# Target (issue 5): < 30 s for 10,000 platforms, bounded memory (service heap measured after GC).
# usage: bench/retention-sweep.sh [PLATFORMS=10000]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"

platforms=${1:-10000}
port=${BENCH_PORT:-18183}
registry_port=${BENCH_REGISTRY_PORT:-18184}

pn_ensure_base_tools
pn_ensure_postgres
user=powernode_test password=powernode_test
db="powernode_bench_$(date +%s)_$$"
pn_ensure_role "$user" "$password"
pn_ensure_database "$db" "$user"
[[ -f "$PN_ROOT/platform/target/powernode-platform.jar" ]] || pn_build

secret=$(head -c 32 /dev/urandom | base64)
home=$(mktemp -d)
pid="" rpid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n "$rpid" ]]; then kill "$rpid" 2>/dev/null || true; wait "$rpid" 2>/dev/null || true; fi
  pn_drop_database "$db"
  rm -rf "$home"
}
trap cleanup EXIT

java "$PN_ROOT/bench/CountingRegistry.java" "$registry_port" &
rpid=$!
POWERNODE_DATABASE_URL="jdbc:postgresql://127.0.0.1:5432/$db" POWERNODE_DATABASE_USER=$user \
  POWERNODE_DATABASE_PASSWORD=$password POWERNODE_PORT=$port POWERNODE_JWT_SECRET=$secret \
  POWERNODE_HOME=$home POWERNODE_REGISTRY_ALLOWED_HOSTS=127.0.0.1:$registry_port \
  POWERNODE_REGISTRY_PLAIN_HTTP=127.0.0.1:$registry_port POWERNODE_RETENTION_CRON="0 0 0 1 1 *" \
  java -Xmx512m "-Djava.io.tmpdir=$home" -jar "$PN_ROOT/platform/target/powernode-platform.jar" >"$home/platform.log" 2>&1 &
pid=$!
for _ in $(seq 1 90); do
  curl -fs "http://127.0.0.1:$port/actuator/health/readiness" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { tail -n 30 "$home/platform.log" >&2; pn_die "platform exited"; }
  sleep 1
done

pn_log "seeding $platforms platforms x 10 publications (1 current, 9 retired two days ago)"
PGPASSWORD=$password psql -qX -v ON_ERROR_STOP=1 -h 127.0.0.1 -U $user -d "$db" <<SQL
insert into node_platform (id, slug, name, disk_image_retention_count, cosign_public_keys, created_at, updated_at)
select gen_random_uuid(), 'bench-' || g, 'Bench ' || g, 3, '{}', now(), now() from generate_series(1, $platforms) g;
insert into disk_image_publication (id, node_platform_id, artifact_family, arch, status, active, git_sha, oci_ref,
    signature_digest, sha256, size_bytes, attempt_count, published_at, verified_at, retired_at, created_at, updated_at)
select gen_random_uuid(), p.id, 'uefi_disk', 'amd64', case when n = 9 then 'published' else 'retired' end, n = 9,
       md5(p.slug || n),
       '127.0.0.1:$registry_port/bench@sha256:' || encode(sha256((p.slug || n)::bytea), 'hex'),
       'sha256:' || encode(sha256((p.slug || n || 'sig')::bytea), 'hex'),
       encode(sha256((p.slug || n || 'blob')::bytea), 'hex'), 1000, 1, now() - interval '3 days',
       now() - interval '3 days', case when n = 9 then null else now() - interval '2 days' end,
       now() - interval '3 days' + make_interval(mins => n), now()
from node_platform p cross join generate_series(0, 9) n;
analyze node_platform, disk_image_publication;
SQL

token=$(POWERNODE_JWT_SECRET=$secret "$PN_ROOT/bin/powernode" token mint --subject bench --scope system:admin)
heap() { jcmd "$pid" GC.run >/dev/null; jcmd "$pid" GC.heap_info | sed -n 's/.*used \([0-9]*K\).*/\1/p' | head -1; }
before=$(heap)
planned=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/system/retention_plan" |
  grep -o '"publication_id"' | wc -l)
start=$(date +%s.%N)
report=$(curl -fs -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/system/retention_runs")
end=$(date +%s.%N)
after=$(heap)
deletes=$(curl -fs "http://127.0.0.1:$registry_port/count")
purged=$(PGPASSWORD=$password psql -qAtX -h 127.0.0.1 -U $user -d "$db" -c \
  "select count(*) from disk_image_publication where status = 'purged'")
active=$(PGPASSWORD=$password psql -qAtX -h 127.0.0.1 -U $user -d "$db" -c \
  "select count(*) from disk_image_publication where active")
printf 'retention sweep: %d platforms x 10 publications, dry-run plan %d rows\n' "$platforms" "$planned"
printf '  run: %.1f s wall (report: %s)\n' "$(echo "$end - $start" | bc)" "$report"
printf '  registry deletes counted: %s; rows purged: %s; current publications kept: %s\n' "$deletes" "$purged" "$active"
printf '  service heap used after GC: before %s, after %s (-Xmx512m)\n' "$before" "$after"
