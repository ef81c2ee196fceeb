package dev.powernode.common.disk;

/** A disk image that is not what provisioning can personalise, with what is wrong with it. */
public class DiskFormatException extends RuntimeException {
    public DiskFormatException(String message) {
        super(message);
    }

    public DiskFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new DiskFormatException(message);
        }
    }
}
