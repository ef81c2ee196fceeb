package dev.powernode.server.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.RegistryFixture;
import dev.powernode.server.support.SettableClock;
import dev.powernode.server.support.WebhookCaller;
import dev.powernode.testkit.FaultProxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
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
 * Retention against the real registry: the right rows kept, manifests really deleted, tombstones
 * left, registry failures finished by the next run, and the dry run equal to what a run does.
 */
@IntegrationTest
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class RetentionTest {
    static final RegistryFixture REGISTRY = new RegistryFixture();

    @DynamicPropertySource
    static void registry(DynamicPropertyRegistry props) {
        REGISTRY.register(props);
        props.add("powernode.retention.grace", () -> "1h");
        props.add("powernode.retention.failed-max-age", () -> "1h");
    }

    @AfterAll
    static void stop() {
        REGISTRY.close();
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    SettableClock clock;

    Api admin;
    WebhookCaller webhook;
    String platformId;
    List<DiskImageArtifacts.Pushed> pushed = new ArrayList<>();
    List<String> ids = new ArrayList<>();

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        REGISTRY.proxy.passThrough();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        platformId = admin.post(
                        "/api/v1/system/node_platforms",
                        "{\"slug\":\"keep3\",\"name\":\"Keep 3\",\"disk_image_retention_count\":3,\"cosign_public_keys\":[\""
                                + REGISTRY.publicKeyPem().replace("\n", "\\n") + "\"]}")
                .json()
                .get("id")
                .asString();
        JsonNode w = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"retention\"}")
                .json();
        webhook = new WebhookCaller(
                admin, w.get("webhook_url").asString(), w.get("webhook_secret").asString());
    }

    /** Publishes {@code n} builds of uefi_disk/amd64 one after the other, through the proxy. */
    void publish(int n, String repository) {
        for (int i = 0; i < n; i++) {
            DiskImageArtifacts.Pushed a = REGISTRY.push(repository, 5_000, pushed.size() + 1000L * repository.length());
            REGISTRY.sign(a.ref());
            String id = webhook.send(WebhookCaller.body(
                            "keep3",
                            "uefi_disk",
                            "amd64",
                            REGISTRY.viaProxy(a.ref()).toString(),
                            a))
                    .json()
                    .get("publication_id")
                    .asString();
            await().atMost(Duration.ofSeconds(30)).until(() -> "published".equals(status(id)));
            pushed.add(a);
            ids.add(id);
        }
    }

    /** Moves the service's clock past the grace window (1 h here) and the failed maximum age (1 h). */
    void pastTheGraceWindow() {
        clock.advance(Duration.ofHours(2));
    }

    /** Digest to size of every blob the registry stores for these artifacts: manifest, config, layers. */
    static Map<String, Long> blobs(List<DiskImageArtifacts.Pushed> artifacts) {
        Map<String, Long> blobs = new HashMap<>();
        for (DiskImageArtifacts.Pushed a : artifacts) {
            Manifest m = REGISTRY.client.getManifest(a.ref());
            blobs.put(m.digest().toString(), (long) m.raw().length);
            blobs.put(m.config().digest().toString(), m.config().size());
            m.layers().forEach(l -> blobs.put(l.digest().toString(), l.size()));
        }
        return blobs;
    }

    @Test
    void keepsTheNewestThreeDeletesTheOtherManifestsAndLeavesTombstones() {
        publish(7, "keep");
        pastTheGraceWindow();

        List<String> planned =
                plan().stream().map(c -> c.get("publication_id").asString()).toList();
        assertThat(planned).as("the four oldest").containsExactlyInAnyOrderElementsOf(ids.subList(0, 4));
        // what GC can free: blobs of the four deleted manifests that none of the three kept ones uses
        Map<String, Long> deletedBlobs = blobs(pushed.subList(0, 4));
        deletedBlobs.keySet().removeAll(blobs(pushed.subList(4, 7)).keySet());

        JsonNode report = run();
        assertThat(report.get("purged").asInt()).isEqualTo(4);
        assertThat(report.get("artifacts_deleted").asInt()).isEqualTo(4);
        assertThat(report.get("reclaimable_bytes").asLong())
                .as("reclaimable after GC")
                .isEqualTo(deletedBlobs.values().stream()
                        .mapToLong(Long::longValue)
                        .sum())
                .isGreaterThan(4 * 5_000L);
        assertThat(report.get("errors").size()).isZero();

        for (int i = 0; i < 7; i++) {
            String expected = i < 4 ? "purged" : (i == 6 ? "published" : "retired");
            assertThat(status(ids.get(i))).as("publication %d", i).isEqualTo(expected);
        }
        assertThat(jdbc.sql(
                                "select count(*) from disk_image_publication where status = 'purged' and purged_at is not null")
                        .query(Long.class)
                        .single())
                .as("tombstones, not deleted rows")
                .isEqualTo(4);
        for (int i = 0; i < 7; i++) {
            OciRef ref = pushed.get(i).ref();
            if (i < 4) {
                assertThatThrownBy(() -> REGISTRY.client.getManifest(ref))
                        .isInstanceOfSatisfying(
                                RegistryException.class,
                                e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND));
                assertThat(REGISTRY.client.headManifest(ref.withTag(ref.digest().tagPrefix() + ".sig")))
                        .as("its signature is deleted too")
                        .isEmpty();
            } else {
                assertThat(REGISTRY.client.getManifest(ref).digest()).isEqualTo(ref.digest());
            }
        }
        assertThat(plan()).as("nothing left to do").isEmpty();
    }

    @Test
    void aPublicationALiveNodeStillBootsIsKeptWhateverTheCountAndThePlanSaysWhy() {
        publish(5, "inuse");
        pastTheGraceWindow();
        JsonNode node = admin.post(
                        "/api/v1/system/nodes",
                        "{\"platform\":\"keep3\",\"name\":\"straggler\",\"artifact_family\":\"uefi_disk\",\"arch\":\"amd64\"}")
                .json();
        Api agent = admin.as(node.get("token").asString());
        String oldest = ids.get(0);
        String report = "{\"report_id\":\"%s\",\"publication_id\":\"%s\",\"sha256\":\"%s\",\"result\":\"healthy\"}";
        assertThat(agent.post(
                                "/api/v1/system/node_api/reports",
                                report.formatted(UUID.randomUUID(), oldest, sha256(oldest)))
                        .status())
                .isEqualTo(201);

        List<JsonNode> plan = plan();
        assertThat(plan).hasSize(2);
        JsonNode kept = plan.stream()
                .filter(c -> c.get("publication_id").asString().equals(oldest))
                .findFirst()
                .orElseThrow();
        assertThat(kept.get("action").asString()).isEqualTo("keep");
        assertThat(kept.get("reason").asString()).contains("live nodes still boot it: 1 (e.g. straggler)");
        JsonNode report1 = run();
        assertThat(report1.get("purged").asInt()).isEqualTo(1);
        assertThat(report1.get("kept_in_use").asInt()).isEqualTo(1);
        assertThat(status(oldest)).isEqualTo("retired");
        assertThat(status(ids.get(1))).isEqualTo("purged");

        // once the node reports the current one, the old one goes
        assertThat(agent.post(
                                "/api/v1/system/node_api/reports",
                                report.formatted(UUID.randomUUID(), ids.get(4), sha256(ids.get(4))))
                        .status())
                .isEqualTo(201);
        assertThat(plan())
                .singleElement()
                .satisfies(c -> assertThat(c.get("action").asString()).isEqualTo("purge"));
        assertThat(run().get("purged").asInt()).isEqualTo(1);
        assertThat(status(oldest)).isEqualTo("purged");
    }

    @Test
    void aPurgedRowSharingItsArtifactWithOneNodesStillBootLeavesTheBytes() {
        publish(2, "sharedinuse"); // uefi_disk: ids[0] retired, ids[1] current
        DiskImageArtifacts.Pushed a = pushed.get(0);
        String reused = announce("qcow2", REGISTRY.viaProxy(a.ref()).toString(), a);
        DiskImageArtifacts.Pushed b = REGISTRY.push("sharedinuse", 5_000, 99_999L);
        REGISTRY.sign(b.ref());
        announce("qcow2", REGISTRY.viaProxy(b.ref()).toString(), b); // reused is retired now
        admin.patch("/api/v1/system/node_platforms/" + platformId, "{\"disk_image_retention_count\":1}");
        pastTheGraceWindow();
        JsonNode node = admin.post(
                        "/api/v1/system/nodes",
                        "{\"platform\":\"keep3\",\"name\":\"q1\",\"artifact_family\":\"qcow2\",\"arch\":\"amd64\"}")
                .json();
        assertThat(admin.as(node.get("token").asString())
                        .post(
                                "/api/v1/system/node_api/reports",
                                "{\"report_id\":\"%s\",\"publication_id\":\"%s\",\"sha256\":\"%s\",\"result\":\"healthy\"}"
                                        .formatted(UUID.randomUUID(), reused, sha256(reused)))
                        .status())
                .isEqualTo(201);

        JsonNode purging = plan().stream()
                .filter(c -> c.get("publication_id").asString().equals(ids.get(0)))
                .findFirst()
                .orElseThrow();
        assertThat(purging.get("action").asString()).isEqualTo("purge");
        assertThat(purging.get("artifact_shared").asBoolean())
                .as("the kept qcow2 row still needs the artifact")
                .isTrue();
        JsonNode report = run();

        assertThat(report.get("purged").asInt()).isEqualTo(1);
        assertThat(report.get("kept_in_use").asInt()).isEqualTo(1);
        assertThat(report.get("kept_shared").asInt()).isEqualTo(1);
        assertThat(REGISTRY.client.getManifest(a.ref()).digest())
                .isEqualTo(a.ref().digest());
    }

    private String announce(String family, String ociRef, DiskImageArtifacts.Pushed artifact) {
        String id = webhook.send(WebhookCaller.body("keep3", family, "amd64", ociRef, artifact))
                .json()
                .get("publication_id")
                .asString();
        await().atMost(Duration.ofSeconds(30)).until(() -> "published".equals(status(id)));
        return id;
    }

    @Test
    void aRegistryFailingHalfWayIsFinishedByTheNextRunWithoutPurgingTwice() {
        publish(7, "flaky");
        pastTheGraceWindow();
        Set<String> planned =
                plan().stream().map(c -> c.get("publication_id").asString()).collect(Collectors.toSet());
        REGISTRY.proxy.failNext(2, 500, "DELETE", FaultProxy.MANIFEST_PATH);

        JsonNode first = run();
        assertThat(first.get("errors").size()).isEqualTo(2);
        assertThat(first.get("purged").asInt()).isEqualTo(2);

        JsonNode second = run();
        assertThat(second.get("purged").asInt()).isEqualTo(2);
        assertThat(second.get("errors").size()).isZero();

        Set<String> purged =
                new java.util.HashSet<>(jdbc.sql("select id::text from disk_image_publication where status = 'purged'")
                        .query(String.class)
                        .list());
        assertThat(purged).as("exactly the planned rows").isEqualTo(planned);
        assertThat(jdbc.sql("select count(*) from disk_image_publication_transition where to_status = 'purged'")
                        .query(Long.class)
                        .single())
                .as("each purged once")
                .isEqualTo(4);
    }

    @Test
    void aRunThatDiedAfterDeletingFinishesOnTheNextRun() {
        publish(4, "crash");
        pastTheGraceWindow();
        JsonNode candidate = plan().get(0);
        // the state a crash between "delete manifest" and "mark purged" leaves behind
        OciRef ref = OciRef.parse(candidate.get("oci_ref").asString());
        REGISTRY.client.deleteManifest(new OciRef(REGISTRY.registry.registry(), ref.repository(), ref.digest(), null));

        JsonNode report = run();

        assertThat(report.get("purged").asInt()).isEqualTo(1);
        assertThat(report.get("already_gone").asInt()).isEqualTo(1);
        assertThat(status(candidate.get("publication_id").asString())).isEqualTo("purged");
    }

    @Test
    void retiredPublicationsInsideTheGraceWindowAreKept() {
        publish(5, "grace");
        pastTheGraceWindow();
        // the oldest one was retired just now (the one row this test still edits: natural retirement
        // order cannot make the oldest build the most recently retired one)
        jdbc.sql("update disk_image_publication set retired_at = :now where id = :id::uuid")
                .param("now", java.sql.Timestamp.from(clock.instant()))
                .param("id", ids.get(0))
                .update();
        List<String> planned =
                plan().stream().map(c -> c.get("publication_id").asString()).toList();
        assertThat(planned).containsExactly(ids.get(1));
    }

    @Test
    void loweringRetentionToOneNeverTouchesTheCurrentOneAndRaisingItResurrectsNothing() {
        publish(4, "lower");
        pastTheGraceWindow();
        admin.patch("/api/v1/system/node_platforms/" + platformId, "{\"disk_image_retention_count\":1}");
        assertThat(run().get("purged").asInt()).isEqualTo(3);
        assertThat(status(ids.get(3))).isEqualTo("published");
        assertThat(jdbc.sql("select active from disk_image_publication where id = :id::uuid")
                        .param("id", ids.get(3))
                        .query(Boolean.class)
                        .single())
                .isTrue();

        admin.patch("/api/v1/system/node_platforms/" + platformId, "{\"disk_image_retention_count\":10}");
        run();
        assertThat(jdbc.sql("select count(*) from disk_image_publication where status = 'purged'")
                        .query(Long.class)
                        .single())
                .isEqualTo(3);
        assertThat(setDefault(ids.get(0)).status())
                .as("a purged publication cannot come back")
                .isEqualTo(409);
    }

    @Test
    void afterARollbackACountOfOneKeepsTheCurrentOneAndPurgesTheNewerBuild() {
        publish(2, "rolledback");
        assertThat(setDefault(ids.get(0)).status()).isEqualTo(200);
        admin.patch("/api/v1/system/node_platforms/" + platformId, "{\"disk_image_retention_count\":1}");
        pastTheGraceWindow();

        assertThat(run().get("purged").asInt()).isEqualTo(1);

        assertThat(status(ids.get(1))).isEqualTo("purged");
        assertThat(status(ids.get(0))).isEqualTo("published");
        assertThatThrownBy(() -> REGISTRY.client.getManifest(pushed.get(1).ref()))
                .isInstanceOf(RegistryException.class);
        assertThat(REGISTRY.client.getManifest(pushed.get(0).ref()).digest())
                .isEqualTo(pushed.get(0).ref().digest());
    }

    @Test
    void aLateOlderBuildIsRankedByItsBuildTimeNotItsArrival() {
        publish(2, "late"); // B, then C (current)
        // A: built before B, announced last; published and retired at once (it is not newer)
        DiskImageArtifacts.Pushed a = REGISTRY.push("late", 5_000, 777, RegistryFixture.buildTime(-100));
        REGISTRY.sign(a.ref());
        String late = webhook.send(WebhookCaller.body(
                        "keep3",
                        "uefi_disk",
                        "amd64",
                        REGISTRY.viaProxy(a.ref()).toString(),
                        a))
                .json()
                .get("publication_id")
                .asString();
        await().atMost(Duration.ofSeconds(30)).until(() -> "retired".equals(status(late)));
        admin.patch("/api/v1/system/node_platforms/" + platformId, "{\"disk_image_retention_count\":2}");
        pastTheGraceWindow();

        assertThat(plan().stream().map(c -> c.get("publication_id").asString()))
                .as("the oldest build goes, whatever order the builds arrived in; B stays as the rollback target")
                .containsExactly(late);
    }

    @Test
    void anArtifactStillUsedByAKeptPublicationStaysInTheRegistry() {
        publish(2, "shared");
        DiskImageArtifacts.Pushed a = pushed.get(0);
        // the first build, retired in its triple, announced for another triple: two rows, one artifact
        String again = webhook.send(WebhookCaller.body(
                        "keep3", "qcow2", "amd64", REGISTRY.viaProxy(a.ref()).toString(), a))
                .json()
                .get("publication_id")
                .asString();
        await().atMost(Duration.ofSeconds(30)).until(() -> "published".equals(status(again)));
        admin.patch("/api/v1/system/node_platforms/" + platformId, "{\"disk_image_retention_count\":1}");
        pastTheGraceWindow();

        JsonNode report = run();

        assertThat(report.get("purged").asInt()).isEqualTo(1);
        assertThat(report.get("kept_shared").asInt()).isEqualTo(1);
        assertThat(report.get("reclaimable_bytes").asLong())
                .as("nothing: the kept publication still references every blob")
                .isZero();
        assertThat(REGISTRY.client.getManifest(a.ref()).digest())
                .isEqualTo(a.ref().digest());
    }

    @Test
    void failedPublicationsOlderThanTheirMaximumAgeArePurged() {
        String failed = webhook.send(WebhookCaller.body(
                        "keep3",
                        "uefi_disk",
                        "amd64",
                        REGISTRY.viaProxy(REGISTRY.push("failing", 1_000, 77).ref())
                                .toString(),
                        "ab".repeat(32),
                        1_000))
                .json()
                .get("publication_id")
                .asString();
        await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(status(failed)));
        assertThat(plan()).as("too recent").isEmpty();
        pastTheGraceWindow();
        assertThat(run().get("purged").asInt()).isEqualTo(1);
        assertThat(status(failed)).isEqualTo("purged");
    }

    @Test
    void thePlanOfEveryPlatformIsOrderedBySlugFamilyArchAndIdAndSaysWhy() {
        Fixtures rows = new Fixtures(jdbc);
        Instant old = Instant.now().minus(Duration.ofDays(2));
        java.util.UUID zeta = rows.platform("zeta");
        java.util.UUID alpha2 = rows.platform("alpha-2");
        java.util.UUID alpha = rows.platform("alpha");
        jdbc.sql("update node_platform set disk_image_retention_count = 1 where slug like 'alpha%'")
                .update();
        // zeta keeps 3 of uefi_disk/amd64: the current one and the two newest retired ones
        rows.publication(zeta, "uefi_disk", "amd64", "published", true, old);
        List<String> zetaRetired = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            zetaRetired.add(rows.publication(zeta, "uefi_disk", "amd64", "retired", false, old.minusSeconds(i))
                    .toString());
        }
        // alpha-2 keeps 1 per triple: two triples, one retired beyond the count in each
        rows.publication(alpha2, "uefi_disk", "arm64", "published", true, old);
        String alpha2Arm = rows.publication(alpha2, "uefi_disk", "arm64", "retired", false, old.minusSeconds(1))
                .toString();
        rows.publication(alpha2, "qcow2", "amd64", "published", true, old);
        String alpha2Qcow = rows.publication(alpha2, "qcow2", "amd64", "retired", false, old.minusSeconds(1))
                .toString();
        // alpha: a failed one past its maximum age, and one inside the count
        String alphaFailed = rows.publication(alpha, "uefi_disk", "amd64", "failed", false, old)
                .toString();
        rows.publication(alpha, "uefi_disk", "amd64", "published", true, old);

        Api.Response r = admin.get("/api/v1/system/retention_plan");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> lines = new ArrayList<>();
        r.json()
                .get("data")
                .forEach(c -> lines.add(String.join(
                        " | ",
                        c.get("platform_slug").asString(),
                        c.get("artifact_family").asString(),
                        c.get("arch").asString(),
                        c.get("publication_id").asString(),
                        c.get("reason").asString(),
                        String.valueOf(c.get("artifact_shared").asBoolean()))));
        String kept = "kept before it (the current one, then the newest): ";
        List<String> zetaOrder = zetaRetired.subList(2, 4).stream().sorted().toList();
        assertThat(lines)
                .containsExactly(
                        "alpha | uefi_disk | amd64 | " + alphaFailed + " | failed more than PT1H ago | true",
                        "alpha-2 | qcow2 | amd64 | " + alpha2Qcow + " | " + kept + "1, disk_image_retention_count 1"
                                + " | true",
                        "alpha-2 | uefi_disk | arm64 | " + alpha2Arm + " | " + kept
                                + "1, disk_image_retention_count 1 | true",
                        "zeta | uefi_disk | amd64 | " + zetaOrder.get(0) + " | " + kept
                                + (zetaRetired.indexOf(zetaOrder.get(0)) + 1) + ", disk_image_retention_count 3 | true",
                        "zeta | uefi_disk | amd64 | " + zetaOrder.get(1) + " | " + kept
                                + (zetaRetired.indexOf(zetaOrder.get(1)) + 1)
                                + ", disk_image_retention_count 3 | true");
    }

    List<JsonNode> plan() {
        Api.Response r = admin.get("/api/v1/system/retention_plan?platform=keep3");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().get("data").forEach(out::add);
        return out;
    }

    JsonNode run() {
        Api.Response r = admin.post("/api/v1/system/retention_runs?platform=keep3", "");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    Api.Response setDefault(String id) {
        return admin.post(
                "/api/v1/system/node_platforms/" + platformId + "/default_disk_image_publication",
                "{\"publication_id\":\"" + id + "\"}");
    }

    String sha256(String id) {
        return jdbc.sql("select sha256 from disk_image_publication where id = :id::uuid")
                .param("id", id)
                .query(String.class)
                .single();
    }

    String status(String id) {
        return jdbc.sql("select status from disk_image_publication where id = :id::uuid")
                .param("id", id)
                .query(String.class)
                .single();
    }
}
