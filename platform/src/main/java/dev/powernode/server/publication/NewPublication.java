package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

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
        Instant buildTime) {

    /**
     * The announced columns of a {@code disk_image_publication} row as named SQL parameters, for
     * this module's insert and for the webhook intake statement ({@code ingest/PublicationIntake}),
     * so both bind the columns one way.
     */
    public Map<String, @Nullable Object> columns() {
        Map<String, @Nullable Object> c = new HashMap<>();
        c.put("family", family.value());
        c.put("arch", arch.value());
        c.put("firmwareRef", firmwareRef);
        c.put("gitSha", gitSha);
        c.put("ociRef", ociRef);
        c.put("sha256", sha256);
        c.put("size", sizeBytes);
        c.put("webhookId", webhookId);
        c.put("webhookLabel", webhookLabel);
        c.put("workerId", workerId);
        c.put("runId", runId);
        c.put("deliveryId", deliveryId);
        c.put("buildTime", buildTime == null ? null : Timestamp.from(buildTime));
        return c;
    }
}
