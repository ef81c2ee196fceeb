package dev.powernode.common.sigstore;

import static dev.powernode.common.sigstore.Signatures.JSON;
import static dev.powernode.common.sigstore.Signatures.base64;
import static dev.powernode.common.sigstore.Signatures.decodeOrEmpty;
import static dev.powernode.common.sigstore.Signatures.loggedPem;
import static dev.powernode.common.sigstore.Signatures.sha256;
import static dev.powernode.common.sigstore.Signatures.verifies;

import dev.sigstore.rekor.client.RekorEntry;
import dev.sigstore.rekor.client.RekorVerifier;
import dev.sigstore.trustroot.SigstoreTrustedRoot;
import dev.sigstore.trustroot.TransparencyLog;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Rekor log entries: the inclusion proof, checkpoint and SET (by sigstore-java's Rekor verifier),
 * and what it leaves to the caller: that a Rekor key of the trusted root was valid at the entry's
 * time, the legacy cosign SET (which has no inclusion proof), and that the logged {@code intoto},
 * {@code dsse} or {@code hashedrekord} body records exactly the signature being verified.
 */
final class RekorEntryVerifier {
    private final SigstoreTrustedRoot root;
    private final RekorVerifier rekor;

    RekorEntryVerifier(SigstoreTrustedRoot root, RekorVerifier rekor) {
        this.root = root;
        this.rekor = rekor;
    }

    /** One bundle {@code tlogEntries} element: inclusion proof, checkpoint and SET. */
    RekorEntry verifyEntry(JsonNode tlog) {
        try {
            RekorEntry entry = RekorEntry.fromTLogEntryJson(tlog.toString());
            rekor.verifyEntry(entry);
            return entry;
        } catch (Exception e) {
            throw new SigstoreException("tlog", SigstoreVerifier.oneLine(e), e);
        }
    }

    /**
     * The entry's integrated time, only when a signed entry timestamp vouches for it (sigstore-java's
     * Rekor verifier checks a SET that is present; an inclusion proof does not cover the time), and
     * only if a Rekor key of the trusted root was valid then (sigstore-java picks the key by log id
     * alone). Null when the entry has no SET or no time (Rekor v2).
     */
    Instant signedTime(RekorEntry entry) {
        RekorEntry.Verification v = entry.getVerification();
        String set = v == null ? null : v.getSignedEntryTimestamp();
        if (set == null || set.isEmpty() || entry.getIntegratedTime() <= 0) {
            return null;
        }
        Instant at = plausible(entry.getIntegratedTime());
        byte[] logId;
        try {
            logId = HexFormat.of().parseHex(entry.getLogID());
        } catch (IllegalArgumentException e) {
            throw new SigstoreException("tlog", "unreadable log id");
        }
        if (TransparencyLog.find(root.getTLogs(), logId, at).isEmpty()) {
            throw new SigstoreException(
                    "tlog",
                    "no Rekor key of the trusted root for log entry " + entry.getLogIndex() + " was valid at " + at);
        }
        return at;
    }

    /** Rejects times no log could have written (also keeps Instant/Date arithmetic in range). */
    private static Instant plausible(long epochSeconds) {
        if (epochSeconds <= 0 || epochSeconds > 32503680000L) { // 3000-01-01
            throw new SigstoreException("tlog", "implausible integrated time " + epochSeconds);
        }
        return Instant.ofEpochSecond(epochSeconds);
    }

    /**
     * A log served on an explicit port signs its checkpoints as {@code host:port}, but sigstore-java
     * 2.0.0 expects the bare host of the trusted root's {@code baseUrl} (conformance case
     * intoto-with-custom-trust-root). The signer line's name is not covered by the signature, so
     * naming it as sigstore-java expects changes nothing that is verified: the signature is still
     * checked with that log's key.
     */
    void checkpointNamesWithoutPort(ObjectNode json) {
        for (JsonNode tlog : json.path("verificationMaterial").path("tlogEntries")) {
            JsonNode checkpoint = tlog.path("inclusionProof").path("checkpoint");
            String envelope = checkpoint.path("envelope").asString(null);
            if (envelope == null || !(checkpoint instanceof ObjectNode node)) {
                continue;
            }
            String rewritten = envelope;
            for (TransparencyLog log : root.getTLogs()) {
                URI url = log.getBaseUrl();
                if (url == null || url.getHost() == null || url.getPort() < 0) {
                    continue;
                }
                rewritten = rewritten.replace(
                        "\u2014 " + url.getHost() + ":" + url.getPort() + " ", "\u2014 " + url.getHost() + " ");
            }
            if (!rewritten.equals(envelope)) {
                node.put("envelope", rewritten);
            }
        }
    }

    /**
     * A Rekor v1 envelope entry ({@code intoto} 0.0.2 or {@code dsse} 0.0.1) records this payload,
     * this signature and this certificate; anything else in the log proves nothing about them.
     */
    static void recordsEnvelope(RekorEntry entry, byte[] payload, byte[] signature, X509Certificate leaf) {
        JsonNode body = loggedBody(entry.getBody());
        boolean bound = "intoto".equals(body.path("kind").asString(""))
                ? intotoEntryRecords(body.path("spec").path("content"), payload, signature, leaf)
                : dsseEntryRecords(body, payload, signature, leaf);
        if (!bound) {
            throw new SigstoreException(
                    "tlog", "log entry " + entry.getLogIndex() + " does not record this envelope and certificate");
        }
    }

    /** intoto 0.0.2: the payload hash, the (doubly base64) signature and the certificate. */
    private static boolean intotoEntryRecords(
            JsonNode content, byte[] payload, byte[] signature, X509Certificate leaf) {
        JsonNode logged = content.path("envelope").path("signatures");
        return recordsPayloadHash(content.path("payloadHash"), payload)
                && logged.isArray()
                && logged.size() == 1
                && Arrays.equals(
                        signature,
                        decodeOrEmpty(new String(
                                decodeOrEmpty(logged.get(0).path("sig").asString("")), StandardCharsets.US_ASCII)))
                && Arrays.equals(
                        CertificateVerifier.encoded(leaf),
                        loggedPem(logged.get(0).path("publicKey").asString("")));
    }

    /** dsse 0.0.1 (Rekor's stored form): the payload hash, and exactly this signature by this certificate. */
    private static boolean dsseEntryRecords(JsonNode body, byte[] payload, byte[] signature, X509Certificate leaf) {
        JsonNode spec = body.path("spec");
        JsonNode logged = spec.path("signatures");
        return "dsse".equals(body.path("kind").asString(""))
                && recordsPayloadHash(spec.path("payloadHash"), payload)
                && logged.isArray()
                && logged.size() == 1
                && Arrays.equals(
                        signature, decodeOrEmpty(logged.get(0).path("signature").asString("")))
                && Arrays.equals(
                        CertificateVerifier.encoded(leaf),
                        loggedPem(logged.get(0).path("verifier").asString("")));
    }

    private static boolean recordsPayloadHash(JsonNode payloadHash, byte[] payload) {
        return "sha256".equals(payloadHash.path("algorithm").asString(""))
                && HexFormat.of()
                        .formatHex(sha256(payload))
                        .equalsIgnoreCase(payloadHash.path("value").asString(""));
    }

    /** A key-pair bundle's hashedrekord entry records this artifact digest, signature and key. */
    static void recordsSignature(RekorEntry entry, byte[] digest, byte[] signature, PublicKey key) {
        String body = entry.getBody();
        if (!body.stripLeading().startsWith("{")) {
            body = new String(Base64.getDecoder().decode(body), StandardCharsets.UTF_8);
        }
        JsonNode json = JSON.readTree(body);
        JsonNode spec = json.path("spec");
        boolean matches = "hashedrekord".equals(json.path("kind").asString(""))
                && "sha256"
                        .equals(spec.path("data").path("hash").path("algorithm").asString(""))
                && HexFormat.of()
                        .formatHex(digest)
                        .equals(spec.path("data").path("hash").path("value").asString(""))
                && recordsSigner(spec, signature, key.getEncoded());
        if (!matches) {
            throw new SigstoreException(
                    "tlog", "log entry " + entry.getLogIndex() + " does not record this artifact, signature and key");
        }
    }

    /**
     * The cosign legacy bundle annotation: {@code {"SignedEntryTimestamp", "Payload": {"body",
     * "integratedTime", "logIndex", "logID"}}}. Checks the SET against the Rekor key of the trusted
     * root that was valid at the integrated time, and that the logged hashedrekord records this
     * payload digest, signature and signer ({@code signerDer}: the certificate, or the key's SPKI).
     * Returns the integrated time the SET vouches for.
     */
    Instant verifySet(String annotation, byte[] payloadDigest, byte[] signature, byte[] signerDer) {
        JsonNode bundle;
        try {
            bundle = JSON.readTree(annotation);
        } catch (JacksonException e) {
            throw new SigstoreException("tlog", "the bundle annotation is not JSON");
        }
        JsonNode p = bundle.path("Payload");
        String body = p.path("body").asString("");
        long integratedTime = p.path("integratedTime").asLong(-1);
        long logIndex = p.path("logIndex").asLong(-1);
        String logId = p.path("logID").asString("").toLowerCase(Locale.ROOT);
        if (body.isEmpty() || integratedTime < 0 || logIndex < 0 || !logId.matches("[0-9a-f]{64}")) {
            throw new SigstoreException("tlog", "the bundle annotation lacks body, integratedTime, logIndex or logID");
        }
        Instant at = plausible(integratedTime);
        Optional<TransparencyLog> log =
                TransparencyLog.find(root.getTLogs(), HexFormat.of().parseHex(logId), at);
        if (log.isEmpty()) {
            throw new SigstoreException(
                    "tlog", "log " + logId.substring(0, 12) + "… is not a Rekor log of the trusted root at " + at);
        }
        // RFC 8785 canonical JSON of the payload: keys sorted, no whitespace (all values are plain)
        String canonical = "{\"body\":\"" + body + "\",\"integratedTime\":" + integratedTime + ",\"logID\":\"" + logId
                + "\",\"logIndex\":" + logIndex + "}";
        byte[] set = base64(bundle.path("SignedEntryTimestamp"), "SignedEntryTimestamp");
        PublicKey logKey;
        try {
            logKey = log.get().getPublicKey().toJavaPublicKey();
        } catch (Exception e) {
            throw new SigstoreException("trusted-root", "unusable Rekor key: " + SigstoreVerifier.oneLine(e), e);
        }
        if (!verifies(logKey, canonical.getBytes(StandardCharsets.UTF_8), false, set)) {
            throw new SigstoreException("tlog", "the signed entry timestamp does not verify with the Rekor key");
        }
        JsonNode entry = loggedBody(body);
        JsonNode spec = entry.path("spec");
        if (!"hashedrekord".equals(entry.path("kind").asString(""))
                || !HexFormat.of()
                        .formatHex(payloadDigest)
                        .equalsIgnoreCase(
                                spec.path("data").path("hash").path("value").asString(""))
                || !recordsSigner(spec, signature, signerDer)) {
            throw new SigstoreException(
                    "tlog", "log entry " + logIndex + " does not record this payload, signature and signer");
        }
        return at;
    }

    /** A hashedrekord spec's signature and signer (PEM certificate or key) are exactly these. */
    private static boolean recordsSigner(JsonNode spec, byte[] signature, byte[] signerDer) {
        JsonNode logged = spec.path("signature");
        return Arrays.equals(signature, decodeOrEmpty(logged.path("content").asString("")))
                && Arrays.equals(
                        signerDer,
                        loggedPem(logged.path("publicKey").path("content").asString("")));
    }

    private static JsonNode loggedBody(String base64Json) {
        try {
            return JSON.readTree(Base64.getDecoder().decode(base64Json));
        } catch (IllegalArgumentException | JacksonException e) {
            throw new SigstoreException("tlog", "the logged body is not base64 JSON");
        }
    }
}
