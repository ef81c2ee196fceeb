# shellcheck shell=bash
# Shared helpers for build.sh and the tests: logging, loud failure, stage timing
# and the deterministic values a SOURCE_DATE_EPOCH build needs.

log() { printf '[build %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

die() {
  printf 'build.sh: error: %s\n' "$*" >&2
  exit 1
}

require_tools() {
  local t missing=()
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ "${#missing[@]}" -eq 0 ] || die "missing tools: ${missing[*]} (run buildkit/setup.sh)"
}

# Stage timings go to a TSV in the output directory so the bench numbers in
# reports come from the build itself, not from someone's stopwatch.
STAGE_T0=""
STAGE_NAME=""
stage_begin() {
  STAGE_NAME="$1"
  STAGE_T0="$(date +%s.%N)"
  log "stage $STAGE_NAME"
}
stage_end() {
  local t1 dt
  t1="$(date +%s.%N)"
  dt="$(awk -v a="$STAGE_T0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')"
  log "stage $STAGE_NAME done in ${dt}s"
  printf '%s\t%s\n' "$STAGE_NAME" "$dt" >>"$TIMINGS_FILE"
}

# det_uuid NAME: a UUID derived from SOURCE_DATE_EPOCH and NAME, so that two
# builds with the same epoch get the same GPT and filesystem identities; a
# random one otherwise (unique images when reproducibility is not asked for).
det_uuid() {
  local h
  if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    h="$(printf 'powernode:%s:%s' "$SOURCE_DATE_EPOCH" "$1" | sha256sum | cut -c1-32)"
  else
    h="$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  fi
  # Set the version (4) and variant bits so tools accept it as a valid UUID.
  printf '%s-%s-4%s-%x%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" \
    $(( (0x${h:16:1} & 0x3) | 0x8 )) "${h:17:3}" "${h:20:12}"
}

# det_hex32 NAME: 8 hex digits (FAT volume serial) derived like det_uuid.
det_hex32() {
  det_uuid "$1" | tr -d '-' | cut -c1-8
}

# touch_tree DIR: pin every mtime so archives and filesystems built from DIR
# do not carry the build time.
touch_tree() {
  find "$1" -exec touch -h -d "@$BUILD_EPOCH" {} +
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }
