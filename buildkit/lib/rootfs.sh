# shellcheck shell=bash
# The node's root filesystem from a build_script (format: buildkit/README.md, "build_script").
# A build_script is JSON, versioned by its "format" field; build.sh refuses any other version.

BUILD_SCRIPT_FORMAT=powernode.build-script/v1

# check_build_script FILE: the whole script is checked before anything is built, and every
# problem is named (one line each), so a bad platform setting fails in seconds, not after apt.
check_build_script() {
  local f="$1" problems
  [ -s "$f" ] || die "build_script $f is missing or empty"
  jq -e . "$f" >/dev/null 2>&1 || die "build_script $f is not valid JSON ($(jq . "$f" 2>&1 >/dev/null | head -n1))"
  problems="$(jq -r --arg fmt "$BUILD_SCRIPT_FORMAT" '
    def strs: type == "array" and all(.[]; type == "string");
    if type != "object" then "the script must be a JSON object" else
    [ (if .format != $fmt then "format: must be \"\($fmt)\" (got \(.format | tojson))" else empty end),
      (if (.suite | type) != "string" or (.suite | test("^(trixie|forky|sid|testing|unstable)$") | not)
       then "suite: one of trixie, forky, sid, testing, unstable (the node needs a 6.12+ kernel for composefs)" else empty end),
      (if .variant != null and (.variant | IN("minbase", "required", "important", "standard") | not)
       then "variant: minbase, required, important or standard" else empty end),
      (if (.kernel | type) != "string" or (.kernel | test("^linux-image-[a-z0-9.+-]+$") | not)
       then "kernel: a linux-image-* package name without the arch suffix, e.g. linux-image-cloud" else empty end),
      (if (.packages | strs) | not then "packages: an array of package names"
       else (.packages[] | select(test("^[a-z0-9][a-z0-9+.-]+$") | not) | "packages: not a package name: \(tojson)") end),
      (if .exclude_paths != null and ((.exclude_paths | strs) | not) then "exclude_paths: an array of dpkg path-exclude globs" else empty end),
      (if .files != null and (.files | type) != "array" then "files: an array of {path, mode, content}"
       else (.files // [] | to_entries[] | .key as $i | .value |
         if (.path | type) != "string" or (.path | startswith("/") | not) or (.path | test("(^|/)\\.\\.(/|$)"))
           then "files[\($i)].path: an absolute path without .."
         elif (.content | type) != "string" then "files[\($i)].content: a string"
         elif .mode != null and ((.mode | type) != "string" or (.mode | test("^0?[0-7]{3,4}$") | not))
           then "files[\($i)].mode: an octal string such as \"0644\""
         else empty end) end),
      (if .enable_units != null and ((.enable_units | strs) | not) then "enable_units: an array of unit names" else empty end),
      (if .hooks != null and ((.hooks | strs) | not) then "hooks: an array of shell commands" else empty end),
      (keys - ["format", "suite", "variant", "kernel", "packages", "exclude_paths", "files", "enable_units", "hooks"]
       | .[] | "\(.): unknown field")
    ] | .[] end' "$f")"
  if [ -n "$problems" ]; then
    printf 'build.sh: error: build_script %s is not valid:\n' "$f" >&2
    while IFS= read -r p; do printf '  %s\n' "$p"; done <<<"$problems" >&2
    exit 1
  fi
}

