import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load generator for bench/fleet-reports.sh: NODES simulated nodes (tokens pnn_bench_<i>), each
 * reporting every INTERVAL seconds, spread evenly (an open-loop schedule: latency counts from the
 * moment a report was due, so a slow server cannot hide by slowing the generator), for DURATION
 * seconds; meanwhile the platform's convergence is queried CONVERGENCE_PER_S times a second, each
 * query followed by a baseline read of one platform row (the machine's own tail under that load).
 * JDK only, launched as a single-file program.
 * A warm-up of WARMUP_S seconds at the same rate comes first (each node's first report, which adds a
 * row, and the JIT's compilation of the hot path): its numbers are printed apart, the measured ones
 * are a running replica's.
 * Args: BASE_URL ADMIN_TOKEN NODES INTERVAL_S DURATION_S PUBLICATION_ID SHA256 PLATFORM CONVERGENCE_PER_S [WARMUP_S]
 */
public class FleetReports {
    public static void main(String[] a) throws Exception {
        try {
            run(a);
        } finally {
            System.exit(0); // the scheduler and client pools are not daemons
        }
    }

    static void run(String[] a) throws Exception {
        String base = a[0];
        String admin = a[1];
        int nodes = Integer.parseInt(a[2]);
        int interval = Integer.parseInt(a[3]);
        int duration = Integer.parseInt(a[4]);
        String publication = a[5];
        String sha = a[6];
        String platform = a[7];
        int convergencePerS = Integer.parseInt(a[8]);
        int warmup = a.length > 9 ? Integer.parseInt(a[9]) : 0;
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newFixedThreadPool(8))
                .build();

        int warm = (int) ((long) nodes * warmup / interval);
        int total = warm + (int) ((long) nodes * duration / interval);
        long[] reportNanos = new long[total];
        Arrays.fill(reportNanos, -1);
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(total);
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        double gapNanos = (double) TimeUnit.SECONDS.toNanos(interval) / nodes;
        for (int i = 0; i < total; i++) {
            int seq = i;
            int node = i % nodes;
            long due = start + (long) (i * gapNanos);
            timer.schedule(
                    () -> {
                        String body = "{\"report_id\":\"" + UUID.randomUUID() + "\",\"publication_id\":\"" + publication
                                + "\",\"sha256\":\"" + sha + "\",\"result\":\"healthy\",\"agent_version\":\"bench\","
                                + "\"uptime_seconds\":" + (1000 + seq / nodes * interval) + "}";
                        HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/api/v1/system/node_api/reports"))
                                .timeout(Duration.ofSeconds(30))
                                .header("Authorization", "Bearer pnn_bench_" + node)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build();
                        http.sendAsync(r, HttpResponse.BodyHandlers.discarding()).whenComplete((resp, err) -> {
                            if (err != null) {
                                errors.incrementAndGet();
                            } else {
                                statuses.computeIfAbsent(resp.statusCode(), k -> new AtomicInteger())
                                        .incrementAndGet();
                                reportNanos[seq] = System.nanoTime() - due;
                            }
                            done.countDown();
                        });
                    },
                    Math.max(0, due - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
        }

        List<Long> convergence = new ArrayList<>();
        HttpRequest conv = HttpRequest.newBuilder(
                        URI.create(base + "/api/v1/system/node_platforms/" + platform + "/convergence"))
                .header("Authorization", "Bearer " + admin)
                .timeout(Duration.ofSeconds(30))
                .build();
        // The baseline: the cheapest authenticated read (one platform row), sent right after each
        // convergence query, so both see the same load and the machine's own tail is visible apart.
        HttpRequest baselineRequest = HttpRequest.newBuilder(
                        URI.create(base + "/api/v1/system/node_platforms/" + platform))
                .header("Authorization", "Bearer " + admin)
                .timeout(Duration.ofSeconds(30))
                .build();
        List<Long> baseline = new ArrayList<>();
        // the queries get a client of their own: through the reports' client a response would wait
        // in its executor's queue behind hundreds of report completions, which is the generator's
        // delay, not the platform's
        HttpClient reader = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newSingleThreadExecutor())
                .build();
        long measured = start + TimeUnit.SECONDS.toNanos(warmup);
        while (System.nanoTime() < measured) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        long end = measured + TimeUnit.SECONDS.toNanos(duration);
        int convergenceErrors = 0;
        String lastBody = "";
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            try {
                HttpResponse<String> resp = reader.send(conv, HttpResponse.BodyHandlers.ofString());
                long t = System.nanoTime() - t0;
                if (resp.statusCode() == 200) {
                    convergence.add(t);
                    lastBody = resp.body();
                } else {
                    convergenceErrors++;
                }
            } catch (java.io.IOException e) {
                convergenceErrors++; // a timeout (30 s) counts as an error, not a latency
            }
            long b0 = System.nanoTime();
            try {
                HttpResponse<Void> resp = reader.send(baselineRequest, HttpResponse.BodyHandlers.discarding());
                if (resp.statusCode() == 200) {
                    baseline.add(System.nanoTime() - b0);
                }
            } catch (java.io.IOException e) {
                // counted by its absence: the row prints how many were answered
            }
            long sleep = TimeUnit.SECONDS.toNanos(1) / convergencePerS - (System.nanoTime() - t0);
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
        }
        if (!done.await(120, TimeUnit.SECONDS)) {
            System.out.println("WARNING: " + done.getCount() + " reports still outstanding after 120 s");
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        timer.shutdownNow();

        if (warm > 0) {
            long[] w = Arrays.stream(reportNanos, 0, warm).filter(n -> n >= 0).sorted().toArray();
            System.out.printf(
                    "warm-up (not counted below): %d reports over %d s, answered %d, p50 %.1f ms, p99 %.1f ms%n",
                    warm, warmup, w.length, pct(w, 50), pct(w, 99));
        }
        long[] ok = Arrays.stream(reportNanos, warm, total).filter(n -> n >= 0).sorted().toArray();
        long errorsMeasured = Arrays.stream(reportNanos, warm, total).filter(n -> n < 0).count();
        System.out.printf(
                "reports: %d due over %d s (%d nodes every %d s = %.0f/s); answered %d (%s, warm-up included),"
                        + " unanswered %d; achieved %.0f/s%n",
                total - warm,
                duration,
                nodes,
                interval,
                (double) nodes / interval,
                ok.length,
                statuses,
                errorsMeasured,
                ok.length / Math.max(1e-9, elapsed - warmup));
        System.out.printf(
                "report latency from due time: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                pct(ok, 50), pct(ok, 99), ok.length == 0 ? 0 : ok[ok.length - 1] / 1e6);
        long[] c = convergence.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(
                "convergence query (%d nodes, under that load): %d queries, p50 %.1f ms, p99 %.1f ms, errors %d%n",
                nodes, c.length, pct(c, 50), pct(c, 99), convergenceErrors);
        long[] b = baseline.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(
                "baseline read (one platform row, sent after each convergence query, same load): %d answered,"
                        + " p50 %.1f ms, p99 %.1f ms%n",
                b.length, pct(b, 50), pct(b, 99));
        System.out.println("last convergence: " + lastBody.substring(0, Math.min(400, lastBody.length())));
    }

    static double pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
