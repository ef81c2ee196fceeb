#!/usr/bin/env bash
# Bench (not a test): ingest of a SIZE_MIB single-layer artifact from a loopback docker-registry,
# side by side in one run with `curl -o /dev/null` (the transfer alone), `curl | sha256sum`,
# `curl | openssl dgst -sha256` and both tools on
# the local file, then our RegistryClient alone, then the platform jar end to end (webhook to
# published) with the service's heap sampled throughout.
# Targets: ingest >= 0.9 x `curl | sha256sum` (issue 5) and >= 0.9 x `curl -o /dev/null` (issue 20);
# heap growth < 64 MiB whatever the size.
# usage: bench/ingest-throughput.sh [SIZE_MIB=1024]
#   BENCH_XMX (256m)          -Xmx of the service and of the client-only JVM: small on purpose, the
#                             ingest must not need heap in proportion to the artifact
#   BENCH_JAVA_OPTS ('')      extra JVM options for both (e.g. -Djdk.httpclient.bufsize=262144)
#   BENCH_STEP_TIMEOUT (600)  seconds any one step may take before the bench fails
# Wall-clock figures are only as good as the machine is quiet: the load average is printed before
# and after, and CPU seconds per GiB (which contention barely moves) next to every MiB/s.
set -euo pipefail
export LC_ALL=C # decimal points in printf/awk whatever the caller's locale
# shellcheck source=SCRIPTDIR/../scripts/lib/env.sh disable=SC1091 # followed with shellcheck -x
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"

size_mib=${1:-1024}
[[ "$size_mib" =~ ^[1-9][0-9]*$ ]] || pn_die "SIZE_MIB must be a positive integer (MiB), got '$size_mib'"
xmx=${BENCH_XMX:-256m}
read -r -a java_opts <<<"${BENCH_JAVA_OPTS:-}"
step_timeout=${BENCH_STEP_TIMEOUT:-600}
registry_bin=${POWERNODE_DOCKER_REGISTRY:-/usr/bin/docker-registry}
repo=bench/disk
reg_user=bench

# bounded WHAT CMD...: runs CMD, failing the bench with a message when it exceeds the step timeout.
bounded() {
  local what=$1 rc=0
  shift
  timeout -k 10 "$step_timeout" "$@" || rc=$?
  if ((rc == 124 || rc == 137)); then
    pn_die "$what took longer than $step_timeout s"
  fi
  ((rc == 0)) || pn_die "$what failed (exit $rc)"
}

now_ns() { date +%s%N; }
# mibs BYTES START_NS END_NS
mibs() { awk -v b="$1" -v s="$2" -v e="$3" 'BEGIN { printf "%.0f", b / 1048576 / ((e - s) / 1e9) }'; }
secs() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", (e - s) / 1e9 }'; }
# per_gib CPU_SECONDS: CPU seconds per GiB of the artifact
per_gib() { awk -v c="$1" -v m="$size_mib" 'BEGIN { printf "%.2f", c * 1024 / m }'; }
# cpu_s PID: user + system CPU seconds a process has used so far (clock ticks are 1/100 s on Linux)
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
result() { printf '%s=%s\n' "$1" "$2" >>"$results"; }
get() { sed -n "s/^$1=//p" "$results" | tail -n1; }
# Heap used (S0U+S1U+EU+OU) of a JVM, in KiB, from one jstat sample.
heap_kib() {
  jstat -gc "$1" | awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
    NR == 2 { printf "%.0f", $col["S0U"] + $col["S1U"] + $col["EU"] + $col["OU"] }'
}
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

pn_ensure_base_tools
pn_ensure_postgres
[[ -x "$registry_bin" ]] || pn_die "docker-registry is not installed at $registry_bin (apt-get install docker-registry)"
for tool in jcmd jstat openssl sha256sum timeout; do
  command -v "$tool" >/dev/null 2>&1 || pn_die "$tool is required"
done

