import com.sun.management.OperatingSystemMXBean;
import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.webhook.WebhookSignature;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.springframework.security.crypto.bcrypt.BCrypt;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Java side of bench/ingest-throughput.sh: the runner's part (push and sign an artifact, send
 * the signed webhook) and the timed client-only pull. Compiled once against the classpath of
 * {@code common} + {@code testkit} by the script; not a test, prints numbers. Each subcommand
 * appends {@code key=value} lines to the file named by {@code BENCH_RESULTS} for the summary.
 *
 * <pre>
 * htpasswd USER PASSWORD
 * free-port
 * push REGISTRY USER PASSWORD REPO FILE PUBLIC_KEY_OUT         → MANIFEST_DIGEST LAYER_HEX SIZE
 * fetch REGISTRY USER PASSWORD REPO LAYER_HEX SIZE RUNS REGISTRY_PID
 * ingest API_URL TOKEN WEBHOOK_URL SECRET PLATFORM OCI_REF LAYER_HEX SIZE TIMEOUT_SECONDS KEY
 * </pre>
 */
public class IngestThroughput {
    private static final double MIB = 1024 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static void main(String[] a) throws Exception {
        switch (a[0]) {
            case "htpasswd" -> htpasswd(a[1], a[2]);
            case "free-port" -> freePort();
            case "push" -> push(a[1], a[2], a[3], a[4], Path.of(a[5]), Path.of(a[6]));
            case "fetch" ->
                fetch(a[1], a[2], a[3], a[4], a[5], Long.parseLong(a[6]), Integer.parseInt(a[7]), Long.parseLong(a[8]));
            case "ingest" -> ingest(a);
            default -> throw new IllegalArgumentException("unknown subcommand " + a[0]);
        }
    }

    /** The registry checks bcrypt on every request: the lowest cost keeps it out of the figures. */
    static void htpasswd(String user, String password) {
        System.out.println(user + ":" + BCrypt.hashpw(password, BCrypt.gensalt("$2y", 4)));
    }

