package dev.powernode.common.disk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Random reads of a disk's bytes: a raw image (a file, a registry blob by {@code Range}) or the
 * guest view of a qcow2 ({@link Qcow2Reader}). Reads past the end are a {@link DiskFormatException}.
 */
public interface DiskReader {
    /** The disk's size in bytes. */
    long size();

    /** {@code length} bytes from {@code offset}. */
    byte[] read(long offset, int length);

    /** A reader of a local file, opened per read (provisioning reads a few KiB of it). */
    static DiskReader of(Path file) {
        long size;
        try {
            size = java.nio.file.Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new DiskReader() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public byte[] read(long offset, int length) {
                DiskFormatException.check(
                        offset >= 0 && length >= 0 && offset <= size - length, "read past the end of " + file);
                ByteBuffer buf = ByteBuffer.allocate(length);
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    while (buf.hasRemaining()) {
                        if (ch.read(buf, offset + buf.position()) < 0) {
                            throw new DiskFormatException(file + " ended early");
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return buf.array();
            }
        };
    }
}
