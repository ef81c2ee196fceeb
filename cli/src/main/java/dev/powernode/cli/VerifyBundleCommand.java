package dev.powernode.cli;

import dev.sigstore.KeylessVerifier;
import dev.sigstore.TrustedRootProvider;
import dev.sigstore.VerificationOptions;
import dev.sigstore.bundle.Bundle;
import dev.sigstore.rekor.client.RekorEntry;
import dev.sigstore.strings.StringMatcher;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Verifies a Sigstore bundle the way the sigstore-conformance suite drives a client: exit 0 only
 * when the bundle verifies against the trusted root, the artifact and the expected signer.
 *
 * <p>sigstore-java does the cryptography (certificate chain, SCT, Rekor inclusion proof and
 * checkpoint, SET, signature); the checks it is known to miss are ours and run as well.
 */
@Command(
        name = "verify-bundle",
        mixinStandardHelpOptions = true,
        description = "Verify a Sigstore bundle over a file or a sha256:<hex> digest (fails closed).")
final class VerifyBundleCommand implements Callable<Integer> {
    static final String PUBLIC_GOOD_ROOT = "public-good-trusted_root.json";

    @Option(names = "--bundle", required = true, description = "the Sigstore bundle (JSON)")
    Path bundle;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Signer signer;

    static final class Signer {
        @ArgGroup(exclusive = false)
        Identity identity;

        @Option(names = "--key", description = "PEM public key of a key-pair signature")
        Path key;
    }

    static final class Identity {
        @Option(names = "--certificate-identity", required = true, description = "exact certificate SAN")
        String identity;

        @Option(names = "--certificate-oidc-issuer", required = true, description = "exact OIDC issuer")
        String issuer;
    }

    @Option(
            names = "--trusted-root",
            description = "trusted_root.json (default: the Sigstore public-good root shipped with the CLI)")
    Path trustedRoot;

    @Parameters(paramLabel = "FILE_OR_DIGEST", description = "the artifact, or sha256:<hex>")
    String artifact;

    @Override
    public Integer call() {
        byte[] digest = artifactDigest();
        // sigstore-java 2.0.0 refuses to even parse key-pair bundles ("Plain public keys are not supported")
        Bundle parsed = null;
        byte[] signedDigest = digest;
        if (signer.key == null) {
            JsonNode json = readBundleJson();
            if (isDsseLoggedAsHashedRekord(json)) {
                signedDigest = dsseAsMessageSignature(json, digest);
            }
            parsed = readBundle(json.toString());
        }
        Path root = trustedRootFile();
        try {
            everyKeyHasAValidityStart(root);
            if (signer.key != null) {
                verifyWithKey(readBundleJson(), digest, root);
                System.out.println("verified: signed by " + signer.key);
                return 0;
            }
            KeylessVerifier verifier = KeylessVerifier.builder()
                    .trustedRootProvider(TrustedRootProvider.from(root))
                    .build();
            VerificationOptions options = VerificationOptions.builder()
                    .addCertificateMatchers(VerificationOptions.CertificateMatcher.fulcio()
                            .subjectAlternativeName(StringMatcher.string(signer.identity.identity))
                            .issuer(StringMatcher.string(signer.identity.issuer))
                            .build())
                    .build();
            verifier.verify(signedDigest, parsed, options);
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw new CliException("verification failed: " + oneLine(e));
        } finally {
            if (trustedRoot == null) {
                deleteQuietly(root);
            }
        }
        integratedTimesInsideCertificateValidity(parsed);
        System.out.println("verified: " + signer.identity.identity + " (" + signer.identity.issuer + ")");
        return 0;
    }

