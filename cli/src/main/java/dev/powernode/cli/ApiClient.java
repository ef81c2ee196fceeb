package dev.powernode.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
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

    /**
     * Streams a file answer into {@code target}: through {@code target.part}, renamed only once it has
     * {@code size} bytes (and, when {@code sha256} is given, that hash), so a broken or refused
     * transfer never leaves a file that looks whole. {@code text} non-null: POSTed as text/plain.
     * {@code size} -1: the answer's Content-Length. One progress line per 10 % on {@code err}. Returns
     * the answer's headers.
     */
    java.net.http.HttpHeaders download(
            String path, String text, Path target, long size, String sha256, PrintWriter err) {
        // no 30 s limit: an overlay's answer comes after the platform re-hashed the whole base
        HttpRequest.Builder b = request(path)
                .timeout(Duration.ofHours(2))
                .header("Accept", "application/octet-stream, application/json");
        if (text != null) {
            b.header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(text));
        } else {
            b.GET();
        }
        HttpRequest request = b.build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new CliException("cannot reach " + request.uri() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        if (response.statusCode() >= 400) {
            String body;
            try (InputStream in = response.body()) {
                body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            throw new CliException(problem(response.statusCode(), request.uri().getPath(), body));
        }
        if (size < 0) {
            size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        }
        if (size < 0 && sha256 == null) {
            try (InputStream in = response.body()) {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // refused below either way
            }
            throw new CliException("the platform did not say how long " + target.getFileName()
                    + " is (no Content-Length): a short transfer could not be told from a whole one; not saved");
        }
        Path part = target.resolveSibling(target.getFileName() + ".part");
        MessageDigest sha = dev.powernode.common.oci.Digest.hasher();
        long done = 0;
        long started = System.nanoTime();
        int lastTenth = 0;
        try (InputStream in = response.body();
                FileChannel out = FileChannel.open(
                        part,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                // a disk is mostly zeros: those runs become holes, as cp --sparse=always would make them
                if (!isZero(buf, n)) {
                    ByteBuffer chunk = ByteBuffer.wrap(buf, 0, n);
                    while (chunk.hasRemaining()) {
                        out.write(chunk, done + chunk.position());
                    }
                }
                sha.update(buf, 0, n);
                done += n;
                int tenth = size > 0 ? (int) (done * 10 / size) : 10;
                if (size > 8L * 1024 * 1024 && tenth > lastTenth) {
                    lastTenth = tenth;
                    double secs = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
                    err.printf(
                            Locale.ROOT,
                            "  %s %d%% (%d / %d MiB, %.0f MiB/s)%n",
                            target.getFileName(),
                            tenth * 10,
                            done >> 20,
                            size >> 20,
                            done / 1048576.0 / secs);
                    err.flush();
                }
            }
            if (out.size() < done) {
                out.write(ByteBuffer.wrap(new byte[1]), done - 1);
            }
            out.force(true);
        } catch (IOException e) {
            throw new CliException("the download of " + target.getFileName() + " broke after " + done + " of " + size
                    + " bytes (" + e.getMessage() + "); " + part + " is incomplete: run the command again");
        }
        if (size >= 0 && done != size) {
            throw new CliException("the download of " + target.getFileName() + " ended after " + done + " of " + size
                    + " bytes: the platform stopped it (see its log); " + part + " is incomplete");
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (sha256 != null && !sha256.equals(got)) {
            throw new CliException(target.getFileName() + " hashes to " + got + ", not the published " + sha256 + "; "
                    + part + " is kept for inspection");
        }
        try {
            Files.move(part, target); // refuses a target that appeared meanwhile: never overwritten
        } catch (IOException e) {
            throw new CliException("cannot move " + part + " to " + target + ": " + e.getMessage());
        }
        return response.headers();
    }

    private static boolean isZero(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
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
