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
       then "suite: one of trixie, forky, sid, testing, unstable (composefs needs a 6.6+ kernel: overlayfs data-only layers and verity=; bookworm has 6.1)" else empty end),
      (if .variant != null and (.variant | IN("minbase", "required", "important", "standard") | not)
       then "variant: minbase, required, important or standard" else empty end),
      (if (.kernel | type) != "string" or (.kernel | test("^linux-image(-[a-z0-9.+-]+)?$") | not)
       then "kernel: linux-image (generic) or linux-image-<flavour> without the arch suffix, e.g. linux-image-cloud" else empty end),
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
      (if .enable_units != null and ((.enable_units | strs) | not) then "enable_units: an array of unit names"
       else (.enable_units // [] | .[] | select(test("^[A-Za-z0-9][A-Za-z0-9@._:-]*\\.(service|socket|timer|path|target|mount)$") | not)
         | "enable_units: not a unit name: \(tojson)") end),
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
  if [ "${#dpkgopts[@]}" -gt 0 ]; then
    dpkgopts+=(--dpkgopt='path-include=/usr/share/doc/*/copyright')
    # with the man pages excluded, update-alternatives fails on a slave link into a missing
    # /usr/share/man/manN (openjdk's postinst: "error creating symbolic link …java.1.gz.dpkg-tmp")
    # shellcheck disable=SC2016 # $1 is mmdebstrap's hook argument (the root), not ours
    dpkgopts+=(--essential-hook='mkdir -p "$1/usr/share/man/man1" "$1/usr/share/man/man5" "$1/usr/share/man/man8"')
  fi
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
  # in the output directory: the work directory goes when the build ends, failed or not
  log="$OUT/rootfs.log"
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
  # root-owned whatever owns the checkout, and existing directories keep their owner and mode
  tar -C "$KIT_DIR/root" --owner=0 --group=0 --numeric-owner -cf - . |
    tar -C "$root" -xf - --no-overwrite-dir --no-same-permissions --same-owner
  in_root "$root" systemctl enable powernode-booted.service powernode-ssh-host-keys.service >/dev/null 2>&1 ||
    die "cannot enable the powernode units in the root"
  # the node agent (build.sh --agent-jar): the jar, a Java runtime and its config must all be there
  local has_config=0
  [ ! -f "$root/usr/lib/powernode/agent.json" ] || has_config=1
  if [ -n "${AGENT_JAR:-}" ]; then
    [ "$has_config" = 1 ] ||
      die "--agent-jar: the build_script has no /usr/lib/powernode/agent.json (files); the agent needs its signer policy (docs/cli.md)"
    in_root "$root" sh -c 'command -v java && command -v fsverity' >/dev/null 2>&1 ||
      die "--agent-jar: the build_script's packages must bring java and fsverity (e.g. openjdk-21-jre-headless, fsverity)"
    install -m 0644 "$AGENT_JAR" "$root/usr/lib/powernode/powernode.jar"
    in_root "$root" systemctl enable powernode-agent.service >/dev/null 2>&1 ||
      die "cannot enable powernode-agent.service in the root"
  elif [ "$has_config" = 1 ]; then
    die "the build_script writes /usr/lib/powernode/agent.json but build.sh got no --agent-jar"
  fi
  while IFS= read -r p; do
    in_root "$root" systemctl enable -- "$p" >>"$log" 2>&1 ||
      { tail -n 5 "$log" >&2; die "enable_units: cannot enable $p"; }
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
  # After the hooks, inside the root (so a symlink a hook left resolves there, not on the host):
  # - the mount points the initramfs uses must exist in a read-only root;
  # - machine-id empty: systemd makes a transient one and commits it to /etc on persist
  #   (machine-id(5));
  # - nothing that must be unique per node ships in the one image the fleet boots (SSH host keys
  #   come from powernode-ssh-host-keys.service on the node's first boot);
  # - the kernel moves next to its modules (Debian puts it in /boot; a composefs and bootc root
  #   keeps it in /usr/lib/modules/<kver>/), and Debian's own /boot initramfs goes (ours is dracut's);
  # - apt's lists and caches and build logs are not part of an immutable root.
  # shellcheck disable=SC2016,SC2034 # the inner shell's script; ROOT_KVER is read by lib/system.sh
  ROOT_KVER="$(in_root "$root" /bin/sh -ec '
    mkdir -p /persist /var /etc /efi
    : >/etc/machine-id
    rm -f /var/lib/dbus/machine-id /var/lib/systemd/random-seed /etc/ssh/ssh_host_*
    v="$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort | tail -n 1)"
    [ -n "$v" ] || { echo "no kernel in /boot" >&2; exit 1; }
    k="${v#/boot/vmlinuz-}"
    mv "$v" "/usr/lib/modules/$k/vmlinuz"
    find /boot -mindepth 1 -delete
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log
    echo "$k"')" || die "the root has no kernel in /boot (is $kernel a kernel package?)"
  # what was installed, for the record and for pinned rebuilds
  # shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
  in_root "$root" dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\n' | LC_ALL=C sort >"$OUT/packages.tsv"
}
