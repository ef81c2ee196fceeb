#!/usr/bin/env bash
# Bench (not a test): p50/p99 of listing publications, page of 50, with 10,000 publications across
# 1,000 platforms in a throwaway database. Target (issue 2): p99 < 50 ms on a 2-core machine.
# usage: bench/list-publications.sh [REQUESTS] [CONCURRENCY]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"

requests=${1:-5000}
concurrency=${2:-1}
port=${BENCH_PORT:-18181}
platforms=1000
per_platform=10

pn_ensure_base_tools
pn_ensure_postgres
user=powernode_test password=powernode_test
db="powernode_bench_$(date +%s)_$$"
pn_ensure_role "$user" "$password"
pn_ensure_database "$db" "$user"
[[ -f "$PN_ROOT/platform/target/powernode-platform.jar" ]] || pn_build

secret=$(head -c 32 /dev/urandom | base64)
home=$(mktemp -d)
pid=
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pn_drop_database "$db"
  rm -rf "$home"
}
trap cleanup EXIT

POWERNODE_DATABASE_URL="jdbc:postgresql://127.0.0.1:5432/$db" POWERNODE_DATABASE_USER=$user \
  POWERNODE_DATABASE_PASSWORD=$password POWERNODE_PORT=$port POWERNODE_JWT_SECRET=$secret \
  POWERNODE_HOME=$home POWERNODE_LOG_FORMAT=ecs \
  java "-Djava.io.tmpdir=$home" -jar "$PN_ROOT/platform/target/powernode-platform.jar" >"$home/platform.log" 2>&1 &
pid=$!
for _ in $(seq 1 90); do
  curl -fs "http://127.0.0.1:$port/actuator/health/readiness" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { tail -n 30 "$home/platform.log" >&2; pn_die "platform exited"; }
  sleep 1
done

pn_log "seeding $platforms platforms x $per_platform publications"
PGPASSWORD=$password psql -qX -v ON_ERROR_STOP=1 -h 127.0.0.1 -U $user -d "$db" <<SQL
insert into node_platform (id, slug, name, created_at, updated_at)
select gen_random_uuid(), 'bench-' || g, 'Bench platform ' || g, now(), now()
from generate_series(0, $platforms - 1) g;

insert into disk_image_publication (id, node_platform_id, artifact_family, arch, status, active, git_sha, oci_ref,
    sha256, size_bytes, attempt_count, published_at, verified_at, retired_at, error_message, created_at, updated_at)
select gen_random_uuid(), p.id,
       (array['kernel_initramfs','uefi_disk','iso','ipxe','qcow2','oci'])[1 + (n % 6)],
       (array['amd64','arm64'])[1 + (n / 6) % 2],
       s.status, s.status = 'published', md5(p.slug || n), 'registry.local/disk-images@sha256:' || encode(sha256((p.slug || n)::bytea), 'hex'),
       encode(sha256((p.slug || n || 'blob')::bytea), 'hex'), 1000000 + n, 1,
       case when s.status in ('published','retired') then now() end,
       case when s.status in ('published','retired') then now() end,
       case when s.status = 'retired' then now() end,
       case when s.status = 'failed' then 'cosign: no matching signature' end,
       now() - make_interval(secs => n * 60 + random() * 30), now()
from node_platform p
cross join generate_series(0, $per_platform - 1) n
cross join lateral (select case when n < 6 then 'published' when n = 9 then 'failed' when n = 8 then 'queued' else 'retired' end as status) s;
analyze node_platform, disk_image_publication;
SQL
count=$(PGPASSWORD=$password psql -qAtX -h 127.0.0.1 -U $user -d "$db" -c 'select count(*) from disk_image_publication')
pn_log "seeded $count publications"

token=$(POWERNODE_JWT_SECRET=$secret "$PN_ROOT/bin/powernode" token mint --subject bench --scope disk_images:read)
java "$PN_ROOT/bench/ListPublicationsBench.java" "http://127.0.0.1:$port" "$token" "$platforms" "$requests" "$concurrency"
