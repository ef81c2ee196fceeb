package dev.powernode.server.ingest;

import java.time.Instant;
import java.util.UUID;

/** The delivery record written in the same statement as the publication it announced. */
public record AcceptedDelivery(
        UUID rowId,
        String requestedWebhookId,
        UUID webhookId,
        String deliveryId,
        Instant receivedAt,
        String responseBody) {}
