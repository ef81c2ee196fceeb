package dev.powernode.server.schema;

import static dev.powernode.server.support.ConstraintViolation.assertRefusedBy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.TestDatabase;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The database refuses bad rows by itself, whatever code (or psql) writes them. */
@IntegrationTest
class SchemaConstraintsTest {
    @Autowired
    JdbcClient jdbc;

    Fixtures fixtures;
    UUID platform;

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(jdbc);
        fixtures.reset();
        platform = fixtures.platform("constrained");
    }

    @Test
    void refusesASecondActivePublicationForTheSameTriple() {
        fixtures.publication(platform, "uefi_disk", "amd64", "published", true, Instant.now());

        assertRefusedBy(
                "disk_image_publication_one_active_per_triple",
                () -> fixtures.publication(platform, "uefi_disk", "amd64", "published", true, Instant.now()));
        assertThatThrownBy(() -> fixtures.publication(platform, "uefi_disk", "amd64", "published", true, Instant.now()))
                .as("a unique index: a duplicate, answered 409")
                .isInstanceOf(DuplicateKeyException.class);

        // other triples, and inactive rows of the same triple, are fine
        fixtures.publication(platform, "uefi_disk", "arm64", "published", true, Instant.now());
        fixtures.publication(platform, "iso", "amd64", "published", true, Instant.now());
        fixtures.publication(platform, "uefi_disk", "amd64", "published", false, Instant.now());
    }

    @Test
    void refusesAnActivePublicationThatIsNotPublished() {
        assertRefusedBy(
                "disk_image_publication_active_only_published",
                () -> fixtures.publication(platform, "uefi_disk", "amd64", "retired", true, Instant.now()));
    }

    @Test
    void refusesUnknownStatusFamilyAndArch() {
        assertRefusedBy(
                "disk_image_publication_status_check",
                () -> fixtures.publication(platform, "uefi_disk", "amd64", "shipped", false, Instant.now()));
        assertRefusedBy(
                "disk_image_publication_artifact_family_check",
                () -> fixtures.publication(platform, "floppy", "amd64", "queued", false, Instant.now()));
        assertRefusedBy(
                "disk_image_publication_arch_check",
                () -> fixtures.publication(platform, "iso", "sparc", "queued", false, Instant.now()));
    }

    @Test
    void refusesRetentionOutsideOneToHundred() {
        for (int bad : new int[] {0, 101, -1}) {
            assertRefusedBy(
                    "node_platform_disk_image_retention_count_check",
                    () -> jdbc.sql("update node_platform set disk_image_retention_count = :n where id = :id")
                            .param("n", bad)
                            .param("id", platform)
                            .update());
        }
        jdbc.sql("update node_platform set disk_image_retention_count = 100 where id = :id")
                .param("id", platform)
                .update();
    }

    @Test
    void refusesPublicationsOfUnknownPlatforms() {
        assertRefusedBy(
                "disk_image_publication_node_platform_id_fkey",
                () -> fixtures.publication(UUID.randomUUID(), "iso", "amd64", "queued", false, Instant.now()));
    }

    @Test
    void refusesAFailedPublicationWithoutAnErrorMessage() {
        UUID id = fixtures.publication(platform, "iso", "amd64", "queued", false, Instant.now());
        assertRefusedBy(
                "disk_image_publication_failed_has_error",
                () -> jdbc.sql("update disk_image_publication set status = 'failed' where id = :id")
                        .param("id", id)
                        .update());
    }

    @Test
    void refusesARetiredOrPurgedPublicationWithoutItsTimestamp() {
        UUID retired = fixtures.publication(platform, "iso", "amd64", "retired", false, Instant.now());
        UUID purged = fixtures.publication(platform, "iso", "amd64", "purged", false, Instant.now());
        assertRefusedBy(
                "disk_image_publication_retired_has_time",
                () -> jdbc.sql("update disk_image_publication set retired_at = null where id = :id")
                        .param("id", retired)
                        .update());
        assertRefusedBy(
                "disk_image_publication_purged_has_time",
                () -> jdbc.sql("update disk_image_publication set purged_at = null where id = :id")
                        .param("id", purged)
                        .update());
    }

    @Test
    void refusesAKeylessIdentityWithoutItsIssuer() {
        assertRefusedBy(
                "node_platform_cosign_identity_with_issuer",
                () -> jdbc.sql("update node_platform set cosign_identity_regexp = '^x$' where id = :id")
                        .param("id", platform)
                        .update());
    }

    @Test
    void migratesAnEmptySchemaFromScratch() {
        String schema = "migration_check_" + Long.toHexString(System.nanoTime());
        Flyway flyway = Flyway.configure()
                .dataSource(TestDatabase.url(), TestDatabase.user(), TestDatabase.password())
                .schemas(schema)
                .createSchemas(true)
                .locations("classpath:db/migration")
                .cleanDisabled(false)
                .load();
        try {
            var result = flyway.migrate();
            assertThat(result.success).isTrue();
            assertThat(flyway.info().pending()).isEmpty();
            List<String> applied = java.util.Arrays.stream(flyway.info().applied())
                    .map(MigrationInfo::getVersion)
                    .filter(java.util.Objects::nonNull)
                    .map(Object::toString)
                    .toList();
            assertThat(applied).contains("1");
            List<String> tables = jdbc.sql("select table_name from information_schema.tables where table_schema = :s")
                    .param("s", schema)
                    .query(String.class)
                    .list();
            assertThat(tables)
                    .contains(
                            "node_platform",
                            "disk_image_webhook",
                            "webhook_delivery",
                            "worker",
                            "disk_image_publication",
                            "disk_image_publication_transition",
                            "file_object",
                            "api_token");
        } finally {
            flyway.clean();
            jdbc.sql("drop schema if exists " + schema + " cascade").update();
        }
    }
}
