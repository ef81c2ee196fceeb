# shellcheck shell=bash
# composefs-STYLE blob. Bookworm has no composefs tools (mkcomposefs), so this
# is built the way composefs lays things out, and named as such, not as
# composefs: an EROFS image that holds only metadata, whose regular files
# carry overlayfs redirect/metacopy xattrs pointing into a content-addressed
# object directory (objects/<2 hex>/<62 hex>, named by sha256). The file data
# lives only in the object directory; mounting it needs overlayfs with the
# object directory as data-only lower layer, as composefs does.

# build_composefs_style ERofs_OUT OBJECTS_DIR OBJECTS_TAR SRC_TREE
build_composefs_style() {
  local erofs="$1" objects="$2" objects_tar="$3" src="$4" meta f rel digest size
  [ "$(id -u)" = 0 ] || die "the composefs-style blob needs root (trusted.* xattrs); skip it with --family"
  meta="$WORK_DIR/cfs-meta"
  rm -rf "$meta" "$objects"
  mkdir -p "$meta" "$objects"
  # Copy the tree's shape (dirs, symlinks, modes); regular files are replaced
  # by sparse placeholders of the same size below.
  (cd "$src" && find . -type d -print0) | (cd "$meta" && xargs -0 mkdir -p)
  while IFS= read -r -d '' f; do
    rel="${f#./}"
    if [ -L "$src/$rel" ]; then
      ln -s "$(readlink "$src/$rel")" "$meta/$rel"
    elif [ -f "$src/$rel" ]; then
      digest="$(sha256_of "$src/$rel")"
      size="$(size_of "$src/$rel")"
      mkdir -p "$objects/${digest:0:2}"
      cp "$src/$rel" "$objects/${digest:0:2}/${digest:2}"
      # A sparse file of the real size: with --chunksize mkfs.erofs records its
      # chunks as holes, so the image stays metadata-only.
      truncate -s "$size" "$meta/$rel"
      chmod --reference="$src/$rel" "$meta/$rel"
      setfattr -n trusted.overlay.redirect -v "/${digest:0:2}/${digest:2}" "$meta/$rel"
      setfattr -n trusted.overlay.metacopy -v "" "$meta/$rel"
    fi
  done < <(cd "$src" && find . ! -type d -print0 | LC_ALL=C sort -z)
  (cd "$src" && find . -type d -print0) | while IFS= read -r -d '' f; do
    chmod --reference="$src/$f" "$meta/$f"
  done
  touch_tree "$meta"
  touch_tree "$objects"
  rm -f "$erofs"
  mkfs.erofs --quiet --chunksize=4096 -T "$BUILD_EPOCH" -U "$(det_uuid composefs-erofs)" \
    --all-root "$erofs" "$meta" >/dev/null
  det_tar "$objects" "$objects_tar"
}
