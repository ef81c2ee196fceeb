package dev.powernode.common.sigstore;

import dev.powernode.common.cosign.SimpleSigning;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keyless signing the way {@code cosign sign} does it for the legacy {@code .sig} layout: an
 * ephemeral P-256 key, a short-lived certificate for the OIDC identity from Fulcio ({@code POST
 * /api/v2/signingCert}), the signature logged in Rekor as a {@code hashedrekord} ({@code POST
 * /api/v1/log/entries}). The result carries the annotations cosign writes (signature, certificate,
 * chain, SET bundle). The ephemeral private key never leaves this object's {@link #sign} call.
 */
public final class KeylessSigner {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final URI fulcio;
    private final URI rekor;
    private final HttpClient http;

    /** What a cosign legacy keyless signature layer carries. */
    public record Signed(String signatureBase64, String certificatePem, String chainPem, String bundleAnnotation) {
        /** The layer annotations cosign writes for this signature ({@link SimpleSigning}'s names). */
        public Map<String, String> annotations() {
            Map<String, String> a = new LinkedHashMap<>();
            a.put(SimpleSigning.SIGNATURE_ANNOTATION, signatureBase64);
            a.put(SimpleSigning.CERTIFICATE_ANNOTATION, certificatePem);
            if (chainPem != null && !chainPem.isBlank()) {
                a.put(SimpleSigning.CHAIN_ANNOTATION, chainPem);
            }
            a.put(SimpleSigning.BUNDLE_ANNOTATION, bundleAnnotation);
            return a;
        }
    }

    /** @param fulcio Fulcio base URL (e.g. https://fulcio.sigstore.dev); @param rekor Rekor base URL */
    public KeylessSigner(URI fulcio, URI rekor) {
        this.fulcio = fulcio;
        this.rekor = rekor;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** Signs {@code payload} as the subject of {@code identityToken} (an OIDC ID token, a JWT). */
    public Signed sign(byte[] payload, String identityToken) {
        String subject = subject(identityToken);
        KeyPair key;
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            key = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        String publicPem = pem("PUBLIC KEY", key.getPublic().getEncoded());

        Map<String, Object> certRequest = new LinkedHashMap<>();
        certRequest.put("credentials", Map.of("oidcIdentityToken", identityToken));
        certRequest.put(
                "publicKeyRequest",
                Map.of(
                        "publicKey", Map.of("algorithm", "ECDSA", "content", publicPem),
                        "proofOfPossession",
                                Base64.getEncoder()
                                        .encodeToString(sign(key, subject.getBytes(StandardCharsets.UTF_8)))));
        JsonNode certResponse = post(under(fulcio, "/api/v2/signingCert"), certRequest, "Fulcio");
        JsonNode chainNode =
                certResponse.path("signedCertificateEmbeddedSct").path("chain").path("certificates");
        if (!chainNode.isArray() || chainNode.isEmpty()) {
            chainNode = certResponse
                    .path("signedCertificateDetachedSct")
                    .path("chain")
                    .path("certificates");
        }
        List<String> chain = new ArrayList<>();
        for (JsonNode c : chainNode) {
            chain.add(c.asString("").strip() + "\n");
        }
        if (chain.isEmpty()) {
            throw new SigstoreException("fulcio", "Fulcio answered without a certificate chain");
        }
        String leaf = chain.get(0);

        byte[] signature = sign(key, payload);
        String signatureB64 = Base64.getEncoder().encodeToString(signature);
        Map<String, Object> entry = Map.of(
                "apiVersion", "0.0.1",
                "kind", "hashedrekord",
                "spec",
                        Map.of(
                                "data",
                                        Map.of(
                                                "hash",
                                                Map.of(
                                                        "algorithm",
                                                        "sha256",
                                                        "value",
                                                        HexFormat.of().formatHex(Signatures.sha256(payload)))),
                                "signature",
                                        Map.of(
                                                "content",
                                                signatureB64,
                                                "publicKey",
                                                Map.of(
                                                        "content",
                                                        Base64.getEncoder()
                                                                .encodeToString(
                                                                        leaf.getBytes(StandardCharsets.US_ASCII))))));
        JsonNode logged = post(under(rekor, "/api/v1/log/entries"), entry, "Rekor");
        if (!logged.isObject() || logged.size() != 1) {
            throw new SigstoreException("rekor", "Rekor answered with " + logged.size() + " entries, expected one");
        }
        JsonNode e = logged.properties().iterator().next().getValue();
        String set = e.path("verification").path("signedEntryTimestamp").asString("");
        if (set.isEmpty()) {
            throw new SigstoreException("rekor", "Rekor answered without a signed entry timestamp");
        }
        Map<String, Object> bundlePayload = new LinkedHashMap<>();
        bundlePayload.put("body", e.path("body").asString(""));
        bundlePayload.put("integratedTime", e.path("integratedTime").asLong());
        bundlePayload.put("logIndex", e.path("logIndex").asLong());
        bundlePayload.put("logID", e.path("logID").asString(""));
        Map<String, Object> bundle = new LinkedHashMap<>();
        bundle.put("SignedEntryTimestamp", set);
        bundle.put("Payload", bundlePayload);
        return new Signed(
                signatureB64, leaf, String.join("", chain.subList(1, chain.size())), JSON.writeValueAsString(bundle));
    }

    private JsonNode post(URI uri, Object body, String service) {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SigstoreException(
                    service.toLowerCase(), service + " at " + uri + " is unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SigstoreException(service.toLowerCase(), "interrupted");
        }
        if (response.statusCode() / 100 != 2) {
            String text = response.body() == null ? "" : response.body().strip();
            throw new SigstoreException(
                    service.toLowerCase(),
                    service + " refused (" + response.statusCode() + "): "
                            + text.substring(0, Math.min(300, text.length())));
        }
        try {
            return JSON.readTree(response.body());
        } catch (JacksonException e) {
            throw new SigstoreException(service.toLowerCase(), service + " answered with something that is not JSON");
        }
    }

    private static URI under(URI base, String path) {
        String b = base.toString();
        return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + path);
    }

    /** The token's {@code sub} claim (not verified here: Fulcio verifies the token). */
    static String subject(String jwt) {
        String[] parts = jwt.strip().split("\\.");
        if (parts.length < 2) {
            throw new SigstoreException("identity-token", "the identity token is not a JWT");
        }
        try {
            JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            String sub = claims.path("sub").asString("");
            if (sub.isEmpty()) {
                sub = claims.path("email").asString("");
            }
            if (sub.isEmpty()) {
                throw new SigstoreException("identity-token", "the identity token has no sub claim");
            }
            return sub;
        } catch (IllegalArgumentException | JacksonException e) {
            throw new SigstoreException("identity-token", "the identity token's claims do not decode");
        }
    }

    private static byte[] sign(KeyPair key, byte[] data) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(key.getPrivate());
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
