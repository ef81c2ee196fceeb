package dev.powernode.server.support;

import dev.powernode.common.webhook.WebhookSignature;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/** Calls the webhook receiver the way a CI runner does: HMAC-signed, timestamped, with a delivery id. */
public final class WebhookCaller {
    private final Api api;
    private final String url;
    private final byte[] secret;

    public WebhookCaller(Api api, String webhookUrl, String secret) {
        this.api = api.anonymous();
        this.url = webhookUrl;
        this.secret = secret.getBytes(StandardCharsets.US_ASCII);
    }

    public Api.Response send(String body) {
        return send(UUID.randomUUID().toString(), Instant.now().getEpochSecond(), body);
    }

    public Api.Response send(String deliveryId, long timestamp, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return sendRaw(deliveryId, Long.toString(timestamp), WebhookSignature.sign(secret, timestamp, bytes), bytes);
    }

    public Api.Response sendRaw(String deliveryId, String timestamp, String signature, byte[] body) {
        HttpRequest.Builder b = api.request(path()).header("Content-Type", "application/json");
        if (deliveryId != null) {
            b.header(WebhookSignature.DELIVERY_HEADER, deliveryId);
        }
        if (timestamp != null) {
            b.header(WebhookSignature.TIMESTAMP_HEADER, timestamp);
        }
        if (signature != null) {
            b.header(WebhookSignature.SIGNATURE_HEADER, signature);
        }
        return api.send(b.POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    public String path() {
        return url.substring(url.indexOf("/api/"));
    }

    public byte[] secret() {
        return secret.clone();
    }

    /** A well-formed announcement body. */
    public static String body(String platform, String family, String arch, String ociRef, String sha256, long size) {
        return """
                {"platform":"%s","artifact_family":"%s","arch":"%s","oci_ref":"%s","sha256":"%s","size_bytes":%d,
                 "git_sha":"0123456789abcdef0123456789abcdef01234567","run_id":"42"}
                """.formatted(platform, family, arch, ociRef, sha256, size);
    }
}
