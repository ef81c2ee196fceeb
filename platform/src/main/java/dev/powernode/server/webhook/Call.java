package dev.powernode.server.webhook;

import java.time.Instant;
import java.util.UUID;

/**
 * A call to a known webhook, as far as the receiver has read it: what its delivery row records,
 * accepted or refused. {@code signatureHex} is set only once the signature verified.
 */
record Call(String path, UUID webhookId, String deliveryId, String bodySha, String signatureHex, Instant now) {
    Call withBodySha(String sha) {
        return new Call(path, webhookId, deliveryId, sha, signatureHex, now);
    }

    Call withSignature(String hex) {
        return new Call(path, webhookId, deliveryId, bodySha, hex, now);
    }

    /** The delivery id was malformed: it is not recorded as one. */
    Call withoutDeliveryId() {
        return new Call(path, webhookId, null, bodySha, signatureHex, now);
    }
}
