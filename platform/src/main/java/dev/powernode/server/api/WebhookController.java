package dev.powernode.server.api;

import dev.powernode.common.webhook.WebhookSignature;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.publication.Transition;
import dev.powernode.server.webhook.DiskImageWebhooks;
import dev.powernode.server.webhook.ProvisionedWebhook;
import dev.powernode.server.webhook.Receipt;
import dev.powernode.server.webhook.WebhookReceiver;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@RestController
class WebhookController {
    /** The route the body-size filter leaves to the receiver, which records oversized deliveries. */
    static final String RECEIVER_PREFIX = "/api/v1/system/webhooks/disk_image/built/";

    private final WebhookReceiver receiver;
    private final DiskImageWebhooks webhooks;
    private final Publications publications;

    WebhookController(WebhookReceiver receiver, DiskImageWebhooks webhooks, Publications publications) {
        this.receiver = receiver;
        this.webhooks = webhooks;
        this.publications = publications;
    }

    /** Authenticated by its HMAC signature, not by a bearer token. */
    @PostMapping(RECEIVER_PREFIX + "{webhookId}")
    ResponseEntity<String> built(@PathVariable String webhookId, HttpServletRequest request) throws IOException {
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, receiver.maxBody() + 1));
        }
        Receipt receipt = receiver.receive(
                webhookId,
                request.getHeader(WebhookSignature.DELIVERY_HEADER),
                request.getHeader(WebhookSignature.TIMESTAMP_HEADER),
                request.getHeader(WebhookSignature.SIGNATURE_HEADER),
                body);
        return ResponseEntity.status(receipt.status())
                .contentType(MediaType.APPLICATION_JSON)
                .body(receipt.body());
    }

    record ProvisionRequest(String label, String platformApiBase) {}

    record ProvisionedView(UUID webhookId, String label, String webhookUrl, String webhookSecret, boolean rotated) {}

    /** {@code provision_disk_image_webhook}: idempotent on label, rotates the secret every call. */
    @PostMapping("/api/v1/system/disk_image_webhooks")
    ResponseEntity<ProvisionedView> provision(@RequestBody ProvisionRequest body) {
        ProvisionedWebhook w = webhooks.provision(body.label(), body.platformApiBase());
        return ResponseEntity.status(w.rotated() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(new ProvisionedView(w.webhookId(), w.label(), w.webhookUrl(), w.webhookSecret(), w.rotated()));
    }

    record TransitionView(String from, String to, String actor, String reason, Instant at) {}

    /** The state history of one publication, oldest first. */
    @GetMapping("/api/v1/system/disk_image_publications/{id}/history")
    ListResponse<TransitionView> history(@PathVariable String id) {
        List<Transition> transitions =
                publications.history(Params.pathId("publication/not-found", "disk image publication", id));
        return ListResponse.of(transitions.stream()
                .map(t -> new TransitionView(
                        t.from() == null ? null : t.from().value(), t.to().value(), t.actor(), t.reason(), t.at()))
                .toList());
    }

    static boolean isReceiver(String uri) {
        return uri.startsWith(RECEIVER_PREFIX);
    }
}
