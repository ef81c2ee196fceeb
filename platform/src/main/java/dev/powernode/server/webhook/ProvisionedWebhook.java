package dev.powernode.server.webhook;

import java.util.List;
import java.util.UUID;

/**
 * The result of provisioning: the secret is in here once and never again. {@code allowedPlatforms}
 * are the ids of the platforms it may announce for (empty = any).
 */
public record ProvisionedWebhook(
        UUID webhookId,
        String label,
        String webhookUrl,
        String webhookSecret,
        boolean rotated,
        List<UUID> allowedPlatforms) {}
