package dev.powernode.common.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where a built disk keeps {@code identity.cfg}: the file the build kit writes first on the empty
 * BOOT partition (buildkit/lib/disk.sh, {@code write_identity_slot}), {@value #SIZE} bytes that start
 * with {@value #MARKER}. It is found the way firmware would find it (GPT partition 1, an EFI System
 * Partition; FAT32; {@code IDENTITY.CFG} in the root directory; its cluster chain), and
 * {@link #fill} gives the patches that put a node's identity there, padded with newlines to the
 * same size, so the directory and the FAT stay as built.
 */
public record IdentitySlot(List<Extent> extents) {
    public static final int SIZE = 4096;
    public static final String MARKER = "# powernode identity slot: unprovisioned";

    private static final int SECTOR = 512;
    private static final byte[] ESP_TYPE = {
        0x28,
        0x73,
        0x2a,
        (byte) 0xc1,
        0x1f,
        (byte) 0xf8,
        (byte) 0xd2,
        0x11,
        (byte) 0xba,
        0x4b,
        0x00,
        (byte) 0xa0,
        (byte) 0xc9,
        0x3e,
        (byte) 0xc9,
        0x3b
    };
    private static final byte[] SHORT_NAME = "IDENTITYCFG".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_ROOT_CLUSTERS = 4096;

    /** {@code length} bytes of the disk at {@code offset}. */
    public record Extent(long offset, int length) {}

    public IdentitySlot {
        extents = List.copyOf(extents);
    }

    /**
     * Finds the slot of {@code disk}; a {@link DiskFormatException} names what is missing (no GPT,
     * no ESP first, not FAT32, no slot, a slot already written).
     */
    public static IdentitySlot locate(DiskReader disk) {
        DiskFormatException.check(disk.size() >= 34 * SECTOR, "the disk is too small to hold a GPT");
        ByteBuffer gpt = le(disk.read(SECTOR, 92));
        DiskFormatException.check(
                Arrays.equals(Arrays.copyOf(gpt.array(), 8), "EFI PART".getBytes(StandardCharsets.US_ASCII)),
                "no GPT header at LBA 1: not a disk built by the Powernode build kit");
        long entriesLba = gpt.getLong(72);
        int entrySize = gpt.getInt(84);
        DiskFormatException.check(
                entrySize >= 128 && entrySize <= 4096 && entriesLba >= 2 && entriesLba * SECTOR < disk.size(),
                "the GPT header's partition entry array is out of range");
        ByteBuffer entry = le(disk.read(entriesLba * SECTOR, 128));
        DiskFormatException.check(
                Arrays.equals(Arrays.copyOf(entry.array(), 16), ESP_TYPE),
                "partition 1 is not an EFI System Partition (BOOT)");
        long espStart = entry.getLong(32) * SECTOR;
        long espEnd = (entry.getLong(40) + 1) * SECTOR;
        DiskFormatException.check(
                espStart > 0 && espStart < espEnd && espEnd <= disk.size(), "partition 1 lies outside the disk");

        ByteBuffer bpb = le(disk.read(espStart, SECTOR));
        int bytesPerSector = Short.toUnsignedInt(bpb.getShort(11));
        int sectorsPerCluster = Byte.toUnsignedInt(bpb.get(13));
        int reserved = Short.toUnsignedInt(bpb.getShort(14));
        int fats = Byte.toUnsignedInt(bpb.get(16));
        long fatSectors = Integer.toUnsignedLong(bpb.getInt(36));
        long rootCluster = Integer.toUnsignedLong(bpb.getInt(44));
        DiskFormatException.check(
                Short.toUnsignedInt(bpb.getShort(510)) == 0xaa55
                        && Short.toUnsignedInt(bpb.getShort(17)) == 0
                        && Short.toUnsignedInt(bpb.getShort(22)) == 0
                        && fatSectors > 0
                        && Integer.bitCount(bytesPerSector) == 1
                        && bytesPerSector >= 512
                        && Integer.bitCount(sectorsPerCluster) == 1
                        && reserved > 0
                        && fats > 0,
                "BOOT (partition 1) is not a FAT32 file system");
        Fat fat = new Fat(
                disk,
                espStart + (long) reserved * bytesPerSector,
                espStart + ((long) reserved + fats * fatSectors) * bytesPerSector,
                (long) bytesPerSector * sectorsPerCluster,
                fatSectors * bytesPerSector / 4,
                espEnd);

        byte[] dirEntry = fat.findInRoot(rootCluster);
        DiskFormatException.check(
                dirEntry != null, "BOOT has no identity.cfg slot: the disk was built before provisioning existed");
        ByteBuffer e = le(dirEntry);
        DiskFormatException.check((e.get(11) & 0x10) == 0, "BOOT's identity.cfg is a directory");
        long size = Integer.toUnsignedLong(e.getInt(28));
        long first = ((long) Short.toUnsignedInt(e.getShort(20)) << 16) | Short.toUnsignedInt(e.getShort(26));
        DiskFormatException.check(
                size == SIZE,
                "BOOT's identity.cfg is " + size + " bytes, not the " + SIZE + "-byte slot a build writes");
        List<Extent> extents = new ArrayList<>();
        long left = SIZE;
        for (long c : fat.chain(first, (SIZE + fat.clusterBytes - 1) / fat.clusterBytes)) {
            int n = (int) Math.min(left, fat.clusterBytes);
            long at = fat.clusterOffset(c);
            Extent last = extents.isEmpty() ? null : extents.get(extents.size() - 1);
            if (last != null && last.offset() + last.length() == at) {
                extents.set(extents.size() - 1, new Extent(last.offset(), last.length() + n));
            } else {
                extents.add(new Extent(at, n));
            }
            left -= n;
        }
        DiskFormatException.check(left == 0, "BOOT's identity.cfg cluster chain is shorter than its size");
        IdentitySlot slot = new IdentitySlot(extents);
        byte[] head = disk.read(extents.get(0).offset(), Math.min(extents.get(0).length(), MARKER.length() + 1));
        DiskFormatException.check(
                new String(head, StandardCharsets.US_ASCII).startsWith(MARKER + "\n"),
                "BOOT's identity.cfg slot is already written: provision from the published disk, not a node's");
        return slot;
    }

    /**
     * The patches that write {@code identityCfg} (ASCII, at most {@value #SIZE} bytes including a
     * final newline) into the slot, padded with newlines.
     */
    public List<Patch> fill(String identityCfg) {
        String text = identityCfg.endsWith("\n") ? identityCfg : identityCfg + "\n";
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(text)) {
            throw new IllegalArgumentException("identity.cfg must be ASCII");
        }
        if (bytes.length > SIZE) {
            throw new IllegalArgumentException(
                    "identity.cfg is " + bytes.length + " bytes; the disk's slot holds " + SIZE);
        }
        byte[] padded = Arrays.copyOf(bytes, SIZE);
        Arrays.fill(padded, bytes.length, SIZE, (byte) '\n');
        List<Patch> patches = new ArrayList<>();
        int done = 0;
        for (Extent x : extents) {
            patches.add(new Patch(x.offset(), Arrays.copyOfRange(padded, done, done + x.length())));
            done += x.length();
        }
        return patches;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The FAT32 structures the search needs, read on demand. */
    private static final class Fat {
        final DiskReader disk;
        final long fatStart;
        final long dataStart;
        final long clusterBytes;
        final long entries;
        final long end;

        Fat(DiskReader disk, long fatStart, long dataStart, long clusterBytes, long entries, long end) {
            this.disk = disk;
            this.fatStart = fatStart;
            this.dataStart = dataStart;
            this.clusterBytes = clusterBytes;
            this.entries = entries;
            this.end = end;
        }

        long clusterOffset(long cluster) {
            long at = dataStart + (cluster - 2) * clusterBytes;
            DiskFormatException.check(
                    cluster >= 2 && cluster < entries && at + clusterBytes <= end,
                    "BOOT's FAT points at cluster " + cluster + ", outside the partition");
            return at;
        }

        long next(long cluster) {
            return Integer.toUnsignedLong(
                            le(disk.read(fatStart + cluster * 4, 4)).getInt(0))
                    & 0x0fffffffL;
        }

        /** The first {@code max} clusters of the chain from {@code first}. */
        List<Long> chain(long first, long max) {
            List<Long> out = new ArrayList<>();
            long c = first;
            while (out.size() < max) {
                clusterOffset(c);
                out.add(c);
                long n = next(c);
                if (n >= 0x0ffffff8L) {
                    break;
                }
                DiskFormatException.check(n >= 2 && n != 0x0ffffff7L, "BOOT's FAT has a broken cluster chain");
                c = n;
            }
            return out;
        }

        /** The 32-byte root directory entry whose short name is IDENTITY.CFG, or null. */
        byte[] findInRoot(long rootCluster) {
            for (long c : chain(rootCluster, MAX_ROOT_CLUSTERS)) {
                byte[] dir = disk.read(clusterOffset(c), (int) clusterBytes);
                for (int i = 0; i + 32 <= dir.length; i += 32) {
                    int first = Byte.toUnsignedInt(dir[i]);
                    if (first == 0) {
                        return null;
                    }
                    int attr = Byte.toUnsignedInt(dir[i + 11]);
                    if (first == 0xe5 || attr == 0x0f || (attr & 0x08) != 0) {
                        continue;
                    }
                    if (Arrays.equals(Arrays.copyOfRange(dir, i, i + 11), SHORT_NAME)) {
                        return Arrays.copyOfRange(dir, i, i + 32);
                    }
                }
            }
            return null;
        }
    }
}
