package dev.powernode.server.storage;

import java.nio.file.Path;
import java.util.UUID;

/**
 * Proof that a directly uploaded artifact is complete on local storage and hashes to what its
 * publication declared. Only {@link LocalArtifactStore} makes one.
 */
public final class StoredArtifact {
    private final UUID publicationId;
    private final Path path;
    private final String sha256;
    private final long size;

    StoredArtifact(UUID publicationId, Path path, String sha256, long size) {
        this.publicationId = publicationId;
        this.path = path;
        this.sha256 = sha256;
        this.size = size;
    }

    public UUID publicationId() {
        return publicationId;
    }

    /** The content-addressed file ({@code objects/sha256/<hex>}); never a partial upload. */
    public Path path() {
        return path;
    }

    public String sha256() {
        return sha256;
    }

    public long size() {
        return size;
    }
}
