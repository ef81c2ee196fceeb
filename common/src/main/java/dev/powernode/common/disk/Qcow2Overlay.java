package dev.powernode.common.disk;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A qcow2 (v3) overlay on a base image: the guest clusters the patches touch, copied from the base
 * with the patches applied; every other cluster reads through to the base, which the overlay names
 * (a relative name resolves next to the overlay, as QEMU and libvirt do). The overlay is a few
 * clusters whatever the disk's size: a node's disk on a hypervisor is the shared published qcow2
 * plus this.
 */
public final class Qcow2Overlay {
    private static final int CLUSTER_BITS = 16;
    private static final int CLUSTER = 1 << CLUSTER_BITS;
    private static final int HEADER_LENGTH = 104;
    private static final int BACKING_FORMAT_EXTENSION = 0xe2792aca;
    private static final long COPIED = 1L << 63;

    private Qcow2Overlay() {}

    /**
     * The overlay's bytes: {@code base} (the guest view, e.g. a {@link Qcow2Reader}) patched with
     * {@code patches}, over the base file named {@code backingFile} (format qcow2).
     */
    public static byte[] write(DiskReader base, String backingFile, List<Patch> patches) {
        byte[] name = backingFile.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length > 1023 || backingFile.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("backing file name must be 1-1023 bytes");
        }
        long size = base.size();
        // the guest clusters to carry, with their patched contents
        TreeMap<Long, byte[]> data = new TreeMap<>();
        for (Patch p : patches) {
            if (p.offset() < 0 || p.end() > size) {
                throw new IllegalArgumentException("patch at " + p.offset() + " is outside the " + size + "-byte disk");
            }
            for (long c = p.offset() >>> CLUSTER_BITS; c <= (p.end() - 1) >>> CLUSTER_BITS; c++) {
                long start = c << CLUSTER_BITS;
                data.computeIfAbsent(c, k -> {
                    byte[] b = new byte[CLUSTER];
                    byte[] from = base.read(start, (int) Math.min(CLUSTER, size - start));
                    System.arraycopy(from, 0, b, 0, from.length);
                    return b;
                });
                byte[] b = data.get(c);
                long from = Math.max(start, p.offset());
                long to = Math.min(start + CLUSTER, p.end());
                System.arraycopy(p.bytes(), (int) (from - p.offset()), b, (int) (from - start), (int) (to - from));
            }
        }
        int perL2 = CLUSTER / 8;
        long l1Size = (size + (long) CLUSTER * perL2 - 1) / ((long) CLUSTER * perL2);
        if (l1Size > perL2) {
            throw new IllegalArgumentException("disk of " + size + " bytes is too large for a one-cluster L1 table");
        }
        List<Long> l2Indexes =
                data.keySet().stream().map(c -> c / perL2).distinct().toList();
        // cluster 0 header, 1 L1, 2 refcount table, 3 refcount block, then the L2 tables, then data
        int l2Base = 4;
        int dataBase = l2Base + l2Indexes.size();
        int clusters = dataBase + data.size();
        ByteBuffer file = ByteBuffer.allocate(clusters * CLUSTER);

        file.putInt(0x514649fb).putInt(3);
        long backingOffset = HEADER_LENGTH + 16 + 8;
        file.putLong(backingOffset).putInt(name.length);
        file.putInt(CLUSTER_BITS).putLong(size).putInt(0);
        file.putInt((int) l1Size).putLong(CLUSTER);
        file.putLong(2L * CLUSTER).putInt(1);
        file.putInt(0).putLong(0); // snapshots
        file.putLong(0).putLong(0).putLong(0); // incompatible, compatible, autoclear features
        file.putInt(4).putInt(HEADER_LENGTH); // refcount_order 4: 16-bit refcounts
        // header extension: the backing file's format, then the end marker
        file.putInt(BACKING_FORMAT_EXTENSION).putInt(5).put("qcow2".getBytes(StandardCharsets.US_ASCII));
        file.position(file.position() + 3);
        file.putInt(0).putInt(0);
        file.put(name);

        for (int i = 0; i < l2Indexes.size(); i++) {
            file.putLong(CLUSTER + (int) (long) l2Indexes.get(i) * 8, ((long) (l2Base + i) * CLUSTER) | COPIED);
        }
        file.putLong(2 * CLUSTER, 3L * CLUSTER);
        for (int c = 0; c < clusters; c++) {
            file.putShort(3 * CLUSTER + c * 2, (short) 1);
        }
        List<Long> guest = new ArrayList<>(data.keySet());
        for (int i = 0; i < guest.size(); i++) {
            long c = guest.get(i);
            int l2 = l2Base + l2Indexes.indexOf(c / perL2);
            long hostOffset = (long) (dataBase + i) * CLUSTER;
            file.putLong(l2 * CLUSTER + (int) (c % perL2) * 8, hostOffset | COPIED);
            file.put((int) hostOffset, data.get(c));
        }
        return file.array();
    }
}
