package dev.powernode.common.sigstore;

import static dev.powernode.common.sigstore.Signatures.JSON;

import dev.sigstore.KeylessVerifier;
import dev.sigstore.fulcio.client.FulcioVerifier;
import dev.sigstore.rekor.client.RekorVerifier;
import dev.sigstore.timestamp.client.TimestampVerifier;
import dev.sigstore.trustroot.SigstoreTrustedRoot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.HexFormat;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Verifies Sigstore signatures offline against one trusted root: Sigstore bundles (message
 * signatures and DSSE envelopes, keyless or key-pair) and cosign's legacy keyless/key-pair image
 * signatures (simple-signing payload with certificate, chain and SET annotations). Fails closed: every
 * failure is a {@link SigstoreException} naming the check.
 *
 * <p>sigstore-java 2.0.0 does the cryptography it supports (certificate chain to a Fulcio CA valid at
 * issuance, SCT, Rekor inclusion proof, checkpoint and SET, RFC 3161 timestamps, the signature and its
 * binding to the log entry). Ours, because it misses or lacks them: the log's integrated time inside
 * the certificate's validity, {@code validFor.start} on every trusted key, key-pair bundles, Rekor v2
 * DSSE entries, and the whole legacy cosign format (which has a SET but no inclusion proof).
 *
 * <p>This class is the facade over the package's verifiers, as sigstore-java's {@code KeylessVerifier}
 * composes its Fulcio and Rekor verifiers: bundles, legacy signatures, Rekor entries, and certificates
 * with the signer's identity. Callers need nothing else.
 *
 * <p>Thread-safe; build one per trusted root and reuse it.
 */
public final class SigstoreVerifier {
    public static final String PUBLIC_GOOD_ROOT = "public-good-trusted_root.json";
    static final String IN_TOTO = "application/vnd.in-toto+json";

    private final String rootName;
    private final BundleVerifier bundles;
    private final LegacyVerifier legacy;

    /**
     * What verified: who signed (a keyless certificate's SAN and issuer, or {@code key[i]} of the
     * policy's keys), when the log integrated it (null when not logged), and (DSSE) the signed
     * statement.
     */
    public record Verified(
            String signer, boolean keyless, Instant integratedTime, boolean tlog, String payloadType, byte[] payload) {
        /** The in-toto {@code predicateType} of a DSSE statement, or null. */
        public String predicateType() {
            if (payload == null || !IN_TOTO.equals(payloadType)) {
                return null;
            }
            try {
                return JSON.readTree(payload).path("predicateType").asString(null);
            } catch (JacksonException e) {
                return null;
            }
        }
    }

    private SigstoreVerifier(String rootName, byte[] rootJson) {
        this.rootName = rootName;
        everyKeyHasAValidityStart(rootName, rootJson);
        try {
            SigstoreTrustedRoot root = SigstoreTrustedRoot.from(new ByteArrayInputStream(rootJson));
            // built in the order sigstore-java validated the root before the split, so a bad root
            // still fails with the same message
            KeylessVerifier keyless =
                    KeylessVerifier.builder().trustedRootProvider(() -> root).build();
            CertificateVerifier certificates = new CertificateVerifier(FulcioVerifier.newFulcioVerifier(root));
            RekorEntryVerifier entries = new RekorEntryVerifier(root, RekorVerifier.newRekorVerifier(root));
            this.bundles =
                    new BundleVerifier(keyless, TimestampVerifier.newTimestampVerifier(root), certificates, entries);
            this.legacy = new LegacyVerifier(certificates, entries);
        } catch (Exception e) {
            throw new SigstoreException("trusted-root", "invalid trusted root " + rootName + ": " + oneLine(e), e);
        }
    }

