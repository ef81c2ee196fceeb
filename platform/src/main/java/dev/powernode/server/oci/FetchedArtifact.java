package dev.powernode.server.oci;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.OciRef;
import java.util.UUID;

/**
 * Proof that an artifact's manifest was fetched by digest and every one of its blobs was pulled
 * and re-hashed against its descriptor, with the primary layer matching what the webhook claimed.
 * Only {@link DiskImageOciIngestService} can make one.
 */
public final class FetchedArtifact {
    private final UUID publicationId;
    private final OciRef ref;
    private final Manifest manifest;
    private final Descriptor primaryLayer;
    private final long totalBytes;

    FetchedArtifact(UUID publicationId, OciRef ref, Manifest manifest, Descriptor primaryLayer, long totalBytes) {
        this.publicationId = publicationId;
        this.ref = ref;
        this.manifest = manifest;
        this.primaryLayer = primaryLayer;
        this.totalBytes = totalBytes;
    }

    public UUID publicationId() {
        return publicationId;
    }

    /** The artifact's reference, by manifest digest. */
    public OciRef ref() {
        return ref;
    }

    public Digest manifestDigest() {
        return manifest.digest();
    }

    public Manifest manifest() {
        return manifest;
    }

    public Descriptor primaryLayer() {
        return primaryLayer;
    }

    /** Bytes pulled and hashed across all layers. */
    public long totalBytes() {
        return totalBytes;
    }
}
