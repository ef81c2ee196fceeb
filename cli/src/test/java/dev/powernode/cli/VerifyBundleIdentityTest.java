package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The conformance protocol passes the exact identity and issuer: near misses must be refused. */
class VerifyBundleIdentityTest {
    final Path suite = VerifyBundleWithKeyTest.suite();

    int verify(String identity, String issuer) {
        return PowernodeCli.execute(
                "verify-bundle",
                "--bundle",
                suite.resolve("happy-path-v0.3/bundle.sigstore.json").toString(),
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                issuer,
                suite.resolve("a.txt").toString());
    }

    @Test
    void acceptsTheExactIdentityAndIssuer() {
        assertThat(verify(VerifyBundleConformanceTest.DEFAULT_IDENTITY, VerifyBundleConformanceTest.DEFAULT_ISSUER))
                .isZero();
    }

    @Test
    void refusesAnIdentityPrefix() {
        String prefix = VerifyBundleConformanceTest.DEFAULT_IDENTITY.substring(
                0, VerifyBundleConformanceTest.DEFAULT_IDENTITY.indexOf('@'));
        assertThat(verify(prefix, VerifyBundleConformanceTest.DEFAULT_ISSUER)).isNotZero();
    }

    @Test
    void refusesAnIdentityWithAppendedText() {
        assertThat(verify(
                        VerifyBundleConformanceTest.DEFAULT_IDENTITY + "x", VerifyBundleConformanceTest.DEFAULT_ISSUER))
                .isNotZero();
    }

    @Test
    void refusesAnIssuerWithATrailingSlash() {
        assertThat(verify(
                        VerifyBundleConformanceTest.DEFAULT_IDENTITY, VerifyBundleConformanceTest.DEFAULT_ISSUER + "/"))
                .isNotZero();
    }

    @Test
    void refusesAMalformedDigest() {
        assertThat(PowernodeCli.execute(
                        "verify-bundle",
                        "--bundle",
                        suite.resolve("happy-path-v0.3/bundle.sigstore.json").toString(),
                        "--certificate-identity",
                        VerifyBundleConformanceTest.DEFAULT_IDENTITY,
                        "--certificate-oidc-issuer",
                        VerifyBundleConformanceTest.DEFAULT_ISSUER,
                        "sha256:abc"))
                .isNotZero();
    }

    @Test
    void refusesIdentityOptionsTogetherWithAKey() {
        assertThat(PowernodeCli.execute(
                        "verify-bundle",
                        "--bundle",
                        suite.resolve("happy-path-v0.3/bundle.sigstore.json").toString(),
                        "--certificate-identity",
                        VerifyBundleConformanceTest.DEFAULT_IDENTITY,
                        "--certificate-oidc-issuer",
                        VerifyBundleConformanceTest.DEFAULT_ISSUER,
                        "--key",
                        suite.resolve("managed-key-happy-path/key.pub").toString(),
                        suite.resolve("a.txt").toString()))
                .isNotZero();
    }

    @Test
    void refusesARekorV2DsseBundleWhoseSubjectIsNotTheArtifact() {
        Path dir = suite.resolve("rekor2-dsse-happy-path");
        assertThat(PowernodeCli.execute(
                        "verify-bundle",
                        "--bundle",
                        dir.resolve("bundle.sigstore.json").toString(),
                        "--certificate-identity",
                        VerifyBundleConformanceTest.DEFAULT_IDENTITY,
                        "--certificate-oidc-issuer",
                        VerifyBundleConformanceTest.DEFAULT_ISSUER,
                        "--trusted-root",
                        dir.resolve("trusted_root.json").toString(),
                        "sha256:" + "0".repeat(64)))
                .isNotZero();
    }
}
