package dev.powernode.testkit;

import static dev.powernode.testkit.OciFixtures.artifactManifest;
import static dev.powernode.testkit.OciFixtures.bytes;
import static dev.powernode.testkit.OciFixtures.pushLayer;
import static dev.powernode.testkit.OciFixtures.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.sigstore.KeylessVerificationException;
import dev.sigstore.KeylessVerifier;
import dev.sigstore.TrustedRootProvider;
import dev.sigstore.VerificationOptions;
import dev.sigstore.bundle.Bundle;
import dev.sigstore.rekor.client.RekorEntry;
import dev.sigstore.strings.StringMatcher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The signer's output must satisfy a strict verifier: sigstore-java against the mock's root. */
class SigstoreMockTest {
    static final String IDENTITY = "https://gitea.example/powernode/images/.gitea/workflows/build.yaml@refs/heads/main";
    static final String ISSUER = "https://gitea.example";
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path state;

    static SigstoreMock mock;

    @BeforeAll
    static void start() {
        mock = SigstoreMock.start(state);
    }

    @AfterAll
    static void stop() {
        if (mock != null) {
            mock.close();
        }
    }

    @Test
    void blobBundleVerifiesWithSigstoreJavaOnExactIdentity() throws Exception {
        byte[] payload = "disk image bytes".getBytes(StandardCharsets.UTF_8);

        String bundle = mock.signBlob(payload, IDENTITY, ISSUER);

        assertThat(JSON.readTree(bundle).path("mediaType").asString()).isEqualTo(MediaTypes.SIGSTORE_BUNDLE_V03);
        verify(sha256Bytes(payload), bundle, IDENTITY, ISSUER);
    }

    @Test
    void blobBundleIsRefusedForAnotherIdentity() {
        byte[] payload = "disk image bytes".getBytes(StandardCharsets.UTF_8);
        String bundle = mock.signBlob(payload, IDENTITY, ISSUER);

        assertThatThrownBy(() -> verify(sha256Bytes(payload), bundle, IDENTITY + "x", ISSUER))
                .isInstanceOf(KeylessVerificationException.class);
        assertThatThrownBy(() -> verify(sha256Bytes(payload), bundle, IDENTITY, "https://other.example"))
                .isInstanceOf(KeylessVerificationException.class);
    }

    @Test
    void dsseAttestationVerifiesWithSigstoreJava() throws Exception {
        byte[] artifact = "image manifest".getBytes(StandardCharsets.UTF_8);
        byte[] statement = statement(artifact);

        String bundle = mock.attest(statement, IDENTITY, ISSUER);

        JsonNode json = JSON.readTree(bundle);
        assertThat(json.path("dsseEnvelope").path("payloadType").asString()).isEqualTo("application/vnd.in-toto+json");
        assertThat(json.path("verificationMaterial")
                        .path("tlogEntries")
                        .get(0)
                        .path("kindVersion")
                        .path("kind")
                        .asString())
                .isEqualTo("dsse");
        verify(sha256Bytes(artifact), bundle, IDENTITY, ISSUER);
    }

    @Test
    void bundleFromTheUntrustedCaIsRefused() {
        byte[] payload = "from elsewhere".getBytes(StandardCharsets.UTF_8);

        String bundle = mock.sign(payload, IDENTITY, ISSUER, SigstoreMock.SignOptions.fromUntrustedCa())
                .bundleJson();

        assertThatThrownBy(() -> verify(sha256Bytes(payload), bundle, IDENTITY, ISSUER))
                .isInstanceOf(KeylessVerificationException.class)
                .hasMessageContaining("not verifiable against CAs");
    }

    @Test
    void certificateIssuedTwentyMinutesEarlyHasExpiredWhenLogged() throws Exception {
        byte[] payload = "late".getBytes(StandardCharsets.UTF_8);

        String bundle = mock.sign(
                        payload,
                        IDENTITY,
                        ISSUER,
                        SigstoreMock.SignOptions.withFulcioClockOffset(Duration.ofMinutes(-20)))
                .bundleJson();

        Bundle parsed = Bundle.from(new StringReader(bundle));
        X509Certificate leaf =
                (X509Certificate) parsed.getCertPath().getCertificates().get(0);
        RekorEntry entry = parsed.getEntries().get(0);
        assertThat(entry.getIntegratedTimeInstant()).isAfter(leaf.getNotAfter().toInstant());
        // Everything else is sound, so a verifier refuses it for the expiry alone. sigstore-java
        // 2.0.0 does not compare the integrated time with the validity (see the vectors README):
        // it accepts this bundle, and our own check must refuse it.
        verify(sha256Bytes(payload), bundle, IDENTITY, ISSUER);
    }

