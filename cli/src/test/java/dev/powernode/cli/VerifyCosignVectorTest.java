package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The real cosign v3 bundle from sigstore/cosign's testdata: a DSSE in-toto attestation over an
 * image digest, logged in Rekor v1 as a {@code dsse} entry, under its own trusted root.
 */
class VerifyCosignVectorTest {
    static final String IMAGE = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";

    static Path dir() {
        try {
            return Path.of(VerifyCosignVectorTest.class.getResource("/cosign").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    int verify(String identity, String issuer, String digest) {
        return PowernodeCli.execute(
                "verify-bundle",
                "--bundle",
                dir().resolve("oci-attestation.sigstore.json").toString(),
                "--trusted-root",
                dir().resolve("trusted_root_pgi.json").toString(),
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                issuer,
                digest);
    }

    @Test
    void verifiesTheImageDigestForItsSigner() {
        assertThat(verify("cody@soyland.com", "https://github.com/login/oauth", IMAGE))
                .isZero();
    }

    @Test
    void refusesAnotherDigest() {
        assertThat(verify("cody@soyland.com", "https://github.com/login/oauth", IMAGE.replace("7321", "7322")))
                .isNotZero();
    }

    @Test
    void refusesAnotherSigner() {
        assertThat(verify("someone@soyland.com", "https://github.com/login/oauth", IMAGE))
                .isNotZero();
        assertThat(verify("cody@soyland.com", "https://accounts.google.com", IMAGE))
                .isNotZero();
    }

    @Test
    void refusesItUnderAnotherTrustedRoot() {
        // a private deployment's root (from the conformance suite) does not vouch for public-good signatures
        assertThat(PowernodeCli.execute(
                        "verify-bundle",
                        "--bundle",
                        dir().resolve("oci-attestation.sigstore.json").toString(),
                        "--trusted-root",
                        VerifyBundleWithKeyTest.suite()
                                .resolve("intoto-with-custom-trust-root/trusted_root.json")
                                .toString(),
                        "--certificate-identity",
                        "cody@soyland.com",
                        "--certificate-oidc-issuer",
                        "https://github.com/login/oauth",
                        IMAGE))
                .isNotZero();
    }
}
