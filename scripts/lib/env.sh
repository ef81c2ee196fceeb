#!/usr/bin/env bash
# Shared setup for scripts/run.sh and scripts/test.sh: install what a fresh Debian 12 machine lacks
# and make sure PostgreSQL is running on 127.0.0.1:5432. Sourced, not executed.

PN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PN_ROOT

pn_log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
pn_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

pn_as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

pn_as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# pn_ensure_packages CMD:PACKAGE ...: apt-get install the packages whose command is missing.
pn_ensure_packages() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  if ((${#missing[@]})); then
    pn_log "installing ${missing[*]}"
    pn_as_root apt-get update -qq
    # packages such as docker-registry would start a system service listening on all interfaces;
    # we start what we need ourselves, on 127.0.0.1, so keep invoke-rc.d from starting anything
    local guard=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' | pn_as_root tee /usr/sbin/policy-rc.d >/dev/null
      pn_as_root chmod +x /usr/sbin/policy-rc.d
      guard=1
    fi
    DEBIAN_FRONTEND=noninteractive pn_as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    # an if, not `((guard)) && rm`: as the last command that list returns 1 when guard is 0, and
    # under set -e the caller dies without a word (a machine that ships its own policy-rc.d)
    if ((guard)); then
      pn_as_root rm -f /usr/sbin/policy-rc.d
    fi
  fi
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

pn_build() {
  pn_log "building (./mvnw package, tests skipped)"
  (cd "$PN_ROOT" && ./mvnw -B -q -DskipTests package)
}