load_before=$(load)
work=$(mktemp -d -t powernode-ingest-bench.XXXXXX)
home="$work/home"
results="$work/results"
mkdir -p "$home" "$work/registry/storage" "$work/classes"
db="powernode_bench_$(date +%s)_$$"
user=powernode_test password=powernode_test
registry_pid='' pid='' sampler_pid='' db_created=''
cleanup() {
  local p
  for p in "$sampler_pid" "$pid" "$registry_pid"; do
    if [[ -n "$p" ]]; then
      kill "$p" 2>/dev/null || true
      # graceful first (the service drains its jobs), but never longer than 30 s
      for _ in $(seq 1 60); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.5
      done
      kill -9 "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    fi
  done
  if [[ -n "$db_created" ]]; then pn_drop_database "$db"; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Always (incrementally) built, so the figures are those of the checked-out code. The classpath of
# testkit (common, BCrypt, Jackson) is what the Java half of the bench compiles and runs against;
# nothing is installed into ~/.m2.
pn_log "building (./mvnw package, tests skipped) and resolving the testkit classpath"
(cd "$PN_ROOT" && bounded "the build" ./mvnw -B -q -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=runtime)
cp="$PN_ROOT/testkit/target/classes:$(cat "$PN_ROOT/testkit/target/bench-classpath.txt")"
bounded "compiling the bench helper" javac -encoding UTF-8 -nowarn -d "$work/classes" -cp "$cp" \
  "$PN_ROOT/bench/IngestThroughput.java"
cp="$work/classes:$cp"
helper() { BENCH_RESULTS="$results" bounded "IngestThroughput $1" java -cp "$cp" IngestThroughput "$@"; }

# ---- registry: the real binary, htpasswd auth, loopback only, our own storage ------------------
reg_password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
reg_port=$(helper free-port)
registry="127.0.0.1:$reg_port"
helper htpasswd "$reg_user" "$reg_password" >"$work/registry/htpasswd"
cat >"$work/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/storage
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $registry
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
auth:
  htpasswd:
    realm: powernode-bench
    path: $work/registry/htpasswd
YAML
# REGISTRY_* variables would override config.yml; the caller's environment must not leak in.
(
  while read -r var; do unset "$var"; done < <(compgen -e | grep '^REGISTRY_' || true)
  exec "$registry_bin" serve "$work/registry/config.yml"
) >"$work/registry/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$registry/v2/" || true)" == 401 ]]; then break; fi
  kill -0 "$registry_pid" 2>/dev/null || { cat "$work/registry/registry.log" >&2; pn_die "docker-registry exited"; }
  sleep 0.2
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$registry/v2/")" == 401 ]] ||
  pn_die "docker-registry on $registry did not answer GET /v2/ with 401"
pn_log "docker-registry $("$registry_bin" --version | awk '{print $NF}') on $registry (pid $registry_pid, htpasswd)"

# ---- the artifact: SIZE_MIB random bytes, one layer, cosign key-pair signature ---------------
data="$work/disk.img"
pn_log "writing $size_mib MiB of random data"
bounded "writing the random data" head -c "${size_mib}M" /dev/urandom >"$data"
bytes=$(stat -c %s "$data")
pn_log "pushing and signing the artifact"
pushed=$(helper push "$registry" "$reg_user" "$reg_password" "$repo" "$data" "$work/cosign.pub")
read -r manifest_hex manifest2_hex layer_hex pushed_size <<<"$pushed"
[[ "$pushed_size" == "$bytes" ]] || pn_die "pushed $pushed_size bytes, the file has $bytes"
blob_url="http://$registry/v2/$repo/blobs/sha256:$layer_hex"

cat <<EOF

ingest throughput: $size_mib MiB single-layer artifact, docker-registry on $registry (loopback, htpasswd)
  machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)),
  $(java -version 2>&1 | head -n1), $(openssl version | cut -d' ' -f1-2), $(sha256sum --version | head -n1)
  load average before the bench: $load_before (1/5/15 min)
  every figure is one run with the page cache warm (the file was just written and pushed; dropping the
  cache needs root on the host); MiB/s = $bytes bytes / wall time; cpu = user+sys seconds per GiB
EOF

