package dev.powernode.common.token;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * A 256-bit symmetric key, given base64 in configuration or kept in a file that is created (mode
 * 0600) on first use. Used for the JWT signing key and for the master key of secrets at rest.
 */
public final class SigningKey {
    /** HS256 and AES-256 both want 32 bytes. */
    public static final int MIN_BYTES = 32;

    private final byte[] bytes;

    private SigningKey(byte[] bytes) {
        if (bytes.length < MIN_BYTES) {
            throw new IllegalArgumentException("key must be at least " + MIN_BYTES + " bytes, got " + bytes.length);
        }
        this.bytes = bytes.clone();
    }

    /** Decodes a base64 (standard or URL-safe) key. */
    public static SigningKey fromBase64(String base64) {
        String trimmed = base64.strip();
        try {
            byte[] decoded = trimmed.contains("-") || trimmed.contains("_")
                    ? Base64.getUrlDecoder().decode(trimmed)
                    : Base64.getDecoder().decode(trimmed);
            return new SigningKey(decoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key is not valid base64 of at least " + MIN_BYTES + " bytes", e);
        }
    }

    /** Reads the key kept in {@code file}; creates it with fresh random bytes if it does not exist. */
    public static SigningKey loadOrCreate(Path file) {
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                byte[] fresh = new byte[MIN_BYTES];
                new SecureRandom().nextBytes(fresh);
                Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".key", ".tmp");
                try {
                    trySetOwnerOnly(tmp);
                    Files.writeString(tmp, Base64.getEncoder().encodeToString(fresh) + "\n", StandardOpenOption.WRITE);
                    // a concurrent first start may have won; the loser keeps the winner's key
                    Files.createLink(file, tmp);
                } catch (FileAlreadyExistsException raced) {
                    // fall through and read the winner's key
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return fromBase64(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create key file " + file, e);
        }
    }

    private static void trySetOwnerOnly(Path path) throws IOException {
        try {
            Files.setPosixFilePermissions(
                    path,
                    Set.of(
                            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE));
        } catch (UnsupportedOperationException notPosix) {
            // non-POSIX file systems: rely on the directory's permissions
        }
    }

    public byte[] bytes() {
        return bytes.clone();
    }
}
