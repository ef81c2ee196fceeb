package dev.powernode.common.oci;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The HTTP side of {@link RegistryClient}: which registries may be reached and over which scheme,
 * building and sending requests with their timeouts, answering an authentication challenge (through
 * {@link RegistryAuth}), following redirects, and turning unusable responses into
 * {@link RegistryException}s. Knows nothing of manifests or blobs; it changes when the way we talk
 * HTTP to registries changes.
 */
final class RegistryTransport {
    static final String USER_AGENT = "powernode-registry-client";

    private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;
    private static final int MAX_REDIRECTS = 5;
    private static final Pattern LINK = Pattern.compile("<([^>]*)>((?:\\s*;\\s*[^;,]+)*)");
    private static final Pattern REL_NEXT = Pattern.compile(";\\s*rel\\s*=\\s*\"?([^\";]*)\"?");

    private final Set<String> allowedRegistries;
    private final boolean allowAnyRegistry;
    private final Set<String> plainHttpRegistries;
    private final java.util.Map<String, String> endpoints;
    private final Duration readTimeout;
    private final Duration connectTimeout;
    private final HttpClient http;
    private final RegistryAuth auth;
    /** Registries already asked how they authenticate (see {@link #learnChallenge}). */
    private final Set<String> probed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    RegistryTransport(RegistryClient.Builder config) {
        this.allowedRegistries = lowerCase(config.allowedRegistries);
        this.allowAnyRegistry = config.allowAnyRegistry;
        this.plainHttpRegistries = lowerCase(config.plainHttpRegistries);
        this.endpoints = java.util.Map.copyOf(config.endpoints);
        this.readTimeout = config.readTimeout;
        this.connectTimeout = config.connectTimeout;
        // HTTP/1.1 throughout: closing a broken or stalled body then closes exactly its connection,
        // and plain-http registries are not offered an h2c upgrade they may mishandle.
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.auth = new RegistryAuth(config.credentials, config.clock, http, readTimeout, this::isPlainHttp);
    }

    /** Longest wait for the next bytes of a response; also the base timeout of every request. */
    Duration readTimeout() {
        return readTimeout;
    }

    /** A request to {@code registry}, refused here (before any connection) if it is not allowed. */
    Call call(String registry, String what) {
        return new Call(registry, what);
    }

    /** One request to one registry; re-sendable after an auth challenge unless its body is one-shot. */
    final class Call {
        final String registry;
        final String what;
        String method = "GET";
        URI uri;
        String scope = "";
        final Map<String, String> headers = new LinkedHashMap<>();
        Supplier<BodyPublisher> body;
        boolean replayable = true;
        Duration timeout = readTimeout;
        /** A large body read in bulk: sent through {@link UrlConnectionExchange} (GET only). */
        boolean bulk;

        private Call(String registry, String what) {
            requireAllowed(registry);
            this.registry = registry;
            this.what = what;
        }

        Call method(String m) {
            method = m;
            return this;
        }

        Call uri(URI u) {
            uri = u;
            return this;
        }

        Call pull(String repository) {
            return scope(repository, "pull");
        }

        Call push(String repository) {
            return scope(repository, "pull,push");
        }

        Call scope(String repository, String actions) {
            scope = "repository:" + repository(repository) + ":" + actions;
            return this;
        }

        Call header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Call body(Supplier<BodyPublisher> publisher, boolean canReplay) {
            body = publisher;
            replayable = canReplay;
            return this;
        }

        Call timeout(Duration d) {
            timeout = d;
            return this;
        }

        Call bulk() {
            bulk = true;
            return this;
        }
    }

    // ---- the exchange: auth, redirects --------------------------------------------------------

    /** {@link #exchange} with connection failures reported as TRANSIENT. */
    HttpResponse<InputStream> send(Call call) {
        try {
            return exchange(call);
        } catch (IOException e) {
            throw unreachable(call, e);
        }
    }

