package dev.powernode.common.sigstore;

import static dev.powernode.common.sigstore.CertificateVerifier.insideValidity;
import static dev.powernode.common.sigstore.CertificateVerifier.matchIdentity;
import static dev.powernode.common.sigstore.Signatures.JSON;
import static dev.powernode.common.sigstore.Signatures.base64;
import static dev.powernode.common.sigstore.Signatures.onlySignature;
import static dev.powernode.common.sigstore.Signatures.pae;
import static dev.powernode.common.sigstore.Signatures.sha256;
import static dev.powernode.common.sigstore.Signatures.verifies;

import dev.powernode.common.sigstore.SigstoreVerifier.Verified;
import dev.sigstore.KeylessVerifier;
import dev.sigstore.VerificationOptions;
import dev.sigstore.bundle.Bundle;
import dev.sigstore.rekor.client.RekorEntry;
import dev.sigstore.timestamp.client.ImmutableTimestampResponse;
import dev.sigstore.timestamp.client.TimestampVerifier;
import java.io.StringReader;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sigstore bundles (message signatures and DSSE envelopes, keyless or key-pair). Certificate bundles
 * sigstore-java can read go through its {@link KeylessVerifier}; key-pair bundles and DSSE envelopes
 * logged as Rekor v1 {@code intoto}/{@code dsse} entries, which it cannot read, are composed here
 * from the certificate and Rekor entry verifiers, as {@code KeylessVerifier} composes its own.
 */
final class BundleVerifier {
    private final KeylessVerifier keyless;
    private final TimestampVerifier tsa;
    private final CertificateVerifier certificates;
    private final RekorEntryVerifier entries;

    BundleVerifier(
            KeylessVerifier keyless,
            TimestampVerifier tsa,
            CertificateVerifier certificates,
            RekorEntryVerifier entries) {
        this.keyless = keyless;
        this.tsa = tsa;
        this.certificates = certificates;
        this.entries = entries;
    }

    Verified verify(String bundleJson, byte[] digest, SignerPolicy policy) {
        ObjectNode json = readBundleJson(bundleJson);
        entries.checkpointNamesWithoutPort(json);
        JsonNode material = json.path("verificationMaterial");
        if (material.has("publicKey")) {
            return verifyWithKey(json, digest, policy);
        }
        CertificateVerifier.requireKeyless(policy);
        byte[] signedDigest = digest;
        String payloadType = null;
        byte[] payload = null;
        if (json.path("dsseEnvelope").isObject()) {
            payloadType = json.path("dsseEnvelope").path("payloadType").asString("");
            payload = base64(json.path("dsseEnvelope").path("payload"), "dsseEnvelope.payload");
            subjectsIncludeArtifact(payloadType, payload, digest);
            if (allEntriesAre(json, "hashedrekord", "0.0.2")) {
                signedDigest = dsseAsMessageSignature(json);
            } else if (allEntriesAre(json, "intoto", "0.0.2") || allEntriesAre(json, "dsse", "0.0.1")) {
                // Rekor v1 envelope entries: ours (sigstore-java reads no intoto entries, and refuses
                // in-toto subjects without a name, which cosign v3 image signatures have)
                return verifyEnvelopeEntries(json, payloadType, payload, policy);
            }
        }
        Bundle parsed;
        try {
            parsed = Bundle.from(new StringReader(json.toString()));
        } catch (Exception e) {
            throw new SigstoreException("bundle", "invalid bundle: " + SigstoreVerifier.oneLine(e), e);
        }
        if (parsed.getCertPath().getCertificates().isEmpty()) {
            throw new SigstoreException("certificate", "the bundle has no signing certificate");
        }
        try {
            keyless.verify(signedDigest, parsed, VerificationOptions.empty());
        } catch (Exception e) {
            throw new SigstoreException(classify(e), SigstoreVerifier.oneLine(e), e);
        }
        X509Certificate leaf =
                (X509Certificate) parsed.getCertPath().getCertificates().get(0);
        if (parsed.getEntries().size() != 1) {
            // sigstore-java verifies the first entry only; a second one would be unverified data
            throw new SigstoreException("bundle", "a bundle must carry exactly one log entry");
        }
        RekorEntry entry = parsed.getEntries().get(0);
        Instant integrated = entries.signedTime(entry);
        if (integrated != null) {
            insideValidity(leaf, integrated, entry.getLogIndex());
        } else if (parsed.getTimestamps().isEmpty()) {
            // Rekor v2 entries carry no integrated time: sigstore-java checks the bundle's RFC 3161
            // timestamps against the certificate instead; with neither, the signing time is unproven
            throw unprovenSigningTime();
        }
        String signer = matchIdentity(leaf, policy);
        return new Verified(signer, true, integrated, true, payloadType, payload);
    }

