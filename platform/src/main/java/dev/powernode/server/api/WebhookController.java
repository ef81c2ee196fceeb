package dev.powernode.server.api;

import dev.powernode.server.publication.Publications;
import dev.powernode.server.publication.Transition;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.views.TransitionView;
import dev.powernode.server.webhook.DiskImageWebhooks;
import dev.powernode.server.webhook.ProvisionedWebhook;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@RestController
class WebhookController {
    private final DiskImageWebhooks webhooks;
    private final Publications publications;

    WebhookController(DiskImageWebhooks webhooks, Publications publications) {
        this.webhooks = webhooks;
        this.publications = publications;
    }

    /** {@code allowedPlatforms}: slugs or ids the webhook may announce for; [] = any; absent = unchanged. */
    record ProvisionRequest(String label, String platformApiBase, List<String> allowedPlatforms) {}

    /**
     * {@code provision_disk_image_webhook}: idempotent on label, rotates the secret every call,
     * and sets the platform allow-list when {@code allowed_platforms} is given.
     */
    @PostMapping("/api/v1/system/disk_image_webhooks")
    ResponseEntity<ProvisionedWebhook> provision(@RequestBody ProvisionRequest body) {
        ProvisionedWebhook w = webhooks.provision(body.label(), body.platformApiBase(), body.allowedPlatforms());
        return ResponseEntity.status(w.rotated() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(w);
    }

    /** The state history of one publication, oldest first. */
    @GetMapping("/api/v1/system/disk_image_publications/{id}/history")
    ListResponse<TransitionView> history(@PathVariable String id) {
        List<Transition> transitions =
                publications.history(Params.pathId("publication/not-found", "disk image publication", id));
        return ListResponse.of(transitions.stream().map(TransitionView::of).toList());
    }
}
