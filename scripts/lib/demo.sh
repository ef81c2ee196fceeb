# shellcheck shell=bash
# The pieces of the local end-to-end loop, shared by scripts/run.sh (the demo), scripts/e2e.sh (the
# test), scripts/workflow-run.sh, scripts/node-loop.sh and bench/cycle.sh: a docker-registry child
# process, the platform jar (the three test loops start both with pn_start_loop), a dev signing key pair,
# a platform with a key-pair policy, a webhook, a build, and `powernode publish`. Sourced after
# env.sh, not executed. Everything listens on 127.0.0.1 only.

PN_REGISTRY_BIN=${POWERNODE_DOCKER_REGISTRY:-/usr/bin/docker-registry}

# pn_free_port: a TCP port nothing listens on right now (bash's /dev/tcp: no extra tools).
pn_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  pn_die "no free loopback port found"
}

# pn_demo_tools: what the loop needs beyond pn_ensure_base_tools. The registry package's own system
# service is kept from starting (pn_ensure_packages' policy-rc.d guard); we run the binary ourselves.
pn_demo_tools() {
  pn_ensure_packages docker-registry:docker-registry jq:jq openssl:openssl
}

# pn_start_registry DIR ADDR: starts docker-registry on ADDR (127.0.0.1:PORT) with its storage and
# config under DIR, deletes enabled (retention deletes manifests), no auth (loopback only). Sets
# PN_REGISTRY_PID; writes DIR/registry.pid. Waits until GET /v2/ answers.
pn_start_registry() {
  local dir=$1 addr=$2
  [[ -x "$PN_REGISTRY_BIN" ]] || pn_die "docker-registry is not installed at $PN_REGISTRY_BIN"
  [[ "$addr" == 127.0.0.1:* ]] || pn_die "the registry listens on loopback only, not $addr"
  mkdir -p "$dir/storage"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $addr
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
YAML
  # REGISTRY_* variables would override config.yml: the caller's environment must not leak in
  (
    while read -r var; do unset "$var"; done < <(compgen -e | grep '^REGISTRY_' || true)
    exec "$PN_REGISTRY_BIN" serve "$dir/config.yml"
  ) >>"$dir/registry.log" 2>&1 &
  PN_REGISTRY_PID=$!
  echo "$PN_REGISTRY_PID" >"$dir/registry.pid"
  for _ in $(seq 1 100); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/v2/" || true)" == 200 ]]; then return 0; fi
    kill -0 "$PN_REGISTRY_PID" 2>/dev/null || { tail -n 20 "$dir/registry.log" >&2; pn_die "docker-registry exited"; }
    sleep 0.2
  done
  pn_die "docker-registry on $addr did not answer GET /v2/ (log: $dir/registry.log)"
}

# pn_registry_gc DIR ADDR: distribution's garbage collection over the registry under DIR: frees the
# blobs no manifest references any more, which is what retention's deletes leave behind (its
# reclaimable_bytes). It must not run while the registry accepts pushes (distribution's docs), so a
# registry running from DIR (DIR/registry.pid) is stopped, collected, and started again on ADDR.
# Not --delete-untagged: publications are pushed by digest and need no tag, so that flag would
# delete images that are current. Sets PN_REGISTRY_GC_FREED (bytes) and, after a restart,
# PN_REGISTRY_PID.
pn_registry_gc() {
  local dir=$1 addr=$2 pid="" before after
  [[ -f "$dir/config.yml" ]] || pn_die "no registry under $dir (scripts/run.sh creates it)"
  if [[ -f "$dir/registry.pid" ]] && kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null; then
    pid=$(cat "$dir/registry.pid")
  fi
  before=$(du -sb "$dir/storage" | cut -f1)
  if [[ -n "$pid" ]]; then
    pn_log "stopping the registry (pid $pid) for garbage collection"
    pn_stop "$pid"
  fi
  if ! "$PN_REGISTRY_BIN" garbage-collect "$dir/config.yml" >"$dir/gc.log" 2>&1; then
    tail -n 20 "$dir/gc.log" >&2
    pn_die "docker-registry garbage-collect failed (log: $dir/gc.log)"
  fi
  after=$(du -sb "$dir/storage" | cut -f1)
  PN_REGISTRY_GC_FREED=$((before - after))
  pn_log "registry garbage collection: storage $before -> $after bytes ($PN_REGISTRY_GC_FREED freed; log: $dir/gc.log)"
  if [[ -n "$pid" ]]; then
    pn_start_registry "$dir" "$addr"
    pn_log "docker-registry on $addr again (pid $PN_REGISTRY_PID)"
  fi
}

