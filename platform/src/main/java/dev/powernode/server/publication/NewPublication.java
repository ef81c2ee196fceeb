package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.time.Instant;
import java.util.UUID;

/**
 * A publication announced by a webhook (status queued) or a direct upload (awaiting_upload).
 * {@code buildTime} is the signed build time a webhook announces (null for direct uploads).
 */
public record NewPublication(
        UUID nodePlatformId,
        ArtifactFamily family,
        Arch arch,
        PublicationStatus initialStatus,
        String ociRef,
        String sha256,
        long sizeBytes,
        String gitSha,
        String firmwareRef,
        String runId,
        UUID webhookId,
        String webhookLabel,
        String deliveryId,
        UUID workerId,
        String actor,
        String reason,
        String uploadSignature,
        String uploadMediaType,
        Instant buildTime) {}
