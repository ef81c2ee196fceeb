package dev.powernode.server.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
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

/**
 * The packaged service as real, separate processes (for *IT tests: kill -9, several replicas)
 * against the run's PostgreSQL database and a {@link RegistryFixture}, plus plain-JDBC looks at
 * the database they share.
 */
public final class ServiceProcesses implements AutoCloseable {
    private final Path work;
    private final List<Process> started = new ArrayList<>();

    /** {@code work} holds the services' logs, home and java.io.tmpdir (a SIGKILLed JVM cannot clean up). */
    public ServiceProcesses(Path work) {
        this.work = work;
    }

    /** A running service: its process, port, log and an admin API client. */
    public record Service(Process process, int port, Path log, Api admin) {}

    /**
     * Starts the jar on a free port with the registry (direct and through its proxy) allowed and
     * fast job polling; {@code extra} adds or overrides {@code --name=value} arguments. Waits
     * until it is ready.
     */
    public Service start(String name, RegistryFixture registry, String... extra) {
        return start(name, registry, freePort(), extra);
    }

    /** {@link #start(String, RegistryFixture, String...)} on a given port (a restart where it was). */
    public Service start(String name, RegistryFixture registry, int port, String... extra) {
        Service s = launch(name, registry, port, extra);
        awaitReady(s);
        return s;
    }

    /** Starts the jar without waiting for it (start several, then {@link #awaitReady} each). */
    public Service launch(String name, RegistryFixture registry, int port, String... extra) {
        Path log = work.resolve(name + ".log");
        String direct = registry.registry.registry();
        String proxy = registry.proxy.registry();
        String creds = registry.registry.username() + ":" + registry.registry.password();
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-Djava.io.tmpdir=" + dir("tmp-" + name),
                "-jar",
                System.getProperty("powernode.jar"),
                "--server.port=" + port,
                "--spring.datasource.url=" + TestDatabase.url(),
                "--spring.datasource.username=" + TestDatabase.user(),
                "--spring.datasource.password=" + TestDatabase.password(),
                "--powernode.jwt-secret=" + Api.JWT_SECRET,
                "--powernode.master-key=" + Api.MASTER_KEY,
                "--powernode.home=" + dir("home-" + name),
                "--powernode.registry.allowed-hosts=" + direct + "," + proxy,
                "--powernode.registry.plain-http=" + direct + "," + proxy,
                "--powernode.registry.credentials=" + direct + "=" + creds + ";" + proxy + "=" + creds,
                "--powernode.registry.read-timeout=60s",
                "--powernode.ingest.backoff-base=200ms",
                "--powernode.ingest.polling-interval=200ms",
                "--powernode.ingest.heartbeat-interval=1s"));
        cmd.addAll(List.of(extra));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Process p = pb.start();
            started.add(p);
            Service s =
                    new Service(p, port, log, new Api(port, Api.token(dev.powernode.common.token.Scope.SYSTEM_ADMIN)));
            awaitReady(s);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A cold JVM on a loaded two-core machine has been seen to need more than 90 s to be ready. */
    public static void awaitReady(Service s) {
        await().atMost(Duration.ofSeconds(240))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    if (!s.process().isAlive()) {
                        throw new IllegalStateException("service exited:\n" + Files.readString(s.log()));
                    }
                    try {
                        return s.admin()
                                        .anonymous()
                                        .get("/actuator/health/readiness")
                                        .status()
                                == 200;
                    } catch (RuntimeException notYet) {
                        return false;
                    }
                });
    }

    private Path dir(String name) {
        try {
            return Files.createDirectories(work.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Connection db() throws SQLException {
        return DriverManager.getConnection(TestDatabase.url(), TestDatabase.user(), TestDatabase.password());
    }

    /** Migrates the shared database and empties every table the service writes. */
    public static void reset() throws SQLException {
        org.flywaydb.core.Flyway.configure()
                .dataSource(TestDatabase.url(), TestDatabase.user(), TestDatabase.password())
                .locations("classpath:db/migration")
                .load()
                .migrate();
        try (Connection c = db();
                Statement s = c.createStatement()) {
            s.execute("truncate upload_session, event_delivery, outbound_event, event_subscription,"
                    + " disk_image_pointer_change, scheduled_tasks, api_token, webhook_delivery,"
                    + " disk_image_publication_transition, disk_image_publication, worker, disk_image_webhook,"
                    + " node_platform, file_object cascade");
        }
    }

    /** The one text value {@code sql} selects (null when no row). */
    public static String text(String sql, Object... args) throws SQLException {
        try (Connection c = db();
                var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The one number {@code sql} selects. */
    public static long count(String sql, Object... args) throws SQLException {
        String v = text(sql, args);
        return v == null ? 0 : Long.parseLong(v);
    }

    @Override
    public void close() {
        started.forEach(Process::destroyForcibly);
    }
}