    /**
     * Key-pair bundles: sigstore-java 2.0.0 verifies only certificate bundles, so the signature and
     * the log entry's binding to it are checked here; the entry itself (inclusion proof,
     * checkpoint, SET) by sigstore-java's Rekor verifier.
     */
    private void verifyWithKey(JsonNode bundleJson, byte[] digest, Path root) throws Exception {
        java.security.PublicKey key = readPublicKey(signer.key);
        JsonNode material = bundleJson.path("verificationMaterial");
        if (!material.has("publicKey") || material.has("certificate") || material.has("x509CertificateChain")) {
            throw new CliException("verification failed: bundle is not a key-pair signature");
        }
        JsonNode message = bundleJson.path("messageSignature");
        if (!message.isObject()) {
            throw new CliException("verification failed: only message signatures are supported with --key");
        }
        byte[] signature = base64(message.path("signature"), "messageSignature.signature");
        if (message.has("messageDigest")
                && !java.security.MessageDigest.isEqual(
                        base64(message.path("messageDigest").path("digest"), "messageDigest.digest"), digest)) {
            throw new CliException("verification failed: bundle digest does not match the artifact");
        }
        if (!"EC".equals(key.getAlgorithm())) {
            throw new CliException("verification failed: unsupported key type " + key.getAlgorithm());
        }
        // the signature is over SHA-256(artifact); NONEwithECDSA verifies it from the digest alone
        java.security.Signature ecdsa = java.security.Signature.getInstance("NONEwithECDSA");
        ecdsa.initVerify(key);
        ecdsa.update(digest);
        boolean valid;
        try {
            valid = ecdsa.verify(signature);
        } catch (java.security.SignatureException e) {
            valid = false;
        }
        if (!valid) {
            throw new CliException("verification failed: signature does not verify with " + signer.key);
        }
        JsonNode entries = material.path("tlogEntries");
        if (!entries.isArray() || entries.isEmpty()) {
            throw new CliException("verification failed: bundle has no transparency log entry");
        }
        dev.sigstore.rekor.client.RekorVerifier rekor;
        try (InputStream in = Files.newInputStream(root)) {
            rekor = dev.sigstore.rekor.client.RekorVerifier.newRekorVerifier(
                    dev.sigstore.trustroot.SigstoreTrustedRoot.from(in));
        }
        for (JsonNode tlog : entries) {
            if (!tlog.path("inclusionProof").isObject()) {
                throw new CliException("verification failed: log entry has no inclusion proof");
            }
            // sigstore-java reads the bundle's own (protobuf JSON) log entry form
            RekorEntry entry = RekorEntry.fromTLogEntryJson(tlog.toString());
            rekor.verifyEntry(entry);
            entryRecordsThisSignature(entry, digest, signature, key);
        }
    }

    private static byte[] base64(JsonNode node, String field) {
        try {
            return java.util.Base64.getDecoder().decode(node.asString(""));
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid bundle: " + field + " is not base64");
        }
    }

    private JsonNode readBundleJson() {
        try {
            JsonNode json = JsonMapper.builder().build().readTree(Files.readString(bundle, StandardCharsets.UTF_8));
            if (!json.path("mediaType").asString("").startsWith("application/vnd.dev.sigstore.bundle")) {
                throw new CliException("invalid bundle " + bundle + ": unknown mediaType");
            }
            return json;
        } catch (IOException | JacksonException e) {
            throw new CliException("invalid bundle " + bundle + ": " + oneLine(e));
        }
    }

    private static void entryRecordsThisSignature(
            RekorEntry entry, byte[] digest, byte[] signature, java.security.PublicKey key) {
        String body = entry.getBody();
        if (!body.stripLeading().startsWith("{")) {
            body = new String(java.util.Base64.getDecoder().decode(body), StandardCharsets.UTF_8);
        }
        JsonNode json = JsonMapper.builder().build().readTree(body);
        JsonNode spec = json.path("spec");
        boolean matches = "hashedrekord".equals(json.path("kind").asString(""))
                && "sha256"
                        .equals(spec.path("data").path("hash").path("algorithm").asString(""))
                && HexFormat.of()
                        .formatHex(digest)
                        .equals(spec.path("data").path("hash").path("value").asString(""))
                && java.util.Arrays.equals(
                        signature,
                        java.util.Base64.getDecoder()
                                .decode(spec.path("signature").path("content").asString("")))
                && java.util.Arrays.equals(
                        key.getEncoded(),
                        readPublicKeyPem(new String(
                                        java.util.Base64.getDecoder()
                                                .decode(spec.path("signature")
                                                        .path("publicKey")
                                                        .path("content")
                                                        .asString("")),
                                        StandardCharsets.UTF_8))
                                .getEncoded());
        if (!matches) {
            throw new CliException("verification failed: log entry " + entry.getLogIndex()
                    + " does not record this artifact, signature and key");
        }
    }

