package dev.powernode.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.sigstore.ImageSignatures;
import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Cli;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.PublicationProbe;
import dev.powernode.server.support.RegistryFixture;
import dev.powernode.server.support.SettableClock;
import dev.powernode.server.support.WebhookCaller;
import dev.powernode.testkit.FaultProxy;
import dev.powernode.testkit.SigstoreMock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keyless signatures made by real Sigstore clients (npm {@code sigstore} through {@code
 * @sigstore/mock} Fulcio and Rekor on loopback, bundles attached with {@code @sigstore/oci}), then
 * the whole ingest flow against the real registry and PostgreSQL, with the service trusting the
 * mock's {@code trusted_root.json} ({@code POWERNODE_TRUSTED_ROOT}).
 */
@IntegrationTest
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class KeylessIngestTest {
    static final String ISSUER = "https://git.example.org";
    static final String IDENTITY =
            "https://git.example.org/powernode/images/.gitea/workflows/build.yaml@refs/heads/main";
    static final String IDENTITY_REGEXP =
            "https://git\\.example\\.org/powernode/images/\\.gitea/workflows/build\\.yaml@refs/heads/main";
    static final String SLSA = "https://slsa.dev/provenance/v1";

    static final List<Path> TEMP_DIRS = new CopyOnWriteArrayList<>();
    static final RegistryFixture REGISTRY = new RegistryFixture();
    static final SigstoreMock SIGSTORE = SigstoreMock.start(tempDir());
    static final AtomicLong SEED = new AtomicLong(1000);

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry props) {
        REGISTRY.register(props);
        props.add("powernode.trusted-root", () -> SIGSTORE.trustedRoot().toString());
    }

    @AfterAll
    static void stop() {
        SIGSTORE.close();
        REGISTRY.close();
        TEMP_DIRS.forEach(KeylessIngestTest::deleteTree);
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    SettableClock clock;

    Api admin;
    WebhookCaller webhook;
    PublicationProbe probe;

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        REGISTRY.proxy.passThrough();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        platform("keyless", IDENTITY_REGEXP, ISSUER);
        JsonNode w = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"builder\"}")
                .json();
        webhook = new WebhookCaller(
                admin, w.get("webhook_url").asString(), w.get("webhook_secret").asString());
        probe = new PublicationProbe(admin, webhook);
    }

    // ------------------------------------------------------------------ accepted

    @Test
    void aBundleReferrerWithTheRightIdentityIsPublished() {
        DiskImageArtifacts.Pushed a = push();
        attachBundle(a, SIGSTORE.signBlob(a.manifest(), IDENTITY, ISSUER));

        JsonNode p = awaitFinal(announce("keyless", a.ref(), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("published");
        assertThat(p.get("active").asBoolean()).isTrue();
        assertThat(p.get("cosign_bundle_present").asBoolean()).isTrue();
        assertThat(p.get("attestation_present").asBoolean()).isFalse();
        assertThat(verifiedBy(p))
                .contains("cosign keyless: " + IDENTITY + " (" + ISSUER + ")")
                .contains("via bundle sha256:");
    }

    @Test
    void aLegacyKeylessSignatureIsPublished() {
        DiskImageArtifacts.Pushed a = push();
        attachLegacy(a, a, IDENTITY, ISSUER, SigstoreMock.SignOptions.DEFAULT);

        JsonNode p = awaitFinal(announce("keyless", a.ref(), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("published");
        assertThat(p.get("cosign_bundle_present").asBoolean()).isFalse();
        assertThat(verifiedBy(p)).contains("cosign keyless: " + IDENTITY).contains(".sig[1]");
    }

    @Test
    void aCosignV3SignatureBundleAndAnSlsaAttestationAreRecorded() {
        DiskImageArtifacts.Pushed a = push();
        attachBundle(a, SIGSTORE.attest(statement(a, ImageSignatures.COSIGN_SIGN_PREDICATE), IDENTITY, ISSUER));
        attachBundle(a, SIGSTORE.attest(statement(a, SLSA), IDENTITY, ISSUER));

        JsonNode p = awaitFinal(announce("keyless", a.ref(), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("published");
        assertThat(p.get("cosign_bundle_present").asBoolean()).isTrue();
        assertThat(p.get("attestation_present").asBoolean()).isTrue();
        assertThat(p.get("attestation_predicate").asString()).isEqualTo(SLSA);
    }

    @Test
    void aCosignV3SignatureWhoseSubjectHasNoNameIsPublished() {
        // cosign v3 image signatures name the subject by digest only (sigstore-java 2.0.0 refuses those)
        DiskImageArtifacts.Pushed a = push();
        String statement = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"digest\":{\"sha256\":\""
                + a.ref().digest().hex() + "\"}}],\"predicateType\":\"" + ImageSignatures.COSIGN_SIGN_PREDICATE
                + "\",\"predicate\":{}}";
        attachBundle(a, SIGSTORE.attest(statement.getBytes(StandardCharsets.UTF_8), IDENTITY, ISSUER));

        JsonNode p = awaitFinal(announce("keyless", a.ref(), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("published");
        assertThat(p.get("cosign_bundle_present").asBoolean()).isTrue();
    }

    @Test
    void anAttestationAloneIsNotASignature() {
        DiskImageArtifacts.Pushed a = push();
        attachBundle(a, SIGSTORE.attest(statement(a, SLSA), IDENTITY, ISSUER));

        JsonNode p = awaitFinal(announce("keyless", a.ref(), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString()).contains("no signature for");
    }

    @Test
    void aSignedStatementWithoutAPredicateTypeIsNotASignature() {
        DiskImageArtifacts.Pushed a = push();
        String statement = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\","
                + "\"digest\":{\"sha256\":\"" + a.ref().digest().hex() + "\"}}],\"predicate\":{}}";
        attachBundle(a, SIGSTORE.attest(statement.getBytes(StandardCharsets.UTF_8), IDENTITY, ISSUER));

        JsonNode p = awaitFinal(announce("keyless", a.ref(), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString())
                .startsWith("signature/subject")
                .contains("predicateType");
    }

    @Test
    void oneGoodSignatureAmongBadOnesIsEnough() {
        DiskImageArtifacts.Pushed a = push();
        attachLegacy(
                a,
                a,
                "https://git.example.org/mallory/images/x.yaml@refs/heads/main",
                ISSUER,
                SigstoreMock.SignOptions.DEFAULT);
        attachBundle(a, SIGSTORE.signBlob(a.manifest(), IDENTITY, ISSUER));

        JsonNode p = awaitFinal(announce("keyless", a.ref(), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("published");
        assertThat(verifiedBy(p)).contains("via bundle");
    }

    @Test
    void powernodePublishKeylessSignsThroughFulcioAndRekorAndIsPublished() throws Exception {
        JsonNode w = admin.post(
                        "/api/v1/system/disk_image_webhooks",
                        "{\"label\":\"keyless-cli\",\"platform_api_base\":\"http://127.0.0.1:" + port + "\"}")
                .json();
        Path dir = tempDir();
        Path secret =
                Files.writeString(dir.resolve("secret"), w.get("webhook_secret").asString());
        Path password = Files.writeString(dir.resolve("password"), REGISTRY.registry.password());
        Path token = Files.writeString(dir.resolve("token"), SigstoreMock.unsignedIdentityToken(IDENTITY, ISSUER));
        byte[] disk = new byte[200_000];
        new java.util.Random(99).nextBytes(disk);
        Path img = Files.write(dir.resolve("disk.img"), disk);

        Cli.Run run = PublishCommandTest.run(
                "publish",
                "--platform",
                "keyless",
                "--family",
                "uefi_disk",
                "--arch",
                "amd64",
                "--registry",
                REGISTRY.registry.registry() + "/keyless-cli",
                "--plain-http",
                "--registry-username",
                REGISTRY.registry.username(),
                "--registry-password-file",
                password.toString(),
                "--keyless",
                "--fulcio-url",
                SIGSTORE.fulcioUrl().toString(),
                "--rekor-url",
                SIGSTORE.rekorUrl().toString(),
                "--identity-token-file",
                token.toString(),
                "--webhook-url",
                w.get("webhook_url").asString(),
                "--webhook-secret-file",
                secret.toString(),
                "--git-sha",
                "0123456789abcdef0123456789abcdef01234567",
                "--wait",
                "--wait-timeout",
                "60s",
                "--api-url",
                "http://127.0.0.1:" + port,
                "--token",
                Api.token(Scope.DISK_IMAGES_READ),
                img.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).contains("signed keyless");
        // stdout also carries this in-process service's log lines; the CLI's own output is the id
        String id = run.out()
                .lines()
                .map(String::strip)
                .filter(l -> l.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"))
                .findFirst()
                .orElseThrow();
        JsonNode p = get(id);
        assertThat(p.get("status").asString()).isEqualTo("published");
        assertThat(verifiedBy(p)).contains("cosign keyless: " + IDENTITY).contains(".sig[1]");

        // without a token: a usage error before anything is pushed
        Cli.Run noToken = PublishCommandTest.run(
                "publish",
                "--platform",
                "keyless",
                "--family",
                "uefi_disk",
                "--arch",
                "amd64",
                "--registry",
                REGISTRY.registry.registry() + "/keyless-cli",
                "--plain-http",
                "--keyless",
                "--identity-token-env",
                "POWERNODE_TEST_NO_SUCH_TOKEN",
                "--webhook-url",
                w.get("webhook_url").asString(),
                "--webhook-secret-file",
                secret.toString(),
                "--git-sha",
                "0123456789abcdef0123456789abcdef01234567",
                img.toString());
        assertThat(noToken.exit()).isEqualTo(2);
        assertThat(noToken.err()).contains("POWERNODE_TEST_NO_SUCH_TOKEN");
    }

    @Test
    void retentionDeletesEverySignatureAndAttestationAttachedToAPurgedImage() {
        DiskImageArtifacts.Pushed old = push();
        attachLegacy(old, old, IDENTITY, ISSUER, SigstoreMock.SignOptions.DEFAULT);
        String bundle = SIGSTORE.attach(
                SIGSTORE.signBlob(old.manifest(), IDENTITY, ISSUER), old.ref().toString(), REGISTRY.registry);
        String provenance = SIGSTORE.attach(
                SIGSTORE.attest(statement(old, SLSA), IDENTITY, ISSUER),
                old.ref().toString(),
                REGISTRY.registry);
        OciRef sig = old.ref().withTag(old.ref().digest().tagPrefix() + ".sig");
        String sigDigest =
                REGISTRY.client.headManifest(sig).orElseThrow().digest().toString();
        assertThat(awaitFinal(announce("keyless", old.ref(), old)).get("status").asString())
                .isEqualTo("published");

        DiskImageArtifacts.Pushed current = push();
        attachBundle(current, SIGSTORE.signBlob(current.manifest(), IDENTITY, ISSUER));
        assertThat(awaitFinal(announce("keyless", current.ref(), current))
                        .get("status")
                        .asString())
                .isEqualTo("published");

        clock.advance(Duration.ofDays(3)); // the old one retired long enough ago to be past the grace window
        assertThat(admin.patch("/api/v1/system/node_platforms/keyless", "{\"disk_image_retention_count\":1}")
                        .status())
                .isEqualTo(200);
        Api.Response run = admin.post("/api/v1/system/retention_runs?platform=keyless", "");
        assertThat(run.status()).as(run.body()).isEqualTo(200);
        assertThat(run.json().get("purged").asInt()).as(run.body()).isEqualTo(1);

        for (String gone : new String[] {old.ref().digest().toString(), sigDigest, bundle, provenance}) {
            assertThat(REGISTRY.client.headManifest(old.ref().withDigest(dev.powernode.common.oci.Digest.parse(gone))))
                    .as(gone)
                    .isEmpty();
        }
        assertThat(REGISTRY.client.headManifest(current.ref())).isPresent();
    }

    // ------------------------------------------------------------------ refused

    @Test
    void aWrongIdentityFails() {
        DiskImageArtifacts.Pushed a = push();
        attachBundle(
                a,
                SIGSTORE.signBlob(
                        a.manifest(),
                        "https://git.example.org/mallory/images/.gitea/workflows/build.yaml@refs/heads/main",
                        ISSUER));
        assertFails(a, "keyless", "signature/identity", "does not match");
    }

    @Test
    void aWrongIssuerFails() {
        DiskImageArtifacts.Pushed a = push();
        attachLegacy(a, a, IDENTITY, "https://token.actions.githubusercontent.com", SigstoreMock.SignOptions.DEFAULT);
        assertFails(a, "keyless", "signature/issuer", "OIDC issuer https://token.actions.githubusercontent.com");
    }

    @Test
    void aRegexpThatMatchesOnlyASubstringOfTheIdentityFails() {
        platform("substring", "powernode/images", ISSUER);
        DiskImageArtifacts.Pushed a = push();
        attachBundle(a, SIGSTORE.signBlob(a.manifest(), IDENTITY, ISSUER));
        assertFails(a, "substring", "signature/identity", "does not match powernode/images");
    }

    @Test
    void aTamperedManifestFails() {
        DiskImageArtifacts.Pushed a = push();
        attachBundle(a, SIGSTORE.signBlob(a.manifest(), IDENTITY, ISSUER));
        REGISTRY.proxy.swapBody(100, "GET", FaultProxy.MANIFEST_PATH);

        JsonNode p = awaitFinal(announce("keyless", REGISTRY.viaProxy(a.ref()), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString()).contains("served bytes that hash to");
    }

    @Test
    void aBundleForAnotherDigestFails() {
        DiskImageArtifacts.Pushed signed = push();
        DiskImageArtifacts.Pushed other = push();
        // a valid signature over another manifest, attached to this one
        attachBundle(other, SIGSTORE.signBlob(signed.manifest(), IDENTITY, ISSUER));
        assertFails(other, "keyless", "signature/subject", "digest");
    }

    @Test
    void aLegacySignatureForAnotherDigestFails() {
        DiskImageArtifacts.Pushed signed = push();
        DiskImageArtifacts.Pushed other = push();
        attachLegacy(other, signed, IDENTITY, ISSUER, SigstoreMock.SignOptions.DEFAULT);
        assertFails(
                other,
                "keyless",
                "signature/subject",
                "not the manifest " + other.ref().digest());
    }

    @Test
    void anExpiredCertificateFails() {
        DiskImageArtifacts.Pushed a = push();
        SigstoreMock.Signed s = SIGSTORE.sign(
                a.manifest(),
                IDENTITY,
                ISSUER,
                SigstoreMock.SignOptions.withFulcioClockOffset(Duration.ofMinutes(-20)));
        attachBundle(a, s.bundleJson());
        assertFails(a, "keyless", "signature/integrated-time", "outside the signing certificate's validity");
    }

    @Test
    void anExpiredCertificateInTheLegacyFormFails() {
        DiskImageArtifacts.Pushed a = push();
        attachLegacy(a, a, IDENTITY, ISSUER, SigstoreMock.SignOptions.withFulcioClockOffset(Duration.ofMinutes(-20)));
        assertFails(a, "keyless", "signature/integrated-time", "outside the signing certificate's validity");
    }

    @Test
    void noSignatureFails() {
        DiskImageArtifacts.Pushed a = push();
        assertFails(
                a, "keyless", "signature/missing", "no signature for " + a.ref().digest());
    }

    @Test
    void aCertificateFromAnUntrustedCaFails() {
        DiskImageArtifacts.Pushed a = push();
        SigstoreMock.Signed s =
                SIGSTORE.sign(a.manifest(), IDENTITY, ISSUER, SigstoreMock.SignOptions.fromUntrustedCa());
        attachBundle(a, s.bundleJson());
        assertFails(a, "keyless", "signature/certificate", "CA");
    }

    @Test
    void anUntrustedCaInTheLegacyFormFails() {
        DiskImageArtifacts.Pushed a = push();
        attachLegacy(a, a, IDENTITY, ISSUER, SigstoreMock.SignOptions.fromUntrustedCa());
        assertFails(a, "keyless", "signature/certificate", "certificate");
    }

    @Test
    void aKeyPairSignatureDoesNotSatisfyAKeylessPolicy() {
        DiskImageArtifacts.Pushed a = push();
        REGISTRY.sign(a.ref());
        assertFails(a, "keyless", "signature/key", "no public keys");
    }

    @Test
    void aLegacySignatureWithoutItsLogBundleFails() {
        DiskImageArtifacts.Pushed a = push();
        byte[] payload = SimpleSigning.payload(a.ref().name(), a.ref().digest());
        SigstoreMock.LegacySignature legacy = SIGSTORE.sign(payload, IDENTITY, ISSUER, SigstoreMock.SignOptions.DEFAULT)
                .legacy();
        Map<String, String> annotations = new HashMap<>();
        annotations.put(SimpleSigning.SIGNATURE_ANNOTATION, legacy.signatureBase64());
        annotations.put(SimpleSigning.CERTIFICATE_ANNOTATION, legacy.certificatePem());
        CosignSigner.attach(REGISTRY.client, a.ref(), payload, annotations);
        assertFails(a, "keyless", "signature/tlog", "without a transparency log bundle");
    }

    @Test
    void aDirectUploadWithAKeylessBundleIsPublishedAndAWrongIdentityIsNot() throws Exception {
        Api.Response w = admin.post("/api/v1/workers", "{\"label\":\"runner-keyless\"}");
        assertThat(w.status()).as(w.body()).isEqualTo(201);
        Api worker = admin.as(w.json().get("upload_token").asString());
        byte[] file = new byte[100_000];
        new java.util.Random(42).nextBytes(file);

        JsonNode good = upload(worker, file, SIGSTORE.signBlob(file, IDENTITY, ISSUER));
        assertThat(good.get("status").asString()).as(good.toString()).isEqualTo("published");
        assertThat(good.get("cosign_bundle_present").asBoolean()).isTrue();

        // the bundle is verified against the announced sha256 before any byte is accepted
        Api.Response bad =
                announceUpload(worker, file, SIGSTORE.signBlob(file, IDENTITY.replace("main", "evil"), ISSUER));
        assertThat(bad.status()).as(bad.body()).isEqualTo(422);
        assertThat(bad.json().get("code").asString()).isEqualTo("signature/identity");
        assertThat(bad.json().get("errors").get(0).get("field").asString()).isEqualTo("signature");
    }

    private Api.Response announceUpload(Api worker, byte[] file, String bundle) throws Exception {
        String sha = java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(file));
        return worker.post(
                "/api/v1/system/worker_api/disk_image_publications",
                JsonMapper.builder()
                        .build()
                        .writeValueAsString(Map.of(
                                "platform", "keyless",
                                "artifact_family", "uefi_disk",
                                "arch", "amd64",
                                "sha256", sha,
                                "size_bytes", file.length,
                                "git_sha", "0123456789abcdef0123456789abcdef01234567",
                                "signature", bundle)));
    }

    private JsonNode upload(Api worker, byte[] file, String bundle) throws Exception {
        String base = "/api/v1/system/worker_api/disk_image_publications";
        String sha = java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(file));
        String body = JsonMapper.builder()
                .build()
                .writeValueAsString(Map.of(
                        "platform", "keyless",
                        "artifact_family", "uefi_disk",
                        "arch", "amd64",
                        "sha256", sha,
                        "size_bytes", file.length,
                        "git_sha", "0123456789abcdef0123456789abcdef01234567",
                        "signature", bundle));
        Api.Response created = worker.post(base, body);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        Api.Response put =
                worker.send(worker.request(base + "/" + created.json().get("id").asString() + "/content")
                        .header("Content-Type", "application/octet-stream")
                        .header("Upload-Offset", "0")
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(file)));
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        return get(created.json().get("id").asString());
    }

    // ------------------------------------------------------------------ helpers

    private void assertFails(DiskImageArtifacts.Pushed a, String slug, String code, String reason) {
        JsonNode p = awaitFinal(announce(slug, a.ref(), a));
        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("failed");
        assertThat(p.get("active").asBoolean()).isFalse();
        assertThat(p.get("error_message").asString()).startsWith(code + ": ").contains(reason);
    }

    private void platform(String slug, String identityRegexp, String issuer) {
        Api.Response created = admin.post(
                "/api/v1/system/node_platforms",
                JsonMapper.builder()
                        .build()
                        .writeValueAsString(Map.of(
                                "slug", slug,
                                "name", slug,
                                "cosign_identity_regexp", identityRegexp,
                                "cosign_oidc_issuer", issuer)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
    }

    private static DiskImageArtifacts.Pushed push() {
        return REGISTRY.push("keyless", 20_000, SEED.incrementAndGet());
    }

    private static void attachBundle(DiskImageArtifacts.Pushed a, String bundleJson) {
        SIGSTORE.attach(bundleJson, a.ref().toString(), REGISTRY.registry);
    }

    /** A cosign legacy keyless signature under {@code target}'s tag, signing {@code signed}'s digest. */
    private static void attachLegacy(
            DiskImageArtifacts.Pushed target,
            DiskImageArtifacts.Pushed signed,
            String identity,
            String issuer,
            SigstoreMock.SignOptions options) {
        byte[] payload = SimpleSigning.payload(signed.ref().name(), signed.ref().digest());
        SigstoreMock.LegacySignature legacy =
                SIGSTORE.sign(payload, identity, issuer, options).legacy();
        CosignSigner.attach(REGISTRY.client, target.ref(), payload, legacy.annotations());
    }

    private static byte[] statement(DiskImageArtifacts.Pushed a, String predicateType) {
        String json = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\""
                + a.ref().name() + "\",\"digest\":{\"sha256\":\""
                + a.ref().digest().hex()
                + "\"}}],\"predicateType\":\"" + predicateType + "\",\"predicate\":{}}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private String verifiedBy(JsonNode p) {
        return jdbc.sql("select verified_by from disk_image_publication where id = :id::uuid")
                .param("id", p.get("id").asString())
                .query(String.class)
                .single();
    }

    private String announce(String slug, OciRef ref, DiskImageArtifacts.Pushed a) {
        return probe.announce(slug, ref, a);
    }

    private JsonNode awaitFinal(String id) {
        return probe.awaitFinal(id);
    }

    private JsonNode get(String id) {
        return probe.get(id);
    }

    /** A temporary directory deleted after the class (the mock's state directory outlives any one test). */
    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("powernode-sigstore-mock");
            TEMP_DIRS.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try {
            FileSystemUtils.deleteRecursively(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
