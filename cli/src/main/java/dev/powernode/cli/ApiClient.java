package dev.powernode.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Minimal JSON client of the platform REST API; problem+json errors become {@link CliException}s. */
final class ApiClient {
    static final JsonMapper JSON = JsonMapper.builder().build();

    private final URI base;
    private final String token;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    ApiClient(String base, String token) {
        try {
            this.base = URI.create(base.endsWith("/") ? base : base + "/");
        } catch (IllegalArgumentException e) {
            throw new CliException("--api-url is not a URL: " + base, 2);
        }
        this.token = token;
    }

    JsonNode get(String path) {
        return send(request(path).GET());
    }

    /** POSTs {@code body} as JSON; a null body sends none. */
    JsonNode post(String path, Object body) {
        if (body == null) {
            return send(request(path).POST(HttpRequest.BodyPublishers.noBody()));
        }
        return send(request(path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    /** A JSON merge patch ({@code application/merge-patch+json} semantics; sent as JSON). */
    JsonNode patch(String path, Object body) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    /** PUTs {@code body} as JSON. */
    JsonNode put(String path, Object body) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    JsonNode delete(String path) {
        return send(request(path).DELETE());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path.startsWith("/") ? path.substring(1) : path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json")
                .header("Authorization", "Bearer " + token);
    }

    private JsonNode send(HttpRequest.Builder builder) {
        HttpRequest request = builder.build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliException("cannot reach " + request.uri() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        String body = response.body();
        if (response.statusCode() >= 400) {
            throw new CliException(problem(response.statusCode(), request.uri().getPath(), body));
        }
        return body == null || body.isEmpty() ? null : JSON.readTree(body);
    }

    /**
     * The one-line-per-fact text of an error answer: the problem's {@code code} and {@code detail}
     * with the HTTP status (and for a 5xx the {@code request_id} to quote), then each invalid field; a body that is not problem+json as it came.
     */
    static String problem(int status, String path, String body) {
        JsonNode problem = null;
        try {
            problem = body == null || body.isEmpty() ? null : JSON.readTree(body);
        } catch (RuntimeException notJson) {
            // reported raw below
        }
        if (problem == null || !problem.isObject() || !problem.has("detail")) {
            return "HTTP " + status + " from " + path + (body == null || body.isBlank() ? "" : ": " + body.strip());
        }
        StringBuilder b = new StringBuilder();
        if (problem.hasNonNull("code")) {
            b.append(problem.get("code").asString()).append(": ");
        }
        b.append(problem.get("detail").asString()).append(" (HTTP ").append(status);
        if (status >= 500 && problem.hasNonNull("request_id")) {
            b.append(", request_id ").append(problem.get("request_id").asString());
        }
        b.append(')');
        JsonNode errors = problem.get("errors");
        if (errors != null && errors.isArray()) {
            for (JsonNode e : errors.values()) {
                b.append(System.lineSeparator())
                        .append("  ")
                        .append(Format.text(e, "field"))
                        .append(": ")
                        .append(Format.text(e, "message"));
            }
        }
        return b.toString();
    }

    /** {@code path?name=value&...} with the values URL-encoded; null values are left out. */
    static String query(String path, Object... namesAndValues) {
        StringBuilder b = new StringBuilder(path);
        char sep = path.contains("?") ? '&' : '?';
        for (int i = 0; i < namesAndValues.length; i += 2) {
            Object v = namesAndValues[i + 1];
            if (v != null) {
                b.append(sep).append(namesAndValues[i]).append('=').append(enc(v.toString()));
                sep = '&';
            }
        }
        return b.toString();
    }

    /** A path segment or query value, URL-encoded. */
    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String pretty(JsonNode node) {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    }
}