    /**
     * Key-pair bundles: sigstore-java 2.0.0 verifies only certificate bundles, so the signature and
     * the log entry's binding to it are checked here; the entry itself (inclusion proof, checkpoint,
     * SET) by sigstore-java's Rekor verifier.
     */
    private Verified verifyWithKey(JsonNode bundle, byte[] digest, SignerPolicy policy) {
        JsonNode material = bundle.path("verificationMaterial");
        if (material.has("certificate") || material.has("x509CertificateChain")) {
            throw new SigstoreException("bundle", "the bundle has both a public key and a certificate");
        }
        Signatures.requireKeys(policy);
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
            JsonNode only = onlySignature(envelope);
            payloadType = envelope.path("payloadType").asString("");
            payload = base64(envelope.path("payload"), "dsseEnvelope.payload");
            subjectsIncludeArtifact(payloadType, payload, digest);
            signature = base64(only.path("sig"), "dsseEnvelope.signatures[0].sig");
            signedContent = pae(payloadType, payload);
            prehashed = false;
        } else {
            throw new SigstoreException("bundle", "the bundle has neither a message signature nor a DSSE envelope");
        }
        int matched = Signatures.matchingKey(policy, signedContent, prehashed, signature);
        PublicKey key = policy.keys().get(matched);
        JsonNode tlogs = material.path("tlogEntries");
        Instant integrated = null;
        boolean logged = false;
        if (tlogs.isArray()) {
            for (JsonNode tlog : tlogs) {
                if (!tlog.path("inclusionProof").isObject()) {
                    throw new SigstoreException("tlog", "a log entry has no inclusion proof");
                }
                RekorEntry entry = entries.verifyEntry(tlog);
                if (!message.isObject()) {
                    // a key-pair DSSE entry's binding to the envelope is not checked here, so it is no evidence
                    continue;
                }
                RekorEntryVerifier.recordsSignature(entry, digest, signature, key);
                logged = true;
                integrated = entries.signedTime(entry);
            }
        }
        if (!logged && policy.keysNeedTlog()) {
            throw new SigstoreException("tlog", "the policy requires a transparency log entry; the bundle has none");
        }
        return new Verified(SigstoreVerifier.keyName(matched, key), false, integrated, logged, payloadType, payload);
    }

    /**
     * DSSE bundles logged in Rekor v1 as {@code intoto} 0.0.2 (or {@code dsse} 0.0.1) entries, which
     * sigstore-java 2.0.0 cannot read: the certificate (chain, SCT) and the log entry (inclusion
     * proof, checkpoint, SET) go through sigstore-java's Fulcio and Rekor verifiers; the envelope
     * signature and the entry's binding to it (payload hash, signature, certificate) are checked here.
     */
    private Verified verifyEnvelopeEntries(JsonNode json, String payloadType, byte[] payload, SignerPolicy policy) {
        JsonNode material = json.path("verificationMaterial");
        List<X509Certificate> chain = new ArrayList<>();
        if (material.path("certificate").isObject()) {
            chain.add(CertificateVerifier.certificate(
                    base64(material.path("certificate").path("rawBytes"), "certificate.rawBytes")));
        } else {
            for (JsonNode c : material.path("x509CertificateChain").path("certificates")) {
                chain.add(CertificateVerifier.certificate(
                        base64(c.path("rawBytes"), "x509CertificateChain.certificates[].rawBytes")));
            }
        }
        if (chain.isEmpty()) {
            throw new SigstoreException("certificate", "the bundle has no signing certificate");
        }
        X509Certificate leaf = chain.get(0);
        certificates.verifyChain(chain);
        JsonNode only = onlySignature(json.path("dsseEnvelope"));
        byte[] signature = base64(only.path("sig"), "dsseEnvelope.signatures[0].sig");
        if (!verifies(leaf.getPublicKey(), pae(payloadType, payload), false, signature)) {
            throw new SigstoreException("signature", "the DSSE signature does not verify with the certificate's key");
        }
        int timestamps = verifyTimestamps(material, signature, leaf);
        Instant integrated = null;
        int logged = 0;
        for (JsonNode tlog : material.path("tlogEntries")) {
            RekorEntry entry = entries.verifyEntry(tlog);
            RekorEntryVerifier.recordsEnvelope(entry, payload, signature, leaf);
            Instant t = entries.signedTime(entry);
            if (t != null) {
                insideValidity(leaf, t, entry.getLogIndex());
                integrated = t;
            } else if (timestamps == 0) {
                throw unprovenSigningTime();
            }
            logged++;
        }
        if (logged == 0) {
            throw new SigstoreException("tlog", "the bundle has no transparency log entry");
        }
        return new Verified(matchIdentity(leaf, policy), true, integrated, true, payloadType, payload);
    }

    /**
     * RFC 3161 timestamps over the signature: each from a TSA of the root, inside the certificate's
     * validity. Returns how many there are: with none, only a SET can prove the signing time.
     */
    private int verifyTimestamps(JsonNode material, byte[] signature, X509Certificate leaf) {
        int timestamps = 0;
        for (JsonNode ts : material.path("timestampVerificationData").path("rfc3161Timestamps")) {
            byte[] token = base64(ts.path("signedTimestamp"), "rfc3161Timestamps[].signedTimestamp");
            Date time;
            try {
                var response =
                        ImmutableTimestampResponse.builder().encoded(token).build();
                tsa.verify(response, signature);
                time = response.getGenTime();
            } catch (Exception e) {
                throw new SigstoreException("timestamp", "RFC 3161 timestamp: " + SigstoreVerifier.oneLine(e), e);
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
        return timestamps;
    }

    private static SigstoreException unprovenSigningTime() {
        return new SigstoreException(
                "tlog", "no signed entry timestamp and no RFC 3161 timestamp: the signing time is unproven");
    }

    private static void subjectsIncludeArtifact(String payloadType, byte[] payload, byte[] digest) {
        if (!SigstoreVerifier.IN_TOTO.equals(payloadType)) {
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

    /** Whether every log entry of the bundle is of this kind and version (and there is one at least). */
    private static boolean allEntriesAre(JsonNode json, String kind, String version) {
        JsonNode tlogs = json.path("verificationMaterial").path("tlogEntries");
        if (!tlogs.isArray() || tlogs.isEmpty()) {
            return false;
        }
        for (JsonNode entry : tlogs) {
            JsonNode kv = entry.path("kindVersion");
            if (!kind.equals(kv.path("kind").asString(""))
                    || !version.equals(kv.path("version").asString(""))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Rekor v2 logs a DSSE envelope as a hashedrekord of SHA-256(PAE(envelope)) (rekor-v2 spec
     * 6.1.4), which sigstore-java 2.0.0 refuses. Such an envelope is exactly a message signature
     * over that digest, so the bundle is rewritten in place to one for sigstore-java (certificate,
     * timestamps, log entry binding); the in-toto subject is checked by the caller. Returns the
     * digest the envelope signature is over.
     */
    private static byte[] dsseAsMessageSignature(ObjectNode json) {
        JsonNode envelope = json.path("dsseEnvelope");
        JsonNode only = onlySignature(envelope);
        String payloadType = envelope.path("payloadType").asString("");
        byte[] payload = base64(envelope.path("payload"), "dsseEnvelope.payload");
        byte[] paeDigest = sha256(pae(payloadType, payload));
        ObjectNode message = json.putObject("messageSignature");
        message.putObject("messageDigest")
                .put("algorithm", "SHA2_256")
                .put("digest", Base64.getEncoder().encodeToString(paeDigest));
        message.put("signature", only.path("sig").asString(""));
        json.remove("dsseEnvelope");
        return paeDigest;
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

    /** Names the check behind a sigstore-java failure, which comes untyped, from its message. */
    private static String classify(Exception e) {
        String m = SigstoreVerifier.oneLine(e).toLowerCase(Locale.ROOT);
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
}
