#!/usr/bin/env bash
# Bench (not a test): signature verification latency of one publication — manifest fetch, signature
# discovery and fetch (legacy .sig and bundle referrers), offline verification; no blob hashing —
# against the real docker-registry on loopback, with signatures from real Sigstore clients (npm
# sigstore through @sigstore/mock). Prints p50/p99/max per signature form.
# Target (issue 4): p99 < 100 ms.
# usage: bench/verify-latency.sh [RUNS=200]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"

runs=${1:-200}
pn_ensure_base_tools
pn_ensure_packages docker-registry:docker-registry
"$PN_ROOT/testkit/sigstore/install.sh"
cd "$PN_ROOT"
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
./mvnw -q -B -pl common,testkit,cli test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" 
# the last module (cli) writes the file last; reactor modules resolve to their target/classes
cp="cli/target/test-classes:cli/target/classes:$(cat "$cp_file")"
java -cp "$cp" dev.powernode.cli.bench.VerifyLatencyBench "$runs"