# pn_start_platform LOG: starts the platform jar (PN_PLATFORM_JAR, default the built one) with the
# current POWERNODE_* environment, sets PN_PLATFORM_PID and waits (up to 180 s) until it is ready on
# 127.0.0.1:$POWERNODE_PORT.
pn_start_platform() {
  local log=$1 tmp="${POWERNODE_HOME:?}/tmp"
  # Tomcat's scratch directories go under POWERNODE_HOME, not /tmp: e2e.sh deletes its home at
  # the end, and run.sh keeps them with the rest of its state
  mkdir -p "$tmp"
  java -Djava.io.tmpdir="$tmp" -jar "${PN_PLATFORM_JAR:-$PN_ROOT/platform/target/powernode-platform.jar}" >"$log" 2>&1 &
  PN_PLATFORM_PID=$!
  pn_await_platform "$PN_PLATFORM_PID" "$log"
}

# pn_start_loop WORK DB: what a loop script (e2e.sh, workflow-run.sh, node-loop.sh) runs against, on
# loopback: docker-registry with its storage in WORK/registry, the database DB (role powernode_test,
# created here), and the platform jar with its home in WORK/home and its log in WORK/platform.log;
# exports the POWERNODE_* settings the platform and bin/powernode read. Retention prunes only when
# asked (no grace, the recurring run never). Sets PN_LOOP_REGISTRY (127.0.0.1:PORT), and
# PN_REGISTRY_PID, PN_LOOP_DB and PN_PLATFORM_PID as soon as each exists, so that pn_stop_loop in
# the caller's EXIT trap undoes exactly what was started, even when a start fails half-way.
pn_start_loop() {
  local work=$1 db=$2
  PN_LOOP_REGISTRY="127.0.0.1:$(pn_free_port)"
  pn_start_registry "$work/registry" "$PN_LOOP_REGISTRY"
  pn_ensure_role powernode_test powernode_test
  PN_LOOP_DB=$db
  pn_ensure_database "$db" powernode_test
  export POWERNODE_HOME="$work/home"
  POWERNODE_PORT=$(pn_free_port)
  export POWERNODE_PORT
  export POWERNODE_PUBLIC_URL="http://127.0.0.1:$POWERNODE_PORT" POWERNODE_API_URL="http://127.0.0.1:$POWERNODE_PORT"
  export POWERNODE_DATABASE_URL="jdbc:postgresql://127.0.0.1:5432/$db"
  export POWERNODE_DATABASE_USER=powernode_test POWERNODE_DATABASE_PASSWORD=powernode_test
  export POWERNODE_REGISTRY_ALLOWED_HOSTS=$PN_LOOP_REGISTRY POWERNODE_REGISTRY_PLAIN_HTTP=$PN_LOOP_REGISTRY
  export POWERNODE_RETENTION_GRACE=0s POWERNODE_RETENTION_CRON='0 0 0 1 1 *'
  export POWERNODE_LOG_FORMAT=logstash
  mkdir -p "$POWERNODE_HOME"
  pn_start_platform "$work/platform.log"
}

# pn_stop_loop: stops the platform and the registry pn_start_loop started and drops its database,
# as far as it got.
pn_stop_loop() {
  pn_stop "${PN_PLATFORM_PID:-}"
  pn_stop "${PN_REGISTRY_PID:-}"
  if [[ -n "${PN_LOOP_DB:-}" ]]; then pn_drop_database "$PN_LOOP_DB"; fi
}

# pn_await_platform PID LOG
pn_await_platform() {
  local pid=$1 log=$2
  for _ in $(seq 1 180); do
    curl -fs "http://127.0.0.1:$POWERNODE_PORT/actuator/health/readiness" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 40 "$log" >&2; pn_die "the platform exited during start-up (log: $log)"; }
    sleep 1
  done
  pn_die "the platform did not become ready in 180 s (log: $log)"
}