# build_rootfs SCRIPT ROOT APT_CACHE: mmdebstrap of the script's suite, packages and kernel, then
# its files, units and hooks, then what every Powernode root carries (buildkit/root/: the boot
# report unit) and what a composefs root needs (mount points, an empty machine-id).
build_rootfs() {
  local script="$1" root="$2" cache="$3" suite variant kernel pkgs log hooks=() dpkgopts=() p
  suite="$(jq -r .suite "$script")"
  variant="$(jq -r '.variant // "minbase"' "$script")"
  kernel="$(jq -r .kernel "$script")-$ARCH"
  pkgs="$(jq -r --arg k "$kernel" '[$k] + .packages | join(",")' "$script")"
  while IFS= read -r p; do dpkgopts+=(--dpkgopt="path-exclude=$p"); done < <(jq -r '.exclude_paths // [] | .[]' "$script")
  # keep the licences even when docs are excluded
  if [ "${#dpkgopts[@]}" -gt 0 ]; then dpkgopts+=(--dpkgopt='path-include=/usr/share/doc/*/copyright'); fi
  local sources=("deb $MIRROR $suite main") runner=()
  if [ "${OFFLINE:-0}" = 1 ]; then
    # the kept .debs as a flat file mirror, and no network at all: a package the cache lacks is an
    # apt error, never a silent download
    [ -s "$cache/Packages" ] || die "--offline: no package index in $cache (build this suite once online first)"
    sources=("deb [trusted=yes] file://$cache ./")
    hooks=(--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount)
    runner=(unshare --net)
  else
    mapfile -t hooks < <(apt_cache_hooks "$cache")
  fi
  need_binfmt "$ARCH"
  log="$WORK_DIR/mmdebstrap-root.log"
  rm -rf "$root"
  log "root filesystem: mmdebstrap $suite/$ARCH --variant=$variant ($(jq -r '.packages | length' "$script") packages + $kernel; .deb cache $cache${runner:+, offline})"
  if ! "${runner[@]}" mmdebstrap --mode=root --format=directory --variant="$variant" --architectures="$ARCH" \
    --include="$pkgs" "${dpkgopts[@]}" "${hooks[@]}" \
    "$suite" "$root" "${sources[@]}" >"$log" 2>&1; then
    tail -n 25 "$log" >&2
    die "mmdebstrap of the root filesystem failed (log above)"
  fi
  if [ "${OFFLINE:-0}" != 1 ]; then
    # the apt-mirror: an index over the kept .debs, so the next build can run with --offline
    # (the Release names the suite: mmdebstrap picks the essential set by ?archive/?codename)
    (cd "$cache" && apt-ftparchive packages . >Packages 2>/dev/null &&
      apt-ftparchive -o "APT::FTPArchive::Release::Suite=$suite" -o "APT::FTPArchive::Release::Codename=$suite" \
        release . >Release) ||
      die "cannot index the .deb cache $cache"
  fi
  # files, then units, then hooks: a hook may rely on both
  local n i path mode
  n="$(jq '.files // [] | length' "$script")"
  for ((i = 0; i < n; i++)); do
    path="$(jq -r ".files[$i].path" "$script")"
    mode="$(jq -r ".files[$i].mode // \"0644\"" "$script")"
    # written from inside the root: a symlink there (/etc/resolv.conf -> /run/...) resolves in the
    # root, never to the build host's file of that name
    # shellcheck disable=SC2016 # the inner shell's $1 $2
    jq -j ".files[$i].content" "$script" |
      in_root "$root" /bin/sh -ec 'mkdir -p "$(dirname "$1")"; cat >"$1"; chmod "$2" "$1"' sh "$path" "$mode" ||
      die "files[$i]: cannot write $path in the root"
  done
  # the kit's own part of every root: the unit that reports the booted image, and per-node SSH
  # host keys (made on the node's first boot; the ones a package made at build time are removed
  # below, after the hooks)
  cp -a "$KIT_DIR/root/." "$root/"
  in_root "$root" systemctl enable powernode-booted.service powernode-ssh-host-keys.service >/dev/null 2>&1 ||
    die "cannot enable the powernode units in the root"
  while IFS= read -r p; do
    in_root "$root" systemctl enable "$p" >>"$log" 2>&1 || die "enable_units: cannot enable $p (log: $log)"
  done < <(jq -r '.enable_units // [] | .[]' "$script")
  n="$(jq '.hooks // [] | length' "$script")"
  for ((i = 0; i < n; i++)); do
    log "build_script hook $((i + 1))/$n"
    in_root "$root" /bin/sh -ec "$(jq -r ".hooks[$i]" "$script")" >>"$log" 2>&1 ||
      { tail -n 10 "$log" >&2; die "build_script hook $((i + 1)) failed: $(jq -r ".hooks[$i]" "$script")"; }
  done
  # composefs mounts the root read-only: the mount points the initramfs uses must exist in it,
  # and machine-id must be empty so systemd makes a transient one and commits it to /etc on
  # persist (machine-id(5)).
  mkdir -p "$root/persist" "$root/var" "$root/etc"
  : >"$root/etc/machine-id"
  # nothing that must be unique per node may ship in the one image the fleet boots
  rm -f "$root/var/lib/dbus/machine-id" "$root/var/lib/systemd/random-seed" "$root"/etc/ssh/ssh_host_*
  # what was installed, for the record and for pinned rebuilds
  # shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
  in_root "$root" dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\n' | LC_ALL=C sort >"$OUT/packages.tsv"
  # Debian puts the kernel in /boot; a composefs (and bootc) root keeps it with its modules. The
  # initramfs Debian's own hook made for /boot is not used (ours is built by dracut).
  local vmlinuz
  vmlinuz="$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort | tail -n1)"
  [ -n "$vmlinuz" ] || die "the root has no kernel in /boot (is $kernel a kernel package?)"
  ROOT_KVER="${vmlinuz##*/vmlinuz-}"
  mv "$vmlinuz" "$root/usr/lib/modules/$ROOT_KVER/vmlinuz"
  rm -rf "${root:?}/boot/"*
  # apt's lists and caches are not part of an immutable root
  rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/log/"*.log
}
