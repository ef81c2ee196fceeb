package dev.powernode.server.publication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** Promote and roll back within a triple, refused targets, concurrency, and the audit trail. */
@IntegrationTest
class PromotionTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Fixtures fixtures;
    Api writer;
    UUID platform;
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(jdbc);
        fixtures.reset();
        writer = new Api(port, Api.token(Scope.DISK_IMAGES_WRITE));
        platform = fixtures.platform("promo");
    }

    Api.Response setDefault(Api api, UUID platformId, Object publicationId) {
        return api.post(
                "/api/v1/system/node_platforms/" + platformId + "/default_disk_image_publication",
                "{\"publication_id\":\"" + publicationId + "\"}");
    }

    JsonNode get(UUID id) {
        return writer.as(Api.token(Scope.DISK_IMAGES_READ))
                .get("/api/v1/system/disk_image_publications/" + id)
                .json();
    }

    @Test
    void changingThePrimaryTripleRepointsThePlatformAtThatTriplesCurrentPublication() {
        UUID disk = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        UUID qcow2 = fixtures.publication(platform, "qcow2", "amd64", "published", true, t0.plusSeconds(60));
        UUID file = UUID.randomUUID();
        jdbc.sql("insert into file_object (id, storage, location, sha256, size_bytes, created_at)"
                        + " values (:id, 'oci', 'registry.example.org/qcow2', repeat('ef', 32), 1234, now())")
                .param("id", file)
                .update();
        jdbc.sql("update disk_image_publication set oci_ref = 'registry.example.org/qcow2@sha256:' || repeat('ef', 32),"
                        + " git_sha = repeat('9', 40), file_object_id = :file where id = :id")
                .param("id", qcow2)
                .param("file", file)
                .update();
        assertThat(setDefault(writer, platform, disk).status()).isEqualTo(200);
        assertThat(pointer().get("disk_image_oci_ref").asString())
                .isEqualTo(get(disk).get("oci_ref").asString());

        Api.Response toQcow2 =
                writer.patch("/api/v1/system/node_platforms/" + platform, "{\"primary_artifact_family\":\"qcow2\"}");

        assertThat(toQcow2.status()).as(toQcow2.body()).isEqualTo(200);
        JsonNode q = get(qcow2);
        assertThat(toQcow2.json().get("disk_image_oci_ref").asString())
                .isEqualTo(q.get("oci_ref").asString());
        JsonNode p = pointer();
        assertThat(p.get("disk_image_oci_ref").asString())
                .isEqualTo(q.get("oci_ref").asString());
        assertThat(p.get("disk_image_git_sha").asString())
                .isEqualTo(q.get("git_sha").asString());
        assertThat(p.get("disk_image_file_object_id").asString())
                .isEqualTo(q.get("file_object_id").asString());

        // a triple with nothing published: the pointer names nothing rather than another arch's image
        Api.Response toArm = writer.patch("/api/v1/system/node_platforms/" + platform, "{\"primary_arch\":\"arm64\"}");

        assertThat(toArm.status()).as(toArm.body()).isEqualTo(200);
        assertThat(toArm.json().get("disk_image_oci_ref").isNull()).isTrue();
        assertThat(pointer().get("disk_image_oci_ref").isNull()).isTrue();
        assertThat(pointer().get("disk_image_file_object_id").isNull()).isTrue();
    }

    JsonNode pointer() {
        return writer.as(Api.token(Scope.DISK_IMAGES_READ))
                .get("/api/v1/system/node_platforms/" + platform)
                .json();
    }

    @Test
    void rollsBackToARetiredPublicationAndRetiresTheCurrentOne() {
        UUID old = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(60));

        Api.Response r = setDefault(writer, platform, old);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("status").asString()).isEqualTo("published");
        assertThat(r.json().get("active").asBoolean()).isTrue();
        assertThat(r.json().get("retired_at").isNull()).isTrue();
        JsonNode previous = get(current);
        assertThat(previous.get("status").asString()).isEqualTo("retired");
        assertThat(previous.get("active").asBoolean()).isFalse();
        assertThat(jdbc.sql("select disk_image_oci_ref from node_platform where id = :id")
                        .param("id", platform)
                        .query(String.class)
                        .single())
                .isEqualTo(r.json().get("oci_ref").asString());

        JsonNode audit = writer.as(Api.token(Scope.DISK_IMAGES_READ))
                .get("/api/v1/system/node_platforms/" + platform + "/audit")
                .json()
                .get("data");
        JsonNode pointer = audit.get(0);
        assertThat(pointer.get("kind").asString()).isEqualTo("pointer");
        assertThat(pointer.get("reason").asString()).isEqualTo("rollback");
        assertThat(pointer.get("actor").asString()).isEqualTo("test-disk_images:write");
        assertThat(pointer.get("from").asString()).isEqualTo(current.toString());
        assertThat(pointer.get("to").asString()).isEqualTo(old.toString());
    }

    @Test
    void promotesAPublishedPublicationThatIsNotCurrent() {
        UUID current = fixtures.publication(platform, "iso", "arm64", "published", true, t0);
        UUID newer = fixtures.publication(platform, "iso", "arm64", "published", false, t0.plusSeconds(60));

        assertThat(setDefault(writer, platform, newer).status()).isEqualTo(200);

        assertThat(get(newer).get("active").asBoolean()).isTrue();
        assertThat(get(current).get("status").asString()).isEqualTo("retired");
        assertThat(jdbc.sql("select disk_image_oci_ref from node_platform where id = :id")
                        .param("id", platform)
                        .query(String.class)
                        .optional()
                        .orElse(null))
                .as("iso/arm64 is not the platform's primary triple: its pointer columns stay")
                .isNull();
    }

    @Test
    void settingTheCurrentPublicationAgainChangesNothing() {
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0);
        assertThat(setDefault(writer, platform, current).status()).isEqualTo(200);
        assertThat(get(current).get("active").asBoolean()).isTrue();
        assertThat(jdbc.sql("select count(*) from disk_image_pointer_change")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"purged", "failed", "queued", "verifying", "awaiting_upload"})
    void refusesTargetsThatAreNotPublishedOrRetired(String status) {
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0);
        UUID target = fixtures.publication(platform, "uefi_disk", "amd64", status, false, t0.plusSeconds(1));

        Api.Response r = setDefault(writer, platform, target);

        assertThat(r.status()).as(r.body()).isEqualTo(409);
        assertThat(r.json().get("code").asString()).isEqualTo("publication/not-promotable");
        assertThat(get(current).get("active").asBoolean()).isTrue();
    }

    @Test
    void refusesPublicationsOfAnotherPlatformAndUnknownIds() {
        UUID other = fixtures.platform("other");
        UUID foreign = fixtures.publication(other, "uefi_disk", "amd64", "published", true, t0);
        Api.Response r = setDefault(writer, platform, foreign);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("code").asString()).isEqualTo("publication/other-platform");
        assertThat(setDefault(writer, platform, UUID.randomUUID()).status()).isEqualTo(404);
        assertThat(setDefault(writer, UUID.randomUUID(), foreign).status()).isEqualTo(404);
        assertThat(writer.post("/api/v1/system/node_platforms/" + platform + "/default_disk_image_publication", "{}")
                        .status())
                .isEqualTo(422);
    }

    @Test
    void aReadTokenCannotPromote() {
        UUID p = fixtures.publication(platform, "uefi_disk", "amd64", "published", false, t0);
        assertThat(setDefault(writer.as(Api.token(Scope.DISK_IMAGES_READ)), platform, p)
                        .status())
                .isEqualTo(403);
    }

    @Test
    void concurrentSetDefaultCallsLeaveExactlyOneActive() throws Exception {
        List<UUID> candidates = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            candidates.add(fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0.plusSeconds(i)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Future<Api.Response>> calls = new ArrayList<>();
        for (UUID c : candidates) {
            calls.add(pool.submit(() -> setDefault(writer, platform, c)));
        }
        for (Future<Api.Response> f : calls) {
            assertThat(f.get().status()).isEqualTo(200);
        }
        pool.shutdown();
        assertThat(jdbc.sql("select count(*) from disk_image_publication where active")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
        String active = jdbc.sql("select id::text from disk_image_publication where active")
                .query(String.class)
                .single();
        String pointer = jdbc.sql(
                        "select to_publication_id::text from disk_image_pointer_change order by id desc limit 1")
                .query(String.class)
                .single();
        assertThat(active)
                .as("the last pointer change names the active publication")
                .isEqualTo(pointer);
        assertThat(jdbc.sql("select count(*) from disk_image_pointer_change")
                        .query(Long.class)
                        .single())
                .isEqualTo(20);
    }
}
