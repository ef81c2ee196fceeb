package dev.powernode.server.views;

import dev.powernode.server.webhook.WebhookEndpoint;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A provisioned webhook with its URL and last delivery; never its secret. */
public record EndpointView(
        UUID id,
        String label,
        String webhookUrl,
        Instant createdAt,
        Instant rotatedAt,
        List<UUID> allowedPlatforms,
        LastDeliveryView lastDelivery) {
    public static EndpointView of(WebhookEndpoint e) {
        return new EndpointView(
                e.id(),
                e.label(),
                e.webhookUrl(),
                e.createdAt(),
                e.rotatedAt(),
                e.allowedPlatforms(),
                e.lastDelivery() == null ? null : LastDeliveryView.of(e.lastDelivery()));
    }
}
