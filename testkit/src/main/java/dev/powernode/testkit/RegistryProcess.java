package dev.powernode.testkit;

import dev.powernode.common.oci.RegistryClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * A real {@code docker-registry} (Debian package, distribution 2.8) running as a child process on
 * a free loopback port, with its storage and configuration in a fresh temporary directory.
 * Nothing is shared with a system service. Closing it stops the process (by its PID) and deletes
 * the directory.
 */
public final class RegistryProcess implements AutoCloseable {
    /** Where Debian's package installs the binary; {@code POWERNODE_DOCKER_REGISTRY} overrides it. */
    public static final Path DEFAULT_BINARY = Path.of("/usr/bin/docker-registry");

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(20);
    // The registry checks bcrypt on every request; the lowest cost keeps a test's hundreds of
    // requests fast. This is a throwaway test password, not a stored secret.
    private static final int BCRYPT_COST = 4;

    private final Process process;
    private final Path dir;
    private final int port;
    private final String username;
    private final String password;
    private final Thread shutdownHook;

    private RegistryProcess(Process process, Path dir, int port, String username, String password) {
        this.process = process;
        this.dir = dir;
        this.port = port;
        this.username = username;
        this.password = password;
        // A test JVM that dies without closing us must not leave a registry behind.
        this.shutdownHook = new Thread(this::stopProcess, "stop-docker-registry-" + process.pid());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** The binary to run: {@code POWERNODE_DOCKER_REGISTRY} if set, else {@link #DEFAULT_BINARY}. */
    public static Path binary() {
        String override = System.getenv("POWERNODE_DOCKER_REGISTRY");
        return override == null || override.isBlank() ? DEFAULT_BINARY : Path.of(override);
    }

    /** Fails with instructions when the registry binary is missing. */
    public static void ensureInstalled() {
        Path binary = binary();
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("docker-registry is not installed at " + binary
                    + ": install the Debian package (apt-get install docker-registry; 2.8.x) or set"
                    + " POWERNODE_DOCKER_REGISTRY to the binary. Tests run it as a child process;"
                    + " the system service is not needed.");
        }
    }

    /** Starts a registry with htpasswd (Basic) authentication and a random password. */
    public static RegistryProcess start() {
        String password = HexFormat.of().formatHex(randomBytes(16));
        String htpasswd = "powernode:" + BCrypt.hashpw(password, BCrypt.gensalt("$2y", BCRYPT_COST)) + "\n";
        return start("powernode", password, dir -> {
            Path file = dir.resolve("htpasswd");
            Files.writeString(file, htpasswd, StandardCharsets.UTF_8);
            return "auth:\n  htpasswd:\n    realm: powernode-test\n    path: " + file + "\n";
        });
    }

    /**
     * Starts a registry that accepts Bearer tokens from {@code tokens} (distribution's {@code auth:
     * token} mode). {@link #username()} and {@link #password()} are the token server's.
     */
    public static RegistryProcess startWithTokenAuth(TokenServer tokens) {
        return start(tokens.username(), tokens.password(), dir -> {
            Path bundle = dir.resolve("token-signer.pem");
            Files.writeString(bundle, tokens.certificatePem(), StandardCharsets.US_ASCII);
            return "auth:\n  token:\n    realm: " + tokens.realm() + "\n    service: " + tokens.service()
                    + "\n    issuer: " + tokens.issuer() + "\n    rootcertbundle: " + bundle + "\n";
        });
    }

    /** Writes the auth section's files into the registry's directory and returns its YAML. */
    @FunctionalInterface
    interface AuthSection {
        String write(Path dir) throws IOException;
    }

    private static RegistryProcess start(String username, String password, AuthSection auth) {
        ensureInstalled();
        IllegalStateException last = null;
        // A free port can be taken by someone else between our probe and the registry's bind.
        for (int attempt = 0; attempt < 3; attempt++) {
            Path dir = null;
            try {
                dir = Files.createTempDirectory("powernode-registry-");
                int port = freePort();
                Path config = dir.resolve("config.yml");
                Files.writeString(config, config(dir, port, auth.write(dir)), StandardCharsets.UTF_8);
                ProcessBuilder builder = new ProcessBuilder(binary().toString(), "serve", config.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("registry.log").toFile());
                // REGISTRY_* variables override config.yml; a developer's environment must not leak in.
                builder.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_"));
                Process process = builder.start();
                RegistryProcess registry = new RegistryProcess(process, dir, port, username, password);
                try {
                    registry.awaitReady();
                    return registry;
                } catch (IllegalStateException e) {
                    registry.close();
                    last = e;
                }
            } catch (IOException e) {
                deleteTree(dir);
                throw new UncheckedIOException("cannot start docker-registry: " + e.getMessage(), e);
            }
        }
        throw last;
    }

    private static String config(Path dir, int port, String authSection) {
        return """
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: false
                http:
                  addr: 127.0.0.1:%d
                  secret: %s
                %s""".formatted(dir.resolve("storage"), port, HexFormat.of().formatHex(randomBytes(16)), authSection);
    }

    /** Ready means answering {@code GET /v2/} with 401: listening, and the auth configuration loaded. */
    private void awaitReady() {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest ping = HttpRequest.newBuilder(URI.create("http://" + registry() + "/v2/"))
                .timeout(Duration.ofSeconds(2))
                .build();
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        int lastStatus = 0;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "docker-registry exited with " + process.exitValue() + " while starting:\n" + logTail());
            }
            try {
                lastStatus =
                        http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (lastStatus == 401) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for docker-registry", e);
            }
            try {
                process.waitFor(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for docker-registry", e);
            }
        }
        throw new IllegalStateException("docker-registry on " + registry() + " did not answer GET /v2/ with 401 within "
                + STARTUP_TIMEOUT.toSeconds() + " s (last status " + lastStatus + "):\n" + logTail());
    }

    /** A client configured for this registry: allowed, plain http, its credentials. */
    public RegistryClient.Builder clientBuilder() {
        return clientBuilder(registry());
    }

    /**
     * A client configured to reach this registry under another name, such as a {@link FaultProxy}
     * in front of it: that name is allowed, plain http, and has this registry's credentials.
     */
    public RegistryClient.Builder clientBuilder(String via) {
        return RegistryClient.builder()
                .allowRegistries(Set.of(via))
                .plainHttp(Set.of(via))
                .credentials(via, username, password);
    }

    /** {@code 127.0.0.1:<port>}, as used in references and client configuration. */
    public String registry() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    /** The registry's filesystem storage root. */
    public Path storageDir() {
        return dir.resolve("storage");
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines the registry logged (warnings and errors), for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("registry.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        stopProcess();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run; nothing to remove
        }
        deleteTree(dir);
    }

    private void stopProcess() {
        if (!process.isAlive()) {
            return;
        }
        ChildProcesses.stop(process, Duration.ZERO);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover temp file is not worth failing a test over
                }
            });
        } catch (IOException ignored) {
            // as above
        }
    }
}
