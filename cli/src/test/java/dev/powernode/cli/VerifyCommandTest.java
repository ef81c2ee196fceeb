package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.testkit.RegistryProcess;
import dev.powernode.testkit.SigstoreMock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code powernode verify} against the real registry binary, with signatures from real Sigstore
 * clients (mock Fulcio/Rekor on loopback) and cosign key pairs.
 */
class VerifyCommandTest {
    static final String ISSUER = "https://git.example.org";
    static final String IDENTITY =
            "https://git.example.org/powernode/images/.gitea/workflows/build.yaml@refs/heads/main";

    static RegistryProcess registry;
    static RegistryClient client;
    static SigstoreMock sigstore;
    static Path work;
    static int seed = 0;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        RegistryProcess.ensureInstalled();
        registry = RegistryProcess.start();
        client = registry.clientBuilder().build();
        work = dir;
        sigstore = SigstoreMock.start(dir.resolve("sigstore"));
        Files.writeString(dir.resolve("password"), registry.password());
    }

    @AfterAll
    static void stop() {
        sigstore.close();
        registry.close();
    }

    static DiskImageArtifacts.Pushed push(String tag) throws Exception {
        byte[] bytes = new byte[4096];
        new Random(++seed).nextBytes(bytes);
        Path f = work.resolve("disk-" + seed + ".img");
        Files.write(f, bytes);
        return DiskImageArtifacts.push(
                client,
                registry.registry(),
                "images",
                List.of(new DiskImageArtifacts.Layer(f, "disk.img", MediaTypes.OCTET_STREAM)),
                Map.of(),
                tag,
                RegistryClient.Progress.NONE);
    }

    static int verify(String ref, String... args) {
        List<String> all = new ArrayList<>(List.of(
                "verify",
                "--plain-http",
                "--registry-username",
                registry.username(),
                "--registry-password-file",
                work.resolve("password").toString()));
        all.addAll(List.of(args));
        all.add(ref);
        return PowernodeCli.execute(all.toArray(String[]::new));
    }

    static KeyPair newKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @Test
    void keyPairSignatureVerifiesWithItsKeyOnly() throws Exception {
        DiskImageArtifacts.Pushed a = push(null);
        KeyPair key = newKey();
        CosignSigner.sign(client, a.ref(), key.getPrivate());
        Path pub = work.resolve("cosign-" + seed + ".pub");
        Files.writeString(pub, PemKeys.toPem(key.getPublic()));
        Path other = work.resolve("other-" + seed + ".pub");
        Files.writeString(other, PemKeys.toPem(newKey().getPublic()));

        assertThat(verify(a.ref().toString(), "--key", pub.toString())).isZero();
        assertThat(verify(a.ref().toString(), "--key", other.toString())).isEqualTo(1);
        // no transparency log entry: refused when the log is required
        assertThat(verify(a.ref().toString(), "--key", pub.toString(), "--require-tlog"))
                .isEqualTo(1);
    }

    @Test
    void keylessBundleReferrerVerifiesByTagAgainstTheWholeIdentity() throws Exception {
        DiskImageArtifacts.Pushed a = push("v1");
        sigstore.attach(
                sigstore.signBlob(a.manifest(), IDENTITY, ISSUER), a.ref().toString(), registry);
        String root = sigstore.trustedRoot().toString();
        String byTag = registry.registry() + "/images:v1";

        assertThat(verify(
                        byTag,
                        "--identity-regexp",
                        "https://git\\.example\\.org/powernode/.*",
                        "--issuer",
                        ISSUER,
                        "--trusted-root",
                        root))
                .isZero();
        assertThat(verify(byTag, "--identity", IDENTITY, "--issuer", ISSUER, "--trusted-root", root))
                .isZero();
        // a regexp that matches only part of the SAN is not a match
        assertThat(verify(byTag, "--identity-regexp", "powernode/images", "--issuer", ISSUER, "--trusted-root", root))
                .isEqualTo(1);
        assertThat(verify(byTag, "--identity", IDENTITY, "--issuer", ISSUER + "/", "--trusted-root", root))
                .isEqualTo(1);
        // the public-good root does not vouch for the mock CA
        assertThat(verify(byTag, "--identity", IDENTITY, "--issuer", ISSUER)).isEqualTo(1);
    }

    @Test
    void legacyKeylessSignatureVerifies() throws Exception {
        DiskImageArtifacts.Pushed a = push(null);
        byte[] payload = SimpleSigning.payload(a.ref().name(), a.ref().digest());
        SigstoreMock.LegacySignature legacy = sigstore.sign(payload, IDENTITY, ISSUER, SigstoreMock.SignOptions.DEFAULT)
                .legacy();
        CosignSigner.attach(client, a.ref(), payload, legacy.annotations());

        assertThat(verify(
                        a.ref().toString(),
                        "--identity",
                        IDENTITY,
                        "--issuer",
                        ISSUER,
                        "--trusted-root",
                        sigstore.trustedRoot().toString()))
                .isZero();
    }

    @Test
    void anUnsignedImageAndBadUsageAreRefused() throws Exception {
        DiskImageArtifacts.Pushed a = push(null);
        assertThat(verify(
                        a.ref().toString(),
                        "--identity",
                        IDENTITY,
                        "--issuer",
                        ISSUER,
                        "--trusted-root",
                        sigstore.trustedRoot().toString()))
                .isEqualTo(1);
        assertThat(verify(a.ref().toString())).isEqualTo(2);
        assertThat(verify(a.ref().toString(), "--identity", IDENTITY)).isEqualTo(2);
        assertThat(verify("not a reference", "--identity", IDENTITY, "--issuer", ISSUER))
                .isEqualTo(2);
    }

    @Test
    void ourKeylessSignerProducesWhatCosignVerifyAccepts() throws Exception {
        DiskImageArtifacts.Pushed a = push(null);
        byte[] payload = SimpleSigning.payload(a.ref().name(), a.ref().digest());
        String token = SigstoreMock.unsignedIdentityToken(IDENTITY, ISSUER);
        dev.powernode.common.sigstore.KeylessSigner.Signed signed = new dev.powernode.common.sigstore.KeylessSigner(
                        sigstore.fulcioUrl(), sigstore.rekorUrl())
                .sign(payload, token);
        CosignSigner.attach(client, a.ref(), payload, signed.annotations());

        String root = sigstore.trustedRoot().toString();
        assertThat(verify(a.ref().toString(), "--identity", IDENTITY, "--issuer", ISSUER, "--trusted-root", root))
                .isZero();
        assertThat(verify(a.ref().toString(), "--identity", IDENTITY + "x", "--issuer", ISSUER, "--trusted-root", root))
                .isEqualTo(1);
    }
}