    private static java.security.PublicKey readPublicKey(Path pem) {
        try {
            return readPublicKeyPem(Files.readString(pem, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new CliException("cannot read key " + pem + ": " + oneLine(e));
        }
    }

    private static java.security.PublicKey readPublicKeyPem(String pem) {
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            var spec = new java.security.spec.X509EncodedKeySpec(
                    java.util.Base64.getDecoder().decode(b64));
            for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
                try {
                    return java.security.KeyFactory.getInstance(algorithm).generatePublic(spec);
                } catch (java.security.spec.InvalidKeySpecException ignored) {
                    // try the next key type
                }
            }
        } catch (IllegalArgumentException | java.security.NoSuchAlgorithmException e) {
            throw new CliException("invalid public key: " + oneLine(e));
        }
        throw new CliException("invalid public key: not an EC, RSA or Ed25519 SubjectPublicKeyInfo");
    }

    /**
     * A key without {@code validFor.start} is a malformed root, not an unbounded one; sigstore-java
     * 2.0.0 accepts it (conformance case trust-root-tlog-missing-validity-start_fail).
     */
    private static void everyKeyHasAValidityStart(Path root) throws IOException {
        JsonNode json;
        try {
            json = JsonMapper.builder().build().readTree(Files.readString(root, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw new CliException("invalid trusted root " + root + ": " + oneLine(e));
        }
        for (String logs : new String[] {"tlogs", "ctlogs"}) {
            for (JsonNode log : json.path(logs)) {
                requireStart(log.path("publicKey").path("validFor"), logs, log.path("baseUrl"));
            }
        }
        for (String authorities : new String[] {"certificateAuthorities", "timestampAuthorities"}) {
            for (JsonNode authority : json.path(authorities)) {
                requireStart(authority.path("validFor"), authorities, authority.path("uri"));
            }
        }
    }

    private static void requireStart(JsonNode validFor, String kind, JsonNode name) {
        if (!validFor.path("start").isString()
                || validFor.path("start").asString().isBlank()) {
            throw new CliException(
                    "invalid trusted root: a key in " + kind + " (" + name.asString("?") + ") has no validFor.start");
        }
    }

    /** sigstore-java 2.0.0 does not check this (conformance case integrated-time-in-future_fail). */
    private static void integratedTimesInsideCertificateValidity(Bundle bundle) {
        if (bundle.getCertPath().getCertificates().isEmpty()) {
            throw new CliException("verification failed: bundle has no signing certificate");
        }
        X509Certificate leaf =
                (X509Certificate) bundle.getCertPath().getCertificates().get(0);
        for (RekorEntry entry : bundle.getEntries()) {
            if (entry.getIntegratedTime() == 0 && !bundle.getTimestamps().isEmpty()) {
                // Rekor v2 entries carry no integrated time; sigstore-java checks the bundle's
                // RFC 3161 timestamps against the certificate instead. Without one, 1970 fails below.
                continue;
            }
            try {
                leaf.checkValidity(Date.from(entry.getIntegratedTimeInstant()));
            } catch (CertificateExpiredException | CertificateNotYetValidException e) {
                throw new CliException("verification failed: log entry " + entry.getLogIndex()
                        + " integrated at " + entry.getIntegratedTimeInstant()
                        + ", outside the signing certificate's validity");
            }
        }
    }

    /**
     * Rekor v2 logs a DSSE envelope as a hashedrekord of SHA-256(PAE(envelope)) (rekor-v2 spec
     * 6.1.4), which sigstore-java 2.0.0 refuses. Such an envelope is exactly a message signature
     * over that digest, so the bundle is rewritten to one and sigstore-java verifies it as such
     * (certificate, timestamps, log entry binding); the in-toto subject is checked here.
     */
    private static boolean isDsseLoggedAsHashedRekord(JsonNode json) {
        if (!json.path("dsseEnvelope").isObject()) {
            return false;
        }
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
    private static byte[] dsseAsMessageSignature(JsonNode json, byte[] artifactDigest) {
        var envelope = json.path("dsseEnvelope");
        JsonNode signatures = envelope.path("signatures");
        if (!signatures.isArray() || signatures.size() != 1) {
            throw new CliException("verification failed: DSSE envelope must carry exactly one signature");
        }
        String payloadType = envelope.path("payloadType").asString("");
        byte[] payload = base64(envelope.path("payload"), "dsseEnvelope.payload");
        if (!"application/vnd.in-toto+json".equals(payloadType)) {
            throw new CliException("verification failed: DSSE payload type " + payloadType + " is not in-toto");
        }
        subjectsIncludeArtifact(payload, artifactDigest);
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        var pae = new java.io.ByteArrayOutputStream();
        pae.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.UTF_8));
        pae.writeBytes(type);
        pae.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.UTF_8));
        pae.writeBytes(payload);
        byte[] paeDigest;
        try {
            paeDigest = java.security.MessageDigest.getInstance("SHA-256").digest(pae.toByteArray());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        var root = (tools.jackson.databind.node.ObjectNode) json;
        var message = root.putObject("messageSignature");
        message.putObject("messageDigest")
                .put("algorithm", "SHA2_256")
                .put("digest", java.util.Base64.getEncoder().encodeToString(paeDigest));
        message.put("signature", signatures.get(0).path("sig").asString(""));
        root.remove("dsseEnvelope");
        return paeDigest;
    }

