package dev.powernode.common.sigstore;

import dev.sigstore.KeylessVerifier;
import dev.sigstore.VerificationOptions;
import dev.sigstore.bundle.Bundle;
import dev.sigstore.fulcio.client.FulcioVerifier;
import dev.sigstore.rekor.client.RekorEntry;
import dev.sigstore.rekor.client.RekorVerifier;
import dev.sigstore.timestamp.client.TimestampVerifier;
import dev.sigstore.trustroot.SigstoreTrustedRoot;
import dev.sigstore.trustroot.TransparencyLog;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertPath;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

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
 * <p>Thread-safe; build one per trusted root and reuse it.
 */
public final class SigstoreVerifier {
    public static final String PUBLIC_GOOD_ROOT = "public-good-trusted_root.json";
    static final String IN_TOTO = "application/vnd.in-toto+json";
    private static final String ISSUER_V2 = "1.3.6.1.4.1.57264.1.8";
    private static final String ISSUER_V1 = "1.3.6.1.4.1.57264.1.1";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String rootName;
    private final SigstoreTrustedRoot root;
    private final KeylessVerifier keyless;
    private final FulcioVerifier fulcio;
    private final RekorVerifier rekor;
    private final TimestampVerifier tsa;

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
            this.root = SigstoreTrustedRoot.from(new ByteArrayInputStream(rootJson));
            this.keyless =
                    KeylessVerifier.builder().trustedRootProvider(() -> root).build();
            this.fulcio = FulcioVerifier.newFulcioVerifier(root);
            this.rekor = RekorVerifier.newRekorVerifier(root);
            this.tsa = TimestampVerifier.newTimestampVerifier(root);
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

    // ---------------------------------------------------------------- Sigstore bundles

    /**
     * Verifies a Sigstore bundle over {@code digest} (SHA-256 of the artifact; for a DSSE envelope,
     * the digest one of the in-toto subjects must carry) against {@code policy}.
     */
    public Verified verifyBundle(String bundleJson, byte[] digest, SignerPolicy policy) {
        try {
            return bundle(bundleJson, digest, policy);
        } catch (SigstoreException e) {
            throw e;
        } catch (RuntimeException e) {
            // malformed input that slipped past a parser: still a typed refusal, never a crash
            throw new SigstoreException("bundle", "invalid bundle: " + oneLine(e), e);
        }
    }

    private Verified bundle(String bundleJson, byte[] digest, SignerPolicy policy) {
        ObjectNode json = readBundleJson(bundleJson);
        checkpointNamesWithoutPort(json);
        JsonNode material = json.path("verificationMaterial");
        if (material.has("publicKey")) {
            return verifyBundleWithKey(json, digest, policy);
        }
        if (!policy.keyless()) {
            throw new SigstoreException(
                    "identity", "a keyless (certificate) signature, but the policy names no identity and issuer");
        }
        byte[] signedDigest = digest;
        String payloadType = null;
        byte[] payload = null;
        if (json.path("dsseEnvelope").isObject()) {
            payloadType = json.path("dsseEnvelope").path("payloadType").asString("");
            payload = base64(json.path("dsseEnvelope").path("payload"), "dsseEnvelope.payload");
            subjectsIncludeArtifact(payloadType, payload, digest);
            if (isDsseLoggedAsHashedRekord(json)) {
                signedDigest = dsseAsMessageSignature(json);
            } else if (allEntriesAre(json, "intoto", "0.0.2") || allEntriesAre(json, "dsse", "0.0.1")) {
                // Rekor v1 envelope entries: ours (sigstore-java reads no intoto entries, and refuses
                // in-toto subjects without a name, which cosign v3 image signatures have)
                return verifyIntotoEntries(json, payloadType, payload, policy);
            }
        }
        Bundle parsed;
        try {
            parsed = Bundle.from(new StringReader(json.toString()));
        } catch (Exception e) {
            throw new SigstoreException("bundle", "invalid bundle: " + oneLine(e), e);
        }
        if (parsed.getCertPath().getCertificates().isEmpty()) {
            throw new SigstoreException("certificate", "the bundle has no signing certificate");
        }
        try {
            keyless.verify(signedDigest, parsed, VerificationOptions.empty());
        } catch (Exception e) {
            throw new SigstoreException(classify(e), oneLine(e), e);
        }
        X509Certificate leaf =
                (X509Certificate) parsed.getCertPath().getCertificates().get(0);
        if (parsed.getEntries().size() != 1) {
            // sigstore-java verifies the first entry only; a second one would be unverified data
            throw new SigstoreException("bundle", "a bundle must carry exactly one log entry");
        }
        RekorEntry entry = parsed.getEntries().get(0);
        Instant integrated = signedTime(entry);
        if (integrated != null) {
            insideValidity(leaf, integrated, entry.getLogIndex());
        } else if (parsed.getTimestamps().isEmpty()) {
            // Rekor v2 entries carry no integrated time: sigstore-java checks the bundle's RFC 3161
            // timestamps against the certificate instead; with neither, the signing time is unproven
            throw new SigstoreException(
                    "tlog", "no signed entry timestamp and no RFC 3161 timestamp: the signing time is unproven");
        }
        String signer = matchIdentity(leaf, policy);
        return new Verified(signer, true, integrated, true, payloadType, payload);
    }

