package dev.powernode.server.storage;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.ServiceProperties;
import dev.powernode.server.shared.VerificationFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Local storage for direct uploads: bytes stream into {@code uploads/<publication>.partial},
 * hashed on the way in; a partial file is never visible as an artifact. When the declared size is
 * reached the SHA-256 must match, then the file moves atomically to its content address
 * {@code objects/sha256/<hex>}. An interrupted upload resumes at the partial file's length (the
 * prefix is re-hashed once when the next request arrives).
 */
@Component
public class LocalArtifactStore {
    private static final int BUFFER = 256 * 1024;

    private final Path uploads;
    private final Path objects;

    LocalArtifactStore(ServiceProperties props) {
        this.uploads = props.home().resolve("uploads");
        this.objects = props.home().resolve("objects").resolve("sha256");
    }

    /** The stored artifact whose SHA-256 is {@code sha256} (hex), if this store holds it. */
    public Optional<Path> object(String sha256) {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            return Optional.empty();
        }
        Path p = objects.resolve(sha256);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** Bytes received so far for this publication (0 when nothing yet). */
    public long received(UUID publicationId) {
        try {
            Path partial = partial(publicationId);
            return Files.exists(partial) ? Files.size(partial) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Appends {@code in} at {@code offset} (which must equal what was received so far) without
     * going past {@code declaredSize}. Returns the artifact when this completes it and it hashes to
     * {@code declaredSha256}; empty when more bytes are expected. A complete file with the wrong
     * hash is deleted and refused.
     */
    public Optional<StoredArtifact> append(
            UUID publicationId, long offset, InputStream in, long declaredSize, String declaredSha256) {
        try {
            Files.createDirectories(uploads);
            Path partial = partial(publicationId);
            long have = Files.exists(partial) ? Files.size(partial) : 0;
            if (offset != have) {
                throw new DomainException(
                        ErrorKind.CONFLICT,
                        "upload/offset-mismatch",
                        "upload must continue at byte " + have + ", not " + offset);
            }
            MessageDigest sha = sha256();
            byte[] buffer = new byte[BUFFER];
            try (FileChannel ch = FileChannel.open(
                    partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                hashPrefix(ch, have, sha, buffer);
                ch.position(have);
                long total = have;
                int n;
                while ((n = in.read(buffer)) > 0) {
                    if (total + n > declaredSize) {
                        throw new DomainException(
                                ErrorKind.INVALID,
                                "upload/too-long",
                                "upload is longer than the declared size_bytes " + declaredSize);
                    }
                    sha.update(buffer, 0, n);
                    ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                    while (bb.hasRemaining()) {
                        ch.write(bb);
                    }
                    total += n;
                }
                ch.force(true);
                if (total < declaredSize) {
                    return Optional.empty();
                }
            }
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(declaredSha256)) {
                Files.deleteIfExists(partial);
                throw new VerificationFailure(
                        "upload/digest-mismatch",
                        "digest mismatch: the uploaded bytes hash to sha256:" + actual + ", declared sha256:"
                                + declaredSha256);
            }
            Files.createDirectories(objects);
            Path target = objects.resolve(actual);
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return Optional.of(new StoredArtifact(publicationId, target, actual, declaredSize));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store upload of " + publicationId, e);
        }
    }

    /**
     * Bytes a new upload may still use on the file system holding the upload directory (created
     * when missing, so the answer is about the right file system).
     */
    public long usableSpace() {
        try {
            Files.createDirectories(uploads);
            return Files.getFileStore(uploads).getUsableSpace();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot inspect the upload directory " + uploads, e);
        }
    }

    /** The publications that have partial bytes here, with when those bytes last changed. */
    public java.util.Map<UUID, java.time.Instant> partials() {
        java.util.Map<UUID, java.time.Instant> out = new java.util.HashMap<>();
        if (!Files.isDirectory(uploads)) {
            return out;
        }
        try (var files = Files.newDirectoryStream(uploads, "*.partial")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                try {
                    out.put(
                            UUID.fromString(name.substring(0, name.length() - ".partial".length())),
                            Files.getLastModifiedTime(f).toInstant());
                } catch (IllegalArgumentException | java.nio.file.NoSuchFileException e) {
                    // not one of ours, or completed or discarded while we looked
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes held by partial uploads (received, not yet complete). */
    public long partialBytes() {
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        try (var files = Files.newDirectoryStream(uploads, "*.partial")) {
            long total = 0;
            for (Path f : files) {
                try {
                    total += Files.size(f);
                } catch (java.nio.file.NoSuchFileException e) {
                    // completed or discarded while we looked
                }
            }
            return total;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Drops a partial upload (a failed or abandoned publication). */
    public void discard(UUID publicationId) {
        try {
            Files.deleteIfExists(partial(publicationId));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void hashPrefix(FileChannel ch, long length, MessageDigest sha, byte[] buffer) throws IOException {
        ch.position(0);
        long left = length;
        ByteBuffer bb = ByteBuffer.wrap(buffer);
        while (left > 0) {
            bb.clear();
            bb.limit((int) Math.min(buffer.length, left));
            int n = ch.read(bb);
            if (n < 0) {
                throw new IOException("partial upload shrank while resuming");
            }
            sha.update(buffer, 0, n);
            left -= n;
        }
    }

    private Path partial(UUID publicationId) {
        return uploads.resolve(publicationId + ".partial");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
