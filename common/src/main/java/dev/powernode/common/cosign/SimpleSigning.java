package dev.powernode.common.cosign;

import dev.powernode.common.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Cosign's legacy key-pair signature format: a "simple signing" JSON payload naming the signed
 * manifest digest, signed with ECDSA-SHA256 (or RSA/Ed25519), the signature base64 in the
 * {@code dev.cosignproject.cosign/signature} annotation of the payload's layer in the
 * {@code sha256-<hex>.sig} manifest. What {@code cosign sign --key} writes and {@code cosign verify
 * --key} accepts.
 */
public final class SimpleSigning {
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
    public static final String CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
    public static final String CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
    public static final String BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";
    public static final String TYPE = "cosign container image signature";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private SimpleSigning() {}

    /** The payload cosign signs for {@code dockerReference} (registry/repository) at {@code digest}. */
    public static byte[] payload(String dockerReference, Digest digest) {
        Map<String, Object> critical = new LinkedHashMap<>();
        critical.put("identity", Map.of("docker-reference", dockerReference));
        critical.put("image", Map.of("docker-manifest-digest", digest.toString()));
        critical.put("type", TYPE);
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("critical", critical);
        payload.put("optional", null);
        return JSON.writeValueAsString(payload).getBytes(StandardCharsets.UTF_8);
    }

    /** The manifest digest a payload signs; throws IllegalArgumentException when it is not a cosign payload. */
    public static Digest signedDigest(byte[] payload) {
        JsonNode root;
        try {
            root = JSON.readTree(payload);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("signature payload is not JSON");
        }
        JsonNode critical = root.path("critical");
        if (!TYPE.equals(critical.path("type").asString(null))) {
            throw new IllegalArgumentException("signature payload is not a cosign container image signature");
        }
        String digest = critical.path("image").path("docker-manifest-digest").asString(null);
        if (digest == null) {
            throw new IllegalArgumentException("signature payload names no docker-manifest-digest");
        }
        return Digest.parse(digest);
    }

    /** Signs {@code payload}; returns the base64 signature for the annotation. */
    public static String sign(PrivateKey key, byte[] payload) {
        try {
            Signature s = Signature.getInstance(algorithm(key));
            s.initSign(key);
            s.update(payload);
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        }
    }

    /** True when {@code base64Signature} is a valid signature of {@code payload} by {@code key}. */
    public static boolean verify(PublicKey key, byte[] payload, String base64Signature) {
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(base64Signature == null ? "" : base64Signature.strip());
        } catch (IllegalArgumentException e) {
            return false;
        }
        try {
            Signature s = Signature.getInstance(algorithm(key));
            s.initVerify(key);
            s.update(payload);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static String algorithm(java.security.Key key) {
        if (key instanceof ECKey) {
            return "SHA256withECDSA";
        }
        if (key instanceof RSAKey) {
            return "SHA256withRSA";
        }
        return "Ed25519";
    }
}
