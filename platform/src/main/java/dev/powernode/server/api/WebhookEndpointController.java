package dev.powernode.server.api;

import dev.powernode.server.views.EndpointView;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.webhook.DiskImageWebhooks;
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

    /** Webhooks by label, each with its URL and last delivery; secrets are never shown. */
    @GetMapping("/api/v1/system/disk_image_webhook_endpoints")
    ListResponse<EndpointView> list(
            @RequestParam(required = false) String page,
            @RequestParam(name = "per_page", required = false) String perPage) {
        return ListResponse.of(webhooks.list(Params.page(page, perPage)), EndpointView::of);
    }
}
