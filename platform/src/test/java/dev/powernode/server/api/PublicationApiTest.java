package dev.powernode.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class PublicationApiTest {
    /** The spec's serialized fields, plus artifact_family; nothing more, nothing less. */
    static final List<String> SPEC_FIELDS = List.of(
            "id",
            "platform_id",
            "artifact_family",
            "status",
            "active",
            "arch",
            "firmware_ref",
            "git_sha",
            "git_sha_short",
            "oci_ref",
            "sha256",
            "sha256_short",
            "size_bytes",
            "attempt_count",
            "attestation_predicate",
            "attestation_present",
            "cosign_bundle_present",
            "file_object_id",
            "prior_file_object_id",
            "webhook_id",
            "webhook_label",
            "triggered_by_worker_id",
            "verified_at",
            "published_at",
            "retired_at",
            "purged_at",
            "error_message");

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Fixtures fixtures;
    Api reader;
    UUID alpha;
    UUID beta;
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(1, ChronoUnit.DAYS);

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(jdbc);
        fixtures.reset();
        reader = new Api(port, Api.token(Scope.DISK_IMAGES_READ));
        alpha = fixtures.platform("alpha");
        beta = fixtures.platform("beta");
    }

    @Test
    void serializesAPublicationExactlyAsTheSpecLists() {
        UUID id = fixtures.publication(alpha, "uefi_disk", "amd64", "published", true, t0);

        Api.Response r = reader.get("/api/v1/system/disk_image_publications/" + id);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode p = r.json();
        assertThat(new ArrayList<>(p.propertyNames())).containsExactlyInAnyOrderElementsOf(SPEC_FIELDS);
        assertThat(p.get("platform_id").asString()).isEqualTo(alpha.toString());
        assertThat(p.get("artifact_family").asString()).isEqualTo("uefi_disk");
        assertThat(p.get("status").asString()).isEqualTo("published");
        assertThat(p.get("active").asBoolean()).isTrue();
        assertThat(p.get("git_sha_short").asString()).isEqualTo("0123456");
        assertThat(p.get("sha256_short").asString()).isEqualTo("cdcdcdcdcdcd");
        assertThat(p.get("size_bytes").asLong()).isEqualTo(1234);
        assertThat(p.get("published_at").asString()).isEqualTo(t0.toString());
        assertThat(p.get("firmware_ref").isNull()).isTrue();
        assertThat(p.get("retired_at").isNull()).isTrue();
        assertThat(p.get("error_message").isNull()).isTrue();
    }

    @Test
    void listsNewestFirstWithFiltersAndPaging() {
        List<UUID> alphaIds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            alphaIds.add(fixtures.publication(alpha, "uefi_disk", "amd64", "retired", false, t0.plusSeconds(i)));
        }
        UUID failed = fixtures.publication(alpha, "iso", "arm64", "failed", false, t0.plusSeconds(10));
        UUID betaId = fixtures.publication(beta, "qcow2", "amd64", "queued", false, t0.plusSeconds(20));

        JsonNode all = reader.get("/api/v1/system/disk_image_publications").json();
        assertThat(all.get("meta").get("total").asLong()).isEqualTo(7);
        assertThat(all.get("data").get(0).get("id").asString()).isEqualTo(betaId.toString());

        JsonNode page2 = reader.get("/api/v1/system/disk_image_publications?platform=alpha&page=2&per_page=2")
                .json();
        assertThat(page2.get("meta").get("total").asLong()).isEqualTo(6);
        assertThat(page2.get("meta").get("page").asInt()).isEqualTo(2);
        assertThat(page2.get("data").findValuesAsString("id"))
                .containsExactly(alphaIds.get(3).toString(), alphaIds.get(2).toString());

        assertThat(ids("/api/v1/system/disk_image_publications?status=failed")).containsExactly(failed.toString());
        assertThat(ids("/api/v1/system/disk_image_publications?arch=arm64")).containsExactly(failed.toString());
        assertThat(ids("/api/v1/system/disk_image_publications?family=qcow2")).containsExactly(betaId.toString());
        assertThat(ids("/api/v1/system/disk_image_publications?platform=" + beta))
                .containsExactly(betaId.toString());
        assertThat(ids("/api/v1/system/disk_image_publications?platform=alpha&family=iso&status=failed"))
                .containsExactly(failed.toString());
        assertThat(ids("/api/v1/system/node_platforms/beta/disk_image_publications"))
                .containsExactly(betaId.toString());
        assertThat(ids("/api/v1/system/node_platforms/" + alpha + "/disk_image_publications?status=retired"))
                .hasSize(5);
    }

    @Test
    void failedPublicationCarriesItsErrorMessage() {
        UUID id = fixtures.publication(alpha, "uefi_disk", "amd64", "failed", false, t0);
        JsonNode p = reader.get("/api/v1/system/disk_image_publications/" + id).json();
        assertThat(p.get("error_message").asString()).isEqualTo("cosign: no signature");
        assertThat(p.get("published_at").isNull()).isTrue();
    }

    @Test
    void badFiltersAndPagingAreInvalidNamingTheParameter() {
        for (String[] c : new String[][] {
            {"status=shipped", "status"},
            {"arch=sparc", "arch"},
            {"family=floppy", "family"},
            {"page=0", "page"},
            {"per_page=500", "per_page"},
            {"per_page=ten", "per_page"},
            {"platform=nope", "platform"}
        }) {
            Api.Response r = reader.get("/api/v1/system/disk_image_publications?" + c[0]);
            assertThat(r.status()).as(c[0]).isEqualTo(422);
            assertThat(r.isProblem()).isTrue();
            assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo(c[1]);
        }
    }

    @Test
    void unknownPublicationOrPlatformIsNotFound() {
        assertThat(reader.get("/api/v1/system/disk_image_publications/" + UUID.randomUUID())
                        .status())
                .isEqualTo(404);
        assertThat(reader.get("/api/v1/system/disk_image_publications/not-a-uuid")
                        .status())
                .isEqualTo(404);
        Api.Response r = reader.get("/api/v1/system/node_platforms/" + UUID.randomUUID() + "/disk_image_publications");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("code").asString()).isEqualTo("node_platform/not-found");
    }

    private List<String> ids(String path) {
        Api.Response r = reader.get(path);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("data").findValuesAsString("id");
    }
}
