package dev.powernode.server.webhook;

import java.time.Instant;
import java.util.UUID;

/** One inbound webhook call, accepted or not, with the verdict and what it led to. */
public record WebhookDelivery(
        UUID id,
        String requestedWebhookId,
        UUID webhookId,
        String webhookLabel,
        String deliveryId,
        Instant receivedAt,
        boolean signatureValid,
        int httpStatus,
        String reason,
        UUID publicationId) {}