    @Test
    void legacyPartsCarryTheLeafTheRootAndAVerifiableSignedEntryTimestamp() throws Exception {
        byte[] payload = "{\"critical\":{}}".getBytes(StandardCharsets.UTF_8);
        SigstoreMock.Signed signed = mock.sign(payload, IDENTITY, ISSUER, SigstoreMock.SignOptions.DEFAULT);
        SigstoreMock.LegacySignature legacy = signed.legacy();
        JsonNode bundle = JSON.readTree(signed.bundleJson());

        assertThat(legacy).isEqualTo(mock.legacy(signed.bundleJson()));
        assertThat(legacy.signatureBase64())
                .isEqualTo(bundle.path("messageSignature").path("signature").asString());
        X509Certificate leaf = certificate(legacy.certificatePem());
        assertThat(Base64.getEncoder().encodeToString(leaf.getEncoded()))
                .isEqualTo(bundle.path("verificationMaterial")
                        .path("certificate")
                        .path("rawBytes")
                        .asString());
        JsonNode root = JSON.readTree(Files.readString(mock.trustedRoot()));
        assertThat(Base64.getEncoder()
                        .encodeToString(certificate(legacy.chainPem()).getEncoded()))
                .isEqualTo(root.path("certificateAuthorities")
                        .get(0)
                        .path("certChain")
                        .path("certificates")
                        .get(0)
                        .path("rawBytes")
                        .asString());
        Signature ecdsa = Signature.getInstance("SHA256withECDSA");
        ecdsa.initVerify(leaf.getPublicKey());
        ecdsa.update(payload);
        assertThat(ecdsa.verify(Base64.getDecoder().decode(legacy.signatureBase64())))
                .isTrue();

        JsonNode annotation = JSON.readTree(legacy.bundleAnnotation());
        JsonNode p = annotation.path("Payload");
        // cosign verifies the SET over the canonical JSON of Payload (keys sorted, no spaces)
        String canonical = "{\"body\":\"" + p.path("body").asString() + "\",\"integratedTime\":"
                + p.path("integratedTime").asLong() + ",\"logID\":\""
                + p.path("logID").asString()
                + "\",\"logIndex\":" + p.path("logIndex").asLong() + "}";
        PublicKey tlogKey = KeyFactory.getInstance("EC")
                .generatePublic(new X509EncodedKeySpec(Base64.getDecoder()
                        .decode(root.path("tlogs")
                                .get(0)
                                .path("publicKey")
                                .path("rawBytes")
                                .asString())));
        ecdsa.initVerify(tlogKey);
        ecdsa.update(canonical.getBytes(StandardCharsets.UTF_8));
        assertThat(ecdsa.verify(Base64.getDecoder()
                        .decode(annotation.path("SignedEntryTimestamp").asString())))
                .isTrue();
        assertThat(p.path("logID").asString())
                .isEqualTo(java.util.HexFormat.of().formatHex(sha256Bytes(tlogKey.getEncoded())));
    }

    @Test
    void secondSignerOnTheSameStateSharesTheTrustedRoot() throws Exception {
        String before = Files.readString(mock.trustedRoot());
        byte[] payload = "shared".getBytes(StandardCharsets.UTF_8);
        try (SigstoreMock second = SigstoreMock.start(state)) {
            assertThat(second.trustedRoot()).isEqualTo(mock.trustedRoot());
            assertThat(Files.readString(second.trustedRoot())).isEqualTo(before);
            verify(sha256Bytes(payload), second.signBlob(payload, IDENTITY, ISSUER), IDENTITY, ISSUER);
        }
    }

    @Test
    void attachWritesTheReferrersTagFallbackIndexWithTheBundle() {
        try (RegistryProcess registry = RegistryProcess.start()) {
            RegistryClient client = registry.clientBuilder().build();
            String host = registry.registry();
            String repo = "test/signed";
            Descriptor layer = pushLayer(client, host, repo, bytes(300, 21));
            byte[] image = artifactManifest(MediaTypes.DISK_IMAGE_ARTIFACT, List.of(layer), null, "image");
            Digest imageDigest =
                    client.putManifest(OciRef.of(host, repo, sha256(image)), MediaTypes.OCI_MANIFEST, image);
            String bundle = mock.signBlob(image, IDENTITY, ISSUER);

            String referrer = mock.attach(bundle, host + "/" + repo + "@" + imageDigest, registry);

            Manifest index = client.getManifest(new OciRef(host, repo, null, imageDigest.tagPrefix()));
            assertThat(index.mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
            assertThat(index.layers()).extracting(d -> d.digest().toString()).containsExactly(referrer);
            assertThat(index.layers().get(0).artifactType()).isEqualTo(MediaTypes.SIGSTORE_BUNDLE_V03);
            assertThat(client.referrers(host, repo, imageDigest, MediaTypes.SIGSTORE_BUNDLE_V03))
                    .extracting(d -> d.digest().toString())
                    .containsExactly(referrer);

            Manifest manifest = client.getManifest(OciRef.of(host, repo, Digest.parse(referrer)));
            assertThat(manifest.subject().digest()).isEqualTo(imageDigest);
            ByteArrayOutputStream stored = new ByteArrayOutputStream();
            client.fetchBlob(host, repo, manifest.layers().get(0), stored, null);
            assertThat(stored.toString(StandardCharsets.UTF_8)).isEqualTo(bundle);
        }
    }

    private static void verify(byte[] digest, String bundleJson, String identity, String issuer) throws Exception {
        KeylessVerifier verifier = KeylessVerifier.builder()
                .trustedRootProvider(TrustedRootProvider.from(mock.trustedRoot()))
                .build();
        VerificationOptions options = VerificationOptions.builder()
                .addCertificateMatchers(VerificationOptions.CertificateMatcher.fulcio()
                        .subjectAlternativeName(StringMatcher.string(identity))
                        .issuer(StringMatcher.string(issuer))
                        .build())
                .build();
        verifier.verify(digest, Bundle.from(new StringReader(bundleJson)), options);
    }

    private static byte[] statement(byte[] artifact) {
        String hex = java.util.HexFormat.of().formatHex(sha256Bytes(artifact));
        return ("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"image\",\"digest\":"
                        + "{\"sha256\":\"" + hex + "\"}}],\"predicateType\":\"https://powernode.dev/test/v1\","
                        + "\"predicate\":{}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static X509Certificate certificate(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    private static byte[] sha256Bytes(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
