#!/usr/bin/python3
"""Seals composefs objects with fs-verity offline, for an ext4 made by mkfs.ext4 -d.

The build host cannot enable fs-verity (its kernel may lack it, and mkfs.ext4 -d has no option
for it), and enabling it on the node's first boot means hashing every object there (minutes
under emulation). So this writes what FS_IOC_ENABLE_VERITY would write: ext4 keeps a verity
file's Merkle tree past the end of its data, from the first 64 KiB boundary, then the
fs-verity descriptor from the next block boundary, then the descriptor's size as a
little-endian u32 in the last 4 bytes of the last block (fs/ext4/verity.c). Each object is
rewritten as data + tree + descriptor (zeros left as holes), and a debugfs command file sets its
i_size back to the data size and its inode flags to EXTENTS|VERITY.

The Merkle tree and descriptor follow Documentation/filesystems/fsverity.rst (SHA-256, 4 KiB
blocks, no salt, as mkcomposefs computes them). Every object's fs-verity digest is checked
against its name (mkcomposefs names objects XX/62hex by that digest), so a wrong tree cannot
reach a disk: the build fails instead.

usage: verity-seal.py OBJECTS_DIR FS_PREFIX DEBUGFS_COMMANDS_OUT
  FS_PREFIX: where OBJECTS_DIR will be in the ext4 (e.g. /powernode/objects)
"""
import hashlib
import os
import struct
import sys

BLOCK = 4096
HASH = 32
EXT4_EXTENTS_FL = 0x00080000
EXT4_VERITY_FL = 0x00100000


def merkle_tree(data):
    """The tree's levels, root level first (the kernel's on-disk order), and the root hash."""
    if not data:
        return [], bytes(HASH)
    if len(data) <= BLOCK:
        # one data block: no tree, the root hash is that block's hash
        return [], hashlib.sha256(data.ljust(BLOCK, b"\0")).digest()
    level = data
    levels = []
    while True:
        hashes = b"".join(
            hashlib.sha256(level[i:i + BLOCK].ljust(BLOCK, b"\0")).digest()
            for i in range(0, len(level), BLOCK))
        if len(hashes) % BLOCK:
            hashes += bytes(BLOCK - len(hashes) % BLOCK)
        levels.append(hashes)
        if len(hashes) == BLOCK:
            return list(reversed(levels)), hashlib.sha256(hashes).digest()
        level = hashes


def descriptor(size, root):
    # struct fsverity_descriptor: version, hash_algorithm (1 = SHA-256), log_blocksize,
    # salt_size, sig_size (le32), data_size (le64), root_hash[64], salt[32], reserved[144]
    return struct.pack("<BBBBIQ64s32s144s", 1, 1, 12, 0, 0, size, root, b"", b"")


def round_up(n, to):
    return (n + to - 1) // to * to


def seal(path):
    with open(path, "rb") as f:
        data = f.read()
    levels, root = merkle_tree(data)
    desc = descriptor(len(data), root)
    digest = hashlib.sha256(desc).hexdigest()
    tree_pos = round_up(len(data), 65536)
    tree = b"".join(levels)
    desc_pos = round_up(tree_pos + len(tree), BLOCK)
    size_pos = round_up(desc_pos + len(desc) + 4, BLOCK) - 4
    tmp = path + ".seal"
    with open(tmp, "wb") as f:
        f.write(data)
        f.seek(tree_pos)
        f.write(tree)
        f.seek(desc_pos)
        f.write(desc)
        f.seek(size_pos)
        f.write(struct.pack("<I", len(desc)))
    st = os.stat(path)
    os.chmod(tmp, st.st_mode & 0o7777)
    os.chown(tmp, st.st_uid, st.st_gid)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    # a new inode: the unsealed file may be a hard link shared with the build's object store
    os.replace(tmp, path)
    return digest, len(data)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[-1])
    objects, prefix, out = sys.argv[1:]
    commands = []
    count = 0
    for d in sorted(os.listdir(objects)):
        sub = os.path.join(objects, d)
        if not os.path.isdir(sub) or d.startswith("."):
            continue
        for name in sorted(os.listdir(sub)):
            path = os.path.join(sub, name)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            digest, size = seal(path)
            if digest != d + name:
                sys.exit(f"verity-seal: {path}: fs-verity digest is {digest}, not its name")
            rel = f"{prefix}/{d}/{name}"
            commands.append(f"sif {rel} size {size}")
            commands.append(f"sif {rel} flags 0x{EXT4_EXTENTS_FL | EXT4_VERITY_FL:x}")
            count += 1
    with open(out, "w") as f:
        f.write("\n".join(commands) + "\n")
    print(f"verity-seal: {count} objects sealed")


if __name__ == "__main__":
    main()
