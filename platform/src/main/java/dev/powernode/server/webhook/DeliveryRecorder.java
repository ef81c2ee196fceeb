package dev.powernode.server.webhook;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.Text;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Writes and consults the receiver's side of {@code webhook_delivery}: every call to a known
 * webhook becomes a row, refused ones with their bounded reason (docs/ingest.md). The accepted
 * call's row is written by the intake statement itself ({@code ingest/PublicationIntake}); this
 * class writes all the others, and answers the two questions the receiver asks of earlier rows:
 * was this signature seen before (a replay), and was this delivery id accepted before (a repeat).
 */
@Component
class DeliveryRecorder {
    /** Stored reasons are cut to this many characters. */
    static final int MAX_REASON = 500;

    private final JdbcClient jdbc;

    DeliveryRecorder(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records the refused call and returns the error to throw: the one way the receiver refuses. */
    DomainException refuse(Call call, ErrorKind kind, String code, String reason) {
        return refuse(call, new DomainException(kind, code, reason));
    }

    /** {@link #refuse(Call, ErrorKind, String, String)} for a refusal that names fields. */
    DomainException refuse(Call call, DomainException refusal) {
        insert(call, refusal.kind().httpStatus(), refusal.getMessage(), null, null, null);
        return refusal;
    }

    /** Records a call answered without creating anything (a repeat, a manifest already announced). */
    void answered(Call call, int status, String reason, UUID publicationId, String responseBody, UUID duplicateOf) {
        insert(call, status, reason, publicationId, responseBody, duplicateOf);
    }

    /**
     * When a delivery to this webhook last carried this signature, within twice {@code window}
     * (reads {@code webhook_delivery_by_webhook}; docs/decisions/004).
     */
    Optional<Instant> seen(UUID webhookId, String signatureHex, Instant now, Duration window) {
        return jdbc.sql("""
                select max(received_at) from webhook_delivery
                where webhook_id = :webhook and signature = :signature and received_at >= :since
                """)
                .param("webhook", webhookId)
                .param("signature", signatureHex)
                .param("since", Timestamp.from(now.minus(window).minus(window)))
                .query((rs, n) -> rs.getTimestamp(1))
                .optional()
                .filter(Objects::nonNull)
                .map(Timestamp::toInstant);
    }

    /**
     * The first answer to a delivery id that was accepted before: the same answer when the body is
     * the same (recorded as a repeat), 409 {@code webhook/delivery-conflict} when it differs
     * (recorded). Empty when the delivery id is new.
     */
    Optional<Receipt> firstReceipt(Call call) {
        Optional<Map<String, Object>> first = jdbc
                .sql("""
                select id, http_status, response_body, publication_id, body_sha256 from webhook_delivery
                where webhook_id = :webhook and delivery_id = :delivery and http_status = 202 and duplicate_of is null
                """)
                .param("webhook", call.webhookId())
                .param("delivery", call.deliveryId())
                .query()
                .listOfRows()
                .stream()
                .findFirst();
        if (first.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> row = first.get();
        Object firstBody = row.get("body_sha256");
        if (firstBody != null && !firstBody.toString().equals(call.bodySha())) {
            throw refuse(
                    call,
                    DomainException.conflict(
                            "webhook/delivery-conflict",
                            "delivery id " + call.deliveryId() + " was accepted before with another body (SHA-256 "
                                    + firstBody + ", this one " + call.bodySha() + "): nothing created; use a new"
                                    + " delivery id for a new announcement"));
        }
        String response = (String) row.get("response_body");
        answered(
                call,
                202,
                "repeated delivery: answered with the first response, nothing created",
                (UUID) row.get("publication_id"),
                response,
                (UUID) row.get("id"));
        return Optional.of(new Receipt(202, response));
    }

    /**
     * One delivery row. The signature is kept only for calls whose HMAC verified (the column says
     * "signature_valid"); reasons and ids are made printable and bounded.
     */
    private void insert(
            Call call, int status, String reason, UUID publicationId, String responseBody, UUID duplicateOf) {
        jdbc.sql("""
                insert into webhook_delivery (id, requested_webhook_id, webhook_id, delivery_id, received_at,
                    signature_valid, http_status, reason, publication_id, response_body, duplicate_of, signature,
                    body_sha256)
                values (:id, :path, :webhook, :delivery, :at, :valid, :status, :reason, :publication, :body, :dup,
                    :signature, :bodySha)
                """)
                .param("id", Ids.newId())
                .param("path", Text.printable(call.path(), 200))
                .param("webhook", call.webhookId())
                .param("delivery", Text.printable(call.deliveryId(), 200))
                .param("at", Timestamp.from(call.now()))
                .param("valid", call.signatureHex() != null)
                .param("status", status)
                .param("reason", Text.printable(reason, MAX_REASON))
                .param("publication", publicationId)
                .param("body", responseBody)
                .param("dup", duplicateOf)
                .param("signature", call.signatureHex())
                .param("bodySha", call.bodySha())
                .update();
    }
}
