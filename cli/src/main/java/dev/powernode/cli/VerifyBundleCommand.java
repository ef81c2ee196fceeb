package dev.powernode.cli;

import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.sigstore.SignerPolicy;
import dev.powernode.common.sigstore.SigstoreException;
import dev.powernode.common.sigstore.SigstoreVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
        String json;
        try {
            json = Files.readString(bundle, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("cannot read bundle " + bundle + ": " + SigstoreVerifier.oneLine(e));
        }
        try {
            SigstoreVerifier verifier =
                    trustedRoot == null ? SigstoreVerifier.publicGood() : SigstoreVerifier.fromFile(trustedRoot);
            SignerPolicy policy = signer.key != null
                    // the conformance protocol's key-based cases are logged: require the entry
                    ? SignerPolicy.keys(List.of(readPublicKey(signer.key)), true)
                    : SignerPolicy.exactIdentity(signer.identity.identity, signer.identity.issuer);
            SigstoreVerifier.Verified verified = verifier.verifyBundle(json, digest, policy);
            System.out.println("verified: " + (signer.key != null ? "signed by " + signer.key : verified.signer()));
            return 0;
        } catch (SigstoreException e) {
            throw new CliException("verification failed (" + e.check() + "): " + e.getMessage());
        }
    }

    static java.security.PublicKey readPublicKey(Path pem) {
        try {
            return PemKeys.publicKey(Files.readString(pem, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new CliException("cannot read key " + pem + ": " + SigstoreVerifier.oneLine(e));
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid public key " + pem + ": " + e.getMessage());
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
            throw new CliException("cannot read artifact " + artifact + ": " + SigstoreVerifier.oneLine(e));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
