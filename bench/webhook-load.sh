#!/usr/bin/env bash
# Bench (not a test): webhook acceptance under load from a separate process, against the platform
# jar on a throwaway database. Then checks that every 202 has its publication row (zero lost).
# Target (issue 3): >= 1,500 accepted req/s with p99 < 50 ms on this 2-core machine.
# usage: bench/webhook-load.sh [SECONDS=20] [CONCURRENCY=16]
# BENCH_REPLICAS=N (default 1) starts N replicas on the one database and splits the load across them
# (N wrk processes, CONCURRENCY/N connections each; on one 2-core machine they share the cores, so
# this shows that nothing is lost and what sharing costs, not how N machines scale).
# Last, pgbench runs a one-row insert at CONCURRENCY clients on the same cluster, and the ratio of
# the intake rate to that commit rate is printed (issue 20); then pgbench runs the intake statement
# itself (bench/intake-statement.pl), the database's ceiling for an intake with no HTTP or JVM.
# With wrk (default, from Debian) the load runs for SECONDS on pre-signed requests (more than can be
# sent); BENCH_CLIENT=jdk uses bench/WebhookLoad.java instead and sends SECONDS*500 requests.
# The service runs as an accept-only replica (POWERNODE_INGEST_ENABLED=false), so the figure is the
# receiver's; BENCH_INGEST=true runs the ingest jobs in the same process as well. The rate limits
# are off (one loopback address sends everything); every request names its own manifest digest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"

seconds=${1:-20}
concurrency=${2:-16}
requests=$((seconds * 4000 + 3000))
port=${BENCH_PORT:-18182}

pn_ensure_base_tools
pn_ensure_packages wrk:wrk
pn_ensure_postgres
user=powernode_test password=powernode_test
db="powernode_bench_$(date +%s)_$$"
pn_ensure_role "$user" "$password"
pn_ensure_database "$db" "$user"
[[ -f "$PN_ROOT/platform/target/powernode-platform.jar" ]] || pn_build

secret=$(head -c 32 /dev/urandom | base64)
master=$(head -c 32 /dev/urandom | base64)
replicas=${BENCH_REPLICAS:-1}
((replicas >= 1 && concurrency >= replicas)) || pn_die "BENCH_REPLICAS must be 1..CONCURRENCY"
home=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pn_drop_database "$db"
  cp "$home"/platform-*.log "${TMPDIR:-/tmp}/" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

# replica r listens on port + r - 1; all share the database, the keys and the public URL
for r in $(seq 1 "$replicas"); do
  rport=$((port + r - 1))
  mkdir -p "$home/r$r"
  POWERNODE_DATABASE_URL="jdbc:postgresql://127.0.0.1:5432/$db" POWERNODE_DATABASE_USER=$user \
    POWERNODE_DATABASE_PASSWORD=$password POWERNODE_PORT=$rport POWERNODE_JWT_SECRET=$secret \
    POWERNODE_PUBLIC_URL="http://127.0.0.1:$port" \
    POWERNODE_MASTER_KEY=$master POWERNODE_HOME="$home/r$r" POWERNODE_REGISTRY_ALLOWED_HOSTS=127.0.0.1:5999 \
    POWERNODE_REGISTRY_PLAIN_HTTP=127.0.0.1:5999 POWERNODE_INGEST_ENABLED=${BENCH_INGEST:-false} \
    POWERNODE_WEBHOOK_RATE_PER_ADDRESS=0 POWERNODE_WEBHOOK_RATE_PER_WEBHOOK=0 \
    java -Xms512m -Xmx512m "-Djava.io.tmpdir=$home/r$r" ${BENCH_JAVA_OPTS:+"$BENCH_JAVA_OPTS"} \
    -jar "$PN_ROOT/platform/target/powernode-platform.jar" >"$home/platform-$r.log" 2>&1 &
  pids+=("$!")
done
for r in $(seq 1 "$replicas"); do
  for _ in $(seq 1 180); do
    curl -fs "http://127.0.0.1:$((port + r - 1))/actuator/health/readiness" >/dev/null 2>&1 && break
    kill -0 "${pids[$((r - 1))]}" 2>/dev/null || { tail -n 30 "$home/platform-$r.log" >&2; pn_die "replica $r exited"; }
    sleep 1
  done
done

