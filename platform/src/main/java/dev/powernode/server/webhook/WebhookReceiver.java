package dev.powernode.server.webhook;

import dev.powernode.common.oci.Digest;
import dev.powernode.server.ingest.AcceptedDelivery;
import dev.powernode.server.ingest.AnnouncementRules;
import dev.powernode.server.ingest.Ingest;
import dev.powernode.server.ingest.IntakeResult;
import dev.powernode.server.publication.NewPublication;
import dev.powernode.server.publication.PublicationStatus;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.FieldError;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.Text;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * The receiving end of {@code POST /api/v1/system/webhooks/disk_image/built/{webhook_id}}
 * (docs/api.md, docs/ingest.md). Checks, in order: the caller's rate (per source address), known
 * webhook, body size, signature, timestamp window and replay ({@link SignatureCheck}), the
 * webhook's rate ({@link CallLimits}), delivery id (a repeat with the same body gets the first
 * answer, with another body 409; neither creates anything), body schema ({@link
 * AnnouncementParser}), then platform, allow-list, worker and "not announced before", which the
 * intake statement checks as it inserts and reports back ({@link IntakeResult}). Every call to a
 * known webhook is recorded as a delivery ({@link DeliveryRecorder}); calls to unknown webhooks
 * and rate-limited calls are counted as metrics instead, so anonymous traffic cannot fill the
 * table. Accepted: the publication, its job and the delivery commit together and the caller gets
 * 202 with the publication id; a manifest already announced for its triple gets 200 naming the
 * existing publication, and nothing is created or promoted.
 */
@Service
public class WebhookReceiver {
    private final DiskImageWebhooks webhooks;
    private final Ingest ingest;
    private final CallLimits limits;
    private final SignatureCheck signatures;
    private final AnnouncementParser parser;
    private final DeliveryRecorder deliveries;
    private final JsonMapper json;
    private final WebhookProperties config;
    private final Clock clock;

    WebhookReceiver(
            DiskImageWebhooks webhooks,
            Ingest ingest,
            CallLimits limits,
            SignatureCheck signatures,
            AnnouncementParser parser,
            DeliveryRecorder deliveries,
            JsonMapper json,
            WebhookProperties config,
            Clock clock) {
        this.webhooks = webhooks;
        this.ingest = ingest;
        this.limits = limits;
        this.signatures = signatures;
        this.parser = parser;
        this.deliveries = deliveries;
        this.json = json;
        this.config = config;
        this.clock = clock;
    }

    /** Largest body accepted; the caller reads at most one byte more and passes it on. */
    public long maxBody() {
        return config.maxBody().toBytes();
    }

    /**
     * Handles one call from {@code source} (the peer's address). {@code body} may be longer than
     * {@link #maxBody()} (then it is refused). Returns the 202 receipt (or the first receipt of a
     * repeated delivery, or 200 for a manifest already announced); throws a {@link
     * DomainException} for every refusal, after recording it when the webhook is known.
     */
    public Receipt receive(
            String source, String webhookPath, String deliveryId, String timestamp, String signature, byte[] body) {
        Instant now = clock.instant();
        limits.takeForAddress(source);
        UUID webhookId = Text.uuid(webhookPath).orElse(null);
        DiskImageWebhooks.Credentials hook =
                webhookId == null ? null : webhooks.credentials(webhookId).orElse(null);
        if (hook == null) {
            limits.unknown(source, webhookPath, now);
            throw new DomainException(
                    ErrorKind.NOT_FOUND, "webhook/unknown", "no webhook '" + Text.printable(webhookPath, 64) + "'");
        }
        Call call = new Call(webhookPath, webhookId, deliveryId, null, null, now);
        if (body.length > maxBody()) {
            throw deliveries.refuse(
                    call, ErrorKind.TOO_LARGE, "webhook/too-large", "body exceeds " + maxBody() + " bytes");
        }
        call = signatures.verify(
                call.withBodySha(Digest.of(body).hex()), hook.secret(), timestamp, signature, body, config.window());
        limits.takeForWebhook(webhookId);
        AnnouncementParser.WebhookAnnouncement a;
        try {
            a = parser.parse(body, now, config.window());
        } catch (DomainException refused) {
            // a repeat of an accepted delivery still gets the first answer, even if it would not pass today
            Call refusedCall = call;
            return deliveries.firstReceipt(call).orElseThrow(() -> deliveries.refuse(refusedCall, refused));
        }
        UUID publicationId = Ids.newId();
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("publication_id", publicationId.toString());
        response.put("status", PublicationStatus.QUEUED.value());
        response.put("delivery_id", deliveryId);
        String responseBody = json.writeValueAsString(response);
        IntakeResult result = ingest.accept(
                publicationId,
                queued(a, call, hook.label()),
                a.artifact().platformRef(),
                new AcceptedDelivery(
                        Ids.newId(),
                        webhookPath,
                        webhookId,
                        deliveryId,
                        now,
                        responseBody,
                        call.signatureHex(),
                        call.bodySha()));
        if (result instanceof IntakeResult.Accepted) {
            return new Receipt(202, responseBody);
        }
        Optional<Receipt> first = deliveries.firstReceipt(call);
        if (first.isPresent()) {
            return first.get();
        }
        return nothingCreated(call, hook.label(), a, result);
    }