# ---- baselines on the same bytes --------------------------------------------------------------
# baseline KEY LABEL CMD: times CMD (a pipeline run by bash -c with $1 = user:password, $2 = blob
# URL, $3 = file), checks the digest it prints, records MiB/s and the CPU its processes used.
baseline() {
  local key=$1 label=$2 cmd=$3 start end out digest reg0 cpu TIMEFORMAT='%U %S'
  reg0=$(cpu_s "$registry_pid")
  start=$(now_ns)
  # bash's `time` adds up the CPU of every process the pipeline ran; its report goes to fd 2 of
  # the group (a file), the pipeline's own stderr to the terminal
  {
    time out=$(bounded "$label" bash -c "set -o pipefail; $cmd" _ "$reg_user:$reg_password" "$blob_url" "$data" 2>&3)
  } 3>&2 2>"$work/time"
  end=$(now_ns)
  if [[ "$key" == curl_transfer ]]; then
    # the pure transfer: no digest, but every byte must have arrived
    [[ "$out" == "$bytes" ]] || pn_die "$label received '$out' bytes, expected $bytes"
  else
    digest=$(grep -oE '[0-9a-f]{64}' <<<"$out" | head -n1)
    [[ "$digest" == "$layer_hex" ]] || pn_die "$label produced '$digest', expected $layer_hex"
  fi
  cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$work/time")
  result "${key}_mibs" "$(mibs "$bytes" "$start" "$end")"
  result "${key}_cpu" "$(per_gib "$cpu")"
  printf '  %-50s %6.2f s  %6s MiB/s  cpu %s s/GiB' "$label" "$(secs "$start" "$end")" \
    "$(get "${key}_mibs")" "$(get "${key}_cpu")"
  if [[ "$cmd" == curl* ]]; then
    printf ' (+ registry %s)' "$(per_gib "$(minus "$(cpu_s "$registry_pid")" "$reg0")")"
  fi
  if [[ "$key" == curl_transfer ]]; then printf '  all bytes\n'; else printf '  digest ok\n'; fi
}
echo
echo "baselines (each once, warm):"
# shellcheck disable=SC2016 # $1..$3 are expanded by the pipeline's own shell: credentials, URL, file
{
  baseline curl_transfer 'curl -s -u USER:PASS <blob url> -o /dev/null' \
    'curl -fs -u "$1" "$2" -o /dev/null -w "%{size_download}"'
  baseline curl_sha256sum 'curl -s -u USER:PASS <blob url> | sha256sum' 'curl -fs -u "$1" "$2" | sha256sum'
  baseline curl_openssl 'curl -s -u USER:PASS <blob url> | openssl dgst -sha256' \
    'curl -fs -u "$1" "$2" | openssl dgst -sha256'
  baseline file_openssl 'openssl dgst -sha256 <file>' 'openssl dgst -sha256 "$3"'
  baseline file_sha256sum 'sha256sum <file>' 'sha256sum "$3"'
}

echo
echo "our client alone (RegistryClient.fetchBlob, sink = null, one JVM, -Xmx$xmx ${java_opts[*]}):"
BENCH_RESULTS="$results" bounded "the client-only fetch" java "-Xmx$xmx" "${java_opts[@]}" -cp "$cp" \
  IngestThroughput fetch "$registry" "$reg_user" "$reg_password" "$repo" "$layer_hex" "$bytes" 3 "$registry_pid"

# ---- the service end to end -------------------------------------------------------------------
pn_ensure_role "$user" "$password"
pn_ensure_database "$db" "$user"
db_created=1
port=${BENCH_PORT:-$(helper free-port)}
secret=$(head -c 32 /dev/urandom | base64)
master=$(head -c 32 /dev/urandom | base64)
POWERNODE_DATABASE_URL="jdbc:postgresql://127.0.0.1:5432/$db" POWERNODE_DATABASE_USER=$user \
  POWERNODE_DATABASE_PASSWORD=$password POWERNODE_PORT=$port POWERNODE_BIND_ADDRESS=127.0.0.1 \
  POWERNODE_PUBLIC_URL="http://127.0.0.1:$port" POWERNODE_JWT_SECRET=$secret POWERNODE_MASTER_KEY=$master \
  POWERNODE_HOME=$home POWERNODE_LOG_FORMAT=ecs POWERNODE_INGEST_ENABLED=true \
  POWERNODE_REGISTRY_ALLOWED_HOSTS=$registry POWERNODE_REGISTRY_PLAIN_HTTP=$registry \
  POWERNODE_REGISTRY_CREDENTIALS="$registry=$reg_user:$reg_password" \
  java "-Xmx$xmx" "${java_opts[@]}" "-Xlog:gc:file=$home/gc.log" "-Djava.io.tmpdir=$home" \
  -jar "$PN_ROOT/platform/target/powernode-platform.jar" >"$home/platform.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/actuator/health/readiness" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { tail -n 30 "$home/platform.log" >&2; pn_die "platform exited"; }
  sleep 1