    private static void subjectsIncludeArtifact(byte[] payload, byte[] artifactDigest) {
        JsonNode statement;
        try {
            statement = JsonMapper.builder().build().readTree(payload);
        } catch (JacksonException e) {
            throw new CliException("verification failed: in-toto statement is not JSON");
        }
        String hex = HexFormat.of().formatHex(artifactDigest);
        for (JsonNode subject : statement.path("subject")) {
            if (hex.equalsIgnoreCase(subject.path("digest").path("sha256").asString(""))) {
                return;
            }
        }
        throw new CliException("verification failed: no in-toto subject has the artifact's sha256 " + hex);
    }

    private Bundle readBundle(String json) {
        try {
            return Bundle.from(new StringReader(json));
        } catch (Exception e) {
            throw new CliException("invalid bundle " + bundle + ": " + oneLine(e));
        }
    }

    private byte[] artifactDigest() {
        if (artifact.startsWith("sha256:")) {
            String hex = artifact.substring("sha256:".length()).toLowerCase(Locale.ROOT);
            if (!hex.matches("[0-9a-f]{64}")) {
                throw new CliException("invalid digest " + artifact + ": expected sha256:<64 hex digits>", 2);
            }
            return HexFormat.of().parseHex(hex);
        }
        try (InputStream in = Files.newInputStream(Path.of(artifact))) {
            var sha = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
            return sha.digest();
        } catch (IOException e) {
            throw new CliException("cannot read artifact " + artifact + ": " + oneLine(e));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** sigstore-java reads a trusted root from a path only, so the bundled one goes to a temp file. */
    private Path trustedRootFile() {
        if (trustedRoot != null) {
            return trustedRoot;
        }
        try (InputStream in = VerifyBundleCommand.class.getResourceAsStream(PUBLIC_GOOD_ROOT)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + PUBLIC_GOOD_ROOT);
            }
            Path tmp = Files.createTempFile("powernode-trusted-root", ".json");
            Files.write(tmp, in.readAllBytes());
            return tmp;
        } catch (IOException e) {
            throw new CliException("cannot write the default trusted root: " + oneLine(e));
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temp file is harmless
        }
    }

    static String oneLine(Throwable e) {
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