    private static NewPublication queued(AnnouncementParser.WebhookAnnouncement a, Call call, String label) {
        AnnouncementRules.Announcement artifact = a.artifact();
        return new NewPublication(
                null,
                artifact.family(),
                artifact.arch(),
                PublicationStatus.QUEUED,
                a.ref().toString(),
                artifact.sha256(),
                artifact.sizeBytes(),
                artifact.gitSha(),
                artifact.firmwareRef(),
                artifact.runId(),
                call.webhookId(),
                label,
                call.deliveryId(),
                a.workerId(),
                "webhook:" + label,
                "announced by delivery " + call.deliveryId(),
                null,
                null,
                a.buildTime());
    }

    /**
     * The intake statement wrote nothing, and the delivery id is new: answer why. Unknown platform,
     * no policy, a platform outside the webhook's allow-list, an unknown or foreign worker are
     * refused (recorded); a manifest digest already announced for the triple is answered with 200
     * naming the existing publication (recorded): nothing is created or promoted either way.
     */
    private Receipt nothingCreated(
            Call call, String label, AnnouncementParser.WebhookAnnouncement a, IntakeResult result) {
        if (result instanceof IntakeResult.AlreadyAnnounced existing) {
            Map<String, Object> response = new LinkedHashMap<>();
            response.put("publication_id", existing.publicationId().toString());
            response.put("status", existing.status().value());
            response.put("delivery_id", call.deliveryId());
            response.put("already_announced", true);
            String responseBody = json.writeValueAsString(response);
            deliveries.answered(
                    call,
                    200,
                    "manifest " + a.ref().digest() + " was already announced for this triple (publication "
                            + existing.publicationId() + ", "
                            + existing.status().value()
                            + "): nothing created, nothing promoted",
                    existing.publicationId(),
                    responseBody,
                    null);
            return new Receipt(200, responseBody);
        }
        throw deliveries.refuse(call, refusal(label, a, result));
    }

    private static DomainException refusal(
            String label, AnnouncementParser.WebhookAnnouncement a, IntakeResult result) {
        if (result instanceof IntakeResult.PlatformUnknown) {
            return DomainException.invalid(
                    "platform", AnnouncementRules.unknownPlatform(a.artifact().platformRef()));
        }
        if (result instanceof IntakeResult.NoVerificationPolicy p) {
            return DomainException.invalid("platform", AnnouncementRules.noVerificationPolicy(p.platformSlug()));
        }
        if (result instanceof IntakeResult.PlatformNotAllowed p) {
            String message = "webhook '" + label + "' may not announce for platform '" + p.platformSlug()
                    + "' (not in its allowed_platforms)";
            return new DomainException(
                    ErrorKind.FORBIDDEN,
                    "webhook/platform-not-allowed",
                    message,
                    List.of(new FieldError("platform", message)));
        }
        if (result instanceof IntakeResult.WorkerUnknown) {
            return DomainException.invalid("worker_id", "no worker " + a.workerId());
        }
        if (result instanceof IntakeResult.WorkerForeign w) {
            return DomainException.invalid(
                    "worker_id",
                    "worker " + a.workerId() + " ('" + w.workerLabel() + "') is not bound to webhook '" + label
                            + "' (a worker may announce through the webhook of its own label)");
        }
        // raced a concurrent change (platform policy, allow-list, a publication failing), or a delivery
        // id accepted concurrently and not visible yet: the runner retries the same delivery id
        return new DomainException(
                ErrorKind.UNAVAILABLE, "webhook/retry", "the announcement raced a concurrent change; retry");
    }
}
