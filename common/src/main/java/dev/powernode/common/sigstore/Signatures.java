package dev.powernode.common.sigstore;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The signature primitives and encodings every verifier of this package shares, so that a signature,
 * a PEM block or a base64 field is read the same way whichever format carried it.
 */
final class Signatures {
    static final JsonMapper JSON = JsonMapper.builder().build();

    private Signatures() {}

    /**
     * Refuses a key-pair signature before it is read when the policy could accept none: the order of
     * checks is part of which error a caller sees.
     */
    static void requireKeys(SignerPolicy policy) {
        if (policy.keys().isEmpty()) {
            throw new SigstoreException("key", "a key-pair signature, but the policy has no public keys");
        }
    }

    /** The index of the first policy key {@code signature} verifies with; refuses when none does. */
    static int matchingKey(SignerPolicy policy, byte[] content, boolean prehashed, byte[] signature) {
        for (int k = 0; k < policy.keys().size(); k++) {
            if (verifies(policy.keys().get(k), content, prehashed, signature)) {
                return k;
            }
        }
        throw new SigstoreException(
                "signature",
                "the signature does not verify with any of the " + policy.keys().size() + " key(s)");
    }

    /** False, never an exception, for a signature that does not verify or a key it cannot be checked with. */
    static boolean verifies(PublicKey key, byte[] content, boolean prehashed, byte[] signature) {
        String algorithm;
        switch (key.getAlgorithm()) {
            case "EC", "ECDSA" -> algorithm = prehashed ? "NONEwithECDSA" : "SHA256withECDSA";
            case "RSA" -> {
                if (prehashed) {
                    return false; // no RSA-over-digest form is produced by Sigstore clients
                }
                algorithm = "SHA256withRSA";
            }
            case "Ed25519", "EdDSA" -> {
                if (prehashed) {
                    return false;
                }
                algorithm = "Ed25519";
            }
            default -> {
                return false;
            }
        }
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initVerify(key);
            s.update(content);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The single signature of a DSSE envelope: more than one would be unverified data. */
    static JsonNode onlySignature(JsonNode envelope) {
        JsonNode signatures = envelope.path("signatures");
        if (!signatures.isArray() || signatures.size() != 1) {
            throw new SigstoreException("bundle", "a DSSE envelope must carry exactly one signature");
        }
        return signatures.get(0);
    }

    /** DSSE's pre-authentication encoding: what an envelope signature is over. */
    static byte[] pae(String payloadType, byte[] payload) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream pae = new ByteArrayOutputStream();
        pae.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.UTF_8));
        pae.writeBytes(type);
        pae.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.UTF_8));
        pae.writeBytes(payload);
        return pae.toByteArray();
    }

    /** DER of the first PEM block (certificate or public key); empty when there is none. */
    static byte[] pemToDer(String pem) {
        int begin = pem.indexOf("-----BEGIN ");
        if (begin < 0) {
            return new byte[0];
        }
        int start = pem.indexOf('\n', begin);
        int end = pem.indexOf("-----END ", begin);
        if (start < 0 || end < start) {
            return new byte[0];
        }
        return decodeOrEmpty(pem.substring(start, end).replaceAll("\\s", ""));
    }

    /** For logged fields compared to ours: unreadable is simply unequal. */
    static byte[] decodeOrEmpty(String b64) {
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    /** DER of a base64 PEM inside base64, as Rekor stores a signer: empty when unreadable. */
    static byte[] loggedPem(String b64) {
        return pemToDer(new String(decodeOrEmpty(b64), StandardCharsets.US_ASCII));
    }

    /** For bundle fields we must read: unreadable is a malformed bundle. */
    static byte[] base64(JsonNode node, String field) {
        try {
            return Base64.getDecoder().decode(node.asString(""));
        } catch (IllegalArgumentException e) {
            throw new SigstoreException("bundle", "invalid bundle: " + field + " is not base64");
        }
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
