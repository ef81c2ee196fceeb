package dev.powernode.common.oci;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * How {@link RegistryClient} proves itself to a registry, following the registry's
 * {@code WWW-Authenticate} challenge: Basic with the configured credentials, or Bearer with a token
 * from the challenge's realm (asked for with its service and scope, using the credentials if any;
 * cached per scope until it expires). Each registry's last challenge is remembered so that later
 * requests authenticate up front instead of drawing a 401 each time. Thread-safe.
 */
final class RegistryAuth {
    // JWTs carrying an x5c chain are several KiB; anything near a megabyte is not a token response.
    private static final int MAX_TOKEN_BODY_BYTES = 1024 * 1024;

    /** registry → ready-made {@code Basic ...} header value; never logged or put in messages. */
    private final Map<String, String> basicAuthorization;

    private final TokenCache tokens;
    /** The last challenge each registry sent, so later calls can authenticate up front. */
    private final Map<String, Challenge> challenges = new ConcurrentHashMap<>();

    private final HttpClient http;
    private final Duration readTimeout;
    private final Predicate<String> plainHttp;

    RegistryAuth(
            Map<String, String[]> credentials,
            Clock clock,
            HttpClient http,
            Duration readTimeout,
            Predicate<String> plainHttp) {
        Map<String, String> basic = new HashMap<>();
        credentials.forEach((registry, userPassword) -> basic.put(
                registry.toLowerCase(Locale.ROOT),
                "Basic "
                        + Base64.getEncoder()
                                .encodeToString(
                                        (userPassword[0] + ":" + userPassword[1]).getBytes(StandardCharsets.UTF_8))));
        this.basicAuthorization = Map.copyOf(basic);
        this.tokens = new TokenCache(clock);
        this.http = http;
        this.readTimeout = readTimeout;
        this.plainHttp = plainHttp;
    }

    boolean hasCredentials(String registry) {
        return basicAuthorization.containsKey(registry.toLowerCase(Locale.ROOT));
    }

    /** The Authorization to send up front, from what the registry asked for last time; null if none. */
    String upFront(String registry, String scope) {
        String key = registry.toLowerCase(Locale.ROOT);
        Challenge challenge = challenges.get(key);
        if (challenge == null) {
            return null;
        }
        if (challenge.scheme().equals(Challenge.BASIC)) {
            return basicAuthorization.get(key);
        }
        String token = tokens.get(key, scope);
        if (token == null) {
            Token fresh = fetchToken(registry, challenge, scope, "authenticate to " + registry);
            tokens.put(key, scope, fresh.value, fresh.lifetime);
            token = fresh.value;
        }
        return "Bearer " + token;
    }

    /**
     * The Authorization answering a 401 with {@code headers} to a request for {@code scope} that
     * carried {@code sent}. Refuses (UNAUTHORIZED) rather than answer with what was already
     * rejected, so a registry that keeps saying 401 is not asked forever.
     */
    String answer(String registry, String scope, String what, List<String> headers, String sent) {
        String key = registry.toLowerCase(Locale.ROOT);
        Challenge challenge = Challenge.choose(headers)
                .orElseThrow(() -> new RegistryException(
                        RegistryException.Kind.UNAUTHORIZED,
                        what + ": HTTP 401 without a Basic or Bearer challenge",
                        401,
                        null));
        challenges.put(key, challenge);
        if (challenge.scheme().equals(Challenge.BASIC)) {
            String basic = basicAuthorization.get(key);
            if (basic == null) {
                throw new RegistryException(
                        RegistryException.Kind.UNAUTHORIZED,
                        what + ": the registry requires a login and no credentials are configured for it",
                        401,
                        null);
            }
            if (basic.equals(sent)) {
                throw new RegistryException(
                        RegistryException.Kind.UNAUTHORIZED,
                        what + ": the registry rejected the configured credentials",
                        401,
                        null);
            }
            return basic;
        }
        tokens.invalidate(key, scope);
        // The challenge's scope is what this request needs; ours is only our guess of it.
        String needed = challenge.param("scope") != null ? challenge.param("scope") : scope;
        Token token = fetchToken(registry, challenge, needed, what);
        String answer = "Bearer " + token.value;
        if (answer.equals(sent)) {
            throw new RegistryException(
                    RegistryException.Kind.UNAUTHORIZED,
                    what + ": the registry refused a fresh token from its token service" + scopeText(needed),
                    401,
                    null);
        }
        tokens.put(key, scope, token.value, token.lifetime);
        return answer;
    }

    static String scopeText(String scope) {
        return scope == null || scope.isEmpty() ? "" : " for scope " + scope;
    }

    private record Token(String value, Duration lifetime) {}

