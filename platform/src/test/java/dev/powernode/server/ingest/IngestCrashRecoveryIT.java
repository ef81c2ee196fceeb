package dev.powernode.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.RegistryFixture;
import dev.powernode.server.support.TestDatabase;
import dev.powernode.server.support.WebhookCaller;
import dev.powernode.testkit.FaultProxy;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The service killed with SIGKILL in the middle of an ingest, then started again: the
 * publication finishes (nothing lost, nothing stuck in {@code verifying}). Runs the packaged jar
 * as a real separate process against the real registry and PostgreSQL.
 */
class IngestCrashRecoveryIT {
    final List<Process> started = new ArrayList<>();

    /** The services' log, home and java.io.tmpdir (a SIGKILLed JVM cannot clean up after itself). */
    @TempDir
    Path work;

    @AfterEach
    void stopEverything() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void aServiceKilledMidIngestFinishesThePublicationAfterRestart() throws Exception {
        reset();
        try (RegistryFixture registry = new RegistryFixture()) {
            int port = freePort();
            Path log = work.resolve("service.log");
            Process first = startService(registry, port, log);
            Api admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
            awaitReady(admin, first, log);

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

            first.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
            assertThat(first.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(status(id)).as("the kill left it mid-ingest").isEqualTo("verifying");

            registry.proxy.passThrough();
            Process second = startService(registry, port, log);
            awaitReady(admin, second, log);
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
            assertThat(count("select count(*) from disk_image_publication where status = 'verifying'"))
                    .isZero();
        }
    }

    private Process startService(RegistryFixture registry, int port, Path log) throws IOException {
        String direct = registry.registry.registry();
        String proxy = registry.proxy.registry();
        String creds = registry.registry.username() + ":" + registry.registry.password();
        ProcessBuilder pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-Djava.io.tmpdir=" + Files.createDirectories(work.resolve("tmp")),
                "-jar",
                System.getProperty("powernode.jar"),
                "--server.port=" + port,
                "--spring.datasource.url=" + TestDatabase.url(),
                "--spring.datasource.username=" + TestDatabase.user(),
                "--spring.datasource.password=" + TestDatabase.password(),
                "--powernode.jwt-secret=" + Api.JWT_SECRET,
                "--powernode.master-key=" + Api.MASTER_KEY,
                "--powernode.home=" + work.resolve("home"),
                "--powernode.registry.allowed-hosts=" + direct + "," + proxy,
                "--powernode.registry.plain-http=" + direct + "," + proxy,
                "--powernode.registry.credentials=" + direct + "=" + creds + ";" + proxy + "=" + creds,
                "--powernode.registry.read-timeout=60s",
                "--powernode.ingest.backoff-base=200ms",
                "--powernode.ingest.polling-interval=200ms",
                "--powernode.ingest.heartbeat-interval=1s");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /** A cold JVM on a loaded two-core machine has been seen to need more than 90 s to be ready. */
    private static void awaitReady(Api api, Process process, Path log) {
        await().atMost(Duration.ofSeconds(240))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("service exited:\n" + Files.readString(log));
                    }
                    try {
                        return api.anonymous().get("/actuator/health/readiness").status() == 200;
                    } catch (RuntimeException notYet) {
                        return false;
                    }
                });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Connection db() throws SQLException {
        return DriverManager.getConnection(TestDatabase.url(), TestDatabase.user(), TestDatabase.password());
    }

    private static void reset() throws SQLException {
        org.flywaydb.core.Flyway.configure()
                .dataSource(TestDatabase.url(), TestDatabase.user(), TestDatabase.password())
                .locations("classpath:db/migration")
                .load()
                .migrate();
        try (Connection c = db();
                Statement s = c.createStatement()) {
            s.execute(
                    "truncate event_delivery, outbound_event, event_subscription, disk_image_pointer_change, scheduled_tasks, api_token, webhook_delivery, disk_image_publication_transition,"
                            + " disk_image_publication, worker, disk_image_webhook, node_platform, file_object cascade");
        }
    }

    private static String status(String id) throws SQLException {
        try (Connection c = db();
                var ps = c.prepareStatement("select status from disk_image_publication where id = ?::uuid")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = db();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
