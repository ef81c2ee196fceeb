import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.webhook.WebhookSignature;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Java side of bench/replicas-ingest.sh; not a test, prints numbers.
 *
 * <pre>
 * push REGISTRY REPO COUNT SIZE_MIB WORK   → WORK/cosign.pub, WORK/artifacts (ref layer_hex size build_time)
 * announce WORK SECRET PLATFORM TIMEOUT_S TOKEN URL...   (webhook URLs, one per replica, used in turn)
 * </pre>
 */
public class ReplicasIngest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static void main(String[] a) throws Exception {
        switch (a[0]) {
            case "push" -> push(a[1], a[2], Integer.parseInt(a[3]), Integer.parseInt(a[4]), Path.of(a[5]));
            case "announce" -> announce(a);
            default -> throw new IllegalArgumentException("unknown subcommand " + a[0]);
        }
    }

    /** COUNT one-layer artifacts of SIZE_MIB random bytes each, pushed and signed (a fresh key pair). */
    static void push(String registry, String repo, int count, int sizeMib, Path work) throws Exception {
        RegistryClient client = RegistryClient.builder()
                .allowRegistries(Set.of(registry))
                .plainHttp(Set.of(registry))
                .build();
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = g.generateKeyPair();
        Files.writeString(work.resolve("cosign.pub"), PemKeys.toPem(key.getPublic()));
        List<String> lines = new ArrayList<>();
        long start = System.nanoTime();
        Path disk = work.resolve("disk.img");
        for (int i = 0; i < count; i++) {
            SplittableRandom random = new SplittableRandom(1000 + i);
            byte[] buffer = new byte[1 << 20];
            try (OutputStream out = Files.newOutputStream(disk)) {
                for (int m = 0; m < sizeMib; m++) {
                    for (int j = 0; j < buffer.length; j += 8) {
                        long r = random.nextLong();
                        for (int k = 0; k < 8; k++) {
                            buffer[j + k] = (byte) (r >>> (8 * k));
                        }
                    }
                    out.write(buffer);
                }
            }
            String built = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i).toString();
            DiskImageArtifacts.Pushed pushed = DiskImageArtifacts.push(
                    client,
                    registry,
                    repo,
                    List.of(new DiskImageArtifacts.Layer(disk, "disk.img", MediaTypes.OCTET_STREAM)),
                    Map.of("org.opencontainers.image.created", built),
                    null,
                    RegistryClient.Progress.NONE);
            CosignSigner.sign(client, pushed.ref(), key.getPrivate());
            lines.add(pushed.ref() + " " + pushed.primary().digest().hex() + " " + pushed.primary().size() + " "
                    + built);
        }
        Files.delete(disk);
        Files.write(work.resolve("artifacts"), lines);
        System.err.printf(
                "  pushed and signed %d artifacts of %d MiB in %.1f s%n", count, sizeMib, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Sends every announcement at once (one thread each), to the replicas in turn, then follows the
     * publications until all are published (or one failed, or the timeout): prints the wall time
     * from the first send to the last publication.
     */
    static void announce(String[] a) throws Exception {
        Path work = Path.of(a[1]);
        byte[] secret = a[2].getBytes(StandardCharsets.US_ASCII);
        String platform = a[3];
        Duration timeout = Duration.ofSeconds(Long.parseLong(a[4]));
        String token = a[5];
        List<URI> hooks = new ArrayList<>();
        for (int i = 6; i < a.length; i++) {
            hooks.add(URI.create(a[i]));
        }
        List<String[]> artifacts = Files.readAllLines(work.resolve("artifacts")).stream()
                .map(l -> l.split(" "))
                .toList();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ExecutorService pool = Executors.newFixedThreadPool(artifacts.size());
        long start = System.nanoTime();
        List<Future<String>> sent = new ArrayList<>();
        for (int i = 0; i < artifacts.size(); i++) {
            String[] art = artifacts.get(i);
            URI hook = hooks.get(i % hooks.size());
            int n = i;
            sent.add(pool.submit(() -> {
                String body = "{\"platform\":\"" + platform + "\",\"artifact_family\":\"uefi_disk\",\"arch\":\"amd64\","
                        + "\"oci_ref\":\"" + art[0] + "\",\"sha256\":\"" + art[1] + "\",\"size_bytes\":" + art[2]
                        + ",\"git_sha\":\"0123456789abcdef0123456789abcdef01234567\",\"build_time\":\"" + art[3]
                        + "\",\"run_id\":\"bench-" + n + "\"}";
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                long ts = System.currentTimeMillis() / 1000;
                String delivery = "replicas-" + n + "-" + ts;
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(hook)
                                .header("Content-Type", "application/json")
                                .header(WebhookSignature.DELIVERY_HEADER, delivery)
                                .header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(ts))
                                .header(
                                        WebhookSignature.SIGNATURE_HEADER,
                                        WebhookSignature.sign(secret, ts, delivery, bytes))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 202) {
                    throw new IllegalStateException("webhook to " + hook + ": HTTP " + r.statusCode() + " " + r.body());
                }
                return JSON.readTree(r.body()).path("publication_id").asString();
            }));
        }
        List<String> ids = new ArrayList<>();
        for (Future<String> f : sent) {
            ids.add(f.get());
        }
        pool.shutdown();
        System.out.printf(
                "  %d announcements accepted (202) by %d replicas in %.2f s%n",
                ids.size(), hooks.size(), (System.nanoTime() - start) / 1e9);
        String api = hooks.get(0).getScheme() + "://" + hooks.get(0).getRawAuthority();
        long deadline = start + timeout.toNanos();
        List<String> pending = new ArrayList<>(ids);
        while (!pending.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(pending.size() + " not published within " + timeout);
            }
            for (var it = pending.iterator(); it.hasNext(); ) {
                String id = it.next();
                String status = JSON.readTree(http.send(
                                        HttpRequest.newBuilder(URI.create(api + "/api/v1/system/disk_image_publications/" + id))
                                                .header("Authorization", "Bearer " + token)
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body())
                        .path("status")
                        .asString();
                if (status.equals("failed")) {
                    throw new IllegalStateException("publication " + id + " failed");
                }
                if (status.equals("published") || status.equals("retired")) {
                    it.remove();
                }
            }
            Thread.sleep(200);
        }
        double wall = (System.nanoTime() - start) / 1e9;
        long bytes = artifacts.stream().mapToLong(x -> Long.parseLong(x[2])).sum();
        System.out.printf(
                "  all %d published (or published and retired by a newer one) in %.1f s wall: %.0f MiB/s verified in all%n",
                ids.size(), wall, bytes / 1048576.0 / wall);
    }
}