    /**
     * Sends {@code call}, answering one authentication challenge and following redirects. Returns
     * the response whatever its status (callers decide what a 404 means); only 401 after
     * authenticating is turned into an error here. An {@link IOException} is left to the caller,
     * which alone can tell a broken transfer worth resuming from an unreachable registry.
     */
    HttpResponse<InputStream> exchange(Call call) throws IOException {
        String authorization = auth.upFront(call.registry, call.scope);
        if (authorization == null && call.body != null && probed.add(call.registry.toLowerCase(Locale.ROOT))) {
            authorization = learnChallenge(call);
        }
        HttpResponse<InputStream> response = sendOnce(call, call.uri, authorization);
        if (response.statusCode() == 401) {
            List<String> challenge = response.headers().allValues("WWW-Authenticate");
            discard(response);
            String answer = auth.answer(call.registry, call.scope, call.what, challenge, authorization);
            if (!call.replayable) {
                throw new RegistryException(
                        RegistryException.Kind.UNAUTHORIZED,
                        call.what + ": the registry asked to authenticate again in the middle of an upload"
                                + " (token expired?); retry the push",
                        401,
                        null);
            }
            response = sendOnce(call, call.uri, answer);
            if (response.statusCode() == 401) {
                discard(response);
                throw new RegistryException(
                        RegistryException.Kind.UNAUTHORIZED,
                        call.what + ": the registry rejected "
                                + (auth.hasCredentials(call.registry)
                                        ? "the configured credentials"
                                        : "anonymous access")
                                + RegistryAuth.scopeText(call.scope) + " (HTTP 401 after authenticating)",
                        401,
                        null);
            }
        }
        return followRedirects(call, response);
    }

    /**
     * Before the first request with a body to a registry whose way of authenticating is not known
     * yet: a bodiless {@code GET /v2/} learns it, so the body goes out with credentials. Otherwise
     * the registry answers 401 without reading a large body and closes the connection while the
     * body is still being written, which the client sees as a broken connection, not as a 401.
     */
    private String learnChallenge(Call call) throws IOException {
        Call probe = new Call(call.registry, call.what + " (learning how " + call.registry + " authenticates)");
        probe.uri = url(call.registry, "/v2/");
        HttpResponse<InputStream> response = sendOnce(probe, probe.uri, null);
        try {
            if (response.statusCode() == 401) {
                return auth.answer(
                        call.registry,
                        call.scope,
                        probe.what,
                        response.headers().allValues("WWW-Authenticate"),
                        null);
            }
            return null;
        } finally {
            discard(response);
        }
    }

    private HttpResponse<InputStream> followRedirects(Call call, HttpResponse<InputStream> first) throws IOException {
        HttpResponse<InputStream> response = first;
        URI current = call.uri;
        for (int hops = 0; isRedirect(response.statusCode()); hops++) {
            if (!call.method.equals("GET") && !call.method.equals("HEAD")) {
                return response;
            }
            Optional<String> location = response.headers().firstValue("Location");
            if (location.isEmpty()) {
                return response;
            }
            discard(response);
            if (hops == MAX_REDIRECTS) {
                throw new RegistryException(
                        RegistryException.Kind.INVALID, call.what + ": more than " + MAX_REDIRECTS + " redirects");
            }
            URI next;
            try {
                next = current.resolve(location.get());
            } catch (IllegalArgumentException e) {
                throw new RegistryException(
                        RegistryException.Kind.INVALID, call.what + ": unusable redirect: " + e.getMessage());
            }
            boolean sameRegistry = reaches(next, call.registry);
            boolean https = "https".equals(next.getScheme());
            boolean plainOk = "http".equals(next.getScheme()) && sameRegistry && isPlainHttp(call.registry);
            if (!https && !plainOk) {
                throw new RegistryException(
                        RegistryException.Kind.INVALID,
                        call.what + ": refusing a redirect to " + next.getScheme() + "://" + next.getHost()
                                + " (only https leaves the registry)");
            }
            current = next;
            response = sendOnce(call, next, sameRegistry ? auth.upFront(call.registry, call.scope) : null);
        }
        return response;
    }

