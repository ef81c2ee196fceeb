package dev.powernode.server.api;

import dev.powernode.server.views.ListResponse;
import dev.powernode.server.webhook.WebhookDeliveries;
import dev.powernode.server.webhook.WebhookDelivery;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
class WebhookDeliveryController {
    private final WebhookDeliveries deliveries;

    WebhookDeliveryController(WebhookDeliveries deliveries) {
        this.deliveries = deliveries;
    }

    /**
     * Inbound webhook deliveries, newest first; {@code recent=true}: the last 24 hours only. The
     * webhook module's {@link WebhookDelivery} is the wire shape (docs/api.md) as it stands.
     */
    @GetMapping("/api/v1/system/disk_image_webhooks")
    ListResponse<WebhookDelivery> list(
            @RequestParam(required = false) String recent,
            @RequestParam(name = "webhook_id", required = false) String webhookId,
            @RequestParam(required = false) String page,
            @RequestParam(name = "per_page", required = false) String perPage) {
        UUID webhook = webhookId == null || webhookId.isEmpty() ? null : Params.uuid("webhook_id", webhookId);
        return ListResponse.of(
                deliveries.list(Params.bool("recent", recent), webhook, Params.page(page, perPage)), d -> d);
    }
}
