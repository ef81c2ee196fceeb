package dev.powernode.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.token.Scope;
import dev.powernode.common.webhook.WebhookSignature;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.PublicationProbe;
import dev.powernode.server.support.RegistryFixture;
import dev.powernode.server.support.WebhookCaller;
import dev.powernode.testkit.FaultProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Webhook to published, against the real docker-registry and PostgreSQL: the happy path with
 * auto-promotion, every registry fault, every signature failure, and 50 concurrent announcements.
 */
@IntegrationTest
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class IngestFlowTest {
    static final RegistryFixture REGISTRY = new RegistryFixture();

    @DynamicPropertySource
    static void registry(DynamicPropertyRegistry props) {
        REGISTRY.register(props);
    }

    @AfterAll
    static void stopRegistry() {
        REGISTRY.close();
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Api admin;
    WebhookCaller webhook;
    PublicationProbe probe;
    String platformId;

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        REGISTRY.proxy.passThrough();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        Api.Response created = admin.post(
                "/api/v1/system/node_platforms",
                "{\"slug\":\"bookworm\",\"name\":\"Bookworm\",\"cosign_public_keys\":[\""
                        + REGISTRY.publicKeyPem().replace("\n", "\\n") + "\"]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        platformId = created.json().get("id").asString();
        JsonNode w = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"builder\"}")
                .json();
        webhook = new WebhookCaller(
                admin, w.get("webhook_url").asString(), w.get("webhook_secret").asString());
        probe = new PublicationProbe(admin, webhook);
    }

    @Test
    void publishesASignedArtifactAndPromotesItOverThePreviousOne() {
        DiskImageArtifacts.Pushed first = REGISTRY.push("disk-images", 300_000, 1);
        REGISTRY.sign(first.ref());
        JsonNode p1 = awaitFinal(announce(first.ref(), first));
        assertThat(p1.get("status").asString()).as(p1.toString()).isEqualTo("published");
        assertThat(p1.get("active").asBoolean()).isTrue();
        assertThat(p1.get("attempt_count").asInt()).isEqualTo(1);
        assertThat(p1.get("size_bytes").asLong()).isEqualTo(300_000);
        assertThat(p1.get("verified_at").isNull()).isFalse();
        assertThat(p1.get("file_object_id").isNull()).isFalse();
        assertThat(p1.get("prior_file_object_id").isNull()).isTrue();

        JsonNode platform =
                admin.get("/api/v1/system/node_platforms/" + platformId).json();
        assertThat(platform.get("disk_image_oci_ref").asString())
                .isEqualTo(first.ref().toString());
        assertThat(platform.get("disk_image_file_object_id").asString())
                .isEqualTo(p1.get("file_object_id").asString());
        assertThat(platform.get("disk_image_publication_status").asString()).isEqualTo("published");

        DiskImagePublicationsAssert.historyOf(admin, p1.get("id").asString())
                .containsSubsequence("queued", "verifying", "published");

        DiskImageArtifacts.Pushed second = REGISTRY.push("disk-images", 200_000, 2);
        REGISTRY.sign(second.ref());
        JsonNode p2 = awaitFinal(announce(second.ref(), second));
        assertThat(p2.get("status").asString()).isEqualTo("published");
        assertThat(p2.get("active").asBoolean()).isTrue();
        assertThat(p2.get("prior_file_object_id").asString())
                .isEqualTo(p1.get("file_object_id").asString());

        JsonNode retired = get(p1.get("id").asString());
        assertThat(retired.get("status").asString()).isEqualTo("retired");
        assertThat(retired.get("active").asBoolean()).isFalse();
        assertThat(retired.get("retired_at").isNull()).isFalse();
        assertThat(admin.get("/api/v1/system/node_platforms/" + platformId)
                        .json()
                        .get("disk_image_oci_ref")
                        .asString())
                .isEqualTo(second.ref().toString());
    }

    @Test
    void registryErrorsAreRetriedThenPublished() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("retry", 100_000, 3);
        REGISTRY.sign(a.ref());
        REGISTRY.proxy.failNext(2, 503, "GET", FaultProxy.MANIFEST_PATH);

        JsonNode p = awaitFinal(announce(REGISTRY.viaProxy(a.ref()), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("published");
        assertThat(p.get("attempt_count").asInt()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void brokenTransfersAreResumedAndVerified() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("resume", 2_000_000, 4);
        REGISTRY.sign(a.ref());
        REGISTRY.proxy.resetBody(1, 500_000, "GET", FaultProxy.BLOB_PATH);
        REGISTRY.proxy.truncateBody(1, 700_000, "GET", FaultProxy.BLOB_PATH);
        REGISTRY.proxy.stallBody(1, 100_000, Duration.ofSeconds(30), "GET", FaultProxy.BLOB_PATH);

        JsonNode p = awaitFinal(announce(REGISTRY.viaProxy(a.ref()), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("published");
    }

    @Test
    void aBlobSwappedAfterPushFailsAndIsNeverPublished() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("swapped", 100_000, 5);
        REGISTRY.sign(a.ref());
        REGISTRY.proxy.swapBody(10, "GET", "/v2/.+/blobs/" + a.primary().digest());

        JsonNode p = awaitFinal(announce(REGISTRY.viaProxy(a.ref()), a));

        assertThat(p.get("status").asString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString()).containsIgnoringCase("digest");
        assertThat(p.get("active").asBoolean()).isFalse();
        assertThat(p.get("published_at").isNull()).isTrue();
        assertThat(admin.get("/api/v1/system/node_platforms/" + platformId)
                        .json()
                        .get("disk_image_publication_error")
                        .asString())
                .containsIgnoringCase("digest");
    }

    @Test
    void aRegistryThatKeepsFailingEndsInFailedAfterTheLastAttempt() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("down", 10_000, 6);
        REGISTRY.sign(a.ref());
        REGISTRY.proxy.failNext(100, 500, "GET", FaultProxy.MANIFEST_PATH);

        JsonNode p = awaitFinal(announce(REGISTRY.viaProxy(a.ref()), a));

        assertThat(p.get("status").asString()).isEqualTo("failed");
        assertThat(p.get("attempt_count").asInt()).isEqualTo(4);
        assertThat(p.get("error_message").asString()).contains("gave up after 4 attempts");
    }

    @Test
    void anUnsignedArtifactFails() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("unsigned", 10_000, 7);
        JsonNode p = awaitFinal(announce(a.ref(), a));
        assertThat(p.get("status").asString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString()).contains("no signature for");
    }

    @Test
    void aSignatureByAnotherKeyFails() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("otherkey", 10_000, 8);
        CosignSigner.sign(REGISTRY.client, a.ref(), RegistryFixture.newKey().getPrivate());
        JsonNode p = awaitFinal(announce(a.ref(), a));
        assertThat(p.get("status").asString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString()).contains("does not verify");
    }

    @Test
    void aSignatureOverAnotherDigestFails() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("otherdigest", 10_000, 9);
        byte[] payload = SimpleSigning.payload(a.ref().name(), new Digest("ee".repeat(32)));
        CosignSigner.attach(
                REGISTRY.client, a.ref(), payload, SimpleSigning.sign(REGISTRY.signingKey.getPrivate(), payload));
        JsonNode p = awaitFinal(announce(a.ref(), a));
        assertThat(p.get("status").asString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString()).contains("not the manifest");
    }

    @Test
    void aWebhookThatLiesAboutThePrimaryDigestFails() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("lies", 10_000, 10);
        REGISTRY.sign(a.ref());
        Api.Response r = webhook.send(WebhookCaller.body(
                "bookworm",
                "uefi_disk",
                "amd64",
                a.ref().toString(),
                "ff".repeat(32),
                a.primary().size(),
                WebhookCaller.buildTime(a)));
        JsonNode p = awaitFinal(r.json().get("publication_id").asString());
        assertThat(p.get("status").asString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString()).contains("announced");
    }

    @Test
    void fiftyConcurrentAnnouncementsOfOneBuildMakeOnePublication() throws Exception {
        DiskImageArtifacts.Pushed a = REGISTRY.push("concurrent", 20_000, 11);
        REGISTRY.sign(a.ref());
        ExecutorService pool = Executors.newFixedThreadPool(10);
        List<Future<Api.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Callable<Api.Response> call = () -> webhook.send(
                    WebhookCaller.body("bookworm", "uefi_disk", "amd64", a.ref().toString(), a));
            calls.add(pool.submit(call));
        }
        Set<String> ids = new HashSet<>();
        int created = 0;
        for (Future<Api.Response> f : calls) {
            Api.Response r = f.get();
            assertThat(r.status()).as(r.body()).isIn(200, 202);
            created += r.status() == 202 ? 1 : 0;
            ids.add(r.json().get("publication_id").asString());
        }
        pool.shutdown();
        assertThat(created).as("one announcement creates, the others name it").isEqualTo(1);
        assertThat(ids).hasSize(1);
        JsonNode p = awaitFinal(ids.iterator().next());
        assertThat(p.get("status").asString()).isEqualTo("published");
        assertThat(p.get("active").asBoolean()).isTrue();
        assertThat(jdbc.sql("select count(*) from disk_image_publication")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
    }

    @Test
    void twentyConcurrentBuildsForOneTripleLeaveTheNewestBuildCurrent() throws Exception {
        List<DiskImageArtifacts.Pushed> builds = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            DiskImageArtifacts.Pushed b = REGISTRY.push("concurrent-builds", 2_000, 100 + i);
            REGISTRY.sign(b.ref());
            builds.add(b);
        }
        ExecutorService pool = Executors.newFixedThreadPool(10);
        List<Future<Api.Response>> calls = new ArrayList<>();
        // announced in reverse build order: arrival order must not decide
        for (int i = builds.size() - 1; i >= 0; i--) {
            DiskImageArtifacts.Pushed b = builds.get(i);
            calls.add(pool.submit(() -> webhook.send(
                    WebhookCaller.body("bookworm", "uefi_disk", "amd64", b.ref().toString(), b))));
        }
        for (Future<Api.Response> f : calls) {
            assertThat(f.get().status()).as(f.get().body()).isEqualTo(202);
        }
        pool.shutdown();
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250))
                .until(() ->
                        jdbc.sql("select count(*) from disk_image_publication where status in ('queued', 'verifying')")
                                        .query(Long.class)
                                        .single()
                                == 0);
        assertThat(jdbc.sql("select count(*) from disk_image_publication where status = 'retired'")
                        .query(Long.class)
                        .single())
                .isEqualTo(19);
        assertThat(jdbc.sql("select oci_ref from disk_image_publication where active")
                        .query(String.class)
                        .single())
                .as("the newest build is current")
                .isEqualTo(builds.get(19).ref().toString());
    }

    /** Issue 14, item 1: a captured request of an older build re-sent under a fresh delivery id. */
    @Test
    void aReplayedAnnouncementOfAnOlderBuildIsRefusedAndTheNewerBuildStaysCurrent() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("replay", 10_000, 20);
        REGISTRY.sign(a.ref());
        byte[] bodyA = WebhookCaller.body(
                        "bookworm", "uefi_disk", "amd64", a.ref().toString(), a)
                .getBytes(StandardCharsets.UTF_8);
        long ts = Instant.now().getEpochSecond();
        String signatureA = WebhookSignature.sign(webhook.secret(), ts, "delivery-a", bodyA);
        Api.Response first = webhook.sendRaw("delivery-a", Long.toString(ts), signatureA, bodyA);
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        String pa = first.json().get("publication_id").asString();
        assertThat(awaitFinal(pa).get("active").asBoolean()).isTrue();
        DiskImageArtifacts.Pushed b = REGISTRY.push("replay", 10_000, 21);
        REGISTRY.sign(b.ref());
        String pb = announce(b.ref(), b);
        assertThat(awaitFinal(pb).get("active").asBoolean()).isTrue();

        Api.Response replay = webhook.sendRaw("fresh-delivery-id", Long.toString(ts), signatureA, bodyA);

        assertThat(replay.status()).as(replay.body()).isEqualTo(401);
        assertThat(replay.json().get("code").asString()).isEqualTo("webhook/replayed");
        assertThat(get(pb).get("active").asBoolean()).as("B is still current").isTrue();
        assertThat(get(pa).get("status").asString()).isEqualTo("retired");
        assertThat(jdbc.sql("select count(*) from disk_image_publication")
                        .query(Long.class)
                        .single())
                .isEqualTo(2);
        assertThat(jdbc.sql("select count(*) from webhook_delivery where delivery_id = 'fresh-delivery-id'"
                                + " and http_status = 401 and not signature_valid")
                        .query(Long.class)
                        .single())
                .as("the replay is recorded")
                .isEqualTo(1);

        // even signed afresh (a re-run runner, or anyone with the secret), A's manifest creates nothing
        Api.Response again = webhook.send(new String(bodyA, StandardCharsets.UTF_8));
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.json().get("publication_id").asString()).isEqualTo(pa);
        assertThat(again.json().get("already_announced").asBoolean()).isTrue();
        assertThat(get(pb).get("active").asBoolean()).isTrue();
        assertThat(jdbc.sql("select count(*) from disk_image_publication")
                        .query(Long.class)
                        .single())
                .isEqualTo(2);
    }

    @Test
    void aLateAnnouncementOfAnOlderBuildIsPublishedButDoesNotRetireTheNewerOne() {
        DiskImageArtifacts.Pushed older = REGISTRY.push("late", 10_000, 30);
        DiskImageArtifacts.Pushed newer = REGISTRY.push("late", 10_000, 31);
        REGISTRY.sign(older.ref());
        REGISTRY.sign(newer.ref());
        String pNewer = announce(newer.ref(), newer);
        assertThat(awaitFinal(pNewer).get("active").asBoolean()).isTrue();

        JsonNode late = awaitFinal(announce(older.ref(), older));

        assertThat(late.get("status").asString()).as(late.toString()).isEqualTo("retired");
        assertThat(late.get("active").asBoolean()).isFalse();
        assertThat(late.get("verified_at").isNull())
                .as("verified and published first")
                .isFalse();
        assertThat(get(pNewer).get("active").asBoolean()).isTrue();
        assertThat(get(pNewer).get("status").asString()).isEqualTo("published");
        assertThat(admin.get("/api/v1/system/node_platforms/" + platformId)
                        .json()
                        .get("disk_image_oci_ref")
                        .asString())
                .isEqualTo(newer.ref().toString());
    }

    @Test
    void aBuildTimeFinerThanTheDatabaseKeepsStillMatchesItsManifest() {
        Instant nanos = Instant.parse("2026-01-01T00:00:00.123456789Z");
        DiskImageArtifacts.Pushed a = REGISTRY.push("nanos", 10_000, 41, nanos);
        REGISTRY.sign(a.ref());

        JsonNode p = awaitFinal(announce(a.ref(), a));

        assertThat(p.get("status").asString()).as(p.toString()).isEqualTo("published");
    }

    @Test
    void aBuildTimeThatDisagreesWithTheSignedManifestFails() {
        DiskImageArtifacts.Pushed a = REGISTRY.push("buildtime", 10_000, 40);
        REGISTRY.sign(a.ref());
        // claims to be far newer than the manifest says, to win promotion
        Api.Response r = webhook.send(WebhookCaller.body(
                "bookworm",
                "uefi_disk",
                "amd64",
                a.ref().toString(),
                a.primary().digest().hex(),
                a.primary().size(),
                Instant.now().toString()));
        assertThat(r.status()).as(r.body()).isEqualTo(202);

        JsonNode p = awaitFinal(r.json().get("publication_id").asString());

        assertThat(p.get("status").asString()).isEqualTo("failed");
        assertThat(p.get("error_message").asString()).startsWith("oci/build-time-mismatch");
    }

    private String announce(OciRef ref, DiskImageArtifacts.Pushed a) {
        return probe.announce("bookworm", ref, a);
    }

    private JsonNode awaitFinal(String id) {
        return probe.awaitFinal(id);
    }

    private JsonNode get(String id) {
        return probe.get(id);
    }
}
