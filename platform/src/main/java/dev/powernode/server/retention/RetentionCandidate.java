package dev.powernode.server.retention;

import java.util.UUID;

/**
 * A publication past the retention count and what the next run does with it, and why: {@code
 * action} {@code purge}, or {@code keep} when live nodes still boot it (retention never purges
 * what the fleet runs). {@code artifactShared}: another live publication uses the same artifact,
 * so only the row is purged and the bytes stay.
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
        String action,
        String reason) {
    static final String PURGE = "purge";
    static final String KEEP = "keep";

    boolean purges() {
        return PURGE.equals(action);
    }

    /** This candidate, its artifact also used by a publication that stays: only the row goes. */
    RetentionCandidate sharingItsArtifact() {
        return new RetentionCandidate(
                publicationId,
                platformId,
                platformSlug,
                artifactFamily,
                arch,
                status,
                ociRef,
                signatureDigest,
                attachedDigests,
                storage,
                location,
                true,
                action,
                reason);
    }
}
