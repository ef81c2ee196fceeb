package dev.powernode.server.webhook;

import java.util.UUID;

/** The result of provisioning: the secret is in here once and never again. */
public record ProvisionedWebhook(
        UUID webhookId, String label, String webhookUrl, String webhookSecret, boolean rotated) {}
