package dev.powernode.common.disk;

/** {@code bytes} to write at {@code offset} of a disk, in place of what the image has there. */
public record Patch(long offset, byte[] bytes) {
    public long end() {
        return offset + bytes.length;
    }
}