    static void freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            System.out.println(s.getLocalPort());
        }
    }

    static RegistryClient client(String registry, String user, String password) {
        return RegistryClient.builder()
                .allowRegistries(Set.of(registry))
                .plainHttp(Set.of(registry))
                .credentials(registry, user, password)
                .build();
    }

    /** The build times of the two manifests {@code push} writes (ingest "first" and "second"). */
    static final String BUILD_1 = "2026-01-01T00:00:00Z";

    static final String BUILD_2 = "2026-01-01T00:00:01Z";

    /** What a CI runner does: one-layer disk-image artifact, then a cosign key-pair signature. */
    static void push(String registry, String user, String password, String repo, Path file, Path publicKeyOut)
            throws Exception {
        RegistryClient client = client(registry, user, password);
        long start = System.nanoTime();
        DiskImageArtifacts.Pushed pushed = DiskImageArtifacts.push(
                client,
                registry,
                repo,
                List.of(new DiskImageArtifacts.Layer(file, "disk.img", MediaTypes.OCTET_STREAM)),
                Map.of("dev.powernode.bench", "ingest-1", "org.opencontainers.image.created", BUILD_1),
                null,
                RegistryClient.Progress.NONE);
        double pushSeconds = (System.nanoTime() - start) / 1e9;
        // the second ingest pulls the same layer under its own manifest (a later build): the platform
        // keeps one publication per manifest digest, so the same manifest again would create nothing
        DiskImageArtifacts.Pushed second = DiskImageArtifacts.push(
                client,
                registry,
                repo,
                List.of(new DiskImageArtifacts.Layer(file, "disk.img", MediaTypes.OCTET_STREAM)),
                Map.of("dev.powernode.bench", "ingest-2", "org.opencontainers.image.created", BUILD_2),
                null,
                RegistryClient.Progress.NONE);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = g.generateKeyPair();
        CosignSigner.sign(client, pushed.ref(), key.getPrivate());
        CosignSigner.sign(client, second.ref(), key.getPrivate());
        Files.writeString(publicKeyOut, PemKeys.toPem(key.getPublic()));
        Descriptor layer = pushed.primary();
        System.err.printf(
                "  pushed %s (one layer, %d bytes) in %.1f s (%.0f MiB/s, chunked upload), signed with a fresh P-256 key%n",
                pushed.ref(), layer.size(), pushSeconds, layer.size() / MIB / pushSeconds);
        System.out.println(pushed.ref().digest().hex() + " " + second.ref().digest().hex() + " "
                + layer.digest().hex() + " " + layer.size());
    }

    /**
     * Our client alone: {@code fetchBlob(sink = null)} as the ingest job calls it, RUNS times in one
     * JVM (run 1 is what a fresh process gets; later runs are JIT-warm). Then two ceilings that
     * split the cost: the same GET read through {@code java.net.http} without hashing, and
     * SHA-256 of the same number of bytes from memory.
     */
    static void fetch(
            String registry,
            String user,
            String password,
            String repo,
            String hex,
            long size,
            int runs,
            long registryPid)
            throws Exception {
        RegistryClient client = client(registry, user, password);
        Descriptor blob = Descriptor.of(MediaTypes.OCTET_STREAM, new Digest(hex), size);
        double gib = size / (MIB * 1024);
        for (int i = 1; i <= runs; i++) {
            long cpu = processCpuNanos();
            double registryCpu = cpuSeconds(registryPid);
            long start = System.nanoTime();
            RegistryClient.BlobResult r = client.fetchBlob(registry, repo, blob, null, RegistryClient.Progress.NONE);
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = r.size() / MIB / seconds;
            double cpuPerGib = (processCpuNanos() - cpu) / 1e9 / gib;
            double registryPerGib = (cpuSeconds(registryPid) - registryCpu) / gib;
            System.out.printf(
                    "  RegistryClient.fetchBlob run %d: %6.2f s  %6.0f MiB/s  cpu %4.2f s/GiB (+ registry %4.2f)"
                            + "  digest ok, %d resumes%n",
                    i, seconds, rate, cpuPerGib, registryPerGib, r.resumes());
            if (i == 1) {
                result("client_first_mibs", rate);
                result("client_first_cpu", cpuPerGib);
            }
            if (i == runs) {
                result("client_last_mibs", rate);
                result("client_last_cpu", cpuPerGib);
            }
        }

        // Second runs: both pieces JIT-warm, as in run RUNS above.
        Timing transport = warm(size, () -> rawGet(registry, user, password, repo, hex, size));
        System.out.printf(
                "  java.net.http GET alone (ofInputStream, 128 KiB reads, no hashing):  %6.0f MiB/s  cpu %4.2f s/GiB%n",
                transport.mibs(), transport.cpuPerGib());
        result("client_transport_mibs", transport.mibs());
        result("client_transport_cpu", transport.cpuPerGib());

        // the JDK's other client, blocking socket reads straight into the caller's buffer
        Timing urlConnection = warm(size, () -> urlConnectionGet(registry, user, password, repo, hex, size, false));
        System.out.printf(
                "  HttpURLConnection GET alone (1 MiB reads, no hashing):                %6.0f MiB/s  cpu %4.2f s/GiB%n",
                urlConnection.mibs(), urlConnection.cpuPerGib());
        result("client_urlconnection_mibs", urlConnection.mibs());
        Timing overlapped = warm(size, () -> urlConnectionGet(registry, user, password, repo, hex, size, true));
        System.out.printf(
                "  HttpURLConnection GET, SHA-256 on a second thread (1 MiB buffers):    %6.0f MiB/s  cpu %4.2f s/GiB%n",
                overlapped.mibs(), overlapped.cpuPerGib());
        result("client_overlapped_mibs", overlapped.mibs());

        byte[] buffer = new byte[128 * 1024];
        new Random(1).nextBytes(buffer);
        Timing hash = warm(size, () -> {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (long done = 0; done < size; done += buffer.length) {
                sha.update(buffer, 0, (int) Math.min(buffer.length, size - done));
            }
            sha.digest();
        });
        System.out.printf(
                "  MessageDigest SHA-256 alone (%s provider, 128 KiB updates from memory): %6.0f MiB/s  cpu %4.2f s/GiB%n",
                MessageDigest.getInstance("SHA-256").getProvider().getName(), hash.mibs(), hash.cpuPerGib());
        result("client_hash_mibs", hash.mibs());
        result("client_hash_cpu", hash.cpuPerGib());
    }

    interface Step {
        void run() throws Exception;
    }

    record Timing(double mibs, double cpuPerGib) {}

    /** The second of two runs of {@code step}: the first warms the JIT and the page cache. */
    static Timing warm(long size, Step step) throws Exception {
        timed(size, step);
        return timed(size, step);
    }

    static Timing timed(long size, Step step) throws Exception {
        long cpu = processCpuNanos();
        long start = System.nanoTime();
        step.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Timing(size / MIB / seconds, (processCpuNanos() - cpu) / 1e9 / (size / (MIB * 1024)));
    }

    private static long processCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** user + system CPU of another process, from /proc (clock ticks are 1/100 s on Linux). */
    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    /** A GET with HttpURLConnection; with {@code hash}, SHA-256 runs on a second thread over filled buffers. */
    private static void urlConnectionGet(
            String registry, String user, String password, String repo, String hex, long size, boolean hash)
            throws Exception {
        var url = URI.create("http://" + registry + "/v2/" + repo + "/blobs/sha256:" + hex).toURL();
        var c = (java.net.HttpURLConnection) url.openConnection();
        c.setRequestProperty(
                "Authorization",
                "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        int bufferSize = 1 << 20;
        java.util.concurrent.BlockingQueue<byte[]> free = new java.util.concurrent.ArrayBlockingQueue<>(4);
        java.util.concurrent.BlockingQueue<Object[]> full = new java.util.concurrent.ArrayBlockingQueue<>(4);
        for (int i = 0; i < 4; i++) {
            free.add(new byte[bufferSize]);
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Thread hasher = hash
                ? new Thread(() -> {
                    try {
                        while (true) {
                            Object[] item = full.take();
                            int n = (Integer) item[1];
                            if (n < 0) {
                                return;
                            }
                            sha.update((byte[]) item[0], 0, n);
                            free.put((byte[]) item[0]);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                })
                : null;
        if (hasher != null) {
            hasher.start();
        }
        long done = 0;
        try (InputStream in = c.getInputStream()) {
            while (true) {
                byte[] b = hash ? free.take() : free.peek();
                int n = in.readNBytes(b, 0, bufferSize);
                if (n <= 0) {
                    break;
                }
                done += n;
                if (hash) {
                    full.put(new Object[] {b, n});
                }
            }
        }
        if (hasher != null) {
            full.put(new Object[] {null, -1});
            hasher.join();
            if (!java.util.HexFormat.of().formatHex(sha.digest()).equals(hex)) {
                throw new IllegalStateException("digest mismatch");
            }
        }
        if (c.getResponseCode() != 200 || done != size) {
            throw new IllegalStateException("HttpURLConnection GET: HTTP " + c.getResponseCode() + ", " + done + " bytes");
        }
    }

    private static void rawGet(String registry, String user, String password, String repo, String hex, long size)
            throws Exception {
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpRequest get = HttpRequest.newBuilder(
                        URI.create("http://" + registry + "/v2/" + repo + "/blobs/sha256:" + hex))
                .header("Authorization", "Basic " + basic)
                .build();
        long done = 0;
        HttpResponse<InputStream> response = http.send(get, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[128 * 1024];
            int n;
            while ((n = in.read(buffer)) != -1) {
                done += n;
            }
        }
        if (response.statusCode() != 200 || done != size) {
            throw new IllegalStateException("raw GET: HTTP " + response.statusCode() + ", " + done + " bytes");
        }
    }

    /**
     * The service end to end: POST the signed webhook (a fresh delivery id; ingest "second" names the
     * second manifest over the same layer, since one manifest is one publication), poll the publication until it is published (or
     * failed), then read its state history for the service's own timestamps. Results are recorded
     * under {@code KEY_*}.
     */
    static void ingest(String[] a) throws Exception {
        String api = a[1];
        String token = a[2];
        URI webhook = URI.create(a[3]);
        byte[] secret = a[4].getBytes(StandardCharsets.US_ASCII);
        String platform = a[5];
        String ociRef = a[6];
        String hex = a[7];
        long size = Long.parseLong(a[8]);
        Duration timeout = Duration.ofSeconds(Long.parseLong(a[9]));
        String key = a[10];
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        String body = "{\"platform\":\"" + platform + "\",\"artifact_family\":\"uefi_disk\",\"arch\":\"amd64\","
                + "\"oci_ref\":\"" + ociRef + "\",\"sha256\":\"" + hex + "\",\"size_bytes\":" + size
                + ",\"git_sha\":\"0123456789abcdef0123456789abcdef01234567\",\"build_time\":\""
                + (key.equals("first") ? BUILD_1 : BUILD_2) + "\",\"run_id\":\"bench\"}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        long ts = System.currentTimeMillis() / 1000;
        String delivery = "bench-" + key + "-" + ts + "-" + ProcessHandle.current().pid();
        HttpRequest post = HttpRequest.newBuilder(webhook)
                .header("Content-Type", "application/json")
                .header(WebhookSignature.DELIVERY_HEADER, delivery)
                .header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(ts))
                .header(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(secret, ts, delivery, bytes))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .build();
        Instant sent = Instant.now();
        long start = System.nanoTime();
        HttpResponse<String> accepted = http.send(post, HttpResponse.BodyHandlers.ofString());
        double acceptMs = (System.nanoTime() - start) / 1e6;
        if (accepted.statusCode() != 202) {
            throw new IllegalStateException("webhook: HTTP " + accepted.statusCode() + " " + accepted.body());
        }
        String id = JSON.readTree(accepted.body()).path("publication_id").asString();
        System.out.printf("  webhook accepted (202) in %.0f ms: publication %s%n", acceptMs, id);

        HttpRequest poll = HttpRequest.newBuilder(URI.create(api + "/api/v1/system/disk_image_publications/" + id))
                .header("Authorization", "Bearer " + token)
                .build();
        long deadline = start + timeout.toNanos();
        JsonNode publication;
        while (true) {
            publication = JSON.readTree(
                    http.send(poll, HttpResponse.BodyHandlers.ofString()).body());
            String status = publication.path("status").asString();
            if (status.equals("published") || status.equals("failed")) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "publication " + id + " still '" + status + "' after " + timeout.toSeconds() + " s");
            }
            // the history below has the exact times; polling faster only loads the service
            Thread.sleep(250);
        }
        double wallSeconds = (System.nanoTime() - start) / 1e9;
        if (!publication.path("status").asString().equals("published")) {
            throw new IllegalStateException("publication " + id + " failed: "
                    + publication.path("error_message").asString());
        }

        HttpRequest history = HttpRequest.newBuilder(
                        URI.create(api + "/api/v1/system/disk_image_publications/" + id + "/history"))
                .header("Authorization", "Bearer " + token)
                .build();
        Instant verifying = null;
        Instant published = null;
        for (JsonNode t : JSON.readTree(
                        http.send(history, HttpResponse.BodyHandlers.ofString()).body())
                .path("data")) {
            Instant at = Instant.parse(t.path("at").asString());
            switch (t.path("to").asString()) {
                case "verifying" -> verifying = verifying == null ? at : verifying;
                case "published" -> published = at;
                default -> {}
            }
        }
        System.out.printf(
                "  webhook sent -> published seen by polling (250 ms): %.2f s  %.0f MiB/s%n",
                wallSeconds, size / MIB / wallSeconds);
        result(key + "_wall_s", wallSeconds);
        result(key + "_wall_mibs", size / MIB / wallSeconds);
        if (verifying != null && published != null) {
            double jobSeconds = Duration.between(verifying, published).toNanos() / 1e9;
            double pickup = Duration.between(sent, verifying).toNanos() / 1e9;
            System.out.printf(
                    "  service history: job picked up %.2f s after the webhook; verifying -> published %.2f s"
                            + "  %.0f MiB/s (manifest, blob, signature, publish)%n",
                    pickup, jobSeconds, size / MIB / jobSeconds);
            result(key + "_job_s", jobSeconds);
            result(key + "_job_mibs", size / MIB / jobSeconds);
            result(key + "_pickup_s", pickup);
        }
        result(key + "_publication", id);
    }

    private static void result(String key, Object value) throws IOException {
        String file = System.getenv("BENCH_RESULTS");
        if (file == null) {
            return;
        }
        String text = value instanceof Double d ? String.format(Locale.ROOT, "%.2f", d) : value.toString();
        Files.writeString(Path.of(file), key + "=" + text + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