    /** The Sigstore public-good trusted root (Fulcio, Rekor, CT log keys) shipped in this library. */
    public static SigstoreVerifier publicGood() {
        try (InputStream in = SigstoreVerifier.class.getResourceAsStream(PUBLIC_GOOD_ROOT)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + PUBLIC_GOOD_ROOT);
            }
            return new SigstoreVerifier("public-good", in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A custom {@code trusted_root.json} (a private Sigstore deployment). */
    public static SigstoreVerifier fromFile(Path trustedRoot) {
        try {
            return new SigstoreVerifier(trustedRoot.toString(), Files.readAllBytes(trustedRoot));
        } catch (IOException e) {
            throw new SigstoreException("trusted-root", "cannot read trusted root " + trustedRoot + ": " + oneLine(e));
        }
    }

    public String rootName() {
        return rootName;
    }

    /**
     * Verifies a Sigstore bundle over {@code digest} (SHA-256 of the artifact; for a DSSE envelope,
     * the digest one of the in-toto subjects must carry) against {@code policy}.
     *
     * @throws SigstoreException naming the failed check; malformed input is a {@code bundle} failure
     */
    public Verified verifyBundle(String bundleJson, byte[] digest, SignerPolicy policy) {
        try {
            return bundles.verify(bundleJson, digest, policy);
        } catch (SigstoreException e) {
            throw e;
        } catch (RuntimeException e) {
            // malformed input that slipped past a parser: still a typed refusal, never a crash
            throw new SigstoreException("bundle", "invalid bundle: " + oneLine(e), e);
        }
    }

    /**
     * Verifies one layer of a cosign legacy {@code sha256-<hex>.sig} manifest: {@code payload} is the
     * simple-signing JSON (its digest binding is the caller's), {@code signature} the base64
     * signature annotation; {@code certificatePem} (null for key-pair), {@code chainPem} (may be null)
     * and {@code bundleAnnotation} (the SET bundle, may be null) the other annotations.
     *
     * @throws SigstoreException naming the failed check; unreadable input is a {@code signature} failure
     */
    public Verified verifyCosignLegacy(
            byte[] payload,
            String signature,
            String certificatePem,
            String chainPem,
            String bundleAnnotation,
            SignerPolicy policy) {
        try {
            return legacy.verify(
                    new LegacyVerifier.Layer(payload, signature, certificatePem, chainPem, bundleAnnotation), policy);
        } catch (SigstoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SigstoreException("signature", "unreadable signature: " + oneLine(e), e);
        }
    }

    /**
     * A key without {@code validFor.start} is a malformed root, not an unbounded one; sigstore-java
     * 2.0.0 accepts it (conformance case trust-root-tlog-missing-validity-start_fail).
     */
    private static void everyKeyHasAValidityStart(String name, byte[] rootJson) {
        JsonNode json;
        try {
            json = JSON.readTree(rootJson);
        } catch (JacksonException e) {
            throw new SigstoreException("trusted-root", "invalid trusted root " + name + ": not JSON");
        }
        for (String logs : new String[] {"tlogs", "ctlogs"}) {
            for (JsonNode log : json.path(logs)) {
                requireStart(name, log.path("publicKey").path("validFor"), logs, log.path("baseUrl"));
            }
        }
        for (String authorities : new String[] {"certificateAuthorities", "timestampAuthorities"}) {
            for (JsonNode authority : json.path(authorities)) {
                requireStart(name, authority.path("validFor"), authorities, authority.path("uri"));
            }
        }
    }

    private static void requireStart(String name, JsonNode validFor, String kind, JsonNode key) {
        if (!validFor.path("start").isString()
                || validFor.path("start").asString().isBlank()) {
            throw new SigstoreException(
                    "trusted-root",
                    "invalid trusted root " + name + ": a key in " + kind + " (" + key.asString("?")
                            + ") has no validFor.start");
        }
    }

    /** {@code key[i] (sha256:<16 hex of the SPKI>)}, for audit trails. */
    public static String keyName(int index, PublicKey key) {
        return "key[" + index + "] (sha256:"
                + HexFormat.of().formatHex(Signatures.sha256(key.getEncoded())).substring(0, 16) + ")";
    }

    public static String oneLine(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 400; t = t.getCause()) {
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
        }
        return sb.toString().replaceAll("\\s+", " ");
    }
}
