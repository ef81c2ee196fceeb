import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Webhook acceptance under load, from a separate process: pre-signs REQUESTS announcements (HMAC
 * over timestamp.delivery_id.body, unique delivery ids and manifest digests), sends them with CONCURRENCY connections, prints
 * throughput and latency percentiles, and writes the publication ids of all 202s to IDS_FILE so the
 * caller can check every one has a row. JDK only; run by bench/webhook-load.sh.
 * Args: WEBHOOK_URL SECRET PLATFORM OCI_REF SHA256 SIZE REQUESTS CONCURRENCY IDS_FILE
 * With CONCURRENCY 0 it only writes the pre-signed requests to IDS_FILE, one per line
 * (delivery id, timestamp, signature, body; tab-separated), for bench/webhook-load.lua under wrk.
 */
public class WebhookLoad {
    public static void main(String[] a) throws Exception {
        URI url = URI.create(a[0]);
        byte[] secret = a[1].getBytes(StandardCharsets.US_ASCII);
        String platform = a[2], ociRef = a[3], sha = a[4];
        long size = Long.parseLong(a[5]);
        int requests = Integer.parseInt(a[6]);
        int concurrency = Integer.parseInt(a[7]);
        Path idsFile = Path.of(a[8]);

        List<HttpRequest> prepared = new ArrayList<>(requests);
        List<String> bodies = new ArrayList<>(requests);
        long ts = System.currentTimeMillis() / 1000;
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        // one manifest digest per request: the platform keeps one publication per (triple, digest),
        // so announcing one digest again would measure the "already announced" answer instead
        String repository = ociRef.substring(0, ociRef.indexOf('@'));
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        String buildTime = java.time.Instant.ofEpochSecond(ts - 60).toString();
        for (int i = 0; i < requests; i++) {
            String digest = HexFormat.of()
                    .formatHex(sha256.digest((ts + "-" + i).getBytes(StandardCharsets.US_ASCII)));
            String body = "{\"platform\":\"" + platform + "\",\"artifact_family\":\"uefi_disk\",\"arch\":\"amd64\","
                    + "\"oci_ref\":\"" + repository + "@sha256:" + digest + "\",\"sha256\":\"" + sha + "\",\"size_bytes\":"
                    + size + ",\"git_sha\":\"0123456789abcdef0123456789abcdef01234567\",\"build_time\":\"" + buildTime
                    + "\",\"run_id\":\"" + i + "\"}";
            bodies.add(body);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            String delivery = "bench-" + ts + "-" + i;
            // the signing string: timestamp.delivery_id.body (docs/ingest.md, Signing)
            mac.update((ts + "." + delivery + ".").getBytes(StandardCharsets.US_ASCII));
            String sig = "sha256=" + HexFormat.of().formatHex(mac.doFinal(bytes));
            prepared.add(HttpRequest.newBuilder(url)
                    .header("Content-Type", "application/json")
                    .header("X-Powernode-Delivery", delivery)
                    .header("X-Powernode-Timestamp", Long.toString(ts))
                    .header("X-Powernode-Signature", sig)
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                    .build());
        }
        if (concurrency == 0) {
            List<String> lines = new ArrayList<>(requests);
            for (int i = 0; i < requests; i++) {
                HttpRequest r = prepared.get(i);
                lines.add(r.headers().firstValue("X-Powernode-Delivery").orElseThrow() + "\t" + ts + "\t"
                        + r.headers().firstValue("X-Powernode-Signature").orElseThrow() + "\t" + bodies.get(i));
            }
            Files.write(idsFile, lines);
            return;
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        // warm-up on a separate delivery-id space is not possible without creating rows; the first
        // 5% of requests are the warm-up and are excluded from the latency figures
        int warm = requests / 20;
        long[] nanos = new long[requests];
        int[] status = new int[requests];
        ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long[] measuredStart = {0};
        long start = System.nanoTime();
        for (int t = 0; t < concurrency; t++) {
            Thread th = new Thread(() -> {
                int i;
                while ((i = next.getAndIncrement()) < requests) {
                    if (i == warm) {
                        measuredStart[0] = System.nanoTime();
                    }
                    long s = System.nanoTime();
                    try {
                        HttpResponse<String> r = http.send(prepared.get(i), HttpResponse.BodyHandlers.ofString());
                        status[i] = r.statusCode();
                        if (r.statusCode() == 202) {
                            String b = r.body();
                            int k = b.indexOf("\"publication_id\":\"") + 18;
                            ids.add(b.substring(k, k + 36));
                        }
                    } catch (IOException | InterruptedException e) {
                        if (errors.incrementAndGet() == 1) {
                            System.err.println("first I/O error: " + e);
                        }
                    }
                    nanos[i] = System.nanoTime() - s;
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        long end = System.nanoTime();
        long accepted = Arrays.stream(status).filter(s -> s == 202).count();
        long[] measured = Arrays.copyOfRange(nanos, warm, requests);
        Arrays.sort(measured);
        double seconds = (end - measuredStart[0]) / 1e9;
        System.out.printf("webhook acceptance: %d requests, concurrency %d, %d accepted (202), %d other, %d I/O errors%n",
                requests, concurrency, accepted, requests - accepted - errors.get(), errors.get());
        System.out.printf("  throughput (after %d warm-up requests): %.0f req/s; whole run %.1f s%n",
                warm, (requests - warm) / seconds, (end - start) / 1e9);
        System.out.printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f%n",
                pct(measured, 50), pct(measured, 90), pct(measured, 99), measured[measured.length - 1] / 1e6);
        Files.write(idsFile, ids);
    }

    static double pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
