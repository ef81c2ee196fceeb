package dev.powernode.server.events;

import java.time.Instant;
import java.util.UUID;

/** One event sent (or being retried) to one subscription. */
public record EventDelivery(
        UUID id,
        UUID eventId,
        String eventType,
        UUID publicationId,
        UUID subscriptionId,
        String url,
        String status,
        int attempts,
        Integer lastHttpStatus,
        String lastError,
        Instant nextAttemptAt,
        Instant deliveredAt,
        Instant createdAt) {}
