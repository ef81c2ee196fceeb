package dev.powernode.server.views;

import dev.powernode.server.publication.DiskImagePublication;
import java.time.Instant;
import java.util.UUID;

/** A publication exactly as the spec serializes it (plus {@code artifact_family}). */
public record PublicationView(
        UUID id,
        UUID platformId,
        String artifactFamily,
        String status,
        boolean active,
        String arch,
        String firmwareRef,
        String gitSha,
        String gitShaShort,
        String ociRef,
        String sha256,
        String sha256Short,
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
        String errorMessage) {

    public static PublicationView of(DiskImagePublication p) {
        return new PublicationView(
                p.id(),
                p.nodePlatformId(),
                p.artifactFamily().value(),
                p.status().value(),
                p.active(),
                p.arch().value(),
                p.firmwareRef(),
                p.gitSha(),
                p.gitShaShort(),
                p.ociRef(),
                p.sha256(),
                p.sha256Short(),
                p.sizeBytes(),
                p.attemptCount(),
                p.attestationPredicate(),
                p.attestationPresent(),
                p.cosignBundlePresent(),
                p.fileObjectId(),
                p.priorFileObjectId(),
                p.webhookId(),
                p.webhookLabel(),
                p.triggeredByWorkerId(),
                p.verifiedAt(),
                p.publishedAt(),
                p.retiredAt(),
                p.purgedAt(),
                p.errorMessage());
    }
}
