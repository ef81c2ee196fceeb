package dev.powernode.server.replicas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.OciRef;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.RegistryFixture;
import dev.powernode.server.support.ServiceProcesses;
import dev.powernode.server.support.WebhookCaller;
import dev.powernode.testkit.FaultProxy;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Two replicas of the packaged service (real processes on their own ports) on one PostgreSQL
 * database and one registry (issue 19): webhooks spread across both, a direct upload started on
 * one and finished on the other, a secret rotation on one refused at once on the other, retention
 * run on both at the same time, and the replica running an ingest killed with SIGKILL.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoReplicasIT {
    static final String PLATFORM = "rep";

    @TempDir
    static Path work;

    static RegistryFixture registry;
    static ServiceProcesses services;
    static ServiceProcesses.Service a;
    static ServiceProcesses.Service b;
    static HttpServer eventReceiver;
    static String webhookUrl;
    static String secret;
    static final List<DiskImageArtifacts.Pushed> announced = new ArrayList<>();

    @BeforeAll
    static void startTwoReplicas() throws Exception {
        ServiceProcesses.reset();
        registry = new RegistryFixture();
        services = new ServiceProcesses(work);
        String[] settings = {
            "--powernode.upload.repository=" + registry.registry.registry() + "/uploads",
            "--powernode.upload.chunk-size=256KB",
            "--powernode.retention.grace=0s",
            "--powernode.retention.cron=0 0 0 1 1 *",
            "--powernode.events.poll-interval=200ms",
        };
        a = services.launch("replica-a", registry, ServiceProcesses.freePort(), settings);
        b = services.launch("replica-b", registry, ServiceProcesses.freePort(), settings);
        ServiceProcesses.awaitReady(a);
        ServiceProcesses.awaitReady(b);

        Api admin = a.admin();
        assertThat(admin.post(
                                "/api/v1/system/node_platforms",
                                "{\"slug\":\"" + PLATFORM + "\",\"name\":\"Replicas\",\"cosign_public_keys\":[\""
                                        + registry.publicKeyPem().replace("\n", "\\n") + "\"]}")
                        .status())
                .isEqualTo(201);
        JsonNode w = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"rep-builder\"}")
                .json();
        webhookUrl = w.get("webhook_url").asString();
        secret = w.get("webhook_secret").asString();

        // notifications go somewhere that takes them, so the outbox drains
        eventReceiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        eventReceiver.createContext("/events", x -> {
            x.getRequestBody().readAllBytes();
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        eventReceiver.start();
        Api.Response sub = admin.post(
                "/api/v1/system/event_subscriptions",
                "{\"url\":\"http://127.0.0.1:" + eventReceiver.getAddress().getPort()
                        + "/events\",\"events\":[\"published\",\"promoted\",\"purged\"]}");
        assertThat(sub.status()).as(sub.body()).isEqualTo(201);
    }

    @AfterAll
    static void stopEverything() {
        if (services != null) {
            services.close();
        }
        if (eventReceiver != null) {
            eventReceiver.stop(0);
        }
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    @Order(1)
    void webhooksSpreadAcrossBothReplicasArePublishedOnceEach() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int seed = 1; seed <= 6; seed++) {
            DiskImageArtifacts.Pushed pushed = registry.push(PLATFORM, 300_000, seed);
            registry.sign(pushed.ref());
            announced.add(pushed);
            Api.Response r = announce(seed % 2 == 0 ? a : b, pushed);
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            ids.add(r.json().get("publication_id").asString());
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> ids.stream().allMatch(id -> isPublished(id)));

        assertThat(activeIn("uefi_disk")).as("one current publication").containsExactly(ids.get(5));
        for (String id : ids) {
            assertThat(ServiceProcesses.count(
                            "select count(*) from disk_image_publication_transition where publication_id = ?"
                                    + " and to_status = 'published'",
                            UUID.fromString(id)))
                    .as("published once: " + id)
                    .isOne();
            assertThat(ServiceProcesses.count(
                            "select count(*) from outbound_event where publication_id = ? and type = 'published'",
                            UUID.fromString(id)))
                    .as("one published event: " + id)
                    .isOne();
        }
        assertThat(ServiceProcesses.count("select count(*) from webhook_delivery where http_status = 202"))
                .isEqualTo(6);
        String metrics = a.admin().get("/actuator/prometheus").body();
        assertThat(metrics)
                .contains("powernode_jobs_lag_seconds")
                .contains("powernode_jobs_due")
                .contains("powernode_jobs_running");
    }

    @Test
    @Order(2)
    void aDirectUploadStartedOnOneReplicaFinishesOnTheOther() throws Exception {
        byte[] file = new byte[3 * 1024 * 1024 + 17];
        new Random(11).nextBytes(file);
        Api.Response w = a.admin().post("/api/v1/workers", "{\"label\":\"runner-rep\"}");
        assertThat(w.status()).as(w.body()).isEqualTo(201);
        String token = w.json().get("upload_token").asString();
        Api workerA = a.admin().as(token);
        Api workerB = b.admin().as(token);
        String base = "/api/v1/system/worker_api/disk_image_publications";
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file));
        Api.Response created = workerA.post(base, """
                {"platform":"%s","artifact_family":"qcow2","arch":"amd64","sha256":"%s","size_bytes":%d,
                 "git_sha":"0123456789abcdef0123456789abcdef01234567","signature":"%s"}
                """.formatted(
                        PLATFORM, sha, file.length, SimpleSigning.sign(registry.signingKey.getPrivate(), file)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().get("id").asString();

        int half = file.length / 2;
        Api.Response first = put(workerA, base + "/" + id, 0, Arrays.copyOfRange(file, 0, half));
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(workerB.get(base + "/" + id).json().get("received_bytes").asLong())
                .as("the other replica knows how far it got")
                .isEqualTo(half);
        Api.Response rest = put(workerB, base + "/" + id, half, Arrays.copyOfRange(file, half, file.length));
        assertThat(rest.status()).as(rest.body()).isEqualTo(200);
        assertThat(rest.json().get("status").asString()).isEqualTo("published");

        OciRef ref = OciRef.parse(a.admin()
                .get("/api/v1/system/disk_image_publications/" + id)
                .json()
                .get("oci_ref")
                .asString());
        var manifest = registry.client.getManifest(ref);
        java.io.ByteArrayOutputStream stored = new java.io.ByteArrayOutputStream();
        registry.client.fetchBlob(
                ref.registry(), ref.repository(), manifest.layers().get(0), stored, null);
        assertThat(stored.toByteArray()).isEqualTo(file);
        assertThat(ServiceProcesses.count("select count(*) from upload_session"))
                .isZero();
    }

    @Test
    @Order(3)
    void aRotationOnOneReplicaRefusesTheOldSecretOnTheOtherAtOnce() throws Exception {
        DiskImageArtifacts.Pushed latest = announced.get(announced.size() - 1);
        String body = body(latest);
        WebhookCaller oldOnB = new WebhookCaller(b.admin(), webhookUrl, secret);
        assertThat(oldOnB.send(body).status())
                .as("B knows (and keeps) the secret: an announcement it already has")
                .isEqualTo(200);

        Api.Response rotated = a.admin().post("/api/v1/system/disk_image_webhooks", "{\"label\":\"rep-builder\"}");
        assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
        String fresh = rotated.json().get("webhook_secret").asString();

        Api.Response refused = oldOnB.send(body);
        assertThat(refused.status()).as(refused.body()).isEqualTo(401);
        assertThat(new WebhookCaller(b.admin(), webhookUrl, fresh).send(body).status())
                .isEqualTo(200);
        secret = fresh;
    }

    @Test
    @Order(4)
    void retentionRunOnBothReplicasAtOnceDeletesEachManifestOnce() throws Exception {
        String platformId = ServiceProcesses.text("select id from node_platform where slug = ?", PLATFORM);
        assertThat(a.admin()
                        .patch("/api/v1/system/node_platforms/" + platformId, "{\"disk_image_retention_count\":1}")
                        .status())
                .isEqualTo(200);
        for (ServiceProcesses.Service s : List.of(a, b)) {
            // warm both up, so neither request spends its time loading classes
            assertThat(s.admin().get("/api/v1/system/retention_plan").status()).isEqualTo(200);
        }
        registry.proxy.clearRequests();
        // deletes are slow: whichever run goes first is still deleting when the other starts, so
        // without taking turns both would plan (and delete) the same manifests
        registry.proxy.delay(10, Duration.ofMillis(1500), "DELETE", ".*/manifests/.*");

        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<JsonNode>> runs = new ArrayList<>();
        for (ServiceProcesses.Service s : List.of(a, b)) {
            runs.add(pool.submit(() -> {
                go.await();
                Api.Response r = s.admin().post("/api/v1/system/retention_runs", "{}");
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                return r.json();
            }));
        }
        go.countDown();
        List<JsonNode> reports = new ArrayList<>();
        for (Future<JsonNode> f : runs) {
            reports.add(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();

        int deleted = reports.stream()
                .mapToInt(r -> r.get("artifacts_deleted").asInt())
                .sum();
        assertThat(deleted).as(reports.toString()).isEqualTo(5);
        assertThat(reports.stream().mapToInt(r -> r.get("already_gone").asInt()).sum())
                .as("the second run planned after the first: nothing left to find gone")
                .isZero();
        assertThat(reports).allSatisfy(r -> assertThat(r.get("errors")).isEmpty());
        Map<String, Long> deletes = registry.proxy.requests().stream()
                .filter(r -> r.startsWith("DELETE /v2/" + PLATFORM + "/manifests/"))
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(deletes).as("five images and their signatures").hasSize(10);
        assertThat(deletes.values()).as("each deleted once").allMatch(n -> n == 1);
        assertThat(ServiceProcesses.count("select count(*) from disk_image_publication where status = 'purged'"))
                .isEqualTo(5);
        assertThat(ServiceProcesses.count(
                        "select count(*) from disk_image_publication_transition where to_status = 'purged'"))
                .as("each purge audited once")
                .isEqualTo(5);
    }

    @Test
    @Order(5)
    void theReplicaKilledMidIngestLeavesItToTheOtherWhichPublishesItOnce() throws Exception {
        DiskImageArtifacts.Pushed pushed = registry.push(PLATFORM, 4_000_000, 99);
        registry.sign(pushed.ref());
        // the blob transfer hangs: the ingest is caught mid-flight in 'verifying'
        registry.proxy.stallBody(1, 1_000_000, Duration.ofSeconds(120), "GET", FaultProxy.BLOB_PATH);
        Api.Response accepted = announce(a, pushed);
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        String id = accepted.json().get("publication_id").asString();
        await().atMost(Duration.ofSeconds(30)).until(() -> "verifying".equals(status(id)));
        String pickedBy = ServiceProcesses.text(
                "select picked_by from scheduled_tasks where task_name = 'ingest-publication' and task_instance = ?",
                id);
        assertThat(pickedBy).isNotNull();
        ServiceProcesses.Service running = pickedBy.endsWith("#" + a.process().pid()) ? a : b;
        ServiceProcesses.Service survivor = running == a ? b : a;
        assertThat(pickedBy).endsWith("#" + running.process().pid());

        running.process().destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
        assertThat(running.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS))
                .isTrue();
        assertThat(status(id)).as("the kill left it mid-ingest").isEqualTo("verifying");
        registry.proxy.passThrough();

        await().atMost(Duration.ofSeconds(90)).until(() -> "published".equals(status(id)));
        JsonNode p = survivor.admin()
                .get("/api/v1/system/disk_image_publications/" + id)
                .json();
        assertThat(p.get("active").asBoolean()).isTrue();
        assertThat(p.get("attempt_count").asInt()).isEqualTo(2);
        assertThat(activeIn("uefi_disk")).containsExactly(id);
        UUID uuid = UUID.fromString(id);
        assertThat(ServiceProcesses.count(
                        "select count(*) from disk_image_publication_transition where publication_id = ?"
                                + " and to_status = 'published'",
                        uuid))
                .isOne();
        assertThat(ServiceProcesses.count(
                        "select count(*) from outbound_event where publication_id = ? and type = 'published'", uuid))
                .isOne();
        assertThat(ServiceProcesses.count(
                        "select count(*) from disk_image_pointer_change where to_publication_id = ?", uuid))
                .as("the pointer moved to it once")
                .isOne();
    }

    /** The signed announcement of {@code pushed} (through the registry's proxy), sent to {@code to}. */
    private static Api.Response announce(ServiceProcesses.Service to, DiskImageArtifacts.Pushed pushed) {
        return new WebhookCaller(to.admin(), webhookUrl, secret).send(body(pushed));
    }

    private static String body(DiskImageArtifacts.Pushed pushed) {
        return WebhookCaller.body(
                PLATFORM, "uefi_disk", "amd64", registry.viaProxy(pushed.ref()).toString(), pushed);
    }

    private static Api.Response put(Api worker, String path, long offset, byte[] bytes) {
        return worker.send(worker.request(path + "/content")
                .header("Content-Type", "application/octet-stream")
                .header("Upload-Offset", Long.toString(offset))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)));
    }

    private static boolean isPublished(String id) {
        try {
            String s = status(id);
            return "published".equals(s) || "retired".equals(s);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String status(String id) throws java.sql.SQLException {
        return ServiceProcesses.text("select status from disk_image_publication where id = ?", UUID.fromString(id));
    }

    private static List<String> activeIn(String family) throws java.sql.SQLException {
        List<String> out = new ArrayList<>();
        try (var c = ServiceProcesses.db();
                var ps = c.prepareStatement(
                        "select id from disk_image_publication where active and artifact_family = ? order by id")) {
            ps.setString(1, family);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
