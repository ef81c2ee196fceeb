package dev.powernode.server.storage;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.OciRef;
import java.io.OutputStream;
import java.util.List;
import java.util.UUID;

/**
 * Proof that a directly uploaded artifact is complete in the registry and hashes to what its
 * publication declared. Only {@link RegistryUploads} makes one.
 */
public final class StoredArtifact {
    /** Streams the stored file (verified against its digest on the way) into a sink. */
    @FunctionalInterface
    interface Reader {
        void readTo(OutputStream sink);
    }

    private final UUID publicationId;
    private final OciRef ref;
    private final Descriptor file;
    private final List<Descriptor> blobs;
    private final Reader reader;

    StoredArtifact(UUID publicationId, OciRef ref, Descriptor file, List<Descriptor> blobs, Reader reader) {
        this.publicationId = publicationId;
        this.ref = ref;
        this.file = file;
        this.blobs = List.copyOf(blobs);
        this.reader = reader;
    }

    public UUID publicationId() {
        return publicationId;
    }

    /** The manifest pushed over the file, by digest. */
    public OciRef ref() {
        return ref;
    }

    public String sha256() {
        return file.digest().hex();
    }

    public long size() {
        return file.size();
    }

    /** The manifest, its config and the file: what retention deletes with the publication. */
    public List<Descriptor> blobs() {
        return blobs;
    }

    /** Streams the whole file from the registry into {@code sink}, re-hashed on the way. */
    public void readTo(OutputStream sink) {
        reader.readTo(sink);
    }
}
