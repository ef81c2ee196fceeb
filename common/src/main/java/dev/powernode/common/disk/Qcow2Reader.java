package dev.powernode.common.disk;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The guest view of a qcow2 image (version 2 or 3, as {@code qemu-img convert [-c]} writes it):
 * L1 and L2 tables, plain and zlib-compressed clusters, unallocated and zero clusters read as zeros.
 * Images it cannot read faithfully are refused: a backing file, encryption, an external data
 * file, extended L2 entries, zstd compression, the corrupt bit.
 */
public final class Qcow2Reader implements DiskReader {
    private static final int MAGIC = 0x514649fb;
    private static final long OFFSET_MASK = 0x00fffffffffffe00L;
    private static final int CACHED_CLUSTERS = 32;

    private final DiskReader host;
    private final int clusterBits;
    private final int clusterSize;
    private final long size;
    private final long[] l1;
    private final Map<Long, long[]> l2Tables = lru();
    private final Map<Long, byte[]> clusters = lru();

    public Qcow2Reader(DiskReader host) {
        this.host = host;
        DiskFormatException.check(host.size() >= 104, "too small for a qcow2 header");
        ByteBuffer h = ByteBuffer.wrap(host.read(0, 104));
        DiskFormatException.check(h.getInt(0) == MAGIC, "not a qcow2 image (bad magic)");
        int version = h.getInt(4);
        DiskFormatException.check(version == 2 || version == 3, "qcow2 version " + version + " is not supported");
        DiskFormatException.check(h.getLong(8) == 0, "the qcow2 image has a backing file of its own");
        clusterBits = h.getInt(20);
        DiskFormatException.check(clusterBits >= 9 && clusterBits <= 21, "qcow2 cluster_bits out of range");
        clusterSize = 1 << clusterBits;
        size = h.getLong(24);
        DiskFormatException.check(size >= 0, "the qcow2 image has a negative size");
        DiskFormatException.check(h.getInt(32) == 0, "the qcow2 image is encrypted");
        int l1Size = h.getInt(36);
        long l1Offset = h.getLong(40);
        if (version == 3) {
            long incompatible = h.getLong(72);
            DiskFormatException.check((incompatible & 0x2) == 0, "the qcow2 image is marked corrupt");
            DiskFormatException.check((incompatible & 0x4) == 0, "the qcow2 image uses an external data file");
            DiskFormatException.check((incompatible & 0x10) == 0, "the qcow2 image uses extended L2 entries");
            DiskFormatException.check(
                    (incompatible & ~0x1fL) == 0,
                    "the qcow2 image uses incompatible features this reader does not know");
            if ((incompatible & 0x8) != 0) {
                int headerLength = h.getInt(100);
                int type = headerLength > 104 ? Byte.toUnsignedInt(host.read(104, 1)[0]) : 0;
                DiskFormatException.check(type == 0, "the qcow2 image is zstd-compressed; only zlib is supported");
            }
        }
        long needed = (size + ((long) clusterSize * (clusterSize / 8)) - 1) / ((long) clusterSize * (clusterSize / 8));
        DiskFormatException.check(
                l1Size >= 0 && l1Size >= needed && l1Size <= 1 << 20 && l1Offset > 0,
                "the qcow2 L1 table does not cover the disk");
        ByteBuffer t = ByteBuffer.wrap(host.read(l1Offset, l1Size * 8));
        l1 = new long[l1Size];
        for (int i = 0; i < l1Size; i++) {
            l1[i] = t.getLong();
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public byte[] read(long offset, int length) {
        DiskFormatException.check(
                offset >= 0 && length >= 0 && offset <= size - length, "read past the end of the qcow2 disk");
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            long at = offset + done;
            long index = at >>> clusterBits;
            int within = (int) (at & (clusterSize - 1));
            int n = Math.min(length - done, clusterSize - within);
            byte[] cluster = cluster(index);
            if (cluster != null) {
                System.arraycopy(cluster, within, out, done, n);
            }
            done += n;
        }
        return out;
    }

    /** Guest cluster {@code index}, or null when it reads as zeros. */
    private byte[] cluster(long index) {
        byte[] cached = clusters.get(index);
        if (cached != null) {
            return cached;
        }
        int perL2 = clusterSize / 8;
        long l1Entry = l1[(int) (index / perL2)];
        long l2Offset = l1Entry & OFFSET_MASK;
        if (l2Offset == 0) {
            return null;
        }
        long[] l2 = l2Tables.computeIfAbsent(l2Offset, o -> {
            ByteBuffer b = ByteBuffer.wrap(host.read(o, clusterSize));
            long[] t = new long[perL2];
            for (int i = 0; i < perL2; i++) {
                t[i] = b.getLong();
            }
            return t;
        });
        long entry = l2[(int) (index % perL2)];
        byte[] data;
        if ((entry & (1L << 62)) != 0) {
            int x = 62 - (clusterBits - 8);
            long hostOffset = entry & ((1L << x) - 1);
            long sectors = ((entry >>> x) & ((1L << (clusterBits - 8)) - 1)) + 1;
            long compressed = sectors * 512 - (hostOffset & 511);
            DiskFormatException.check(
                    hostOffset < host.size(), "compressed qcow2 cluster " + index + " lies past the end of the file");
            int len = (int) Math.min(compressed, host.size() - hostOffset);
            data = inflate(host.read(hostOffset, len), index);
        } else {
            long hostOffset = entry & OFFSET_MASK;
            if (hostOffset == 0 || (entry & 1) != 0) {
                return null;
            }
            data = host.read(hostOffset, clusterSize);
        }
        clusters.put(index, data);
        return data;
    }

    private byte[] inflate(byte[] compressed, long index) {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(compressed);
            byte[] out = new byte[clusterSize];
            int done = 0;
            while (done < clusterSize && !inflater.finished()) {
                int n = inflater.inflate(out, done, clusterSize - done);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                done += n;
            }
            DiskFormatException.check(done == clusterSize, "compressed qcow2 cluster " + index + " is short");
            return out;
        } catch (DataFormatException e) {
            throw new DiskFormatException("compressed qcow2 cluster " + index + " does not inflate", e);
        } finally {
            inflater.end();
        }
    }

    public int clusterSize() {
        return clusterSize;
    }

    private static <K, V> Map<K, V> lru() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > CACHED_CLUSTERS;
            }
        };
    }
}
