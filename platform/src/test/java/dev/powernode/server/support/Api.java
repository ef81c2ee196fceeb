package dev.powernode.server.support;

import dev.powernode.common.token.Scope;
import dev.powernode.common.token.SigningKey;
import dev.powernode.common.token.TokenMinter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A real HTTP client of the running service, with tokens minted from the test signing key. */
public final class Api {
    public static final String JWT_SECRET = "dGVzdC1zaWduaW5nLWtleS1mb3ItcG93ZXJub2RlLXRlc3RzLTAxMjM0NTY3ODk=";
    public static final String MASTER_KEY = "dGVzdC1tYXN0ZXIta2V5LWZvci1wb3dlcm5vZGUtdGVzdHMtMDEyMzQ1Njc4OTA=";
    public static final TokenMinter MINTER = new TokenMinter(SigningKey.fromBase64(JWT_SECRET));
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final URI base;
    private final String token;

    public Api(int port, String token) {
        this.base = URI.create("http://127.0.0.1:" + port);
        this.token = token;
    }

    /** A token valid for a year: longer than any test advances the service's {@link SettableClock}. */
    public static String token(Scope... scopes) {
        return MINTER.mint("test-" + scopes[0].value(), List.of(scopes), Instant.now(), Duration.ofDays(365))
                .token();
    }

    public Api as(String otherToken) {
        return new Api(base.getPort(), otherToken);
    }

    public Api anonymous() {
        return new Api(base.getPort(), null);
    }

    public Response get(String path) {
        return send(request(path).GET());
    }

    public Response post(String path, String json) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response patch(String path, String json) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response put(String path, String json) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response delete(String path) {
        return send(request(path).DELETE());
    }

    public Response send(HttpRequest.Builder builder) {
        try {
            HttpResponse<String> r = HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(
                    r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends with another body handler (bytes, a file); an I/O failure is an UncheckedIOException. */
    public <T> HttpResponse<T> send(HttpRequest.Builder builder, HttpResponse.BodyHandler<T> handler) {
        try {
            return HTTP.send(builder.build(), handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    /** A response with its body parsed lazily as JSON. */
    public record Response(int status, String contentType, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            return JSON.readTree(body);
        }

        public boolean isProblem() {
            return contentType.startsWith("application/problem+json");
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }
}
