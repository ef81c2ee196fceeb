# shellcheck shell=bash
# OCI image layout (bootc-like): the boot payload as image layers, so the
# artifacts can travel through any OCI registry next to the disk images. Built
# by hand (no container tooling needed); skopeo is only used by the tests.

# det_tar SRC_DIR OUT_TAR: tar whose bytes depend only on the content.
det_tar() {
  tar --sort=name --mtime="@$BUILD_EPOCH" --owner=0 --group=0 --numeric-owner \
    --format=gnu -C "$1" -cf "$2" .
}

# oci_blob LAYOUT FILE MEDIATYPE: stores FILE as a blob, prints its descriptor.
oci_blob() {
  local layout="$1" file="$2" mt="$3" d
  d="$(sha256_of "$file")"
  cp "$file" "$layout/blobs/sha256/$d"
  jq -cn --arg mt "$mt" --arg d "sha256:$d" --argjson s "$(size_of "$file")" \
    '{mediaType: $mt, digest: $d, size: $s}'
}

# oci_finish LAYOUT OUT_TAR WORK LAYERS_JSON CREATED: WORK/config.json as the config blob, the
# manifest over it and LAYERS_JSON (a JSON array of layer descriptors), the index tagged latest,
# then the whole layout as one deterministic tar (for manifest.json and publishing; the directory
# stays for skopeo).
oci_finish() {
  local layout="$1" tarball="$2" w="$3" layers="$4" created="$5" cfg man
  cfg="$(oci_blob "$layout" "$w/config.json" application/vnd.oci.image.config.v1+json)"
  jq -cn --argjson cfg "$cfg" --argjson layers "$layers" \
    --arg id "$BUILD_ID" --arg sha "$GIT_SHA" --arg created "$created" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: $cfg, layers: $layers,
      annotations: {"org.opencontainers.image.revision": $sha,
                    "org.opencontainers.image.version": $id,
                    "org.opencontainers.image.created": $created}}' >"$w/manifest.json"
  man="$(oci_blob "$layout" "$w/manifest.json" application/vnd.oci.image.manifest.v1+json)"
  jq -cn --argjson m "$man" --arg arch "$ARCH" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [$m + {platform: {architecture: $arch, os: "linux"},
                        annotations: {"org.opencontainers.image.ref.name": "latest"}}]}' >"$layout/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}\n' >"$layout/oci-layout"
  touch_tree "$layout"
  det_tar "$layout" "$tarball"
}

# build_oci OUT_DIR OUT_TAR UKI KERNEL INITRD KVER
build_oci() {
  local layout="$1" tarball="$2" uki="$3" kernel="$4" initrd="$5" kver="$6"
  local w="$WORK_DIR/oci" l1 l2 diff1 diff2 created
  rm -rf "$layout" "$w"
  mkdir -p "$layout/blobs/sha256" "$w/kernel/usr/lib/modules/$kver" "$w/uki/boot/EFI/Linux"
  # Layer 1 mirrors where bootc images keep kernel and initramfs; layer 2 is
  # the UKI where systemd-boot looks for Type #2 entries.
  cp "$kernel" "$w/kernel/usr/lib/modules/$kver/vmlinuz"
  cp "$initrd" "$w/kernel/usr/lib/modules/$kver/initramfs.img"
  cp "$uki" "$w/uki/boot/EFI/Linux/powernode-$ARCH.efi"
  touch_tree "$w/kernel"
  touch_tree "$w/uki"
  det_tar "$w/kernel" "$w/l1.tar"
  det_tar "$w/uki" "$w/l2.tar"
  diff1="sha256:$(sha256_of "$w/l1.tar")"
  diff2="sha256:$(sha256_of "$w/l2.tar")"
  gzip -n -c "$w/l1.tar" >"$w/l1.tar.gz"
  gzip -n -c "$w/l2.tar" >"$w/l2.tar.gz"
  l1="$(oci_blob "$layout" "$w/l1.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)"
  l2="$(oci_blob "$layout" "$w/l2.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)"
  created="$(date -u -d "@$BUILD_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
  jq -cn --arg arch "$ARCH" --arg created "$created" --arg d1 "$diff1" --arg d2 "$diff2" \
    --arg kver "$kver" --arg id "$BUILD_ID" --arg sha "$GIT_SHA" \
    '{architecture: $arch, os: "linux", created: $created,
      config: {Labels: {"org.powernode.build-id": $id, "org.powernode.kernel-version": $kver,
                        "org.opencontainers.image.revision": $sha, "containers.bootc": "1"}},
      rootfs: {type: "layers", diff_ids: [$d1, $d2]},
      history: [{created: $created, created_by: "buildkit: kernel + initramfs"},
                {created: $created, created_by: "buildkit: UKI"}]}' >"$w/config.json"
  oci_finish "$layout" "$tarball" "$w" "[$l1,$l2]" "$created"
}

# build_oci_system OUT_DIR OUT_TAR ROOT KVER: the real system as a bootc-style image: one layer with
# the whole root (kernel and initramfs under /usr/lib/modules/<kver>/), ownership and xattrs
# kept, zstd-compressed; label containers.bootc=1.
build_oci_system() {
  local layout="$1" tarball="$2" root="$3" kver="$4" w="$WORK_DIR/oci" diff layer created
  rm -rf "$layout" "$w"
  mkdir -p "$layout/blobs/sha256" "$w"
  oci_root_layer "$root" "$w/root.tar"
  diff="sha256:$(sha256_of "$w/root.tar")"
  zstd -q -T0 -10 --no-progress -o "$w/root.tar.zst" "$w/root.tar"
  rm -f "$w/root.tar"
  layer="$(oci_blob "$layout" "$w/root.tar.zst" application/vnd.oci.image.layer.v1.tar+zstd)"
  created="$(date -u -d "@$BUILD_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
  jq -cn --arg arch "$ARCH" --arg created "$created" --arg d "$diff" \
    --arg kver "$kver" --arg id "$BUILD_ID" --arg sha "$GIT_SHA" --arg img "sha256:$IMAGE_DIGEST" \
    '{architecture: $arch, os: "linux", created: $created,
      config: {Labels: {"org.powernode.build-id": $id, "org.powernode.kernel-version": $kver,
                        "org.powernode.composefs-image": $img,
                        "org.opencontainers.image.revision": $sha, "containers.bootc": "1"}},
      rootfs: {type: "layers", diff_ids: [$d]},
      history: [{created: $created, created_by: "buildkit: root filesystem from the build_script"}]}' >"$w/config.json"
  oci_finish "$layout" "$tarball" "$w" "[$layer]" "$created"
}
