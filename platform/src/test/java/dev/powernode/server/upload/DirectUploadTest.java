package dev.powernode.server.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.token.Scope;
import dev.powernode.server.shared.ServiceProperties;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.RegistryFixture;
import dev.powernode.server.support.SettableClock;
import java.net.http.HttpRequest;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The direct-upload fallback: worker-token auth, resumable streaming upload into the real registry
 * (through a fault proxy), sign-blob policy.
 */
@IntegrationTest
class DirectUploadTest {
    static final String BASE = "/api/v1/system/worker_api/disk_image_publications";
    static final RegistryFixture REGISTRY = new RegistryFixture();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry props) {
        String direct = REGISTRY.registry.registry();
        String viaProxy = REGISTRY.proxy.registry();
        String creds = REGISTRY.registry.username() + ":" + REGISTRY.registry.password();
        props.add("powernode.registry.allowed-hosts", () -> direct + "," + viaProxy);
        props.add("powernode.registry.plain-http", () -> direct + "," + viaProxy);
        props.add("powernode.registry.credentials", () -> direct + "=" + creds + ";" + viaProxy + "=" + creds);
        props.add("powernode.upload.repository", () -> viaProxy + "/uploads");
        // the 3 MiB test file goes to the registry in four chunks
        props.add("powernode.upload.chunk-size", () -> "1MB");
    }

    @AfterAll
    static void stop() {
        REGISTRY.close();
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    DiskImageDirectUploadIngestService uploads;

    @Autowired
    ServiceProperties props;

    @Autowired
    SettableClock clock;

    Api admin;
    Api worker;
    KeyPair key = RegistryFixture.newKey();
    byte[] file = new byte[3 * 1024 * 1024 + 17];

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        REGISTRY.proxy.passThrough();
        new Random(7).nextBytes(file);
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        assertThat(admin.post(
                                "/api/v1/system/node_platforms",
                                "{\"slug\":\"upl\",\"name\":\"Upload\",\"cosign_public_keys\":[\""
                                        + PemKeys.toPem(key.getPublic()).replace("\n", "\\n") + "\"]}")
                        .status())
                .isEqualTo(201);
        Api.Response w = admin.post("/api/v1/workers", "{\"label\":\"runner-1\"}");
        assertThat(w.status()).as(w.body()).isEqualTo(201);
        worker = admin.as(w.json().get("upload_token").asString());
    }

    String announce(byte[] content, String signature) throws Exception {
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        return """
                {"platform":"upl","artifact_family":"uefi_disk","arch":"amd64","sha256":"%s","size_bytes":%d,
                 "git_sha":"0123456789abcdef0123456789abcdef01234567","signature":%s}
                """.formatted(sha, content.length, signature == null ? "null" : "\"" + signature + "\"");
    }

    Api.Response put(String id, long offset, byte[] bytes) {
        return worker.send(worker.request(BASE + "/" + id + "/content")
                .header("Content-Type", "application/octet-stream")
                .header("Upload-Offset", Long.toString(offset))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)));
    }

    @Test
    void aSignedUploadInTwoPartsIsPublishedAndPromoted() throws Exception {
        Api.Response created = worker.post(BASE, announce(file, SimpleSigning.sign(key.getPrivate(), file)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().get("id").asString();
        assertThat(created.json().get("status").asString()).isEqualTo("awaiting_upload");

        int half = file.length / 2;
        Api.Response first = put(id, 0, Arrays.copyOfRange(file, 0, half));
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().get("received_bytes").asLong()).isEqualTo(half);
        assertThat(first.json().get("status").asString()).isEqualTo("awaiting_upload");
        assertThat(worker.get(BASE + "/" + id).json().get("received_bytes").asLong())
                .isEqualTo(half);

        Api.Response wrongOffset = put(id, 0, Arrays.copyOfRange(file, half, file.length));
        assertThat(wrongOffset.status()).isEqualTo(409);
        assertThat(wrongOffset.json().get("detail").asString()).contains("continue at byte " + half);

        Api.Response rest = put(id, half, Arrays.copyOfRange(file, half, file.length));
        assertThat(rest.status()).as(rest.body()).isEqualTo(200);
        assertThat(rest.json().get("status").asString()).isEqualTo("published");
        assertThat(rest.json().get("active").asBoolean()).isTrue();

        JsonNode p = admin.get("/api/v1/system/disk_image_publications/" + id).json();
        assertThat(p.get("status").asString()).isEqualTo("published");
        assertThat(p.get("triggered_by_worker_id").isNull()).isFalse();
        // stored like any pushed artifact: a manifest over the file in the platform's upload repository
        OciRef ref = OciRef.parse(p.get("oci_ref").asString());
        assertThat(ref.repository()).isEqualTo("uploads/upl");
        assertThat(ref.digest()).isNotNull();
        Manifest m = REGISTRY.client.getManifest(
                new OciRef(REGISTRY.registry.registry(), ref.repository(), ref.digest(), null));
        assertThat(m.layers()).hasSize(1);
        assertThat(m.layers().get(0).digest().hex()).isEqualTo(p.get("sha256").asString());
        assertThat(m.annotations()).containsEntry("dev.powernode.publication", id);
        java.io.ByteArrayOutputStream stored = new java.io.ByteArrayOutputStream();
        REGISTRY.client.fetchBlob(
                REGISTRY.registry.registry(), ref.repository(), m.layers().get(0), stored, null);
        assertThat(stored.toByteArray()).isEqualTo(file);
        assertThat(jdbc.sql("select storage from file_object where id = :id::uuid")
                        .param("id", p.get("file_object_id").asString())
                        .query(String.class)
                        .single())
                .isEqualTo("oci");
        assertThat(sessions()).as("a finished upload leaves no session").isZero();
    }

    long sessions() {
        return jdbc.sql("select count(*) from upload_session").query(Long.class).single();
    }

    @Test
    void aRegistryThatFailsIsA503AndTheUploadContinuesWhereItWas() throws Exception {
        String id = worker.post(BASE, announce(file, SimpleSigning.sign(key.getPrivate(), file)))
                .json()
                .get("id")
                .asString();
        int part = 1024 * 1024;
        assertThat(put(id, 0, Arrays.copyOfRange(file, 0, part)).status()).isEqualTo(200);
        REGISTRY.proxy.failNext(1, 503, "PATCH", ".*");
        Api.Response refused = put(id, part, Arrays.copyOfRange(file, part, file.length));
        assertThat(refused.status()).as(refused.body()).isEqualTo(503);
        assertThat(refused.json().get("code").asString()).isEqualTo("upload/registry-unavailable");
        assertThat(refused.json().get("detail").asString()).contains("continue at byte " + part);
        assertThat(worker.get(BASE + "/" + id).json().get("received_bytes").asLong())
                .isEqualTo(part);

        Api.Response rest = put(id, part, Arrays.copyOfRange(file, part, file.length));
        assertThat(rest.status()).as(rest.body()).isEqualTo(200);
        assertThat(rest.json().get("status").asString()).isEqualTo("published");
    }

    @Test
    void anUploadNeverDisplacesACurrentBuildThatHasASignedBuildTime() throws Exception {
        // the current one came through a webhook: its build time was signed and checked against its manifest
        UUID platform = UUID.fromString(
                admin.get("/api/v1/system/node_platforms/upl").json().get("id").asString());
        UUID signed = new Fixtures(jdbc)
                .publication(
                        platform,
                        "uefi_disk",
                        "amd64",
                        "published",
                        true,
                        java.time.Instant.now().minusSeconds(3600));
        jdbc.sql("update disk_image_publication set build_time = now() - interval '1 day' where id = :id")
                .param("id", signed)
                .update();

        // a worker re-uploads a file with a valid signature: signatures of files carry no build time
        Api.Response created = worker.post(BASE, announce(file, SimpleSigning.sign(key.getPrivate(), file)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().get("id").asString();
        Api.Response done = put(id, 0, file);

        assertThat(done.status()).as(done.body()).isEqualTo(200);
        assertThat(done.json().get("status").asString())
                .as("verified, published and retired at once")
                .isEqualTo("retired");
        assertThat(admin.get("/api/v1/system/disk_image_publications/" + signed)
                        .json()
                        .get("active")
                        .asBoolean())
                .as("the signed build stays current")
                .isTrue();
    }

    @Test
    void theAnnouncementIsCheckedByTheRulesTheWebhookUses() throws Exception {
        String signed = announce(file, SimpleSigning.sign(key.getPrivate(), file));
        Api.Response longRunId =
                worker.post(BASE, signed.replace("\"git_sha\"", "\"run_id\":\"" + "x".repeat(201) + "\",\"git_sha\""));
        assertThat(longRunId.status()).as(longRunId.body()).isEqualTo(422);
        assertThat(longRunId.json().get("errors").get(0).get("field").asString())
                .isEqualTo("run_id");
        assertThat(publications()).isZero();

        Api.Response prefixed = worker.post(BASE, signed.replace("\"sha256\":\"", "\"sha256\":\"sha256:"));
        assertThat(prefixed.status())
                .as("a webhook may write sha256:<hex>, so may an upload: " + prefixed.body())
                .isEqualTo(201);
        assertThat(prefixed.json().get("sha256").asString()).doesNotStartWith("sha256:");
    }

    @Test
    void anUploadWithoutASignatureIsRefusedUpFront() throws Exception {
        Api.Response r = worker.post(BASE, announce(file, null));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo("signature");
        assertThat(jdbc.sql("select count(*) from disk_image_publication")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    long publications() {
        return jdbc.sql("select count(*) from disk_image_publication")
                .query(Long.class)
                .single();
    }

    @Test
    void aSignatureByAnotherKeyIsRefusedAtAnnouncementBeforeAnyByteIsStored() throws Exception {
        String otherSignature = SimpleSigning.sign(RegistryFixture.newKey().getPrivate(), file);
        Api.Response r = worker.post(BASE, announce(file, otherSignature));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.json().get("code").asString()).isEqualTo("signature/invalid");
        assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo("signature");
        assertThat(r.json().get("detail").asString()).contains("does not verify");
        assertThat(publications()).isZero();
    }

    @Test
    void aSignatureThatIsNotASignatureIsRefusedAtAnnouncement() throws Exception {
        for (String junk : new String[] {"x", "bm90IGEgc2lnbmF0dXJl", "{not a bundle"}) {
            Api.Response r = worker.post(BASE, announce(file, junk));
            assertThat(r.status()).as(junk + ": " + r.body()).isEqualTo(422);
            assertThat(r.json().get("code").asString()).as(junk).startsWith("signature/");
            assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo("signature");
        }
        assertThat(publications()).isZero();
    }

    @Test
    void anAnnouncementOverTheConfiguredMaximumSizeIsRefused() throws Exception {
        long overDefault = 16L * 1024 * 1024 * 1024 + 1; // POWERNODE_UPLOAD_MAX_SIZE defaults to 16 GiB
        String body = announce(file, SimpleSigning.sign(key.getPrivate(), file))
                .replace("\"size_bytes\":" + file.length, "\"size_bytes\":" + overDefault);
        Api.Response r = worker.post(BASE, body);
        assertThat(r.status()).as(r.body()).isEqualTo(413);
        assertThat(r.isProblem()).isTrue();
        assertThat(r.json().get("code").asString()).isEqualTo("upload/too-large");
        assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo("size_bytes");
        assertThat(publications()).isZero();
    }

    @Test
    void anAbandonedUploadExpiresItsRegistrySessionIsCancelledAndItFails() throws Exception {
        String id = worker.post(BASE, announce(file, SimpleSigning.sign(key.getPrivate(), file)))
                .json()
                .get("id")
                .asString();
        assertThat(put(id, 0, Arrays.copyOfRange(file, 0, 1000)).status()).isEqualTo(200);
        assertThat(sessions()).isOne();

        assertThat(uploads.expireAbandoned()).as("idle for less than a day").isZero();
        clock.advance(java.time.Duration.ofHours(25));
        assertThat(uploads.expireAbandoned()).isEqualTo(1);
        assertThat(uploads.expireAbandoned())
                .as("a second sweep changes nothing")
                .isZero();

        assertThat(sessions()).isZero();
        assertThat(REGISTRY.proxy.requests())
                .anySatisfy(r -> assertThat(r).startsWith("DELETE /v2/uploads/upl/blobs/uploads/"));
        JsonNode p = admin.get("/api/v1/system/disk_image_publications/" + id).json();
        assertThat(p.get("status").asString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString())
                .startsWith("upload/expired")
                .contains("1000 of " + file.length);
        Api.Response late = put(id, 1000, Arrays.copyOfRange(file, 1000, file.length));
        assertThat(late.status()).isEqualTo(409);
        assertThat(late.json().get("code").asString()).isEqualTo("upload/not-awaiting");
    }

    @Test
    void bytesArrivingKeepAnUploadFromExpiring() throws Exception {
        String id = worker.post(BASE, announce(file, SimpleSigning.sign(key.getPrivate(), file)))
                .json()
                .get("id")
                .asString();
        clock.advance(java.time.Duration.ofHours(25));
        assertThat(put(id, 0, Arrays.copyOfRange(file, 0, 1000)).status()).isEqualTo(200);
        assertThat(uploads.expireAbandoned()).isZero();
        assertThat(worker.get(BASE + "/" + id).json().get("status").asString()).isEqualTo("awaiting_upload");
    }

    @Test
    void bytesThatDoNotMatchTheDeclaredDigestFail() throws Exception {
        String id = worker.post(BASE, announce(file, SimpleSigning.sign(key.getPrivate(), file)))
                .json()
                .get("id")
                .asString();
        byte[] tampered = file.clone();
        tampered[1000] ^= 1;
        Api.Response r = put(id, 0, tampered);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("detail").asString()).contains("digest mismatch");
        JsonNode p = admin.get("/api/v1/system/disk_image_publications/" + id).json();
        assertThat(p.get("status").asString()).isEqualTo("failed");
        assertThat(p.get("published_at").isNull()).isTrue();
    }

    @Test
    void theWorkerApiNeedsAWorkerTokenAndOnlyShowsOwnUploads() throws Exception {
        assertThat(admin.post(BASE, announce(file, "x")).status())
                .as("an operator JWT is not a worker token")
                .isEqualTo(401);
        assertThat(admin.anonymous()
                        .get(BASE + "/" + java.util.UUID.randomUUID())
                        .status())
                .isEqualTo(401);
        String id = worker.post(BASE, announce(file, SimpleSigning.sign(key.getPrivate(), file)))
                .json()
                .get("id")
                .asString();
        Api other = admin.as(admin.post("/api/v1/workers", "{\"label\":\"runner-2\"}")
                .json()
                .get("upload_token")
                .asString());
        assertThat(other.get(BASE + "/" + id).status()).isEqualTo(404);
        assertThat(admin.as(Api.token(Scope.DISK_IMAGES_WRITE))
                        .post("/api/v1/workers", "{\"label\":\"sneaky\"}")
                        .status())
                .as("provisioning workers needs admin")
                .isEqualTo(403);
    }

    @Test
    void reprovisioningAWorkerRotatesItsToken() {
        Api.Response again = admin.post("/api/v1/workers", "{\"label\":\"runner-1\"}");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("rotated").asBoolean()).isTrue();
        assertThat(worker.get(BASE + "/" + java.util.UUID.randomUUID()).status())
                .isEqualTo(401);
        assertThat(admin.get("/api/v1/workers?role=ci_worker")
                        .json()
                        .get("data")
                        .size())
                .isEqualTo(1);
    }
}
