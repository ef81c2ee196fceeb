package dev.powernode.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.RegistryFixture;
import dev.powernode.server.support.ServiceProcesses;
import dev.powernode.server.support.WebhookCaller;
import dev.powernode.testkit.FaultProxy;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The service killed with SIGKILL in the middle of an ingest, then started again: the
 * publication finishes (nothing lost, nothing stuck in {@code verifying}). Runs the packaged jar
 * as a real separate process against the real registry and PostgreSQL.
 */
class IngestCrashRecoveryIT {
    /** The services' logs, homes and java.io.tmpdir. */
    @TempDir
    Path work;

    @Test
    void aServiceKilledMidIngestFinishesThePublicationAfterRestart() throws Exception {
        ServiceProcesses.reset();
        try (RegistryFixture registry = new RegistryFixture();
                ServiceProcesses services = new ServiceProcesses(work)) {
            ServiceProcesses.Service first = services.start("service", registry);
            Api admin = first.admin();

            assertThat(admin.post(
                                    "/api/v1/system/node_platforms",
                                    "{\"slug\":\"crash\",\"name\":\"Crash\",\"cosign_public_keys\":[\""
                                            + registry.publicKeyPem().replace("\n", "\\n") + "\"]}")
                            .status())
                    .isEqualTo(201);
            JsonNode w = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"crash-builder\"}")
                    .json();
            WebhookCaller webhook = new WebhookCaller(
                    admin,
                    w.get("webhook_url").asString(),
                    w.get("webhook_secret").asString());

            DiskImageArtifacts.Pushed artifact = registry.push("crash", 4_000_000, 99);
            registry.sign(artifact.ref());
            // the blob transfer hangs: the ingest is caught mid-flight in 'verifying'
            registry.proxy.stallBody(1, 1_000_000, Duration.ofSeconds(120), "GET", FaultProxy.BLOB_PATH);
            Api.Response accepted = webhook.send(WebhookCaller.body(
                    "crash",
                    "uefi_disk",
                    "amd64",
                    registry.viaProxy(artifact.ref()).toString(),
                    artifact));
            assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
            String id = accepted.json().get("publication_id").asString();
            await().atMost(Duration.ofSeconds(30)).until(() -> "verifying".equals(status(id)));

            first.process().destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
            assertThat(first.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS))
                    .isTrue();
            assertThat(status(id)).as("the kill left it mid-ingest").isEqualTo("verifying");

            registry.proxy.passThrough();
            services.start("service", registry, first.port());
            await().atMost(Duration.ofSeconds(60)).until(() -> "published".equals(status(id)));

            JsonNode p =
                    admin.get("/api/v1/system/disk_image_publications/" + id).json();
            assertThat(p.get("active").asBoolean()).isTrue();
            assertThat(p.get("attempt_count").asInt()).isEqualTo(2);
            assertThat(admin.get("/api/v1/system/disk_image_publications/" + id + "/history")
                            .json()
                            .get("data")
                            .findValuesAsString("reason"))
                    .anySatisfy(r -> assertThat(r).contains("interrupted"));
            assertThat(ServiceProcesses.count("select count(*) from disk_image_publication where status = 'verifying'"))
                    .isZero();
        }
    }

    private static String status(String id) throws java.sql.SQLException {
        return ServiceProcesses.text(
                "select status from disk_image_publication where id = ?", java.util.UUID.fromString(id));
    }
}