    /**
     * Key-pair bundles: sigstore-java 2.0.0 verifies only certificate bundles, so the signature and
     * the log entry's binding to it are checked here; the entry itself (inclusion proof, checkpoint,
     * SET) by sigstore-java's Rekor verifier.
     */
    private Verified verifyBundleWithKey(JsonNode bundle, byte[] digest, SignerPolicy policy) {
        JsonNode material = bundle.path("verificationMaterial");
        if (material.has("certificate") || material.has("x509CertificateChain")) {
            throw new SigstoreException("bundle", "the bundle has both a public key and a certificate");
        }
        if (policy.keys().isEmpty()) {
            throw new SigstoreException("key", "a key-pair signature, but the policy has no public keys");
        }
        byte[] signature;
        byte[] signedContent;
        boolean prehashed;
        String payloadType = null;
        byte[] payload = null;
        JsonNode message = bundle.path("messageSignature");
        if (message.isObject()) {
            signature = base64(message.path("signature"), "messageSignature.signature");
            if (message.has("messageDigest")
                    && !MessageDigest.isEqual(
                            base64(message.path("messageDigest").path("digest"), "messageDigest.digest"), digest)) {
                throw new SigstoreException("subject", "the bundle's message digest is not the artifact's");
            }
            signedContent = digest;
            prehashed = true;
        } else if (bundle.path("dsseEnvelope").isObject()) {
            JsonNode envelope = bundle.path("dsseEnvelope");
            JsonNode signatures = envelope.path("signatures");
            if (!signatures.isArray() || signatures.size() != 1) {
                throw new SigstoreException("bundle", "a DSSE envelope must carry exactly one signature");
            }
            payloadType = envelope.path("payloadType").asString("");
            payload = base64(envelope.path("payload"), "dsseEnvelope.payload");
            subjectsIncludeArtifact(payloadType, payload, digest);
            signature = base64(signatures.get(0).path("sig"), "dsseEnvelope.signatures[0].sig");
            signedContent = pae(payloadType, payload);
            prehashed = false;
        } else {
            throw new SigstoreException("bundle", "the bundle has neither a message signature nor a DSSE envelope");
        }
        int matched = -1;
        for (int k = 0; k < policy.keys().size() && matched < 0; k++) {
            if (verifies(policy.keys().get(k), signedContent, prehashed, signature)) {
                matched = k;
            }
        }
        if (matched < 0) {
            throw new SigstoreException(
                    "signature",
                    "the signature does not verify with any of the "
                            + policy.keys().size() + " key(s)");
        }
        PublicKey key = policy.keys().get(matched);
        JsonNode entries = material.path("tlogEntries");
        Instant integrated = null;
        boolean logged = false;
        if (entries.isArray()) {
            for (JsonNode tlog : entries) {
                if (!tlog.path("inclusionProof").isObject()) {
                    throw new SigstoreException("tlog", "a log entry has no inclusion proof");
                }
                RekorEntry entry;
                try {
                    entry = RekorEntry.fromTLogEntryJson(tlog.toString());
                    rekor.verifyEntry(entry);
                } catch (Exception e) {
                    throw new SigstoreException("tlog", oneLine(e), e);
                }
                if (!message.isObject()) {
                    // a key-pair DSSE entry's binding to the envelope is not checked here, so it is no evidence
                    continue;
                }
                entryRecordsSignature(entry, digest, signature, key);
                logged = true;
                integrated = signedTime(entry);
            }
        }
        if (!logged && policy.keysNeedTlog()) {
            throw new SigstoreException("tlog", "the policy requires a transparency log entry; the bundle has none");
        }
        return new Verified(keyName(matched, key), false, integrated, logged, payloadType, payload);
    }

