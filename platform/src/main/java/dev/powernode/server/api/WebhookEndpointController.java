package dev.powernode.server.api;

import dev.powernode.server.webhook.DiskImageWebhooks;
import dev.powernode.server.webhook.WebhookDelivery;
import dev.powernode.server.webhook.WebhookEndpoint;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The provisioned webhooks themselves (the deliveries they received are listed elsewhere). */
@RestController
class WebhookEndpointController {
    private final DiskImageWebhooks webhooks;

    WebhookEndpointController(DiskImageWebhooks webhooks) {
        this.webhooks = webhooks;
    }

    record EndpointView(
            UUID id,
            String label,
            String webhookUrl,
            Instant createdAt,
            Instant rotatedAt,
            List<UUID> allowedPlatforms,
            LastDeliveryView lastDelivery) {
        static EndpointView of(WebhookEndpoint e) {
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

    /** {@code verdict}: {@code accepted} when the call was answered 2xx, {@code rejected} otherwise. */
    record LastDeliveryView(
            UUID id,
            String deliveryId,
            Instant receivedAt,
            int httpStatus,
            String verdict,
            boolean signatureValid,
            String reason,
            UUID publicationId) {
        static LastDeliveryView of(WebhookDelivery d) {
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

    /** Webhooks by label, each with its URL and last delivery; secrets are never shown. */
    @GetMapping("/api/v1/system/disk_image_webhook_endpoints")
    ListResponse<EndpointView> list(
            @RequestParam(required = false) String page,
            @RequestParam(name = "per_page", required = false) String perPage) {
        return ListResponse.of(webhooks.list(Params.page(page, perPage)), EndpointView::of);
    }
}
