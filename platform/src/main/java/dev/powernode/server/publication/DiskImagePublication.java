package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.time.Instant;
import java.util.UUID;

/**
 * One build of one (platform, artifact_family, arch) triple on its way to nodes. {@code buildTime}
 * is the build time its webhook announced (signed, and checked against the manifest at ingest);
 * null for direct uploads and for publications older than that rule.
 */
public record DiskImagePublication(
        UUID id,
        UUID nodePlatformId,
        ArtifactFamily artifactFamily,
        Arch arch,
        PublicationStatus status,
        boolean active,
        String firmwareRef,
        String gitSha,
        String ociRef,
        String sha256,
        Long sizeBytes,
        int attemptCount,
        String attestationPredicate,
        boolean attestationPresent,
        boolean cosignBundlePresent,
        UUID fileObjectId,
        UUID priorFileObjectId,
        UUID webhookId,
        String webhookLabel,
        UUID triggeredByWorkerId,
        Instant verifiedAt,
        Instant publishedAt,
        Instant retiredAt,
        Instant purgedAt,
        String errorMessage,
        Instant createdAt,
        String runId,
        String deliveryId,
        String verifiedBy,
        String lastAttemptError,
        Instant nextAttemptAt,
        String uploadSignature,
        String uploadMediaType,
        Instant buildTime) {

    /** Git's default abbreviation. */
    private static final int GIT_SHA_SHORT = 7;
    /** Docker's default abbreviation of an image digest. */
    private static final int SHA256_SHORT = 12;

    public String gitShaShort() {
        return gitSha == null ? null : gitSha.substring(0, Math.min(GIT_SHA_SHORT, gitSha.length()));
    }

    /** The registry reference of the artifact's manifest, as the webhook gave it. */
    public dev.powernode.common.oci.OciRef ref() {
        return dev.powernode.common.oci.OciRef.parse(ociRef);
    }

    public String sha256Short() {
        return sha256 == null ? null : sha256.substring(0, Math.min(SHA256_SHORT, sha256.length()));
    }
}
