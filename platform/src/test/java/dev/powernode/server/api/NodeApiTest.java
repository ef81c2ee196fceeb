package dev.powernode.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.node.Nodes;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** Enrolment, the node API's token, boot reports checked against the publications, convergence. */
@IntegrationTest
class NodeApiTest {
    static final String DIGEST = "cd".repeat(32);

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    SettableClock clock;

    @Autowired
    Nodes nodes;

    Fixtures fixtures;
    Api admin;
    Api reader;
    UUID platform;
    UUID current;
    UUID retired;

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(jdbc);
        fixtures.reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        reader = new Api(port, Api.token(Scope.DISK_IMAGES_READ));
        platform = fixtures.platform("edge");
        Instant t = clock.instant().minus(Duration.ofDays(1));
        retired = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t);
        current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t.plusSeconds(60));
    }

    JsonNode enroll(String name) {
        Api.Response r = admin.post("/api/v1/system/nodes", """
                {"platform": "edge", "name": "%s", "artifact_family": "uefi_disk", "arch": "amd64"}
                """.formatted(name));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json();
    }

    Api node(JsonNode enrolled) {
        return admin.as(enrolled.get("token").asString());
    }

    static String report(UUID reportId, UUID publication, String sha256, String result) {
        return """
                {"report_id": "%s", "publication_id": "%s", "sha256": "%s", "result": "%s",
                 "agent_version": "0.1.0", "uptime_seconds": 42}
                """.formatted(reportId, publication, sha256, result);
    }

    @Test
    void enrolmentReturnsTheTokenAndIdentityOnceAndNeedsAdmin() {
        JsonNode e = enroll("rack1-node07");
        String id = e.get("node").get("id").asString();
        String token = e.get("token").asString();
        assertThat(token).startsWith("pnn_");
        assertThat(e.get("identity_cfg").asString())
                .contains("device_id=" + id + "\n")
                .contains("platform=edge\n")
                .contains("artifact_family=uefi_disk\n")
                .contains("token=" + token + "\n");

        Api.Response list = reader.get("/api/v1/system/nodes?platform=edge");
        assertThat(list.status()).as(list.body()).isEqualTo(200);
        assertThat(list.json().get("data").findValuesAsString("name")).containsExactly("rack1-node07");
        assertThat(list.body()).doesNotContain(token).doesNotContain("token");
        assertThat(jdbc.sql("select token_sha256 from node").query(String.class).single())
                .matches("[0-9a-f]{64}")
                .doesNotContain(token.substring(4));

        Api.Response again = admin.post(
                "/api/v1/system/nodes",
                "{\"platform\":\"edge\",\"name\":\"rack1-node07\",\"artifact_family\":\"uefi_disk\",\"arch\":\"amd64\"}");
        assertThat(again.status()).as(again.body()).isEqualTo(409);
        assertThat(again.json().get("code").asString()).isEqualTo("node/name-taken");
        // a revoked node's name is free again, with a new id and token
        assertThat(admin.delete("/api/v1/system/nodes/" + id).status()).isEqualTo(200);
        JsonNode reenrolled = enroll("rack1-node07");
        assertThat(reenrolled.get("node").get("id").asString()).isNotEqualTo(id);
        assertThat(reenrolled.get("token").asString()).isNotEqualTo(token);

        Api.Response bad = admin.post(
                "/api/v1/system/nodes",
                "{\"platform\":\"edge\",\"name\":\"-x\",\"artifact_family\":\"floppy\",\"arch\":\"sparc\"}");
        assertThat(bad.status()).as(bad.body()).isEqualTo(422);
        assertThat(bad.json().get("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("name", "artifact_family", "arch");

        Api.Response byWriter = admin.as(Api.token(Scope.DISK_IMAGES_WRITE))
                .post(
                        "/api/v1/system/nodes",
                        "{\"platform\":\"edge\",\"name\":\"n2\",\"artifact_family\":\"uefi_disk\",\"arch\":\"amd64\"}");
        assertThat(byWriter.status()).isEqualTo(403);
        assertThat(admin.post(
                                "/api/v1/system/nodes",
                                "{\"platform\":\"nowhere\",\"name\":\"n2\",\"artifact_family\":\"uefi_disk\",\"arch\":\"amd64\"}")
                        .status())
                .isEqualTo(404);
    }

    @Test
    void theNodeApiTakesOnlyALiveNodesToken() {
        JsonNode e = enroll("n1");
        String body = report(UUID.randomUUID(), current, DIGEST, "healthy");

        Api.Response anonymous = admin.anonymous().post("/api/v1/system/node_api/reports", body);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.json().get("code").asString()).isEqualTo("auth/node-unauthenticated");
        assertThat(admin.post("/api/v1/system/node_api/reports", body).status())
                .as("an operator JWT is not a node token")
                .isEqualTo(401);
        assertThat(admin.as("pnn_forged")
                        .post("/api/v1/system/node_api/reports", body)
                        .status())
                .isEqualTo(401);

        assertThat(node(e).post("/api/v1/system/node_api/reports", body).status())
                .isEqualTo(201);

        Api.Response revoked =
                admin.delete("/api/v1/system/nodes/" + e.get("node").get("id").asString());
        assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
        assertThat(revoked.json().get("revoked_at").isNull()).isFalse();
        assertThat(node(e).post(
                                "/api/v1/system/node_api/reports",
                                report(UUID.randomUUID(), current, DIGEST, "healthy"))
                        .status())
                .isEqualTo(401);
        assertThat(reader.delete("/api/v1/system/nodes/"
                                + e.get("node").get("id").asString())
                        .status())
                .isEqualTo(403);
    }

    @Test
    void aNodeAsksForItsTriplesCurrentPublicationAndGets304UntilItChanges() {
        JsonNode e = enroll("n1");

        Api.Response first = node(e).get("/api/v1/system/node_api/current");
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().get("publication_id").asString()).isEqualTo(current.toString());
        assertThat(first.json().get("sha256").asString()).isEqualTo(DIGEST);
        String etag = first.raw().headers().firstValue("ETag").orElseThrow();
        assertThat(etag).isEqualTo("\"" + current + "\"");

        Api.Response unchanged = node(e).send(node(e).request("/api/v1/system/node_api/current")
                .header("If-None-Match", etag)
                .GET());
        assertThat(unchanged.status()).isEqualTo(304);

        jdbc.sql(
                        "update disk_image_publication set active = false, status = 'retired', retired_at = now() where id = :id")
                .param("id", current)
                .update();
        jdbc.sql(
                        "update disk_image_publication set active = true, status = 'published', retired_at = null where id = :id")
                .param("id", retired)
                .update();
        Api.Response changed = node(e).send(node(e).request("/api/v1/system/node_api/current")
                .header("If-None-Match", etag)
                .GET());
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.json().get("publication_id").asString()).isEqualTo(retired.toString());

        jdbc.sql(
                        "update disk_image_publication set active = false, status = 'retired', retired_at = now() where id = :id")
                .param("id", retired)
                .update();
        Api.Response none = node(e).get("/api/v1/system/node_api/current");
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.json().get("code").asString()).isEqualTo("node/no-current-publication");
    }

    @Test
    void aHealthyRepeatRefreshesTheNodeWithoutARowAndEveryChangeIsKept() {
        JsonNode e = enroll("n1");
        UUID id = UUID.fromString(e.get("node").get("id").asString());
        assertThat(node(e).post(
                                "/api/v1/system/node_api/reports",
                                report(UUID.randomUUID(), current, DIGEST, "healthy"))
                        .status())
                .isEqualTo(201);
        clock.advance(Duration.ofSeconds(30));
        Api.Response heartbeat =
                node(e).post("/api/v1/system/node_api/reports", """
                {"report_id": "%s", "publication_id": "%s", "sha256": "%s", "result": "healthy",
                 "agent_version": "0.2.0", "uptime_seconds": 72}
                """.formatted(UUID.randomUUID(), current, DIGEST));
        assertThat(heartbeat.status()).as(heartbeat.body()).isEqualTo(201);
        assertThat(rows(id)).as("a heartbeat adds no row").isEqualTo(1);
        assertThat(jdbc.sql("select uptime_seconds from node where id = :n")
                        .param("n", id)
                        .query(Long.class)
                        .single())
                .isEqualTo(72);

        node(e).post("/api/v1/system/node_api/reports", report(UUID.randomUUID(), current, DIGEST, "failed"));
        node(e).post("/api/v1/system/node_api/reports", report(UUID.randomUUID(), current, DIGEST, "healthy"));
        node(e).post("/api/v1/system/node_api/reports", report(UUID.randomUUID(), retired, DIGEST, "healthy"));
        assertThat(rows(id))
                .as("a failure, the recovery and another publication are events")
                .isEqualTo(4);
    }

    @Test
    void aNodeIsSeenByEveryReportAndByAPollAtMostOnceAMinute() {
        JsonNode e = enroll("n1");
        UUID id = UUID.fromString(e.get("node").get("id").asString());
        assertThat(seen(id)).isNull();
        Instant before = clock.instant();
        assertThat(node(e).get("/api/v1/system/node_api/current").status()).isEqualTo(200);
        Instant first = seen(id);
        assertThat(first).isBetween(before.minusMillis(1), clock.instant());

        clock.advance(Duration.ofSeconds(20));
        node(e).get("/api/v1/system/node_api/current");
        assertThat(seen(id)).as("a poll within a minute writes nothing").isEqualTo(first);

        clock.advance(Duration.ofSeconds(5));
        before = clock.instant();
        report(e, current, "healthy");
        assertThat(seen(id))
                .as("a report records it in its own write")
                .isBetween(before.minusMillis(1), clock.instant());

        clock.advance(Duration.ofSeconds(30));
        before = clock.instant();
        report(e, current, "healthy"); // a heartbeat
        Instant heartbeat = seen(id);
        assertThat(heartbeat).isBetween(before.minusMillis(1), clock.instant());

        clock.advance(Duration.ofSeconds(40));
        node(e).get("/api/v1/system/node_api/current");
        assertThat(seen(id)).as("the heartbeat 40 s ago still counts").isEqualTo(heartbeat);
        clock.advance(Duration.ofSeconds(21));
        before = clock.instant();
        node(e).get("/api/v1/system/node_api/current");
        assertThat(seen(id))
                .as("a poll a minute after the last sighting")
                .isBetween(before.minusMillis(1), clock.instant());
    }

    private Instant seen(UUID node) {
        return jdbc.sql("select last_seen_at from node where id = :n")
                .param("n", node)
                .query((rs, i) -> java.util.Optional.ofNullable(rs.getTimestamp(1)))
                .single()
                .map(java.sql.Timestamp::toInstant)
                .orElse(null);
    }

    private long rows(UUID node) {
        return jdbc.sql("select count(*) from node_report where node_id = :n")
                .param("n", node)
                .query(Long.class)
                .single();
    }

    @Test
    void aReportIsAcceptedOnceAndARetryGetsTheSameAnswer() {
        JsonNode e = enroll("n1");
        UUID reportId = UUID.randomUUID();

        Api.Response first =
                node(e).post("/api/v1/system/node_api/reports", report(reportId, current, DIGEST, "healthy"));
        Api.Response retry =
                node(e).post("/api/v1/system/node_api/reports", report(reportId, current, DIGEST, "healthy"));

        assertThat(first.status()).as(first.body()).isEqualTo(201);
        assertThat(retry.status()).as(retry.body()).isEqualTo(200);
        assertThat(retry.json().get("duplicate").asBoolean()).isTrue();
        assertThat(jdbc.sql("select count(*) from node_report")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
        JsonNode shown = reader.get(
                        "/api/v1/system/nodes/" + e.get("node").get("id").asString())
                .json();
        assertThat(shown.get("last_publication_id").asString()).isEqualTo(current.toString());
        assertThat(shown.get("last_result").asString()).isEqualTo("healthy");
        assertThat(shown.get("agent_version").asString()).isEqualTo("0.1.0");
        assertThat(shown.get("uptime_seconds").asLong()).isEqualTo(42);
    }

    @Test
    void refusedReportsAreRecordedWithTheirReasonAndChangeNothing() {
        JsonNode e = enroll("n1");
        UUID otherPlatform = fixtures.platform("other");
        UUID foreign = fixtures.publication(otherPlatform, "uefi_disk", "amd64", "published", true, clock.instant());
        UUID otherTriple = fixtures.publication(platform, "qcow2", "amd64", "published", true, clock.instant());
        UUID queued = fixtures.publication(platform, "uefi_disk", "amd64", "queued", false, clock.instant());
        assertThat(node(e).post(
                                "/api/v1/system/node_api/reports",
                                report(UUID.randomUUID(), current, DIGEST, "healthy"))
                        .status())
                .isEqualTo(201);

        refused(e, report(UUID.randomUUID(), UUID.randomUUID(), DIGEST, "healthy"), "node/unknown-publication");
        refused(e, report(UUID.randomUUID(), foreign, DIGEST, "failed"), "node/foreign-publication");
        refused(e, report(UUID.randomUUID(), otherTriple, DIGEST, "failed"), "node/foreign-publication");
        refused(e, report(UUID.randomUUID(), queued, DIGEST, "failed"), "node/unpublished-publication");
        UUID mismatch = UUID.randomUUID();
        refused(e, report(mismatch, current, "ef".repeat(32), "failed"), "node/digest-mismatch");
        refused(e, report(UUID.randomUUID(), current, DIGEST, "great"), "validation/invalid");
        refused(e, "{\"publication_id\": \"" + current + "\"}", "validation/invalid");
        // a retry of a refused report is refused again, not recorded twice
        refused(e, report(mismatch, current, "ef".repeat(32), "failed"), "node/digest-mismatch");

        assertThat(jdbc.sql("select refusal_code from node_report where refusal_code is not null order by refusal_code")
                        .query(String.class)
                        .list())
                .containsExactly(
                        "node/digest-mismatch",
                        "node/foreign-publication",
                        "node/foreign-publication",
                        "node/unknown-publication",
                        "node/unpublished-publication",
                        "validation/invalid",
                        "validation/invalid");
        JsonNode shown = reader.get(
                        "/api/v1/system/nodes/" + e.get("node").get("id").asString())
                .json();
        assertThat(shown.get("last_publication_id").asString()).isEqualTo(current.toString());
        assertThat(shown.get("last_result").asString()).isEqualTo("healthy");
    }

    private void refused(JsonNode enrolled, String body, String code) {
        Api.Response r = node(enrolled).post("/api/v1/system/node_api/reports", body);
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.json().get("code").asString()).as(r.body()).isEqualTo(code);
    }

    @Test
    void reportsPastTheirMaximumAgeArePurgedAndTheNodeKeepsItsLastOne() {
        JsonNode e = enroll("n1");
        node(e).post("/api/v1/system/node_api/reports", report(UUID.randomUUID(), current, DIGEST, "healthy"));
        clock.advance(Duration.ofDays(20));
        node(e).post("/api/v1/system/node_api/reports", report(UUID.randomUUID(), retired, DIGEST, "failed"));
        clock.advance(Duration.ofDays(11));

        assertThat(nodes.purgeOldReports()).isEqualTo(1);
        clock.advance(Duration.ofDays(40));
        assertThat(nodes.purgeOldReports())
                .as("the reports on the publication the node runs stay: its first one is that rollout's verdict")
                .isZero();

        assertThat(jdbc.sql("select count(*) from node_report")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
        JsonNode shown = reader.get(
                        "/api/v1/system/nodes/" + e.get("node").get("id").asString())
                .json();
        assertThat(shown.get("last_publication_id").asString()).isEqualTo(retired.toString());
    }

    @Test
    void aNodeOverItsReportRateIsToldWhenToComeBack() {
        JsonNode e = enroll("chatty");
        int accepted = 0;
        Api.Response last = null;
        for (int i = 0; i < 11; i++) {
            last = node(e).post(
                            "/api/v1/system/node_api/reports", report(UUID.randomUUID(), current, DIGEST, "healthy"));
            if (last.status() == 201) {
                accepted++;
            }
        }
        assertThat(accepted).isEqualTo(10);
        assertThat(last.status()).isEqualTo(429);
        assertThat(last.json().get("code").asString()).isEqualTo("node/rate-limited");
        assertThat(last.raw().headers().firstValue("Retry-After")).isPresent();

        clock.advance(Duration.ofSeconds(5));
        assertThat(node(e).post(
                                "/api/v1/system/node_api/reports",
                                report(UUID.randomUUID(), current, DIGEST, "healthy"))
                        .status())
                .isEqualTo(201);
    }

    @Test
    void autoRollbackCountsFirstBootsOfTheFirstNodesAndGoesBackToTheNewestOlderPublicationOnce() {
        String path = "/api/v1/system/node_platforms/edge/auto_rollback";
        Instant t = clock.instant().minus(Duration.ofDays(1));
        UUID oldest = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t.minusSeconds(60));
        UUID newer = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t.plusSeconds(120));
        assertThat(reader.get(path).json().get("policy").isNull())
                .as("off until set")
                .isTrue();
        assertThat(admin.as(Api.token(Scope.DISK_IMAGES_WRITE))
                        .put(path, "{\"failures\":2,\"window\":3}")
                        .status())
                .isEqualTo(403);
        assertThat(admin.put(path, "{\"failures\":4,\"window\":3}").status()).isEqualTo(422);
        assertThat(admin.put(path, "{\"window\":3}").status())
                .as("failures is required")
                .isEqualTo(422);
        Api.Response set = admin.put(path, "{\"failures\":2,\"window\":3}");
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        assertThat(set.json().get("policy").get("window").asInt()).isEqualTo(3);

        JsonNode a = enroll("a");
        JsonNode b = enroll("b");
        JsonNode c = enroll("c");
        JsonNode d = enroll("d");
        JsonNode e = enroll("e");
        report(a, current, "healthy");
        report(b, current, "failed");
        report(c, current, "healthy");
        report(c, current, "failed"); // not c's first boot of it
        refused(e, report(UUID.randomUUID(), current, "ef".repeat(32), "failed"), "node/digest-mismatch");
        report(d, current, "failed"); // the 4th node: outside the window of 3
        assertThat(currentId()).as("1 failure among the first 3 first boots").isEqualTo(current);

        assertThat(admin.put(path, "{\"failures\":2,\"window\":5}").status()).isEqualTo(200);
        assertThat(admin.put(path, "{\"failures\":2}")
                        .json()
                        .get("policy")
                        .get("window")
                        .asInt())
                .as("an absent window keeps the policy's")
                .isEqualTo(5);
        report(d, current, "failed");

        assertThat(currentId())
                .as("2 of the first 4: back to the newest publication older than the current one")
                .isEqualTo(retired)
                .isNotEqualTo(newer)
                .isNotEqualTo(oldest);
        JsonNode trips = reader.get(path).json().get("trips");
        assertThat(trips.size()).isEqualTo(1);
        assertThat(trips.get(0).get("publication_id").asString()).isEqualTo(current.toString());
        assertThat(trips.get(0).get("target_publication_id").asString()).isEqualTo(retired.toString());
        assertThat(trips.get(0).get("reason").asString())
                .isEqualTo(
                        "auto-rollback: 2 of the first 4 nodes failed to boot sha256:" + DIGEST + " (policy: 2 of 5)");
        JsonNode audit = reader.get("/api/v1/system/node_platforms/" + platform + "/audit")
                .json()
                .get("data");
        assertThat(audit.toString()).contains("auto-rollback: 2 of the first 4 nodes failed");

        // the publication it went back to failing too: no cascade without an operator
        report(a, retired, "failed");
        report(b, retired, "failed");
        assertThat(currentId()).isEqualTo(retired);
        // an operator makes the tripped one current again: it does not trip a second time
        Api.Response promoted = admin.post(
                "/api/v1/system/node_platforms/" + platform + "/default_disk_image_publication",
                "{\"publication_id\":\"" + current + "\"}");
        assertThat(promoted.status()).as(promoted.body()).isEqualTo(200);
        report(e, current, "failed");
        report(c, current, "fell_back");
        assertThat(currentId()).isEqualTo(current);
        assertThat(reader.get(path).json().get("trips").size()).isEqualTo(1);

        Api.Response off = admin.delete(path);
        assertThat(off.status()).as(off.body()).isEqualTo(200);
        assertThat(off.json().get("policy").isNull()).isTrue();
        assertThat(off.json().get("trips").size()).as("trips stay on record").isEqualTo(1);
    }

    private void report(JsonNode enrolled, UUID publication, String result) {
        Api.Response r = node(enrolled)
                .post("/api/v1/system/node_api/reports", report(UUID.randomUUID(), publication, DIGEST, result));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    private UUID currentId() {
        return jdbc.sql("""
                select id from disk_image_publication
                where node_platform_id = :p and artifact_family = 'uefi_disk' and arch = 'amd64' and active
                """).param("p", platform).query(UUID.class).single();
    }

    @Test
    void convergenceCountsEachLiveNodeOnceAndMarksUnhealthyAndStaleOnes() {
        JsonNode onCurrent = enroll("a");
        JsonNode onOld = enroll("b");
        enroll("c");
        JsonNode gone = enroll("d");
        admin.delete("/api/v1/system/nodes/" + gone.get("node").get("id").asString());
        assertThat(node(onCurrent)
                        .post("/api/v1/system/node_api/reports", report(UUID.randomUUID(), current, DIGEST, "healthy"))
                        .status())
                .isEqualTo(201);
        assertThat(node(onOld)
                        .post(
                                "/api/v1/system/node_api/reports",
                                report(UUID.randomUUID(), retired, DIGEST, "fell_back"))
                        .status())
                .isEqualTo(201);

        JsonNode c = convergence();
        assertThat(c.get("current_publication_id").asString()).isEqualTo(current.toString());
        assertThat(c.get("total").asLong()).isEqualTo(3);
        assertThat(c.get("on_current").asLong()).isEqualTo(1);
        assertThat(c.get("on_other").get(0).get("publication_id").asString()).isEqualTo(retired.toString());
        assertThat(c.get("on_other").get(0).get("nodes").asLong()).isEqualTo(1);
        assertThat(c.get("never_reported").asLong()).isEqualTo(1);
        assertThat(c.get("unhealthy").asLong()).isEqualTo(1);
        assertThat(c.get("stale").asLong()).as("c never called in").isEqualTo(1);
        assertThat(Duration.between(Instant.parse(c.get("stale_counted_at").asString()), clock.instant()))
                .isBetween(Duration.ZERO, Nodes.STALE_RECOUNT);

        clock.advance(Duration.ofMinutes(11));
        assertThat(convergence().get("stale").asLong()).isEqualTo(3);
        assertThat(reader.get("/api/v1/system/node_platforms/nowhere/convergence")
                        .status())
                .isEqualTo(404);
    }

    @Test
    void fleetCountsStayExactWhileNodesMoveBothWaysAtOnce() throws Exception {
        List<JsonNode> fleet = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            fleet.add(enroll("f" + i));
        }
        // every node moves current -> retired -> current (or the other way round) with a failure or
        // a fallback in between, eight at a time, while a quarter of them is revoked: the counters
        // each boot event moves (two rows, locked in key order) must neither deadlock nor drift
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < fleet.size(); i++) {
                JsonNode n = fleet.get(i);
                UUID first = i % 2 == 0 ? current : retired;
                UUID second = i % 2 == 0 ? retired : current;
                String middle = i % 3 == 0 ? "failed" : i % 3 == 1 ? "fell_back" : "healthy";
                boolean revoke = i % 4 == 3;
                work.add(pool.submit(() -> {
                    report(n, first, "healthy");
                    report(n, second, middle);
                    report(n, first, "healthy");
                    report(n, second, middle);
                    if (revoke) {
                        assertThat(admin.delete("/api/v1/system/nodes/"
                                                + n.get("node").get("id").asString())
                                        .status())
                                .isEqualTo(200);
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        // the oracle: the same figures counted from the nodes themselves
        record Tally(UUID publication, long nodes, long unhealthy) {}
        List<Tally> scanned = jdbc.sql("""
                select last_publication_id, count(*),
                       count(*) filter (where last_result <> 'healthy')
                from node where node_platform_id = :p and revoked_at is null
                group by 1 order by 1
                """)
                .param("p", platform)
                .query((rs, n) -> new Tally(rs.getObject(1, UUID.class), rs.getLong(2), rs.getLong(3)))
                .list();
        List<Tally> counted = jdbc.sql("""
                select publication_id, sum(nodes), coalesce(sum(nodes) filter (where unhealthy), 0)
                from node_fleet_count where node_platform_id = :p
                group by 1 having sum(nodes) > 0 order by 1
                """)
                .param("p", platform)
                .query((rs, n) -> new Tally(rs.getObject(1, UUID.class), rs.getLong(2), rs.getLong(3)))
                .list();
        assertThat(counted).isEqualTo(scanned);
        assertThat(scanned.stream().mapToLong(Tally::nodes).sum()).isEqualTo(18);
        assertThat(scanned.stream().mapToLong(Tally::unhealthy).sum())
                .as("the nodes that last reported a failure or a fallback")
                .isEqualTo(12);
        assertThat(jdbc.sql("select count(*) from node_fleet_count where nodes = 0")
                        .query(Long.class)
                        .single())
                .as("a counter that falls to zero is deleted")
                .isZero();

        JsonNode c = convergence();
        assertThat(c.get("total").asLong()).isEqualTo(18);
        long onCurrent = scanned.stream()
                .filter(t -> current.equals(t.publication()))
                .mapToLong(Tally::nodes)
                .sum();
        assertThat(c.get("on_current").asLong()).isEqualTo(onCurrent);
        assertThat(c.get("on_other").get(0).get("nodes").asLong()).isEqualTo(18 - onCurrent);
        assertThat(c.get("unhealthy").asLong()).isEqualTo(12);
        assertThat(c.get("never_reported").asLong()).isZero();
    }

    private JsonNode convergence() {
        Api.Response r = reader.get("/api/v1/system/node_platforms/edge/convergence");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode data = r.json().get("data");
        assertThat(data.size()).as(r.body()).isEqualTo(1);
        return data.get(0);
    }
}
