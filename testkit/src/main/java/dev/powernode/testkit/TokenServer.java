package dev.powernode.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import tools.jackson.databind.json.JsonMapper;

/**
 * A minimal token service for distribution's {@code auth: token} mode, on a free 127.0.0.1 port:
 * {@code GET /token?service=..&scope=..} with the configured Basic credentials answers an ES256
 * JWT granting every requested action. The JWT header carries the signing certificate ({@code
 * x5c}), a self-signed P-256 certificate made at start that the registry trusts through its
 * {@code rootcertbundle}. Wrong credentials get 401; no credentials get a token granting nothing
 * (like public registries' anonymous tokens).
 */
public final class TokenServer implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration LIFETIME = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final HttpServer server;
    private final ExecutorService executor;
    private final KeyPair key;
    private final X509Certificate certificate;
    private final String username;
    private final String password;
    private final List<String> requestedScopes = new CopyOnWriteArrayList<>();
    private final List<String> issuedTo = new CopyOnWriteArrayList<>();

    private TokenServer(String username, String password) throws IOException, GeneralSecurityException {
        this.username = username;
        this.password = password;
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        this.key = generator.generateKeyPair();
        this.certificate = selfSigned(key);
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "token-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/token", this::token);
        server.start();
    }

    /** Starts a token service accepting {@code powernode} and a random password. */
    public static TokenServer start() {
        byte[] secret = new byte[16];
        RANDOM.nextBytes(secret);
        try {
            return new TokenServer("powernode", HexFormat.of().formatHex(secret));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the token server", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make the token signing key", e);
        }
    }

    /** The URL registries send clients to (the challenge's realm). */
    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public String service() {
        return "powernode-testkit-registry";
    }

    public String issuer() {
        return "powernode-testkit-token-server";
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    /** The signing certificate in PEM: the registry's {@code rootcertbundle}. */
    public String certificatePem() {
        try {
            String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(certificate.getEncoded());
            return "-----BEGIN CERTIFICATE-----\n" + base64 + "\n-----END CERTIFICATE-----\n";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How many tokens were issued (to anyone, credentials right or not). */
    public int tokensIssued() {
        return issuedTo.size();
    }

    /** The scope parameters of every token request, in order ("" when there was none). */
    public List<String> requestedScopes() {
        return List.copyOf(requestedScopes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void token(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, List<String>> query = query(exchange.getRequestURI().getRawQuery());
            List<String> scopes = query.getOrDefault("scope", List.of());
            requestedScopes.add(String.join(" ", scopes));
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            String expected = "Basic "
                    + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
            boolean anonymous = authorization == null;
            if (!anonymous && !authorization.equals(expected)) {
                respond(exchange, 401, Map.of("details", "incorrect username or password"));
                return;
            }
            if (!service().equals(first(query, "service"))) {
                respond(exchange, 400, Map.of("details", "unknown service"));
                return;
            }
            List<Map<String, Object>> access = new ArrayList<>();
            if (!anonymous) {
                for (String scope : scopes) {
                    for (String one : scope.split(" ")) {
                        access.add(grant(one));
                    }
                }
            }
            Instant now = Instant.now();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("token", jwt(anonymous ? "" : username, access, now));
            body.put("expires_in", LIFETIME.toSeconds());
            body.put("issued_at", now.toString());
            issuedTo.add(anonymous ? "" : username);
            respond(exchange, 200, body);
        } catch (RuntimeException | GeneralSecurityException e) {
            respond(exchange, 500, Map.of("details", String.valueOf(e.getMessage())));
        }
    }

    /** {@code repository:team/app:pull,push} → the JWT access entry granting those actions. */
    private static Map<String, Object> grant(String scope) {
        int first = scope.indexOf(':');
        int last = scope.lastIndexOf(':');
        if (first < 0 || last <= first) {
            throw new IllegalArgumentException("malformed scope " + scope);
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("type", scope.substring(0, first));
        entry.put("name", scope.substring(first + 1, last));
        entry.put("actions", List.of(scope.substring(last + 1).split(",")));
        return entry;
    }

    private String jwt(String subject, List<Map<String, Object>> access, Instant now) throws GeneralSecurityException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("typ", "JWT");
        header.put("alg", "ES256");
        header.put("x5c", List.of(Base64.getEncoder().encodeToString(certificate.getEncoded())));
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", issuer());
        claims.put("sub", subject);
        claims.put("aud", service());
        claims.put("exp", now.plus(LIFETIME).getEpochSecond());
        claims.put("nbf", now.getEpochSecond());
        claims.put("iat", now.getEpochSecond());
        byte[] jti = new byte[8];
        RANDOM.nextBytes(jti);
        claims.put("jti", HexFormat.of().formatHex(jti));
        claims.put("access", access);
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String signingInput = url.encodeToString(JSON.writeValueAsBytes(header)) + "."
                + url.encodeToString(JSON.writeValueAsBytes(claims));
        // JWS wants ECDSA signatures as raw R||S, which is what the P1363 format gives.
        Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
        signer.initSign(key.getPrivate());
        signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + url.encodeToString(signer.sign());
    }

    private static X509Certificate selfSigned(KeyPair key) throws GeneralSecurityException {
        X500Name name = new X500Name("CN=powernode testkit token signer");
        Instant now = Instant.now();
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name,
                    new BigInteger(64, RANDOM),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(1))),
                    name,
                    key.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign));
            return new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
        } catch (OperatorCreationException | IOException e) {
            throw new GeneralSecurityException("cannot build the certificate", e);
        }
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> result = new LinkedHashMap<>();
        if (raw == null) {
            return result;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            result.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return result;
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static void respond(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
