package dev.powernode.cli;

import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.webhook.WebhookSignature;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/**
 * The runner's side of the webhook (docs/ingest.md): the announcement of one pushed and signed
 * artifact, HMAC-signed with the webhook's secret and retried under one delivery id
 * (docs/decisions/004-signed-delivery-ids-and-build-order.md). A mixin of {@code publish}: its
 * options are listed with the command's.
 */
final class WebhookAnnouncer {
    private static final int ATTEMPTS = 5;

    @Option(names = "--webhook-url", required = true, description = "The webhook URL provisioning returned.")
    String webhookUrl;

    @Option(names = "--webhook-secret-env", description = "Environment variable holding the webhook secret.")
    String webhookSecretEnv;

    @Option(names = "--webhook-secret-file", description = "File holding the webhook secret (instead of an env var).")
    Path webhookSecretFile;

    @Option(names = "--run-id", description = "CI run id, kept with the publication.")
    String runId;

    @Option(
            names = "--worker-id",
            description = "The registered ci_worker (id) running this publish; it must be bound to the webhook's label"
                    + " (kept as triggered_by_worker_id).")
    String workerId;

    /** What the platform answered: the publication the announcement made (or had made before). */
    record Receipt(String publicationId, String status, boolean alreadyAnnounced) {}

    /** The webhook secret from the file or environment variable named; a usage error when there is none. */
    byte[] secret() {
        try {
            if (webhookSecretFile != null) {
                return Files.readString(webhookSecretFile).strip().getBytes(StandardCharsets.US_ASCII);
            }
        } catch (IOException e) {
            throw new CliException("cannot read " + webhookSecretFile + ": " + e.getMessage(), 2);
        }
        String value = webhookSecretEnv == null ? null : System.getenv(webhookSecretEnv);
        if (value == null || value.isBlank()) {
            throw new CliException(
                    "no webhook secret: pass --webhook-secret-env VAR (set in the CI secrets) or --webhook-secret-file",
                    2);
        }
        return value.strip().getBytes(StandardCharsets.US_ASCII);
    }

    /** Refuses a --worker-id that cannot be a worker's id, before anything is pushed. */
    void checkWorkerId() {
        if (workerId != null && !workerId.matches("[0-9a-fA-F-]{36}")) {
            throw new CliException("--worker-id must be a worker's id (a UUID), got " + workerId, 2);
        }
    }

    /** Announces {@code pushed}, the artifact of {@code upload}, for {@code platform}. */
    Receipt announce(
            byte[] secret,
            String platform,
            PublishPlan plan,
            PublishPlan.Upload upload,
            DiskImageArtifacts.Pushed pushed) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("platform", platform);
        body.put("artifact_family", upload.family());
        body.put("arch", plan.arch());
        body.put("oci_ref", pushed.ref().toString());
        body.put("sha256", pushed.primary().digest().hex());
        body.put("size_bytes", pushed.primary().size());
        body.put("git_sha", plan.gitSha());
        body.put("build_time", plan.builtAt().toString());
        if (upload.firmwareRef() != null) {
            body.put("firmware_ref", upload.firmwareRef());
        }
        if (runId != null) {
            body.put("run_id", runId);
        }
        if (workerId != null) {
            body.put("worker_id", workerId);
        }
        JsonNode receipt = post(body, secret);
        return new Receipt(
                receipt.get("publication_id").asString(),
                receipt.get("status").asString(),
                receipt.path("already_announced").asBoolean(false));
    }

    private JsonNode post(Map<String, Object> body, byte[] secret) {
        byte[] bytes = ApiClient.JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        String delivery = UUID.randomUUID().toString();
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        // the same delivery id on every retry: the platform answers a repeat with its first answer
        for (int attempt = 1; ; attempt++) {
            long ts = Instant.now().getEpochSecond();
            HttpRequest request;
            try {
                request = HttpRequest.newBuilder(URI.create(webhookUrl))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .header(WebhookSignature.DELIVERY_HEADER, delivery)
                        .header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(ts))
                        .header(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(secret, ts, delivery, bytes))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                        .build();
            } catch (IllegalArgumentException e) {
                throw new CliException("--webhook-url is not a URL: " + webhookUrl, 2);
            }
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                // 200: this manifest was announced before; the answer names that publication
                if (r.statusCode() == 202 || r.statusCode() == 200) {
                    return ApiClient.JSON.readTree(r.body());
                }
                if (r.statusCode() < 500 || attempt == ATTEMPTS) {
                    throw new CliException("webhook refused (HTTP " + r.statusCode() + "): " + detail(r.body()));
                }
            } catch (IOException e) {
                if (attempt == ATTEMPTS) {
                    throw new CliException("cannot reach the webhook " + webhookUrl + ": " + e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted");
            }
            Pause.sleep(Duration.ofSeconds(1L << attempt));
        }
    }

    private static String detail(String body) {
        try {
            JsonNode problem = ApiClient.JSON.readTree(body);
            return problem.has("detail") ? problem.get("detail").asString() : body;
        } catch (RuntimeException e) {
            return body;
        }
    }
}