    private HttpResponse<InputStream> sendOnce(Call call, URI uri, String authorization) throws IOException {
        if (call.bulk && call.method.equals("GET") && call.body == null) {
            Map<String, String> headers = new LinkedHashMap<>(call.headers);
            headers.put("User-Agent", USER_AGENT);
            // credentials go to the registry only, never to the storage a redirect points at
            if (authorization != null && reaches(uri, call.registry)) {
                headers.put("Authorization", authorization);
            }
            return UrlConnectionExchange.get(uri, headers, connectTimeout, call.timeout);
        }
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri).timeout(call.timeout).header("User-Agent", USER_AGENT);
        call.headers.forEach(request::header);
        // credentials go to the registry only, never to the storage a redirect points at
        if (authorization != null && reaches(uri, call.registry)) {
            request.header("Authorization", authorization);
        }
        request.method(call.method, call.body == null ? BodyPublishers.noBody() : call.body.get());
        return send(http, request.build(), call.what);
    }

    /** One plain HTTP exchange; an interrupt becomes TRANSIENT with the thread's flag kept. */
    static HttpResponse<InputStream> send(HttpClient http, HttpRequest request, String what) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(RegistryException.Kind.TRANSIENT, what + ": interrupted", 0, e);
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    // ---- errors -------------------------------------------------------------------------------

    /** The error for a response the caller cannot use; reads (a bounded part of) its body. */
    RegistryException failure(Call call, HttpResponse<InputStream> response) {
        int status = response.statusCode();
        String detail = errorDetail(response, readTimeout);
        String text = call.what + ": HTTP " + status + (detail.isEmpty() ? "" : " " + detail);
        if (status == 405 && call.method.equals("DELETE")) {
            text += " (is storage.delete.enabled set on the registry?)";
        }
        return new RegistryException(classify(status, detail), text, status, null);
    }

    static RegistryException.Kind classify(int status, String detail) {
        if (status >= 500 || status == 429 || status == 408) {
            return RegistryException.Kind.TRANSIENT;
        }
        if (status == 404) {
            return RegistryException.Kind.NOT_FOUND;
        }
        if (status == 401 || status == 403) {
            return RegistryException.Kind.UNAUTHORIZED;
        }
        if (status == 400 && (detail.startsWith("DIGEST_INVALID") || detail.startsWith("SIZE_INVALID"))) {
            return RegistryException.Kind.DIGEST_MISMATCH;
        }
        return RegistryException.Kind.INVALID;
    }

    RegistryException unreachable(Call call, IOException e) {
        String text = e instanceof HttpTimeoutException || e instanceof java.net.SocketTimeoutException
                ? "no answer within " + call.timeout.toMillis() + " ms (" + describe(e) + ")"
                : "cannot reach " + call.uri.getScheme() + "://" + call.uri.getRawAuthority() + ": " + describe(e);
        return new RegistryException(RegistryException.Kind.TRANSIENT, call.what + ": " + text, 0, e);
    }

    /**
     * The distribution error codes and messages of an error body ({@code MANIFEST_UNKNOWN: manifest
     * unknown}), or its first line when it is not JSON. Bounded, single line, printable only.
     */
    static String errorDetail(HttpResponse<InputStream> response, Duration readTimeout) {
        byte[] body;
        try (InputStream in = new StallGuardedInputStream(response.body(), readTimeout)) {
            body = in.readNBytes(MAX_ERROR_BODY_BYTES);
        } catch (IOException e) {
            return "";
        }
        if (body.length == 0) {
            return "";
        }
        try {
            JsonNode errors = ManifestJson.tree(body).get("errors");
            if (errors != null && errors.isArray() && !errors.isEmpty()) {
                List<String> parts = new ArrayList<>();
                for (int i = 0; i < Math.min(3, errors.size()); i++) {
                    JsonNode error = errors.get(i);
                    String code = error.path("code").asString("");
                    String message = error.path("message").asString("");
                    parts.add(message.isEmpty() ? code : code + ": " + message);
                }
                return printable(String.join("; ", parts));
            }
        } catch (IllegalArgumentException notJson) {
            // fall through to the raw text
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        int newline = text.indexOf('\n');
        return printable(newline < 0 ? text : text.substring(0, newline));
    }

    static String printable(String text) {
        String clean = text.replaceAll("[\\p{Cntrl}]", " ").strip();
        return clean.length() > 300 ? clean.substring(0, 300) + "..." : clean;
    }

    static String describe(Throwable e) {
        String type = e.getClass().getSimpleName();
        String message = e.getMessage();
        if (message == null && e.getCause() != null && e.getCause() != e) {
            return type + " (" + describe(e.getCause()) + ")";
        }
        return message == null ? type : type + ": " + message;
    }

    // ---- where requests may go ----------------------------------------------------------------

    void requireAllowed(String registry) {
        if (!OciRef.isRegistry(registry)) {
            throw new IllegalArgumentException("invalid registry host: " + registry);
        }
        if (!allowAnyRegistry && !allowedRegistries.contains(registry.toLowerCase(Locale.ROOT))) {
            throw new RegistryException(
                    RegistryException.Kind.HOST_NOT_ALLOWED,
                    "registry " + registry + " is not on the allow-list; no connection made");
        }
    }

    static String repository(String repository) {
        if (!OciRef.isRepository(repository)) {
            throw new IllegalArgumentException("invalid repository: " + repository);
        }
        return repository;
    }

    boolean isPlainHttp(String registry) {
        return plainHttpRegistries.contains(registry.toLowerCase(Locale.ROOT));
    }

    URI url(String registry, String path) {
        requireAllowed(registry);
        String host = endpoints.getOrDefault(registry.toLowerCase(Locale.ROOT), registry);
        return URI.create((isPlainHttp(registry) ? "http" : "https") + "://" + host + path);
    }

    /** {@code uri} is on {@code registry} or on the endpoint dialled for it. */
    boolean reaches(URI uri, String registry) {
        String endpoint = endpoints.get(registry.toLowerCase(Locale.ROOT));
        return onRegistry(uri, registry) || (endpoint != null && onRegistry(uri, endpoint));
    }

    static boolean onRegistry(URI uri, String registry) {
        return uri.getRawAuthority() != null && uri.getRawAuthority().equalsIgnoreCase(registry);
    }

    /** The next page from a {@code Link: <url>; rel="next"} header, resolved against the request. */
    URI nextPage(Call call, HttpResponse<InputStream> response) {
        URI next = nextLink(response.headers().allValues("Link"), call.uri);
        if (next != null && !reaches(next, call.registry)) {
            discard(response);
            throw new RegistryException(
                    RegistryException.Kind.INVALID,
                    call.what + ": the next page is on another host (" + next.getRawAuthority() + ")");
        }
        return next;
    }

    static URI nextLink(List<String> linkHeaders, URI base) {
        for (String header : linkHeaders) {
            Matcher link = LINK.matcher(header);
            while (link.find()) {
                Matcher rel = REL_NEXT.matcher(link.group(2));
                while (rel.find()) {
                    if (List.of(rel.group(1).trim().split("\\s+")).contains("next")) {
                        try {
                            return base.resolve(link.group(1).trim());
                        } catch (IllegalArgumentException e) {
                            return null;
                        }
                    }
                }
            }
        }
        return null;
    }

    // ---- response bodies ----------------------------------------------------------------------

    static String mediaType(HttpResponse<?> response) {
        return response.headers()
                .firstValue("Content-Type")
                .map(t -> t.split(";", 2)[0].trim().toLowerCase(Locale.ROOT))
                .filter(t -> !t.isEmpty())
                .orElse(null);
    }

    byte[] readBody(Call call, HttpResponse<InputStream> response, int limit) {
        long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared > limit) {
            discard(response);
            throw new RegistryException(
                    RegistryException.Kind.INVALID,
                    call.what + ": the response has " + declared + " bytes, over the " + limit + " byte limit");
        }
        byte[] body;
        try (InputStream in = new StallGuardedInputStream(response.body(), readTimeout)) {
            body = in.readNBytes(limit + 1);
        } catch (IOException e) {
            throw new RegistryException(
                    RegistryException.Kind.TRANSIENT,
                    call.what + ": reading the response failed: " + describe(e),
                    0,
                    e);
        }
        if (body.length > limit) {
            throw new RegistryException(
                    RegistryException.Kind.INVALID, call.what + ": the response is over the " + limit + " byte limit");
        }
        if (declared >= 0 && body.length != declared) {
            throw new RegistryException(
                    RegistryException.Kind.TRANSIENT,
                    call.what + ": the response ended after " + body.length + " of " + declared + " bytes");
        }
        return body;
    }

    static JsonNode json(Call call, byte[] body) {
        try {
            return ManifestJson.tree(body);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(RegistryException.Kind.INVALID, call.what + ": " + e.getMessage());
        }
    }

    /** Closing an unread body cancels it; the connection is not reused, which is fine for errors. */
    static void discard(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static Set<String> lowerCase(Set<String> values) {
        Set<String> result = new HashSet<>();
        values.forEach(v -> result.add(v.toLowerCase(Locale.ROOT)));
        return Set.copyOf(result);
    }
}