    /**
     * DSSE bundles logged in Rekor v1 as {@code intoto} 0.0.2 entries, which sigstore-java 2.0.0
     * cannot read: the certificate (chain, SCT) and the log entry (inclusion proof, checkpoint, SET)
     * go through sigstore-java's Fulcio and Rekor verifiers; the envelope signature and the entry's
     * binding to it (payload hash, signature, certificate) are checked here.
     */
    private Verified verifyIntotoEntries(JsonNode json, String payloadType, byte[] payload, SignerPolicy policy) {
        JsonNode material = json.path("verificationMaterial");
        List<X509Certificate> chain = new ArrayList<>();
        if (material.path("certificate").isObject()) {
            chain.add(certificate(base64(material.path("certificate").path("rawBytes"), "certificate.rawBytes")));
        } else {
            for (JsonNode c : material.path("x509CertificateChain").path("certificates")) {
                chain.add(certificate(base64(c.path("rawBytes"), "x509CertificateChain.certificates[].rawBytes")));
            }
        }
        if (chain.isEmpty()) {
            throw new SigstoreException("certificate", "the bundle has no signing certificate");
        }
        X509Certificate leaf = chain.get(0);
        try {
            fulcio.verifySigningCertificate(
                    CertificateFactory.getInstance("X.509").generateCertPath(chain));
        } catch (Exception e) {
            throw new SigstoreException("certificate", "certificate: " + oneLine(e), e);
        }
        JsonNode signatures = json.path("dsseEnvelope").path("signatures");
        if (!signatures.isArray() || signatures.size() != 1) {
            throw new SigstoreException("bundle", "a DSSE envelope must carry exactly one signature");
        }
        byte[] signature = base64(signatures.get(0).path("sig"), "dsseEnvelope.signatures[0].sig");
        if (!verifies(leaf.getPublicKey(), pae(payloadType, payload), false, signature)) {
            throw new SigstoreException("signature", "the DSSE signature does not verify with the certificate's key");
        }
        // RFC 3161 timestamps over the signature: each from a TSA of the root, inside the certificate's validity
        int timestamps = 0;
        int entries = 0;
        for (JsonNode ts : material.path("timestampVerificationData").path("rfc3161Timestamps")) {
            byte[] token = base64(ts.path("signedTimestamp"), "rfc3161Timestamps[].signedTimestamp");
            java.util.Date time;
            try {
                var response = dev.sigstore.timestamp.client.ImmutableTimestampResponse.builder()
                        .encoded(token)
                        .build();
                tsa.verify(response, signature);
                time = response.getGenTime();
            } catch (Exception e) {
                throw new SigstoreException("timestamp", "RFC 3161 timestamp: " + oneLine(e), e);
            }
            try {
                leaf.checkValidity(time);
            } catch (CertificateExpiredException | CertificateNotYetValidException e) {
                throw new SigstoreException(
                        "timestamp",
                        "RFC 3161 timestamp " + time.toInstant() + " is outside the certificate's validity");
            }
            timestamps++;
        }
        Instant integrated = null;
        for (JsonNode tlog : material.path("tlogEntries")) {
            RekorEntry entry;
            try {
                entry = RekorEntry.fromTLogEntryJson(tlog.toString());
                rekor.verifyEntry(entry);
            } catch (Exception e) {
                throw new SigstoreException("tlog", oneLine(e), e);
            }
            JsonNode body;
            try {
                body = JSON.readTree(Base64.getDecoder().decode(entry.getBody()));
            } catch (IllegalArgumentException | JacksonException e) {
                throw new SigstoreException("tlog", "the logged body is not base64 JSON");
            }
            boolean bound = "intoto".equals(body.path("kind").asString(""))
                    ? intotoEntryRecords(body.path("spec").path("content"), payload, signature, leaf)
                    : dsseEntryRecords(body, payload, signature, leaf);
            if (!bound) {
                throw new SigstoreException(
                        "tlog", "log entry " + entry.getLogIndex() + " does not record this envelope and certificate");
            }
            Instant t = signedTime(entry);
            if (t != null) {
                insideValidity(leaf, t, entry.getLogIndex());
                integrated = t;
            } else if (timestamps == 0) {
                throw new SigstoreException(
                        "tlog", "no signed entry timestamp and no RFC 3161 timestamp: the signing time is unproven");
            }
            entries++;
        }
        if (entries == 0) {
            throw new SigstoreException("tlog", "the bundle has no transparency log entry");
        }
        return new Verified(matchIdentity(leaf, policy), true, integrated, true, payloadType, payload);
    }

