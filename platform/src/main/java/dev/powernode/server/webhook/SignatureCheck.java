package dev.powernode.server.webhook;

import dev.powernode.common.webhook.WebhookSignature;
import dev.powernode.server.shared.ErrorKind;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * Whether a call carries the webhook's signature, fresh and for the first time: the delivery id's
 * form, the HMAC over timestamp, delivery id and body (constant time, docs/ingest.md), a signature
 * seen before (a captured request re-sent, docs/decisions/004) and the timestamp window. Each
 * refusal is recorded.
 */
@Component
class SignatureCheck {
    static final Pattern DELIVERY_ID = Pattern.compile("[A-Za-z0-9._:-]{1,200}");

    private final DeliveryRecorder deliveries;

    SignatureCheck(DeliveryRecorder deliveries) {
        this.deliveries = deliveries;
    }

    /**
     * Returns {@code call} with its verified signature, or throws the recorded refusal (401).
     * {@code window} is how far the signed timestamp may be from the platform's clock.
     */
    Call verify(Call call, byte[] secret, String timestamp, String signature, byte[] body, Duration window) {
        String deliveryId = call.deliveryId();
        if (signature == null || timestamp == null || deliveryId == null) {
            throw deliveries.refuse(
                    call,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/unsigned",
                    "missing " + WebhookSignature.SIGNATURE_HEADER + ", " + WebhookSignature.TIMESTAMP_HEADER + " or "
                            + WebhookSignature.DELIVERY_HEADER + " header");
        }
        if (!DELIVERY_ID.matcher(deliveryId).matches()) {
            throw deliveries.refuse(
                    call.withoutDeliveryId(),
                    ErrorKind.UNAUTHORIZED,
                    "webhook/bad-delivery-id",
                    WebhookSignature.DELIVERY_HEADER + " must be 1-200 of A-Z a-z 0-9 . _ : -");
        }
        long ts;
        try {
            ts = Long.parseLong(timestamp.strip());
        } catch (NumberFormatException e) {
            throw deliveries.refuse(
                    call,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/bad-timestamp",
                    WebhookSignature.TIMESTAMP_HEADER + " must be unix seconds");
        }
        String signatureHex = WebhookSignature.hex(signature);
        if (!WebhookSignature.verify(secret, ts, deliveryId, body, signature)) {
            Optional<Instant> seen = signatureHex == null
                    ? Optional.empty()
                    : deliveries.seen(call.webhookId(), signatureHex, call.now(), window);
            if (seen.isPresent()) {
                throw deliveries.refuse(
                        call,
                        ErrorKind.UNAUTHORIZED,
                        "webhook/replayed",
                        "this signature was already used by a delivery at " + seen.get()
                                + ": a captured request re-sent (the delivery id is signed)");
            }
            throw deliveries.refuse(
                    call,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/bad-signature",
                    "signature does not match (wrong secret, or timestamp, delivery id or body changed after"
                            + " signing)");
        }
        Call signed = call.withSignature(signatureHex);
        if (Math.abs(call.now().getEpochSecond() - ts) > window.toSeconds()) {
            throw deliveries.refuse(
                    signed,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/stale",
                    "timestamp " + ts + " is more than " + window.toSeconds() + " s from the platform's clock");
        }
        return signed;
    }
}
