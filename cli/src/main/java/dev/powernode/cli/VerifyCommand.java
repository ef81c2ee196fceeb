package dev.powernode.cli;

import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.common.sigstore.ImageSignatures;
import dev.powernode.common.sigstore.SignerPolicy;
import dev.powernode.common.sigstore.SigstoreException;
import dev.powernode.common.sigstore.SigstoreVerifier;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cosign verify} for operators and nodes: finds the signatures of an image in the registry
 * (legacy {@code .sig} and Sigstore bundle referrers) and checks them against an identity or keys,
 * offline against a trusted root. Exit 0 only when one satisfies the policy.
 */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {
            "Verify the cosign signatures of an image in a registry (fails closed).",
            "Keyless: --identity-regexp (matched against the whole certificate SAN) or --identity (exact),"
                    + " with --issuer. Key-pair: --key (repeatable). Prints the verified digest and signer."
        })
final class VerifyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "OCI_REF", description = "host[:port]/repository@sha256:<hex> or :tag")
    String ref;

    @Option(
            names = "--identity-regexp",
            description =
                    "RE2 regular expression (no backreferences or lookaround) the whole certificate SAN must match")
    String identityRegexp;

    @Option(names = "--identity", description = "exact certificate SAN")
    String identity;

    @Option(names = "--issuer", description = "exact OIDC issuer of the certificate")
    String issuer;

    @Option(names = "--key", description = "PEM public key of a key-pair signer (repeatable)")
    List<Path> keys = new ArrayList<>();

    @Option(
            names = "--require-tlog",
            description = "key-pair signatures need transparency-log evidence (keyless always do)")
    boolean requireTlog;

    @Option(
            names = "--trusted-root",
            description = "trusted_root.json of a private Sigstore (default: the public-good root)")
    Path trustedRoot;

    @picocli.CommandLine.Mixin
    RegistryOptions registryOptions;

    @Override
    public Integer call() {
        SignerPolicy policy = policy();
        OciRef image;
        try {
            image = OciRef.parse(ref);
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid OCI reference " + ref + ": " + e.getMessage(), 2);
        }
        SigstoreVerifier verifier;
        try {
            verifier = trustedRoot == null ? SigstoreVerifier.publicGood() : SigstoreVerifier.fromFile(trustedRoot);
        } catch (SigstoreException e) {
            throw new CliException(e.getMessage(), 2);
        }
        RegistryClient client = registryOptions.client(image.registry());
        try {
            if (image.digest() == null) {
                image = image.withDigest(client.getManifest(image).digest());
            }
            ImageSignatures.Result result = new ImageSignatures(client, verifier).verify(image, policy);
            System.out.println(image.digest());
            System.err.println("verified: " + result.signer().signer() + " via " + result.source()
                    + (result.attestationPredicate() == null ? "" : "; attestation " + result.attestationPredicate()));
            return 0;
        } catch (SigstoreException e) {
            throw new CliException("verification failed (" + e.check() + "): " + e.getMessage());
        } catch (RegistryException e) {
            throw new CliException("registry: " + e.getMessage());
        }
    }

    private SignerPolicy policy() {
        if (identityRegexp != null && identity != null) {
            throw new CliException("give --identity-regexp or --identity, not both", 2);
        }
        boolean keyless = identityRegexp != null || identity != null;
        if (keyless != (issuer != null)) {
            throw new CliException(
                    "keyless verification needs an identity (--identity-regexp or --identity) and --issuer", 2);
        }
        if (!keyless && keys.isEmpty()) {
            throw new CliException("say who must have signed: --identity-regexp/--identity with --issuer, or --key", 2);
        }
        List<PublicKey> publicKeys = new ArrayList<>();
        for (Path key : keys) {
            publicKeys.add(VerifyBundleCommand.readPublicKey(key));
        }
        try {
            if (!keyless) {
                return SignerPolicy.keys(publicKeys, requireTlog);
            }
            String pattern = identity != null ? java.util.regex.Pattern.quote(identity) : identityRegexp;
            return SignerPolicy.identityRegexp(pattern, issuer, requireTlog).withKeys(publicKeys);
        } catch (SigstoreException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }
}
