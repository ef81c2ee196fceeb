package dev.powernode.server.schema;

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
import org.springframework.dao.DataIntegrityViolationException;
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

        assertThatThrownBy(() -> fixtures.publication(platform, "uefi_disk", "amd64", "published", true, Instant.now()))
                .isInstanceOf(DuplicateKeyException.class)
                .hasMessageContaining("disk_image_publication_one_active_per_triple");

        // other triples, and inactive rows of the same triple, are fine
        fixtures.publication(platform, "uefi_disk", "arm64", "published", true, Instant.now());
        fixtures.publication(platform, "iso", "amd64", "published", true, Instant.now());
        fixtures.publication(platform, "uefi_disk", "amd64", "published", false, Instant.now());
    }

    @Test
    void refusesAnActivePublicationThatIsNotPublished() {
        assertThatThrownBy(() -> fixtures.publication(platform, "uefi_disk", "amd64", "retired", true, Instant.now()))
                .isInstanceOf(DataIntegrityViolationException.class);
    }

    @Test
    void refusesUnknownStatusFamilyAndArch() {
        assertThatThrownBy(() -> fixtures.publication(platform, "uefi_disk", "amd64", "shipped", false, Instant.now()))
                .isInstanceOf(DataIntegrityViolationException.class);
        assertThatThrownBy(() -> fixtures.publication(platform, "floppy", "amd64", "queued", false, Instant.now()))
                .isInstanceOf(DataIntegrityViolationException.class);
        assertThatThrownBy(() -> fixtures.publication(platform, "iso", "sparc", "queued", false, Instant.now()))
                .isInstanceOf(DataIntegrityViolationException.class);
    }

    @Test
    void refusesRetentionOutsideOneToHundred() {
        for (int bad : new int[] {0, 101, -1}) {
            assertThatThrownBy(() -> jdbc.sql("update node_platform set disk_image_retention_count = :n where id = :id")
                            .param("n", bad)
                            .param("id", platform)
                            .update())
                    .as("retention %d", bad)
                    .isInstanceOf(DataIntegrityViolationException.class);
        }
        jdbc.sql("update node_platform set disk_image_retention_count = 100 where id = :id")
                .param("id", platform)
                .update();
    }

    @Test
    void refusesPublicationsOfUnknownPlatforms() {
        assertThatThrownBy(
                        () -> fixtures.publication(UUID.randomUUID(), "iso", "amd64", "queued", false, Instant.now()))
                .isInstanceOf(DataIntegrityViolationException.class);
    }

    @Test
    void refusesAFailedPublicationWithoutAnErrorMessage() {
        UUID id = fixtures.publication(platform, "iso", "amd64", "queued", false, Instant.now());
        assertThatThrownBy(() -> jdbc.sql("update disk_image_publication set status = 'failed' where id = :id")
                        .param("id", id)
                        .update())
                .isInstanceOf(DataIntegrityViolationException.class);
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
