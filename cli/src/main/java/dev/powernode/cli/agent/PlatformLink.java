package dev.powernode.cli.agent;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The node API of the platform ({@code /api/v1/system/node_api/}), authenticated by the node token:
 * the triple's current publication (polled with {@code If-None-Match}) and boot reports.
 */
final class PlatformLink {
    /** The publication the platform wants this node to run. */
    record Current(String publicationId, String ociRef, String sha256, String etag) {}

    /** One boot report; a retry sends the same {@code reportId}. */
    record Report(
            String reportId, String publicationId, String sha256, String result, String agentVersion, long uptime) {}

    private final URI base;
    private final String token;
    private final HttpClient http;

    PlatformLink(URI platformUrl, String token) {
        String s = platformUrl.toString();
        this.base = URI.create((s.endsWith("/") ? s : s + "/") + "api/v1/system/node_api/");
        this.token = token;
        this.http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    URI base() {
        return base;
    }

    /** The current publication, or null when it is still the one {@code etag} names (304). */
    Current current(String etag) {
        HttpRequest.Builder b = request("current").GET();
        if (etag != null) {
            b.header("If-None-Match", etag);
        }
        HttpResponse<String> r = send(b, "current");
        if (r.statusCode() == 304) {
            return null;
        }
        JsonNode body = json(r, "current");
        String id = field(body, "publication_id");
        return new Current(
                id,
                field(body, "oci_ref"),
                field(body, "sha256"),
                r.headers().firstValue("ETag").orElse("\"" + id + "\""));
    }

    void report(Report report) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("report_id", report.reportId());
        body.put("publication_id", report.publicationId());
        body.put("sha256", report.sha256());
        body.put("result", report.result());
        body.put("agent_version", report.agentVersion());
        body.put("uptime_seconds", report.uptime());
        HttpRequest.Builder b = request("reports")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(AgentConfig.JSON.writeValueAsString(body)));
        json(send(b, "reports"), "reports");
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
    }

    private HttpResponse<String> send(HttpRequest.Builder b, String what) {
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AgentException(
                    AgentException.Kind.PLATFORM_UNREACHABLE,
                    "platform " + base.resolve(what) + " unreachable: "
                            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(AgentException.Kind.PLATFORM_UNREACHABLE, "interrupted calling the platform");
        }
    }

    private JsonNode json(HttpResponse<String> r, String what) {
        if (r.statusCode() / 100 != 2) {
            String detail = r.body();
            try {
                JsonNode problem = AgentConfig.JSON.readTree(r.body());
                if (problem != null && problem.hasNonNull("detail")) {
                    detail = (problem.hasNonNull("code") ? problem.get("code").asString() + ": " : "")
                            + problem.get("detail").asString();
                }
            } catch (JacksonException e) {
                // not problem+json: the body as it is
            }
            throw new AgentException(
                    r.statusCode() >= 500 || r.statusCode() == 429
                            ? AgentException.Kind.PLATFORM_UNREACHABLE
                            : AgentException.Kind.PLATFORM_REFUSED,
                    "platform " + what + ": HTTP " + r.statusCode() + " "
                            + detail.substring(0, Math.min(detail.length(), 300)));
        }
        try {
            return AgentConfig.JSON.readTree(r.body());
        } catch (JacksonException e) {
            throw new AgentException(AgentException.Kind.PLATFORM_REFUSED, "platform " + what + ": not JSON");
        }
    }

    private static String field(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || !v.isString() || v.asString().isBlank()) {
            throw new AgentException(AgentException.Kind.PLATFORM_REFUSED, "platform current: no " + name);
        }
        return v.asString();
    }
}
