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
        Bundle parsed = readBundle();
        byte[] digest = artifactDigest();
        if (signer.key != null) {
            throw new CliException("verify-bundle: key-based bundles are not supported yet (--key)");
        }
        Path root = trustedRootFile();
        try {
            everyKeyHasAValidityStart(root);
            KeylessVerifier verifier = KeylessVerifier.builder()
                    .trustedRootProvider(TrustedRootProvider.from(root))
                    .build();
            VerificationOptions options = VerificationOptions.builder()
                    .addCertificateMatchers(VerificationOptions.CertificateMatcher.fulcio()
                            .subjectAlternativeName(StringMatcher.string(signer.identity.identity))
                            .issuer(StringMatcher.string(signer.identity.issuer))
                            .build())
                    .build();
            verifier.verify(digest, parsed, options);
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
            if (entry.getIntegratedTime() == 0) {
                // Rekor v2 entries carry no integrated time; sigstore-java checks their RFC 3161
                // timestamps against the certificate instead (and refuses bundles without one)
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

    private Bundle readBundle() {
        String json;
        try {
            json = Files.readString(bundle, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("cannot read bundle " + bundle + ": " + oneLine(e));
        }
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