# pn_stop PID: TERM, up to 30 s to drain, then KILL. Only ever a PID this script started.
pn_stop() {
  local pid=$1
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# pn_api METHOD PATH [JSON]: the platform API with $POWERNODE_TOKEN; prints the body, fails on >= 400.
pn_api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sS -X "$method" -H "Authorization: Bearer $POWERNODE_TOKEN" -w '\n%{http_code}')
  if [[ -n "$body" ]]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
  local out code
  out=$(curl "${args[@]}" "$POWERNODE_API_URL$path") || pn_die "$method $path: cannot reach the platform"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  if ((code >= 400)); then
    pn_die "$method $path: HTTP $code: $out"
  fi
  printf '%s\n' "$out"
}

# pn_signing_key DIR: a dev cosign key pair (EC P-256; PKCS#8 private key, SPKI public key), made
# once and kept: DIR/cosign.key (0600) and DIR/cosign.pub.
pn_signing_key() {
  local dir=$1
  mkdir -p "$dir"
  if [[ ! -s "$dir/cosign.key" ]]; then
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/cosign.key" 2>/dev/null)
    openssl pkey -in "$dir/cosign.key" -pubout -out "$dir/cosign.pub"
    pn_log "generated a dev signing key pair in $dir (cosign.key, cosign.pub)"
  fi
}

# pn_ensure_key_platform SLUG NAME PUBKEY [BUILD_SCRIPT]: the platform exists and trusts PUBKEY
# (created, or its cosign_public_keys extended when an earlier run made it without that key). A new
# platform gets BUILD_SCRIPT's contents as its build_script, and so does one whose build_script is
# empty; one an operator has given a build_script keeps it.
pn_ensure_key_platform() {
  local slug=$1 name=$2 pub=$3 script=${4:-} pem code body current
  pem=$(cat "$pub")
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $POWERNODE_TOKEN" \
    "$POWERNODE_API_URL/api/v1/system/node_platforms/$slug")
  if [[ "$code" == 404 ]]; then
    body=$(jq -n --arg slug "$slug" --arg name "$name" --arg pem "$pem" \
      --arg script "$([[ -n "$script" ]] && cat "$script")" \
      '{slug: $slug, name: $name, cosign_public_keys: [$pem]} + (if $script == "" then {} else {build_script: $script} end)')
    pn_api POST /api/v1/system/node_platforms "$body" >/dev/null
    pn_log "created platform '$slug' trusting $pub"
    return 0
  fi
  [[ "$code" == 200 ]] || pn_die "GET platform $slug: HTTP $code"
  current=$(pn_api GET "/api/v1/system/node_platforms/$slug")
  local keys
  keys=$(jq -c '.cosign_public_keys // []' <<<"$current")
  if ! jq -e --arg pem "$pem" 'map(gsub("\\s"; "")) | index($pem | gsub("\\s"; "")) != null' <<<"$keys" >/dev/null; then
    body=$(jq -nc --argjson keys "$keys" --arg pem "$pem" '{cosign_public_keys: ($keys + [$pem])}')
    pn_api PATCH "/api/v1/system/node_platforms/$slug" "$body" >/dev/null
    pn_log "platform '$slug' now also trusts $pub"
  fi
  if [[ -n "$script" ]] && jq -e '(.build_script // "") == ""' <<<"$current" >/dev/null; then
    pn_api PATCH "/api/v1/system/node_platforms/$slug" "$(jq -nc --arg s "$(cat "$script")" '{build_script: $s}')" >/dev/null
    pn_log "platform '$slug' now has the build_script of $script"
  fi
}

# pn_provision_webhook LABEL SECRET_FILE: provisions (or rotates) the pipeline's webhook; writes its
# one-time secret to SECRET_FILE (0600) and prints its URL.
pn_provision_webhook() {
  local label=$1 secret_file=$2 w
  w=$(pn_api POST /api/v1/system/disk_image_webhooks "$(jq -nc --arg l "$label" '{label: $l}')")
  (umask 077 && jq -r .webhook_secret <<<"$w" >"$secret_file")
  jq -r .webhook_url <<<"$w"
}

# pn_git_sha: the checkout's commit, or a fixed placeholder outside a git checkout (publish needs hex)
pn_git_sha() {
  git -C "$PN_ROOT" rev-parse HEAD 2>/dev/null || echo 0000000000000000000000000000000000000000
}