done
curl -fs "http://127.0.0.1:$port/actuator/health/readiness" >/dev/null || pn_die "platform not ready after 120 s"

export POWERNODE_API_URL="http://127.0.0.1:$port"
POWERNODE_TOKEN=$(POWERNODE_JWT_SECRET=$secret bounded "minting a token" "$PN_ROOT/bin/powernode" token mint \
  --subject bench --scope system:admin)
export POWERNODE_TOKEN
bounded "creating the platform" "$PN_ROOT/bin/powernode" platforms create --slug bench --name Bench \
  --public-key-file "$work/cosign.pub" >/dev/null
hook=$(curl -fs -X POST -H "Authorization: Bearer $POWERNODE_TOKEN" -H 'Content-Type: application/json' \
  -d '{"label":"bench"}' "$POWERNODE_API_URL/api/v1/system/disk_image_webhooks")
hook_url=$(sed -n 's/.*"webhook_url":"\([^"]*\)".*/\1/p' <<<"$hook")
hook_secret=$(sed -n 's/.*"webhook_secret":"\([^"]*\)".*/\1/p' <<<"$hook")
[[ -n "$hook_url" && -n "$hook_secret" ]] || pn_die "cannot provision a webhook: $hook"

# threads_cpu PID: "tid<TAB>name<TAB>cpu ticks" for each thread of a process.
threads_cpu() {
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s\t%s\t%s\n' "${t##*/}" "$(cat "$t/comm" 2>/dev/null || true)" \
      "$(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null || echo 0)"
  done
}
# thread_breakdown BEFORE AFTER: CPU seconds spent between two snapshots, by kind of thread.
thread_breakdown() {
  awk -F'\t' 'NR == FNR { before[$1] = $3; next }
    { n = $2; d = $3 - before[$1]
      k = n ~ /^C[12] CompilerThre/ ? "JIT compilers" : n ~ /^HttpClient-/ ? "java.net.http selector+workers" \
        : n ~ /^db-scheduler-/ ? "ingest job thread (reads + hashes)" : n ~ /^http-nio-/ ? "tomcat (webhook, polls)" \
        : n ~ /^(GC Thread|G1 |VM )/ ? "GC + VM" : "other"
      cpu[k] += d }
    END { for (k in cpu) if (cpu[k] > 0) printf "%.2f\t%s\n", cpu[k] / 100, k }' "$1" "$2" |
    sort -rn | awk -F'\t' '{ printf "%s%s %s s", (NR > 1) ? ", " : "", $2, $1 } END { print "" }'
}

