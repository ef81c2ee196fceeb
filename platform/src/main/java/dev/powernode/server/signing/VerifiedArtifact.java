package dev.powernode.server.signing;

import java.util.UUID;

/**
 * Proof that an artifact's bytes were re-hashed (pulled from the registry, or received by direct
 * upload on their way into it) and carry a signature that satisfies its platform's policy. Only {@link
 * SignatureVerifier} makes one; publishing takes one.
 *
 * @param storage {@code oci} or {@code local}
 * @param location where the primary artifact lives (an OCI reference with the blob digest, or a path)
 * @param verifiedBy which key or identity satisfied the policy, for the audit trail
 */
public final class VerifiedArtifact {
    private final UUID publicationId;
    private final String storage;
    private final String location;
    private final String mediaType;
    private final String sha256;
    private final long size;
    private final String verifiedBy;
    private final boolean cosignBundlePresent;
    private final boolean attestationPresent;
    private final String attestationPredicate;
    private final String signatureDigest;
    private final java.util.List<String> attachedDigests;
    private final String registry;
    private final java.util.List<Blob> blobs;

    /** A blob the verified manifest references, as pulled and re-hashed. */
    public record Blob(String digest, long size) {}

    VerifiedArtifact(
            UUID publicationId,
            String storage,
            String location,
            String mediaType,
            String sha256,
            long size,
            String verifiedBy,
            boolean cosignBundlePresent,
            boolean attestationPresent,
            String attestationPredicate,
            String signatureDigest,
            java.util.List<String> attachedDigests,
            String registry,
            java.util.List<Blob> blobs) {
        this.publicationId = publicationId;
        this.storage = storage;
        this.location = location;
        this.mediaType = mediaType;
        this.sha256 = sha256;
        this.size = size;
        this.verifiedBy = verifiedBy;
        this.cosignBundlePresent = cosignBundlePresent;
        this.attestationPresent = attestationPresent;
        this.attestationPredicate = attestationPredicate;
        this.signatureDigest = signatureDigest;
        this.attachedDigests = java.util.List.copyOf(attachedDigests);
        this.registry = registry;
        this.blobs = java.util.List.copyOf(blobs);
    }

    /**
     * The manifest reference ({@code registry/repository@sha256:...}) of an artifact in a registry,
     * or null for a file on local storage.
     */
    public String ociRef() {
        int hash = location.indexOf('#');
        return "oci".equals(storage) && hash > 0 ? location.substring(0, hash) : null;
    }

    /** The registry host the blobs live in. */
    public String registry() {
        return registry;
    }

    /** The manifest, its config and its layers (for a direct upload: the manifest pushed over the file). */
    public java.util.List<Blob> blobs() {
        return blobs;
    }

    /** {@code sha256:...} of the signature manifest in the registry, or null (direct uploads: the signature came with the upload). */
    public String signatureDigest() {
        return signatureDigest;
    }

    /** Other manifests attached to the image ({@code sha256:...}): retention deletes them with it. */
    public java.util.List<String> attachedDigests() {
        return attachedDigests;
    }

    public UUID publicationId() {
        return publicationId;
    }

    public String storage() {
        return storage;
    }

    public String location() {
        return location;
    }

    public String mediaType() {
        return mediaType;
    }

    /** Hex SHA-256 of the primary artifact, as measured. */
    public String sha256() {
        return sha256;
    }

    public long size() {
        return size;
    }

    public String verifiedBy() {
        return verifiedBy;
    }

    public boolean cosignBundlePresent() {
        return cosignBundlePresent;
    }

    public boolean attestationPresent() {
        return attestationPresent;
    }

    public String attestationPredicate() {
        return attestationPredicate;
    }
}
