#!/usr/bin/env bash
# Shared setup for scripts/run.sh and scripts/test.sh: install what a fresh Debian 12 machine lacks
# and make sure PostgreSQL is running on 127.0.0.1:5432. Sourced, not executed.

PN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PN_ROOT
# shellcheck source=scripts/lib/errtrap.sh
source "$PN_ROOT/scripts/lib/errtrap.sh"

pn_log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
pn_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

pn_as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

pn_as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# pn_ensure_packages CMD:PACKAGE ...: apt-get install the packages whose command is missing.
# Packages such as docker-registry start a system service listening on all interfaces when
# installed; we start what we need ourselves, on 127.0.0.1, so a policy-rc.d that denies every
# start is in place during the install: ours (removed afterwards), or the machine's own (Debian
# container images ship one; left as it is). PN_POLICY_RC_D moves it for the tests.
pn_ensure_packages() {
  local missing=() pair policy=${PN_POLICY_RC_D:-/usr/sbin/policy-rc.d}
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  if ((${#missing[@]} == 0)); then return 0; fi
  pn_log "installing ${missing[*]}"
  pn_as_root apt-get update -qq
  local ours=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | pn_as_root tee "$policy" >/dev/null
    pn_as_root chmod +x "$policy"
    ours=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive pn_as_root apt-get install -y -qq "${missing[@]}" >/dev/null || rc=$?
  # an if, not `((ours)) && rm`: as the last command, that list returns 1 when ours is 0, and
  # under set -e the caller died without a word on every machine that ships its own policy-rc.d
  if ((ours)); then
    pn_as_root rm -f "$policy"
  fi
  if ((rc)); then
    pn_die "apt-get install ${missing[*]} failed (exit $rc)"
  fi
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || pn_die "installed ${pair#*:}, but there is still no ${pair%%:*} on PATH"
  done
  return 0
}

pn_ensure_base_tools() {
  pn_ensure_packages java:openjdk-17-jdk-headless curl:curl unzip:unzip psql:postgresql-client
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [[ "${major:-0}" -ge 17 ]] || pn_die "Java 17 or newer is required (found ${major:-none})"
}

# Starts the machine's PostgreSQL cluster if nothing answers on 127.0.0.1:5432.
pn_ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    return 0
  fi
  if ! command -v pg_lsclusters >/dev/null 2>&1 || [[ -z "$(pg_lsclusters -h 2>/dev/null)" ]]; then
    pn_log "installing PostgreSQL"
    pn_as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive pn_as_root apt-get install -y -qq postgresql >/dev/null
  fi
  local ver cluster
  read -r ver cluster _ < <(pg_lsclusters -h | head -n1)
  pn_log "starting PostgreSQL $ver/$cluster"
  pn_as_root pg_ctlcluster "$ver" "$cluster" start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return 0
    sleep 1
  done
  pn_die "PostgreSQL did not start on 127.0.0.1:5432 (see /var/log/postgresql/)"
}

# pn_ensure_role USER PASSWORD: a login role (created, or its password reset) that may create databases.
pn_ensure_role() {
  local user=$1 password=$2
  pn_as_postgres psql -qAtX -v ON_ERROR_STOP=1 -v user="$user" -v pw="$password" <<'SQL' >/dev/null
select format('create role %I login createdb password %L', :'user', :'pw')
where not exists (select 1 from pg_roles where rolname = :'user') \gexec
select format('alter role %I login createdb password %L', :'user', :'pw') \gexec
SQL
}

# pn_ensure_database NAME OWNER
pn_ensure_database() {
  local db=$1 owner=$2
  pn_as_postgres psql -qAtX -v ON_ERROR_STOP=1 -v db="$db" -v owner="$owner" <<'SQL' >/dev/null
select format('create database %I owner %I', :'db', :'owner')
where not exists (select 1 from pg_database where datname = :'db') \gexec
SQL
}

# pn_drop_database NAME
pn_drop_database() {
  pn_as_postgres psql -qAtX -v db="$1" -c 'select 1' >/dev/null 2>&1 || return 0
  pn_as_postgres psql -qAtX -v ON_ERROR_STOP=1 -v db="$1" <<'SQL' >/dev/null
select format('drop database if exists %I with (force)', :'db') \gexec
SQL
}

# pn_npm_ci DIR WHAT: installs DIR's node packages exactly as its package-lock.json pins them
# (`npm ci`), once: a copy of the installed lock in node_modules makes the next call a no-op.
pn_npm_ci() {
  local dir=$1 what=$2
  local stamp="$dir/node_modules/.installed-package-lock.json"
  if cmp -s "$dir/package-lock.json" "$stamp"; then return 0; fi
  pn_ensure_packages node:nodejs npm:npm
  pn_log "installing $what (${dir#"$PN_ROOT"/})"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$dir/package-lock.json" "$stamp"
}

pn_build() {
  pn_log "building (./mvnw package, tests skipped)"
  (cd "$PN_ROOT" && ./mvnw -B -q -DskipTests package)
}
