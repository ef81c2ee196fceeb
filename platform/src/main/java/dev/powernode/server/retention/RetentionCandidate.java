package dev.powernode.server.retention;

import java.util.UUID;

/**
 * A publication the next retention run will purge, and why. {@code artifactShared}: another live
 * publication uses the same artifact, so only the row is purged and the bytes stay.
 */
public record RetentionCandidate(
        UUID publicationId,
        UUID platformId,
        String platformSlug,
        String artifactFamily,
        String arch,
        String status,
        String ociRef,
        String signatureDigest,
        java.util.List<String> attachedDigests,
        String storage,
        String location,
        boolean artifactShared,
        String reason) {}
