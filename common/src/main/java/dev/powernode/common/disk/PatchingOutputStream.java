package dev.powernode.common.disk;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Passes a disk's bytes through in order, replacing the ranges of its patches on the way: the
 * personalised disk is never stored, only streamed.
 */
public final class PatchingOutputStream extends FilterOutputStream {
    private final List<Patch> patches;
    private long position;

    public PatchingOutputStream(OutputStream out, List<Patch> patches) {
        super(out);
        this.patches = List.copyOf(patches);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        long start = position;
        long end = start + len;
        byte[] chunk = b;
        int chunkOff = off;
        for (Patch p : patches) {
            if (p.offset() < end && p.end() > start) {
                if (chunk == b) {
                    chunk = java.util.Arrays.copyOfRange(b, off, off + len);
                    chunkOff = 0;
                }
                long from = Math.max(start, p.offset());
                long to = Math.min(end, p.end());
                System.arraycopy(p.bytes(), (int) (from - p.offset()), chunk, (int) (from - start), (int) (to - from));
            }
        }
        out.write(chunk, chunkOff, len);
        position = end;
    }

    /** Bytes passed through so far. */
    public long position() {
        return position;
    }
}
