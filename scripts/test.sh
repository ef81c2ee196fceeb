#!/usr/bin/env bash
# Runs the default test suite (what .ci/run calls): installs what is missing, starts PostgreSQL,
# creates a throwaway database for this run and drops it afterwards, then ./mvnw verify
# (formatting check, unit and integration tests, module-boundary test).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

usage() {
  cat <<USAGE
usage: scripts/test.sh [--slow] [--no-buildkit] [-- MAVEN_ARGS...]
  --slow          also the dracut fixture build and its QEMU boot matrix, the arm64 real system
                  (built under qemu-user-static, its UEFI disk booted under AAVMF) and an offline
                  rebuild of the amd64 system from the kept .debs, and the node loop under QEMU
                  (scripts/node-loop.sh: agent, boot counting, fallback, auto-rollback), and the
                  workflow's arm64 job (scripts/workflow-run.sh --job build-arm64-uefi)
  --no-buildkit   skip the build kit's builds and boots (Java suites only)
  MAVEN_ARGS are passed to ./mvnw, e.g. -- -Dtest=PublicationApiTest -Dsurefire.failIfNoSpecifiedTests=false
USAGE
}

slow=0
buildkit=1
extra=()
while (($#)); do
  case "$1" in
    --slow) slow=1 ;;
    --no-buildkit) buildkit=0 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

pn_ensure_base_tools
# the scripts first: shellcheck over every one, and the install path as a fresh machine meets it
scripts/lint-shell.sh
scripts/tests/env-test.sh
# The testkit runs the real registry binary as a child process per test class; the package's own
# system service is neither needed nor used.
pn_ensure_packages docker-registry:docker-registry sgdisk:gdisk mcopy:mtools qemu-img:qemu-utils mkfs.ext4:e2fsprogs
pn_ensure_postgres

user=powernode_test
password=powernode_test
db="powernode_test_$(date +%s)_$$"
pn_ensure_role "$user" "$password"
pn_ensure_database "$db" "$user"
trap 'pn_drop_database "$db"' EXIT
pn_log "test database: $db (dropped when the run ends)"

# what the run leaves in /tmp is checked at the end: tests delete what they create
tmp_root=${TMPDIR:-/tmp}
tmp_ours() { find "$tmp_root" -mindepth 1 -maxdepth 1 \( -name 'powernode-*' -o -name 'tomcat.*' -o -name 'tomcat-docbase.*' \) | sort; }
tmp_before=$(tmp_ours)

profile_args=()
if ((slow)); then profile_args+=(-Dpowernode.slow=true); fi

cd "$PN_ROOT"
if ((buildkit)); then
  # the build kit: its tools (apt, cached .debs), then builds and QEMU boots of both arches with the
  # minimal initramfs (about 3 minutes), then the amd64 real system from the demo build_script
  # booted to multi-user (about 8 minutes); --slow adds the dracut fixture matrix and arm64's system
  setup_args=(--arch amd64 --arch arm64)
  kit_args=()
  if ((slow)); then setup_args+=(--dracut); kit_args+=(--dracut --system-arm64 --system-offline); fi
  pn_as_root "$PN_ROOT/buildkit/setup.sh" "${setup_args[@]}"
  "$PN_ROOT/buildkit/tests/all.sh" "${kit_args[@]}"
fi
scripts/lint-workflows.sh
testkit/sigstore/install.sh
testkit/gitea/install.sh
testkit/mcp-inspector/install.sh
# the web UI tests drive Debian's Chromium through Debian's chromedriver (WebUiTest)
pn_ensure_packages chromium:chromium chromedriver:chromium-driver
./mvnw -B verify \
  -Dpowernode.test.db.url="jdbc:postgresql://127.0.0.1:5432/$db" \
  -Dpowernode.test.db.user="$user" \
  -Dpowernode.test.db.password="$password" \
  "${profile_args[@]}" "${extra[@]}"
# the whole loop (build -> publish -> ingest -> promote -> rollback -> retention) on the jars just
# built, the real registry binary and its own throwaway database; the kit's amd64 build is the first
if ((buildkit)); then scripts/e2e.sh --no-build --first-build "${POWERNODE_TEST_OUT:-buildkit/out/test}/amd64"; fi
# the build repository's workflow, run: its amd64 job's steps as a host-mode runner would run them,
# from a clone of this commit to a published, current image on a platform jar and a registry
if ((buildkit)); then pn_as_root scripts/workflow-run.sh --no-build; fi
# the node side end to end: a VM's agent follows v1 -> v2, falls back from a failing v3; and the
# workflow's arm64 job (its system built in emulated arm64 chroots: ~20 minutes)
if ((buildkit && slow)); then
  scripts/node-loop.sh --no-build
  pn_as_root scripts/workflow-run.sh --no-build --job build-arm64-uefi
fi
leftovers=$(comm -13 <(printf '%s\n' "$tmp_before") <(tmp_ours) | sed '/^$/d')
if [[ -n "$leftovers" ]]; then
  printf '%s\n' "$leftovers" >&2
  pn_die "the test run left the files above in $tmp_root: a test or script does not delete what it creates"
fi
pn_log "the test run left nothing in $tmp_root"