# ingest KEY LABEL: one webhook for the pushed artifact, timed by the helper; then the service's
# own "verified blob" line for it and the CPU the service spent, by thread.
ingest() {
  local key=$1 label=$2 cpu0 reg0 lines verified
  echo "  $label:"
  lines=$(grep -c '"verified blob' "$home/platform.log" || true)
  threads_cpu "$pid" >"$work/threads.before"
  cpu0=$(cpu_s "$pid")
  reg0=$(cpu_s "$registry_pid")
  helper ingest "$POWERNODE_API_URL" "$POWERNODE_TOKEN" "$hook_url" "$hook_secret" bench \
    "$registry/$repo@sha256:$([[ $key == first ]] && echo "$manifest_hex" || echo "$manifest2_hex")" \
    "$layer_hex" "$bytes" "$step_timeout" "$key" | sed 's/^/  /'
  result "${key}_cpu" "$(per_gib "$(minus "$(cpu_s "$pid")" "$cpu0")")"
  threads_cpu "$pid" >"$work/threads.after"
  verified=$(grep '"verified blob' "$home/platform.log" | tail -n +"$((lines + 1))" |
    sed -n 's/.*"message":"\(verified blob sha256:'"$layer_hex"'[^"]*\)".*/\1/p' | tail -n1)
  [[ -n "$verified" ]] || pn_die "no new 'verified blob' line for the layer in the service log"
  result "${key}_log_mibs" "$(sed -n 's/.*bytes, \([0-9]*\) MiB\/s.*/\1/p' <<<"$verified")"
  echo "    service log: ${verified% of *}"
  echo "    service cpu from webhook to published: $(get "${key}_cpu") s/GiB (+ registry" \
    "$(per_gib "$(minus "$(cpu_s "$registry_pid")" "$reg0")")); by thread:"
  echo "      $(thread_breakdown "$work/threads.before" "$work/threads.after")"
}

# Heap: used after a full GC before the first webhook (baseline), sampled every 100 ms through both
# ingests (includes garbage not yet collected, so bounded by the young generation rather than by
# what is live), the heap left after each GC the JVM ran on its own meanwhile (gc.log; an upper
# bound of what was live), and after a full GC once the second is published.
bounded "GC.run (baseline)" jcmd "$pid" GC.run >/dev/null
heap_before=$(heap_kib "$pid")
gc_lines_before=$(wc -l <"$home/gc.log")
jstat -gc "$pid" 100 >"$work/jstat.txt" 2>&1 &
sampler_pid=$!

echo
echo "the service end to end (platform jar, -Xmx$xmx ${java_opts[*]}, throwaway database $db):"
ingest first 'ingest 1, the first in a freshly started service'
# A second manifest over the same layer (the same manifest again would create nothing) is a new
# publication that pulls the bytes again: what a service that has been running for a while gets.
ingest second 'ingest 2, same layer in a second manifest, same service process (JIT-warm)'

kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=''
gc_during=$(tail -n +"$((gc_lines_before + 1))" "$home/gc.log" | grep -c 'Pause' || true)
max_after_gc_kib=$(tail -n +"$((gc_lines_before + 1))" "$home/gc.log" | awk '
  function kib(v,  n, u) {
    n = v + 0; u = substr(v, length(v)); return u == "G" ? n * 1048576 : u == "M" ? n * 1024 : n
  }
  /Pause/ && match($0, /->[0-9]+[KMG]\(/) { a = kib(substr($0, RSTART + 2, RLENGTH - 3)); if (a > m) m = a }
  END { printf "%.0f", m + 0 }')
peak_kib=$(awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $1 ~ /^[0-9.]+$/ { u = $col["S0U"] + $col["S1U"] + $col["EU"] + $col["OU"]; if (u > m) m = u }
  END { printf "%.0f", m + 0 }' "$work/jstat.txt")
samples=$(($(wc -l <"$work/jstat.txt") - 1))
bounded "GC.run (after)" jcmd "$pid" GC.run >/dev/null
heap_after=$(heap_kib "$pid")

echo
echo "service heap over both ingests ($((2 * size_mib)) MiB streamed; -Xmx$xmx; used = S0U+S1U+EU+OU from jstat -gc):"
printf '  baseline after full GC (jcmd GC.run) before the webhook %8s MiB\n' "$(kib_to_mib "$heap_before")"
printf '  peak sampled during the ingests (%4d samples, 100 ms)  %8s MiB  (includes uncollected garbage)\n' \
  "$samples" "$(kib_to_mib "$peak_kib")"
printf '  highest heap after a GC during the ingests (%3d GCs)   %8s MiB  (upper bound of live data)\n' \
  "$gc_during" "$(kib_to_mib "$max_after_gc_kib")"
printf '  after full GC once published                           %8s MiB\n' "$(kib_to_mib "$heap_after")"
result heap_growth_mib "$(kib_to_mib "$((heap_after - heap_before))")"
result heap_live_growth_mib "$(kib_to_mib "$((max_after_gc_kib > heap_before ? max_after_gc_kib - heap_before : 0))")"
result heap_peak_growth_mib "$(kib_to_mib "$((peak_kib - heap_before))")"

# ---- summary ----------------------------------------------------------------------------------
ref=$(get curl_sha256sum_mibs)
row() {
  awk -v l="$1" -v r="$2" -v c="$3" -v ref="$ref" \
    'BEGIN { printf "  %-52s %7.0f MiB/s  %5.2fx  %6s\n", l, r, r / ref, c }'
}
echo
echo "summary: $size_mib MiB, one run each, warm page cache; ratio = MiB/s / (curl | sha256sum)"
printf '  %-52s %13s  %6s  %s\n' '' 'throughput' 'ratio' 'cpu s/GiB'
row 'curl -s <blob> -o /dev/null (the transfer alone)' "$(get curl_transfer_mibs)" "$(get curl_transfer_cpu)"
row 'curl -s <blob> | sha256sum' "$ref" "$(get curl_sha256sum_cpu)"
row 'curl -s <blob> | openssl dgst -sha256' "$(get curl_openssl_mibs)" "$(get curl_openssl_cpu)"
row 'openssl dgst -sha256 <file>' "$(get file_openssl_mibs)" "$(get file_openssl_cpu)"
row 'sha256sum <file>' "$(get file_sha256sum_mibs)" "$(get file_sha256sum_cpu)"
row 'RegistryClient.fetchBlob, run 1 (fresh JVM)' "$(get client_first_mibs)" "$(get client_first_cpu)"
row 'RegistryClient.fetchBlob, run 3 (JIT-warm)' "$(get client_last_mibs)" "$(get client_last_cpu)"
row '  java.net.http GET alone, no hashing' "$(get client_transport_mibs)" "$(get client_transport_cpu)"
row '  HttpURLConnection GET alone, no hashing' "$(get client_urlconnection_mibs)" ''
row '  HttpURLConnection GET, SHA-256 on a second thread' "$(get client_overlapped_mibs)" ''
row '  MessageDigest SHA-256 alone, from memory' "$(get client_hash_mibs)" "$(get client_hash_cpu)"
for key in first second; do
  n=$([[ $key == first ]] && echo 1 || echo 2)
  row "service ingest $n: \"verified blob\" log line (the blob)" "$(get "${key}_log_mibs")" ''
  row "service ingest $n: verifying -> published (the job)" "$(get "${key}_job_mibs")" "$(get "${key}_cpu")"
  row "service ingest $n: webhook -> published (polled)" "$(get "${key}_wall_mibs")" ''
done
printf '  %-52s %9s MiB   (after full GC minus before; target < 64)\n' 'service heap growth' \
  "$(get heap_growth_mib)"
printf '  %-52s %9s MiB   (max heap after a GC while ingesting minus baseline)\n' \
  'service heap growth while ingesting' "$(get heap_live_growth_mib)"
printf '  %-52s %9s MiB   (peak sampled minus baseline; garbage included)\n' 'service heap peak over baseline' \
  "$(get heap_peak_growth_mib)"
awk -v a="$(get first_log_mibs)" -v b="$(get second_log_mibs)" -v c="$ref" \
  -v g="$(get heap_live_growth_mib)" -v h="$(get heap_growth_mib)" 'BEGIN {
  printf "  target ingest >= 0.9x curl | sha256sum: ingest 1 %.2fx %s, ingest 2 %.2fx %s; heap growth < 64 MiB: %s\n",
    a / c, (a / c >= 0.9) ? "met" : "NOT met", b / c, (b / c >= 0.9) ? "met" : "NOT met",
    (g < 64 && h < 64) ? "met" : "NOT met" }'
awk -v a="$(get first_log_mibs)" -v b="$(get second_log_mibs)" -v t="$(get curl_transfer_mibs)" 'BEGIN {
  printf "  ratio to the transfer limit (curl -o /dev/null, issue 20 target >= 0.9x): ingest 1 %.2fx, ingest 2 %.2fx\n",
    a / t, b / t }'
echo "  load average after the bench: $(load) (before: $load_before)"
