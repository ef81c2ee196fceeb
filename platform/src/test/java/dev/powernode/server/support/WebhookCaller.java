package dev.powernode.server.support;

import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.webhook.WebhookSignature;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import tools.jackson.databind.json.JsonMapper;

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
        return sendRaw(
                deliveryId,
                Long.toString(timestamp),
                WebhookSignature.sign(secret, timestamp, deliveryId, bytes),
                bytes);
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

    /** The build time announced by {@link #body(String, String, String, String, String, long)}. */
    public static final String DEFAULT_BUILD_TIME = "2023-11-14T22:13:20Z";

    /** A well-formed announcement body (build time {@link #DEFAULT_BUILD_TIME}). */
    public static String body(String platform, String family, String arch, String ociRef, String sha256, long size) {
        return body(platform, family, arch, ociRef, sha256, size, DEFAULT_BUILD_TIME);
    }

    /** A well-formed announcement body with this build time. */
    public static String body(
            String platform, String family, String arch, String ociRef, String sha256, long size, String buildTime) {
        return """
                {"platform":"%s","artifact_family":"%s","arch":"%s","oci_ref":"%s","sha256":"%s","size_bytes":%d,
                 "git_sha":"0123456789abcdef0123456789abcdef01234567","run_id":"42","build_time":"%s"}
                """.formatted(platform, family, arch, ociRef, sha256, size, buildTime);
    }

    /** The announcement of a pushed artifact (as {@code ociRef}): its primary layer and its manifest's build time. */
    public static String body(
            String platform, String family, String arch, String ociRef, DiskImageArtifacts.Pushed pushed) {
        return body(
                platform,
                family,
                arch,
                ociRef,
                pushed.primary().digest().hex(),
                pushed.primary().size(),
                buildTime(pushed));
    }

    /** The {@code org.opencontainers.image.created} annotation of a pushed manifest. */
    public static String buildTime(DiskImageArtifacts.Pushed pushed) {
        return JsonMapper.builder()
                .build()
                .readTree(pushed.manifest())
                .path("annotations")
                .path("org.opencontainers.image.created")
                .asString();
    }
}
