package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.PublicationStatus;
import java.util.UUID;

/** A publication announced by a webhook (status queued) or a direct upload (awaiting_upload). */
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
        String uploadMediaType) {}
