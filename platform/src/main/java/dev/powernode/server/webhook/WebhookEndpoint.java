package dev.powernode.server.webhook;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A provisioned webhook as operators list it: where runners call it and what its last call got.
 * It carries no secret: the secret is shown once, at provisioning.
 *
 * @param allowedPlatforms the platforms it may announce for; empty: any
 * @param lastDelivery the newest inbound call addressed to this webhook, accepted or not; null when
 *     it was never called
 */
public record WebhookEndpoint(
        UUID id,
        String label,
        String webhookUrl,
        Instant createdAt,
        Instant rotatedAt,
        List<UUID> allowedPlatforms,
        WebhookDelivery lastDelivery) {}