    private Token fetchToken(String registry, Challenge challenge, String scope, String what) {
        URI realmUri = realm(registry, challenge, what);
        String realm = challenge.param("realm");
        StringBuilder query = new StringBuilder();
        if (challenge.param("service") != null) {
            query.append("service=").append(RegistryTransport.encode(challenge.param("service")));
        }
        if (scope != null && !scope.isEmpty()) {
            query.append(query.length() > 0 ? "&" : "").append("scope=").append(RegistryTransport.encode(scope));
        }
        String separator = realmUri.getRawQuery() == null ? "?" : "&";
        URI uri = URI.create(realm + (query.length() > 0 ? separator + query : ""));
        String service = realmUri.getScheme() + "://" + realmUri.getRawAuthority() + realmUri.getRawPath();
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(readTimeout)
                .header("User-Agent", RegistryTransport.USER_AGENT)
                .header("Accept", "application/json")
                .GET();
        String basic = basicAuthorization.get(registry.toLowerCase(Locale.ROOT));
        if (basic != null) {
            request.header("Authorization", basic);
        }
        HttpResponse<InputStream> response;
        try {
            response = RegistryTransport.send(http, request.build(), what);
        } catch (IOException e) {
            throw new RegistryException(
                    RegistryException.Kind.TRANSIENT,
                    what + ": cannot get a token from " + service + ": " + RegistryTransport.describe(e),
                    0,
                    e);
        }
        int status = response.statusCode();
        if (status != 200) {
            String detail = RegistryTransport.errorDetail(response, readTimeout);
            RegistryException.Kind kind = status == 401 || status == 403
                    ? RegistryException.Kind.UNAUTHORIZED
                    : RegistryTransport.classify(status, detail);
            throw new RegistryException(
                    kind,
                    what + ": token service " + service + " answered HTTP " + status
                            + (basic == null ? " to an anonymous request" : " for the configured credentials")
                            + scopeText(scope) + (detail.isEmpty() ? "" : ": " + detail),
                    status,
                    null);
        }
        byte[] body;
        try (InputStream in = new StallGuardedInputStream(response.body(), readTimeout)) {
            body = in.readNBytes(MAX_TOKEN_BODY_BYTES + 1);
        } catch (IOException e) {
            throw new RegistryException(
                    RegistryException.Kind.TRANSIENT,
                    what + ": reading the token from " + service + " failed: " + RegistryTransport.describe(e),
                    0,
                    e);
        }
        try {
            return token(body);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(
                    RegistryException.Kind.INVALID, what + ": token service " + service + ": " + e.getMessage());
        }
    }

    /**
     * The challenge's token realm, if it is one the Basic credentials (if any) may be sent to:
     * https, or plain http on the registry's own host for a plain-http (loopback development)
     * registry.
     */
    private URI realm(String registry, Challenge challenge, String what) {
        String realm = challenge.param("realm");
        if (realm == null || realm.isBlank()) {
            throw new RegistryException(
                    RegistryException.Kind.INVALID,
                    what + ": " + registry + " sent a Bearer challenge without a realm");
        }
        URI realmUri;
        try {
            realmUri = new URI(realm);
        } catch (URISyntaxException e) {
            throw new RegistryException(
                    RegistryException.Kind.INVALID, what + ": " + registry + " sent an unusable token realm");
        }
        boolean https = "https".equals(realmUri.getScheme());
        boolean loopbackDev = "http".equals(realmUri.getScheme())
                && plainHttp.test(registry)
                && realmUri.getHost() != null
                && realmUri.getHost().equalsIgnoreCase(hostOf(registry));
        if (!https && !loopbackDev || realmUri.getRawAuthority() == null) {
            throw new RegistryException(
                    RegistryException.Kind.INVALID,
                    what + ": " + registry + " sends clients to token service " + realmUri.getScheme() + "://"
                            + realmUri.getRawAuthority() + "; refusing it (https, or plain http on the"
                            + " registry's own host for plain-http registries)");
        }
        return realmUri;
    }

    /** A token response body: {@code token} (or {@code access_token}) and {@code expires_in}. */
    private static Token token(byte[] body) {
        if (body.length > MAX_TOKEN_BODY_BYTES) {
            throw new IllegalArgumentException("response over 1 MiB");
        }
        JsonNode root = ManifestJson.tree(body);
        String token = ManifestJson.text(root, "token");
        if (token == null || token.isEmpty()) {
            token = ManifestJson.text(root, "access_token");
        }
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("no token or access_token in the response");
        }
        JsonNode expiresIn = root.get("expires_in");
        return new Token(
                token,
                expiresIn != null && expiresIn.isIntegralNumber() && expiresIn.longValue() > 0
                        ? Duration.ofSeconds(expiresIn.longValue())
                        : TokenCache.DEFAULT_LIFETIME);
    }

    private static String hostOf(String registry) {
        if (registry.startsWith("[")) {
            return registry.substring(1, registry.indexOf(']'));
        }
        int colon = registry.indexOf(':');
        return colon < 0 ? registry : registry.substring(0, colon);
    }
}
