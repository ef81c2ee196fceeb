package dev.powernode.cli;

import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.sigstore.KeylessSigner;
import dev.powernode.common.sigstore.SigstoreException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * How {@code publish} signs a manifest digest: with a cosign key pair, or keyless through Fulcio
 * and Rekor with the CI's OIDC token; either way the signature lands in cosign's legacy
 * {@code .sig} layout. A mixin of {@code publish}: its options are listed with the command's.
 */
final class SigningOptions {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Signing signing;

    /** How the manifest digest is signed: a key pair, or keyless through Fulcio and Rekor. */
    static final class Signing {
        @Option(
                names = "--sign-key",
                description = "Key pair: unencrypted PKCS#8 PEM private key (EC P-256, RSA or Ed25519).")
        Path signKey;

        @Option(
                names = "--keyless",
                description = "Keyless: a Fulcio certificate for the CI's OIDC identity token, the signature logged in"
                        + " Rekor (cosign's legacy .sig layout with certificate, chain and SET).")
        boolean keyless;
    }

    @Option(
            names = "--fulcio-url",
            defaultValue = "https://fulcio.sigstore.dev",
            description = "With --keyless: Fulcio (default: ${DEFAULT-VALUE}; a private Sigstore's for yours).")
    URI fulcioUrl;

    @Option(
            names = "--rekor-url",
            defaultValue = "https://rekor.sigstore.dev",
            description = "With --keyless: Rekor (default: ${DEFAULT-VALUE}).")
    URI rekorUrl;

    @Option(
            names = "--identity-token-env",
            defaultValue = "SIGSTORE_ID_TOKEN",
            description =
                    "With --keyless: environment variable holding the OIDC identity token (default: ${DEFAULT-VALUE}).")
    String identityTokenEnv;

    @Option(names = "--identity-token-file", description = "With --keyless: file holding the OIDC identity token.")
    Path identityTokenFile;

    /** Signs one pushed manifest and attaches the signature in cosign's layout. */
    interface ImageSigner {
        void sign(RegistryClient client, OciRef manifest);
    }

    boolean keyless() {
        return signing.keyless;
    }

    /**
     * The signer these options name; reads the key or the identity token now, so that a missing
     * one is a usage error (exit 2) before anything is pushed.
     */
    ImageSigner signer() {
        if (!signing.keyless) {
            PrivateKey key = signingKey(signing.signKey);
            return (client, ref) -> CosignSigner.sign(client, ref, key);
        }
        String token = identityToken();
        KeylessSigner signer = new KeylessSigner(fulcioUrl, rekorUrl);
        return (client, ref) -> {
            byte[] payload = SimpleSigning.payload(ref.name(), ref.digest());
            KeylessSigner.Signed signed;
            try {
                signed = signer.sign(payload, token);
            } catch (SigstoreException e) {
                throw new CliException("keyless signing (" + e.check() + "): " + e.getMessage());
            }
            CosignSigner.attach(client, ref, payload, signed.annotations());
        };
    }

    private String identityToken() {
        String token;
        if (identityTokenFile != null) {
            try {
                token = Files.readString(identityTokenFile);
            } catch (IOException e) {
                throw new CliException(
                        "cannot read --identity-token-file " + identityTokenFile + ": " + e.getMessage(), 2);
            }
        } else {
            token = System.getenv(identityTokenEnv);
            if (token == null || token.isBlank()) {
                throw new CliException(
                        "--keyless needs an OIDC identity token: set " + identityTokenEnv
                                + " (or --identity-token-env VAR / --identity-token-file FILE)",
                        2);
            }
        }
        return token.strip();
    }

    private static PrivateKey signingKey(Path signKey) {
        try {
            return PemKeys.privateKey(Files.readString(signKey));
        } catch (IOException e) {
            throw new CliException("cannot read --sign-key " + signKey + ": " + e.getMessage(), 2);
        } catch (IllegalArgumentException e) {
            throw new CliException("--sign-key " + signKey + ": " + e.getMessage(), 2);
        }
    }
}
