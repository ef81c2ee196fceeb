package dev.powernode.server.views;

import dev.powernode.server.webhook.WebhookDelivery;
import java.time.Instant;
import java.util.UUID;

/** {@code verdict}: {@code accepted} when the call was answered 2xx, {@code rejected} otherwise. */
public record LastDeliveryView(
        UUID id,
        String deliveryId,
        Instant receivedAt,
        int httpStatus,
        String verdict,
        boolean signatureValid,
        String reason,
        UUID publicationId) {
    public static LastDeliveryView of(WebhookDelivery d) {
        return new LastDeliveryView(
                d.id(),
                d.deliveryId(),
                d.receivedAt(),
                d.httpStatus(),
                d.httpStatus() / 100 == 2 ? "accepted" : "rejected",
                d.signatureValid(),
                d.reason(),
                d.publicationId());
    }
}
