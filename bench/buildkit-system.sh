#!/usr/bin/env bash
# Bench (not a test): the real-system build of the demo build_script, per stage, cold and warm,
# the sizes of what it makes, and the boot of each family to multi-user under QEMU TCG, one at a
# time (the tests run two at once, so their times are not bench numbers).
#   cold: a fresh cache directory: the build environment is made and every .deb downloaded
#   warm: the same cache again: build environment cached, .debs from the apt cache
# Targets (issue 13): warm rebuild of all amd64 families < 3 min; UEFI disk < 400 MiB; boot to
# multi-user < 90 s (TCG).
# usage: bench/buildkit-system.sh [--no-cold] [--no-boots] [ARCH=amd64]
set -euo pipefail
export LC_ALL=C
# shellcheck source=SCRIPTDIR/../scripts/lib/env.sh disable=SC1091 # followed with shellcheck -x
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/env.sh"

cold=1 boots=1
while (($#)); do
  case "$1" in
    --no-cold) cold=0 ;;
    --no-boots) boots=0 ;;
    -*) pn_die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
arch=${1:-amd64}
[[ $(id -u) -eq 0 ]] || pn_die "run as root (the build uses mmdebstrap --mode=root)"
kit="$PN_ROOT/buildkit"
base=$(mktemp -d "${TMPDIR:-/tmp}/powernode-bench-system.XXXXXX")
trap 'rm -rf "$base"' EXIT
script="$kit/examples/demo.build-script.json"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# run LABEL CACHE OUT: one build, its total time and timings.tsv on one line
run() {
  local label=$1 cache=$2 out=$3 t0 t1
  rm -rf "$out"
  t0=$(date +%s.%N)
  POWERNODE_BUILDKIT_CACHE="$cache" "$kit/build.sh" --arch "$arch" --build-script "$script" --out "$out" 2>"$out.log" ||
    { tail -n 20 "$out.log" >&2; pn_die "$label build failed"; }
  t1=$(date +%s.%N)
  printf '%-5s total %6.1f s  stages: %s\n' "$label" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
    "$(awk -F'\t' '{printf "%s=%s ", $1, $2}' "$out/timings.tsv")"
}

if ((cold)); then
  run cold "$base/cache" "$base/cold"
  run warm "$base/cache" "$base/warm"
else
  # warm on the kit's own cache (what a developer's second build sees)
  run warm "${POWERNODE_BUILDKIT_CACHE:-$kit/.cache}" "$base/warm"
  run warm2 "${POWERNODE_BUILDKIT_CACHE:-$kit/.cache}" "$base/warm"
fi
out="$base/warm"
echo "sizes (MiB, file size; the raw disk is sparse on disk):"
for f in "$out"/powernode-"$arch".{img,qcow2,iso,efi,oci.tar,composefs.erofs,composefs-objects.tar,netboot.ext4} "$out"/initramfs{,-net}.cpio.zst "$out/kernel"; do
  if [[ -f "$f" ]]; then printf '  %-36s %8.1f\n' "${f##*/}" "$(awk -v s="$(stat -c %s "$f")" 'BEGIN{print s/1048576}')"; fi
done
echo "  root: $(wc -l <"$out/packages.tsv") packages, $(tar -tf "$out/powernode-$arch.composefs-objects.tar" | grep -vc '/$') objects"

if ((boots)); then
  echo "boots to multi-user, one at a time (TCG):"
  for b in disk kernel qcow2 iso-cd ipxe-efi; do
    POWERNODE_BUILDKIT_CACHE="${POWERNODE_BUILDKIT_CACHE:-$kit/.cache}" "$kit/tests/system-test.sh" --only "$b" "$out" |
      grep -E '^PASS  boot|^FAIL' | sed 's/^/  1 vCPU: /' || true
  done
  # a node has more than one core: the same disk boots with two vCPUs (MTTCG, one host thread each)
  POWERNODE_TEST_SMP=2 POWERNODE_BUILDKIT_CACHE="${POWERNODE_BUILDKIT_CACHE:-$kit/.cache}" \
    "$kit/tests/system-test.sh" --only disk "$out" | grep -E '^PASS  boot|^FAIL' | sed 's/^/  2 vCPUs: /' || true
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
