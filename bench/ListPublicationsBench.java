import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Latency of GET /api/v1/system/disk_image_publications (page of 50) against a seeded database.
 * Run by bench/list-publications.sh; JDK only (java.net.http), launched as a single-file program.
 * Args: BASE_URL TOKEN PLATFORM_COUNT REQUESTS CONCURRENCY
 */
public class ListPublicationsBench {
    public static void main(String[] args) throws Exception {
        String base = args[0];
        String token = args[1];
        int platforms = Integer.parseInt(args[2]);
        int requests = Integer.parseInt(args[3]);
        int concurrency = Integer.parseInt(args[4]);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Random random = new Random(42);
        String[] statuses = {"published", "retired", "failed", "queued"};

        List<String> paths = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            paths.add(switch (i % 4) {
                case 0 -> "/api/v1/system/disk_image_publications?per_page=50&page=" + (1 + random.nextInt(200));
                case 1 -> "/api/v1/system/disk_image_publications?per_page=50&platform=bench-" + random.nextInt(platforms);
                case 2 -> "/api/v1/system/disk_image_publications?per_page=50&status=" + statuses[random.nextInt(4)]
                        + "&page=" + (1 + random.nextInt(20));
                default -> "/api/v1/system/node_platforms/bench-" + random.nextInt(platforms)
                        + "/disk_image_publications?per_page=50";
            });
        }
        // warm-up: JIT, connection pool, PostgreSQL plan cache
        for (int i = 0; i < Math.min(1000, requests); i++) {
            call(http, base, token, paths.get(i));
        }
        long[] nanos = new long[requests];
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            int worker = t;
            futures.add(pool.submit(() -> {
                for (int i = worker; i < requests; i += concurrency) {
                    long s = System.nanoTime();
                    call(http, base, token, paths.get(i));
                    nanos[i] = System.nanoTime() - s;
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        Arrays.sort(nanos);
        System.out.printf(
                "list publications (page of 50, %d platforms): %d requests, concurrency %d, %.0f req/s%n",
                platforms, requests, concurrency, requests / seconds);
        System.out.printf(
                "  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f%n",
                pct(nanos, 50), pct(nanos, 90), pct(nanos, 99), nanos[nanos.length - 1] / 1e6);
    }

    static double pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    static void call(HttpClient http, String base, String token, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
        HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + " -> HTTP " + r.statusCode() + ": " + new String(r.body()));
        }
        if (r.body().length < 20) {
            throw new IllegalStateException(path + " -> suspiciously small body");
        }
    }
}
