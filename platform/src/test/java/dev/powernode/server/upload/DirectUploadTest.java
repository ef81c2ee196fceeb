package dev.powernode.server.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.RegistryFixture;
import java.net.http.HttpRequest;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** The direct-upload fallback: worker-token auth, resumable streaming upload, sign-blob policy. */
@IntegrationTest
class DirectUploadTest {
    static final String BASE = "/api/v1/system/worker_api/disk_image_publications";

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Api admin;
    Api worker;
    KeyPair key = RegistryFixture.newKey();
    byte[] file = new byte[3 * 1024 * 1024 + 17];

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
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
        worker = admin.as(w.json().get("token").asString());
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
        assertThat(p.get("oci_ref").isNull()).isTrue();
        assertThat(p.get("triggered_by_worker_id").isNull()).isFalse();
        String location = jdbc.sql("select location from file_object where id = :id::uuid")
                .param("id", p.get("file_object_id").asString())
                .query(String.class)
                .single();
        assertThat(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(location)))
                .isEqualTo(file);
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

    @Test
    void aSignatureByAnotherKeyFailsAndNothingIsPublished() throws Exception {
        String otherSignature = SimpleSigning.sign(RegistryFixture.newKey().getPrivate(), file);
        String id = worker.post(BASE, announce(file, otherSignature))
                .json()
                .get("id")
                .asString();
        Api.Response r = put(id, 0, file);
        assertThat(r.json().get("status").asString()).isEqualTo("failed");
        assertThat(r.json().get("error_message").asString()).contains("does not verify");
        assertThat(r.json().get("active").asBoolean()).isFalse();
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
                .get("token")
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