    /**
     * A log served on an explicit port signs its checkpoints as {@code host:port}, but sigstore-java
     * 2.0.0 expects the bare host of the trusted root's {@code baseUrl} (conformance case
     * intoto-with-custom-trust-root). The signer line's name is not covered by the signature, so
     * naming it as sigstore-java expects changes nothing that is verified: the signature is still
     * checked with that log's key.
     */
    private void checkpointNamesWithoutPort(ObjectNode json) {
        for (JsonNode tlog : json.path("verificationMaterial").path("tlogEntries")) {
            JsonNode checkpoint = tlog.path("inclusionProof").path("checkpoint");
            String envelope = checkpoint.path("envelope").asString(null);
            if (envelope == null || !(checkpoint instanceof ObjectNode node)) {
                continue;
            }
            String rewritten = envelope;
            for (TransparencyLog log : root.getTLogs()) {
                java.net.URI url = log.getBaseUrl();
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

    /** intoto 0.0.2: the payload hash, the (doubly base64) signature and the certificate. */
    private static boolean intotoEntryRecords(
            JsonNode content, byte[] payload, byte[] signature, X509Certificate leaf) {
        JsonNode logged = content.path("envelope").path("signatures");
        return "sha256".equals(content.path("payloadHash").path("algorithm").asString(""))
                && HexFormat.of()
                        .formatHex(sha256(payload))
                        .equalsIgnoreCase(
                                content.path("payloadHash").path("value").asString(""))
                && logged.isArray()
                && logged.size() == 1
                && Arrays.equals(
                        signature,
                        decodeOrEmpty(new String(
                                decodeOrEmpty(logged.get(0).path("sig").asString("")), StandardCharsets.US_ASCII)))
                && Arrays.equals(
                        encoded(leaf),
                        pemToDer(new String(
                                decodeOrEmpty(logged.get(0).path("publicKey").asString("")),
                                StandardCharsets.US_ASCII)));
    }

    /** dsse 0.0.1 (Rekor's stored form): the payload hash, and exactly this signature by this certificate. */
    private static boolean dsseEntryRecords(JsonNode body, byte[] payload, byte[] signature, X509Certificate leaf) {
        JsonNode spec = body.path("spec");
        JsonNode logged = spec.path("signatures");
        return "dsse".equals(body.path("kind").asString(""))
                && "sha256".equals(spec.path("payloadHash").path("algorithm").asString(""))
                && HexFormat.of()
                        .formatHex(sha256(payload))
                        .equalsIgnoreCase(spec.path("payloadHash").path("value").asString(""))
                && logged.isArray()
                && logged.size() == 1
                && Arrays.equals(
                        signature, decodeOrEmpty(logged.get(0).path("signature").asString("")))
                && Arrays.equals(
                        encoded(leaf),
                        pemToDer(new String(
                                decodeOrEmpty(logged.get(0).path("verifier").asString("")),
                                StandardCharsets.US_ASCII)));
    }

    /**
     * The entry's integrated time, only when a signed entry timestamp vouches for it (sigstore-java's
     * Rekor verifier checks a SET that is present; an inclusion proof does not cover the time), and
     * only if a Rekor key of the trusted root was valid then (sigstore-java picks the key by log id
     * alone). Null when the entry has no SET or no time (Rekor v2).
     */
    private Instant signedTime(RekorEntry entry) {
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

    private static boolean allEntriesAre(JsonNode json, String kind, String version) {
        JsonNode entries = json.path("verificationMaterial").path("tlogEntries");
        if (!entries.isArray() || entries.isEmpty()) {
            return false;
        }
        for (JsonNode entry : entries) {
            JsonNode kv = entry.path("kindVersion");
            if (!kind.equals(kv.path("kind").asString(""))
                    || !version.equals(kv.path("version").asString(""))) {
                return false;
            }
        }
        return true;
    }

    private static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate)
                    CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new SigstoreException("certificate", "the bundle's certificate does not parse");
        }
    }

    private static byte[] encoded(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (CertificateException e) {
            throw new SigstoreException("certificate", "unreadable certificate");
        }
    }

    // ---------------------------------------------------------------- cosign legacy signatures

    /**
     * Verifies one layer of a cosign legacy {@code sha256-<hex>.sig} manifest: {@code payload} is the
     * simple-signing JSON (its digest binding is the caller's), {@code signature} the base64
     * signature annotation; {@code certificatePem} (null for key-pair), {@code chainPem} (may be null)
     * and {@code bundleAnnotation} (the SET bundle, may be null) the other annotations.
     */
    public Verified verifyCosignLegacy(
            byte[] payload,
            String signature,
            String certificatePem,
            String chainPem,
            String bundleAnnotation,
            SignerPolicy policy) {
        try {
            return legacy(payload, signature, certificatePem, chainPem, bundleAnnotation, policy);
        } catch (SigstoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SigstoreException("signature", "unreadable signature: " + oneLine(e), e);
        }
    }

    private Verified legacy(
            byte[] payload,
            String signature,
            String certificatePem,
            String chainPem,
            String bundleAnnotation,
            SignerPolicy policy) {
        byte[] sig;
        try {
            sig = Base64.getDecoder().decode(signature.strip());
        } catch (IllegalArgumentException e) {
            throw new SigstoreException("signature", "the signature annotation is not base64");
        }
        if (certificatePem == null) {
            return verifyLegacyWithKey(payload, sig, bundleAnnotation, policy);
        }
        if (!policy.keyless()) {
            throw new SigstoreException(
                    "identity", "a keyless (certificate) signature, but the policy names no identity and issuer");
        }
        List<X509Certificate> chain = new ArrayList<>(certificates(certificatePem, "certificate"));
        if (chain.size() != 1) {
            throw new SigstoreException("certificate", "the certificate annotation must hold exactly one certificate");
        }
        if (chainPem != null && !chainPem.isBlank()) {
            chain.addAll(certificates(chainPem, "chain"));
        }
        X509Certificate leaf = chain.get(0);
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
            fulcio.verifySigningCertificate(path);
        } catch (Exception e) {
            throw new SigstoreException("certificate", "certificate: " + oneLine(e), e);
        }
        if (!verifies(leaf.getPublicKey(), payload, false, sig)) {
            throw new SigstoreException("signature", "the signature does not verify with the certificate's key");
        }
        if (bundleAnnotation == null || bundleAnnotation.isBlank()) {
            throw new SigstoreException(
                    "tlog", "a keyless signature without a transparency log bundle (" + "dev.sigstore.cosign/bundle)");
        }
        byte[] leafDer;
        try {
            leafDer = leaf.getEncoded();
        } catch (CertificateException e) {
            throw new SigstoreException("certificate", "unreadable certificate");
        }
        Instant integrated = verifySet(bundleAnnotation, sha256(payload), sig, leafDer);
        insideValidity(leaf, integrated, -1);
        String signer = matchIdentity(leaf, policy);
        return new Verified(signer, true, integrated, true, null, null);
    }

