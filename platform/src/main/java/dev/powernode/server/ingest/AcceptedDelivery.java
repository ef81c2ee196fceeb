package dev.powernode.server.ingest;

import java.time.Instant;
import java.util.UUID;

/**
 * The delivery record written in the same statement as the publication it announced, with the
 * HMAC it carried ({@code signature}, lowercase hex) and the SHA-256 of its body.
 */
public record AcceptedDelivery(
        UUID rowId,
        String requestedWebhookId,
        UUID webhookId,
        String deliveryId,
        Instant receivedAt,
        String responseBody,
        String signature,
        String bodySha256) {}
