#!/usr/bin/env bash
# Runs the default test suite (what .ci/run calls): installs what is missing, starts PostgreSQL,
# creates a throwaway database for this run and drops it afterwards, then ./mvnw verify
# (formatting check, unit and integration tests, module-boundary test).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

usage() {
  cat <<USAGE
usage: scripts/test.sh [--slow] [-- MAVEN_ARGS...]
  --slow   also run the slow suites (full QEMU boot matrix, long benchmarks) once they exist
  MAVEN_ARGS are passed to ./mvnw, e.g. -- -Dtest=PublicationApiTest -Dsurefire.failIfNoSpecifiedTests=false
USAGE
}

slow=0
extra=()
while (($#)); do
  case "$1" in
    --slow) slow=1 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

pn_ensure_base_tools
# The testkit runs the real registry binary as a child process per test class; the package's own
# system service is neither needed nor used.
pn_ensure_packages docker-registry:docker-registry
pn_ensure_postgres

user=powernode_test
password=powernode_test
db="powernode_test_$(date +%s)_$$"
pn_ensure_role "$user" "$password"
pn_ensure_database "$db" "$user"
trap 'pn_drop_database "$db"' EXIT
pn_log "test database: $db (dropped when the run ends)"

profile_args=()
((slow)) && profile_args+=(-Dpowernode.slow=true)

cd "$PN_ROOT"
scripts/lint-workflows.sh
./mvnw -B verify \
  -Dpowernode.test.db.url="jdbc:postgresql://127.0.0.1:5432/$db" \
  -Dpowernode.test.db.user="$user" \
  -Dpowernode.test.db.password="$password" \
  "${profile_args[@]}" "${extra[@]}"