    private Verified verifyLegacyWithKey(byte[] payload, byte[] sig, String bundleAnnotation, SignerPolicy policy) {
        if (policy.keys().isEmpty()) {
            throw new SigstoreException("key", "a key-pair signature, but the policy has no public keys");
        }
        for (int k = 0; k < policy.keys().size(); k++) {
            PublicKey key = policy.keys().get(k);
            if (!verifies(key, payload, false, sig)) {
                continue;
            }
            Instant integrated = null;
            if (bundleAnnotation != null && !bundleAnnotation.isBlank()) {
                integrated = verifySet(bundleAnnotation, sha256(payload), sig, key.getEncoded());
            } else if (policy.keysNeedTlog()) {
                throw new SigstoreException(
                        "tlog", "the policy requires a transparency log entry; the signature has no bundle annotation");
            }
            return new Verified(keyName(k, key), false, integrated, integrated != null, null, null);
        }
        throw new SigstoreException(
                "signature",
                "the signature does not verify with any of the " + policy.keys().size() + " key(s)");
    }

    /**
     * The cosign legacy bundle annotation: {@code {"SignedEntryTimestamp", "Payload": {"body",
     * "integratedTime", "logIndex", "logID"}}}. Checks the SET against the Rekor key of the trusted
     * root that was valid at the integrated time, and that the logged hashedrekord records this
     * payload digest, signature and signer ({@code signerDer}: the certificate, or the key's SPKI).
     */
    private Instant verifySet(String annotation, byte[] payloadDigest, byte[] signature, byte[] signerDer) {
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
            throw new SigstoreException("trusted-root", "unusable Rekor key: " + oneLine(e), e);
        }
        if (!verifies(logKey, canonical.getBytes(StandardCharsets.UTF_8), false, set)) {
            throw new SigstoreException("tlog", "the signed entry timestamp does not verify with the Rekor key");
        }
        JsonNode entry;
        try {
            entry = JSON.readTree(Base64.getDecoder().decode(body));
        } catch (IllegalArgumentException | JacksonException e) {
            throw new SigstoreException("tlog", "the logged body is not base64 JSON");
        }
        JsonNode spec = entry.path("spec");
        boolean hashedrekord = "hashedrekord".equals(entry.path("kind").asString(""));
        String loggedHash = spec.path("data").path("hash").path("value").asString("");
        byte[] loggedSignature =
                decodeOrEmpty(spec.path("signature").path("content").asString(""));
        byte[] loggedSigner = decodeOrEmpty(
                spec.path("signature").path("publicKey").path("content").asString(""));
        if (!hashedrekord
                || !HexFormat.of().formatHex(payloadDigest).equalsIgnoreCase(loggedHash)
                || !Arrays.equals(signature, loggedSignature)
                || !Arrays.equals(signerDer, pemToDer(new String(loggedSigner, StandardCharsets.US_ASCII)))) {
            throw new SigstoreException(
                    "tlog", "log entry " + logIndex + " does not record this payload, signature and signer");
        }
        return at;
    }

    // ---------------------------------------------------------------- shared checks

    private static String matchIdentity(X509Certificate leaf, SignerPolicy policy) {
        try {
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages == null || !usages.contains("1.3.6.1.5.5.7.3.3")) {
                throw new SigstoreException("certificate", "the signing certificate is not for code signing");
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new SigstoreException("certificate", "unreadable extended key usage");
        }
        List<String> names = subjectAlternativeNames(leaf);
        String san = null;
        for (String name : names) {
            if (policy.identity().matcher(name).matches()) {
                san = name;
                break;
            }
        }
        if (san == null) {
            throw new SigstoreException(
                    "identity",
                    "certificate identity " + names + " does not match "
                            + shown(policy.identity().pattern()));
        }
        String issuer = oidcIssuer(leaf);
        if (!policy.issuer().equals(issuer)) {
            throw new SigstoreException("issuer", "certificate OIDC issuer " + issuer + " is not " + policy.issuer());
        }
        return san + " (" + issuer + ")";
    }

    private static String shown(String pattern) {
        return pattern.startsWith("\\Q") && pattern.endsWith("\\E") && pattern.indexOf("\\E") == pattern.length() - 2
                ? pattern.substring(2, pattern.length() - 2)
                : pattern;
    }

    static List<String> subjectAlternativeNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() == 2 && san.get(1) instanceof String s) {
                        names.add(s);
                    }
                }
            }
        } catch (CertificateException e) {
            throw new SigstoreException("certificate", "unreadable subject alternative names");
        }
        return names;
    }

    /** Fulcio's issuer extension: v2 (DER UTF8String), else v1 (raw bytes). */
    static String oidcIssuer(X509Certificate cert) {
        byte[] v2 = cert.getExtensionValue(ISSUER_V2);
        if (v2 != null) {
            byte[] inner = derContent(derContent(v2, (byte) 0x04), (byte) 0x0c);
            return new String(inner, StandardCharsets.UTF_8);
        }
        byte[] v1 = cert.getExtensionValue(ISSUER_V1);
        if (v1 != null) {
            return new String(derContent(v1, (byte) 0x04), StandardCharsets.UTF_8);
        }
        throw new SigstoreException("issuer", "the certificate has no OIDC issuer extension");
    }

    /** The content of one DER TLV with tag {@code tag}. */
    private static byte[] derContent(byte[] der, byte tag) {
        if (der.length < 2 || der[0] != tag) {
            throw new SigstoreException("certificate", "malformed issuer extension");
        }
        int length = der[1] & 0xff;
        int offset = 2;
        if (length > 0x7f) {
            int n = length & 0x7f;
            if (n > 3 || der.length < 2 + n) {
                throw new SigstoreException("certificate", "malformed issuer extension");
            }
            length = 0;
            for (int i = 0; i < n; i++) {
                length = (length << 8) | (der[2 + i] & 0xff);
            }
            offset = 2 + n;
        }
        if (offset + length != der.length) {
            throw new SigstoreException("certificate", "malformed issuer extension");
        }
        return Arrays.copyOfRange(der, offset, offset + length);
    }

    /** sigstore-java 2.0.0 does not check this (conformance case integrated-time-in-future_fail). */
    private static void insideValidity(X509Certificate leaf, Instant integrated, long logIndex) {
        try {
            leaf.checkValidity(Date.from(integrated));
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new SigstoreException(
                    "integrated-time",
                    "log entry " + (logIndex < 0 ? "" : logIndex + " ") + "integrated at " + integrated
                            + ", outside the signing certificate's validity ("
                            + leaf.getNotBefore().toInstant()
                            + " to " + leaf.getNotAfter().toInstant() + ")");
        }
    }

    private static void subjectsIncludeArtifact(String payloadType, byte[] payload, byte[] digest) {
        if (!IN_TOTO.equals(payloadType)) {
            throw new SigstoreException("subject", "DSSE payload type " + payloadType + " is not in-toto");
        }
        JsonNode statement;
        try {
            statement = JSON.readTree(payload);
        } catch (JacksonException e) {
            throw new SigstoreException("subject", "the in-toto statement is not JSON");
        }
        if (!statement.path("_type").asString("").startsWith("https://in-toto.io/Statement/")
                || !statement.path("subject").isArray()
                || !statement.path("predicateType").isString()) {
            throw new SigstoreException(
                    "subject", "not an in-toto statement (_type, a subject array and a predicateType are required)");
        }
        String hex = HexFormat.of().formatHex(digest);
        for (JsonNode subject : statement.path("subject")) {
            if (hex.equalsIgnoreCase(subject.path("digest").path("sha256").asString(""))) {
                return;
            }
        }
        throw new SigstoreException("subject", "no in-toto subject has the artifact's sha256 " + hex);
    }

    /**
     * Rekor v2 logs a DSSE envelope as a hashedrekord of SHA-256(PAE(envelope)) (rekor-v2 spec
     * 6.1.4), which sigstore-java 2.0.0 refuses. Such an envelope is exactly a message signature
     * over that digest, so the bundle is rewritten to one for sigstore-java (certificate,
     * timestamps, log entry binding); the in-toto subject is checked by the caller.
     */
    private static boolean isDsseLoggedAsHashedRekord(JsonNode json) {
        JsonNode entries = json.path("verificationMaterial").path("tlogEntries");
        if (!entries.isArray() || entries.isEmpty()) {
            return false;
        }
        for (JsonNode entry : entries) {
            JsonNode kind = entry.path("kindVersion");
            if (!"hashedrekord".equals(kind.path("kind").asString(""))
                    || !"0.0.2".equals(kind.path("version").asString(""))) {
                return false;
            }
        }
        return true;
    }

    /** Rewrites {@code json} in place; returns the digest the envelope signature is over. */
    private static byte[] dsseAsMessageSignature(ObjectNode json) {
        JsonNode envelope = json.path("dsseEnvelope");
        JsonNode signatures = envelope.path("signatures");
        if (!signatures.isArray() || signatures.size() != 1) {
            throw new SigstoreException("bundle", "a DSSE envelope must carry exactly one signature");
        }
        String payloadType = envelope.path("payloadType").asString("");
        byte[] payload = base64(envelope.path("payload"), "dsseEnvelope.payload");
        byte[] paeDigest = sha256(pae(payloadType, payload));
        ObjectNode message = json.putObject("messageSignature");
        message.putObject("messageDigest")
                .put("algorithm", "SHA2_256")
                .put("digest", Base64.getEncoder().encodeToString(paeDigest));
        message.put("signature", signatures.get(0).path("sig").asString(""));
        json.remove("dsseEnvelope");
        return paeDigest;
    }

    private static byte[] pae(String payloadType, byte[] payload) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream pae = new ByteArrayOutputStream();
        pae.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.UTF_8));
        pae.writeBytes(type);
        pae.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.UTF_8));
        pae.writeBytes(payload);
        return pae.toByteArray();
    }

    private static void entryRecordsSignature(RekorEntry entry, byte[] digest, byte[] signature, PublicKey key) {
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
                && Arrays.equals(
                        signature,
                        decodeOrEmpty(spec.path("signature").path("content").asString("")))
                && Arrays.equals(
                        key.getEncoded(),
                        pemToDer(new String(
                                decodeOrEmpty(spec.path("signature")
                                        .path("publicKey")
                                        .path("content")
                                        .asString("")),
                                StandardCharsets.US_ASCII)));
        if (!matches) {
            throw new SigstoreException(
                    "tlog", "log entry " + entry.getLogIndex() + " does not record this artifact, signature and key");
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

    private static ObjectNode readBundleJson(String bundleJson) {
        JsonNode json;
        try {
            json = JSON.readTree(bundleJson);
        } catch (JacksonException e) {
            throw new SigstoreException("bundle", "invalid bundle: not JSON");
        }
        if (!(json instanceof ObjectNode object)
                || !json.path("mediaType").asString("").startsWith("application/vnd.dev.sigstore.bundle")) {
            throw new SigstoreException("bundle", "invalid bundle: unknown mediaType");
        }
        return object;
    }

    private static String classify(Exception e) {
        String m = oneLine(e).toLowerCase(Locale.ROOT);
        if (m.contains("artifact digest") || m.contains("digest in log entry")) {
            return "subject";
        }
        if (m.contains("log entry")
                || m.contains("rekor")
                || m.contains("inclusion")
                || m.contains("checkpoint")
                || m.contains("set ")
                || m.contains("transparency")) {
            return "tlog";
        }
        if (m.contains("certificate") || m.contains("sct") || m.contains("ca")) {
            return "certificate";
        }
        if (m.contains("signature")) {
            return "signature";
        }
        if (m.contains("timestamp")) {
            return "timestamp";
        }
        return "bundle";
    }

    private static boolean verifies(PublicKey key, byte[] content, boolean prehashed, byte[] signature) {
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
        } catch (SignatureException e) {
            return false;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static List<X509Certificate> certificates(String pem, String what) {
        try {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new SigstoreException("certificate", "the " + what + " annotation holds no certificate");
            }
            return out;
        } catch (CertificateException e) {
            throw new SigstoreException("certificate", "the " + what + " annotation is not PEM certificates");
        }
    }

    /** DER of the first PEM block (certificate or public key); empty when there is none. */
    private static byte[] pemToDer(String pem) {
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

    private static byte[] decodeOrEmpty(String b64) {
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    private static byte[] base64(JsonNode node, String field) {
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

    /** {@code key[i] (sha256:<16 hex of the SPKI>)}, for audit trails. */
    public static String keyName(int index, PublicKey key) {
        return "key[" + index + "] (sha256:"
                + HexFormat.of().formatHex(sha256(key.getEncoded())).substring(0, 16) + ")";
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