export POWERNODE_API_URL="http://127.0.0.1:$port"
POWERNODE_TOKEN=$(POWERNODE_JWT_SECRET=$secret "$PN_ROOT/bin/powernode" token mint --subject bench --scope system:admin)
export POWERNODE_TOKEN
pub=$home/bench.pub
openssl ecparam -genkey -name prime256v1 2>/dev/null | openssl ec -pubout 2>/dev/null >"$pub"
"$PN_ROOT/bin/powernode" platforms create --slug bench --name Bench --public-key-file "$pub" >/dev/null
hook=$(curl -fs -X POST -H "Authorization: Bearer $POWERNODE_TOKEN" -H 'Content-Type: application/json' \
  -d '{"label":"bench"}' "$POWERNODE_API_URL/api/v1/system/disk_image_webhooks")
url=$(sed -n 's/.*"webhook_url":"\([^"]*\)".*/\1/p' <<<"$hook")
wsecret=$(sed -n 's/.*"webhook_secret":"\([^"]*\)".*/\1/p' <<<"$hook")
digest=$(printf 'bench' | sha256sum | cut -c1-64)
ids=$home/accepted-ids

ref="127.0.0.1:5999/bench@sha256:$digest"
if [[ "${BENCH_CLIENT:-wrk}" == wrk ]] && command -v wrk >/dev/null; then
  # wrk (C) leaves the two cores to the service; the JDK client needs about half a core itself
  reqfile=$home/requests
  java "$PN_ROOT/bench/WebhookLoad.java" "$url" "$wsecret" bench "$ref" "$digest" 1024 "$requests" 0 "$reqfile"
  idsdir=$home/ids
  threads=$(((2 + replicas - 1) / replicas))
  # warm-up: JIT and connection pools, on its own deliveries (excluded from the figures and the check)
  head -n 3000 "$reqfile" >"$reqfile.warm"
  tail -n +3001 "$reqfile" >"$reqfile.main"
  # replica r gets every replicas-th line, and CONCURRENCY/replicas connections
  # CPU time (clock ticks) of the replicas, of the cluster's postgres processes and of the machine
  ticks() {
    local p t=0 j=0 all
    for p in "${pids[@]}"; do j=$((j + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
    for p in $(pgrep -x postgres); do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done
    all=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
    echo "$j $t $all"
  }
  for phase in warm main; do
    if [[ $phase == main ]]; then read -r jvm0 pg0 all0 < <(ticks); fi
    loads=()
    for r in $(seq 1 "$replicas"); do
      awk -v n="$replicas" -v r="$r" '(NR - 1) % n == r - 1' "$reqfile.$phase" >"$reqfile.$phase.$r"
      mkdir -p "$idsdir/$phase-$r"
      rurl="http://127.0.0.1:$((port + r - 1))/${url#http://*/}"
      if [[ $phase == warm ]]; then
        REQUESTS=$reqfile.$phase.$r IDS_DIR=$idsdir/$phase-$r wrk -t "$threads" -c $((concurrency / replicas)) -d 10s \
          -s "$PN_ROOT/bench/webhook-load.lua" "$rurl" -- "/${url#http://*/}" "$threads" >/dev/null 2>&1 &
      else
        REQUESTS=$reqfile.$phase.$r IDS_DIR=$idsdir/$phase-$r wrk -t "$threads" -c $((concurrency / replicas)) \
          -d "${seconds}s" --timeout 10s -s "$PN_ROOT/bench/webhook-load.lua" "$rurl" -- "/${url#http://*/}" \
          "$threads" >"$idsdir/wrk-$r.out" 2>&1 &
      fi
      loads+=("$!")
    done
    wait "${loads[@]}"
  done
  read -r jvm1 pg1 all1 < <(ticks)
  total=0 worst=0
  for r in $(seq 1 "$replicas"); do
    ((replicas == 1)) || echo "replica $r (port $((port + r - 1))):"
    sed -n '/^webhook/,$p' "$idsdir/wrk-$r.out"
    rate=$(sed -n 's/^  throughput: \([0-9]*\) req\/s.*/\1/p' "$idsdir/wrk-$r.out")
    p99=$(sed -n 's/.* p99 \([0-9.]*\) .*/\1/p' "$idsdir/wrk-$r.out")
    total=$((total + ${rate:-0}))
    worst=$(awk -v a="$worst" -v b="${p99:-0}" 'BEGIN { print (b > a ? b : a) }')
  done
  ((replicas == 1)) || echo "all $replicas replicas: $total req/s, worst p99 $worst ms"
  intake=$total
  cat "$idsdir"/main-*/ids-* >"$ids"
  # per accepted request of the main phase; postgres processes that exited meanwhile are not counted
  awk -v n="$(sort -u "$ids" | wc -l)" -v hz="$(getconf CLK_TCK)" -v j=$((jvm1 - jvm0)) -v p=$((pg1 - pg0)) \
    -v a=$((all1 - all0)) 'BEGIN { if (n > 0) printf "  cpu per accepted request: service %.2f ms, PostgreSQL %.2f ms, whole machine %.2f ms (wrk and the kernel included)\n", 1000 * j / hz / n, 1000 * p / hz / n, 1000 * a / hz / n }'
else
  ((replicas == 1)) || pn_die "BENCH_REPLICAS needs wrk"
  java "$PN_ROOT/bench/WebhookLoad.java" "$url" "$wsecret" bench "$ref" "$digest" 1024 $((seconds * 500)) \
    "$concurrency" "$ids"
  intake=
fi

accepted=$(sort -u "$ids" | wc -l)
# a run that accepted nothing measured only refusals (a stale jar, a signing mismatch): not a result
if ((accepted == 0)); then
  pn_die "no request was accepted (202): the figures above are of refusals; is platform/target up to date?"
fi
PGPASSWORD=$password psql -qAtX -h 127.0.0.1 -U $user -d "$db" -v ON_ERROR_STOP=1 <<SQL
create temp table accepted_raw (id uuid);
\copy accepted_raw from '$ids'
create temp table accepted as select distinct id from accepted_raw;
select format('  zero lost: %s of %s accepted ids have a publication row and a delivery; %s rows in all',
  (select count(*) from accepted a join disk_image_publication p on p.id = a.id
     join webhook_delivery d on d.publication_id = a.id and d.http_status = 202),
  $accepted, (select count(*) from disk_image_publication));
SQL

# the database's own single-row commit rate at the same concurrency, on the same cluster: the
# ceiling an intake that commits one row set per call is measured against
cat >"$home/insert.sql" <<'SQL'
insert into bench_insert (payload) values (repeat('x', 600));
SQL
PGPASSWORD=$password psql -qAtX -h 127.0.0.1 -U $user -d "$db" -c \
  "create table bench_insert (id bigint generated always as identity primary key, payload text not null)"
tps=$(PGPASSWORD=$password pgbench -n -h 127.0.0.1 -U $user -c "$concurrency" -j 2 -T 10 -f "$home/insert.sql" "$db" \
  2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1)
echo "pgbench one-row insert, $concurrency clients, 10 s: ${tps:-?} tps"
if [[ -n "${intake:-}" && -n "$tps" ]]; then
  awk -v i="$intake" -v t="$tps" 'BEGIN { printf "  ratio: intake %d req/s = %.2fx the database'"'"'s one-row commit rate (target >= 0.3x)\n", i, i / t }'
fi

# the intake statement itself (PublicationIntake's text, fresh ids per run), prepared as the JDBC
# driver runs it, at the same concurrency: what the database alone allows an intake, with no HTTP,
# HMAC, JSON or JVM on the cores (docs/decisions/011)
src=$PN_ROOT/platform/src/main/java/dev/powernode/server/ingest
perl "$PN_ROOT/bench/intake-statement.pl" "$src/PublicationIntake.java" "$src/IngestTask.java" "${url##*/}" \
  >"$home/intake.sql"
out=$(PGPASSWORD=$password pgbench -n -M prepared -h 127.0.0.1 -U $user -c "$concurrency" -j 2 -T 10 \
  -f "$home/intake.sql" "$db" 2>&1) || true
stps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -n 1)
if [[ -z "$stps" ]] || grep -q 'error' <<<"$out"; then
  grep -m 3 'error' <<<"$out" >&2 || true
  pn_die "pgbench of the intake statement failed (see above)"
fi
echo "pgbench intake statement (prepared), $concurrency clients, 10 s: $stps tps"
awk -v s="$stps" -v t="${tps:-0}" -v i="${intake:-0}" 'BEGIN {
  if (t > 0) printf "  ceiling: the statement alone = %.2fx the one-row commit rate", s / t
  if (i > 0) printf "; the receiver reaches %.0f%% of the statement alone", 100 * i / s
  printf "\n" }'
