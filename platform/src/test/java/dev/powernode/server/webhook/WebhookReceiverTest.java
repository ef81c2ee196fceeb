package dev.powernode.server.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.common.webhook.WebhookSignature;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.SettableClock;
import dev.powernode.server.support.SignedPlatform;
import dev.powernode.server.support.WebhookCaller;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The receiver's checks, without running ingest jobs (publications stay queued): every refusal is
 * the right 4xx, is recorded as a delivery, and creates nothing.
 */
@IntegrationTest
@TestPropertySource(properties = "powernode.registry.allowed-hosts=registry.test:5000")
class WebhookReceiverTest {
    static final String REF = "registry.test:5000/disk-images@sha256:" + "ab".repeat(32);
    static final String SHA = "cd".repeat(32);

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    MeterRegistry meters;

    @Autowired
    WebhookDeliveries deliveryLog;

    @Autowired
    SettableClock clock;

    Api admin;
    WebhookCaller caller;
    String webhookId;

    @BeforeEach
    void setUp() throws Exception {
        new Fixtures(jdbc).reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        SignedPlatform.create(admin, "signed");
        assertThat(admin.post("/api/v1/system/node_platforms", "{\"slug\":\"unsigned\",\"name\":\"No policy\"}")
                        .status())
                .isEqualTo(201);
        Api.Response provisioned = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"amd64-builder\"}");
        assertThat(provisioned.status()).as(provisioned.body()).isEqualTo(201);
        JsonNode w = provisioned.json();
        webhookId = w.get("webhook_id").asString();
        caller = new WebhookCaller(
                admin, w.get("webhook_url").asString(), w.get("webhook_secret").asString());
    }

    String good() {
        return WebhookCaller.body("signed", "uefi_disk", "amd64", REF, SHA, 1234);
    }

    @Test
    void acceptsASignedAnnouncementWithA202AndAQueuedPublication() {
        Api.Response r = caller.send(good());

        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String publicationId = r.json().get("publication_id").asString();
        JsonNode p = admin.get("/api/v1/system/disk_image_publications/" + publicationId)
                .json();
        assertThat(p.get("status").asString()).isEqualTo("queued");
        assertThat(p.get("oci_ref").asString()).isEqualTo(REF);
        assertThat(p.get("webhook_label").asString()).isEqualTo("amd64-builder");
        assertThat(p.get("webhook_id").asString()).isEqualTo(webhookId);
        assertThat(jdbc.sql("select count(*) from scheduled_tasks where task_instance = :id")
                        .param("id", publicationId)
                        .query(Long.class)
                        .single())
                .as("the ingest job is scheduled with the publication")
                .isEqualTo(1);
        JsonNode delivery = admin.get("/api/v1/system/disk_image_webhooks?recent=true")
                .json()
                .get("data")
                .get(0);
        assertThat(delivery.get("http_status").asInt()).isEqualTo(202);
        assertThat(delivery.get("publication_id").asString()).isEqualTo(publicationId);
    }

    @Test
    void aRepeatedDeliveryGetsTheFirstAnswerAndCreatesNothing() {
        String id = UUID.randomUUID().toString();
        long now = Instant.now().getEpochSecond();
        Api.Response first = caller.send(id, now, good());
        Api.Response again = caller.send(id, now + 1, good());

        assertThat(first.status()).isEqualTo(202);
        assertThat(again.status()).isEqualTo(202);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(publications()).isEqualTo(1);
        assertThat(deliveries()).isEqualTo(2);
    }

    @Test
    void aBadSignatureIsRefusedAndRecorded() {
        byte[] body = good().getBytes();
        long now = Instant.now().getEpochSecond();
        Api.Response r = caller.sendRaw(
                "d1", Long.toString(now), WebhookSignature.sign("wrong-secret".getBytes(), now, "d1", body), body);
        assertRefused(r, 401, "webhook/bad-signature");
        JsonNode d = admin.get("/api/v1/system/disk_image_webhooks?recent=true")
                .json()
                .get("data")
                .get(0);
        assertThat(d.get("signature_valid").asBoolean()).isFalse();
        assertThat(d.get("reason").asString()).contains("signature does not match");
    }

    @Test
    void aBodyChangedAfterSigningIsRefused() {
        long now = Instant.now().getEpochSecond();
        String signature = WebhookSignature.sign(caller.secret(), now, "d2", good().getBytes());
        byte[] tampered = good().replace("1234", "9999").getBytes();
        assertRefused(caller.sendRaw("d2", Long.toString(now), signature, tampered), 401, "webhook/bad-signature");
    }

    @Test
    void unsignedOrStaleCallsAreRefused() {
        assertRefused(caller.sendRaw("d3", null, null, good().getBytes()), 401, "webhook/unsigned");
        assertRefused(caller.send("d4", Instant.now().getEpochSecond() - 310, good()), 401, "webhook/stale");
        assertRefused(caller.send("d5", Instant.now().getEpochSecond() + 310, good()), 401, "webhook/stale");
        assertThat(deliveries()).isEqualTo(3);
    }

    @Test
    void anUnknownWebhookIsNotFoundCountedAndNotRecorded() {
        double before = meters.counter("powernode.webhook.unknown").count();
        WebhookCaller stranger = new WebhookCaller(
                admin, "http://x/api/v1/system/webhooks/disk_image/built/" + UUID.randomUUID(), "00".repeat(32));
        assertRefused(stranger.send(good()), 404, "webhook/unknown");
        WebhookCaller garbage = new WebhookCaller(
                admin, "http://x/api/v1/system/webhooks/disk_image/built/not-a-uuid" + "x".repeat(7000), "00");
        Api.Response r = garbage.send(good());
        assertRefused(r, 404, "webhook/unknown");
        assertThat(r.json().get("detail").asString()).hasSizeLessThan(100);

        assertThat(deliveries()).as("anonymous calls write no rows").isZero();
        assertThat(meters.counter("powernode.webhook.unknown").count()).isEqualTo(before + 2);
    }

    @Test
    void theOldTimestampDotBodySignatureIsRefused() throws Exception {
        byte[] body = good().getBytes();
        long now = Instant.now().getEpochSecond();
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(caller.secret(), "HmacSHA256"));
        mac.update((now + ".").getBytes());
        String old = "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body));

        assertRefused(caller.sendRaw("d-old", Long.toString(now), old, body), 401, "webhook/bad-signature");
    }

    /** Issue 11: the idempotency-key rule: one delivery id, one body. */
    @Test
    void aDeliveryIdReusedWithAnotherBodyIsAConflictThatIsRecordedAndCreatesNothing() {
        long now = Instant.now().getEpochSecond();
        Api.Response first = caller.send("d-reused", now, good());
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        String other = WebhookCaller.body("signed", "uefi_disk", "amd64", REF.replace("ab", "ef"), SHA, 1234);

        Api.Response conflict = caller.send("d-reused", now + 1, other);

        assertThat(conflict.status()).as(conflict.body()).isEqualTo(409);
        assertThat(conflict.json().get("code").asString()).isEqualTo("webhook/delivery-conflict");
        assertThat(publications()).isEqualTo(1);
        assertThat(jdbc.sql(
                                "select count(*) from webhook_delivery where delivery_id = 'd-reused' and http_status = 409")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
        Api.Response same = caller.send("d-reused", now + 2, good());
        assertThat(same.status()).isEqualTo(202);
        assertThat(same.body()).isEqualTo(first.body());
    }

    @Test
    void aManifestAlreadyAnnouncedForItsTripleCreatesNothing() {
        Api.Response first = caller.send(good());
        assertThat(first.status()).isEqualTo(202);

        Api.Response again = caller.send(good());

        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.json().get("publication_id").asString())
                .isEqualTo(first.json().get("publication_id").asString());
        assertThat(again.json().get("already_announced").asBoolean()).isTrue();
        assertThat(publications()).isEqualTo(1);
        assertThat(jdbc.sql("select reason from webhook_delivery where http_status = 200")
                        .query(String.class)
                        .single())
                .contains("already announced");
        assertThat(caller.send(WebhookCaller.body("signed", "qcow2", "amd64", REF, SHA, 1234))
                        .status())
                .as("the same manifest for another triple is another publication")
                .isEqualTo(202);
    }

    @Test
    void controlCharactersInAnyStringFieldAreRefusedNamingTheFieldAndRecorded() {
        for (String field : List.of("platform", "run_id", "firmware_ref", "git_sha", "build_time")) {
            ObjectNode body = (ObjectNode) JsonMapper.builder().build().readTree(good());
            body.put(field, field.equals("platform") ? "signed\u001b[2J" : "x\u0000y");
            Api.Response r = caller.send(body.toString());
            assertThat(r.status()).as(field + ": " + r.body()).isEqualTo(422);
            assertThat(r.json().get("errors").findValuesAsString("field")).contains(field);
        }
        Api.Response oddName = caller.send(good().replaceFirst("\\{", "{\"a\\u0000b\":1,"));
        assertThat(oddName.status()).as(oddName.body()).isEqualTo(422);
        assertThat(publications()).isZero();
        assertThat(jdbc.sql("select count(*) from webhook_delivery where http_status = 422")
                        .query(Long.class)
                        .single())
                .as("every refusal is recorded, none is a 500")
                .isEqualTo(6);
    }

    @Test
    void storedReasonsAreBounded() {
        StringBuilder fields = new StringBuilder("{");
        for (int i = 0; i < 40; i++) {
            fields.append("\"unknown_").append("x".repeat(80)).append(i).append("\":1,");
        }
        Api.Response r = caller.send(good().replaceFirst("\\{", fields.toString()));
        assertThat(r.status()).isEqualTo(422);
        assertThat(jdbc.sql("select max(length(reason)) from webhook_delivery")
                        .query(Integer.class)
                        .single())
                .isLessThanOrEqualTo(500);
    }

    @Test
    void theBuildTimeIsRequiredAndNotInTheFuture() {
        Api.Response missing =
                caller.send(good().replace(",\"build_time\":\"" + WebhookCaller.DEFAULT_BUILD_TIME + "\"", ""));
        assertRefused(missing, 422, "validation/invalid");
        assertThat(missing.json().get("errors").findValuesAsString("field")).contains("build_time");
        Api.Response future = caller.send(WebhookCaller.body(
                "signed",
                "uefi_disk",
                "amd64",
                REF,
                SHA,
                1,
                Instant.now().plusSeconds(3600).toString()));
        assertRefused(future, 422, "validation/invalid");
        Api.Response garbage =
                caller.send(WebhookCaller.body("signed", "uefi_disk", "amd64", REF, SHA, 1, "yesterday"));
        assertRefused(garbage, 422, "validation/invalid");
        // far past: java.sql.Timestamp overflows and PostgreSQL refuses the year (was a 500, unrecorded)
        Api.Response ancient = caller.send(
                WebhookCaller.body("signed", "uefi_disk", "amd64", REF, SHA, 1, "-999999999-01-01T00:00:00Z"));
        assertRefused(ancient, 422, "validation/invalid");
        assertThat(ancient.json().get("errors").findValuesAsString("field")).containsExactly("build_time");
    }

    @Test
    void aWorkerBoundToTheWebhooksLabelAndAFirmwareRefAreKeptOnThePublication() {
        String workerId = worker("amd64-builder");
        String body = good().replace(
                        "\"run_id\":\"42\"",
                        "\"run_id\":\"42\",\"worker_id\":\"" + workerId
                                + "\",\"firmware_ref\":\"systemd-boot-efi/257/linuxx64.efi.stub@sha256:"
                                + "aa".repeat(32) + "\"");

        Api.Response r = caller.send(body);

        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode p = admin.get("/api/v1/system/disk_image_publications/"
                        + r.json().get("publication_id").asString())
                .json();
        assertThat(p.get("triggered_by_worker_id").asString()).isEqualTo(workerId);
        assertThat(p.get("firmware_ref").asString()).startsWith("systemd-boot-efi/257/");
    }

    @Test
    void anUnknownWorkerOrAWorkerOfAnotherLabelIsRefusedAndRecorded() {
        String stranger = UUID.randomUUID().toString();
        Api.Response unknown = caller.send(good().replace("\"run_id\":\"42\"", "\"worker_id\":\"" + stranger + "\""));
        assertRefused(unknown, 422, "validation/invalid");
        assertThat(unknown.json().get("errors").get(0).get("field").asString()).isEqualTo("worker_id");
        assertThat(unknown.json().get("errors").get(0).get("message").asString())
                .contains("no worker");

        String foreign = worker("arm64-builder");
        Api.Response other = caller.send(good().replace("\"run_id\":\"42\"", "\"worker_id\":\"" + foreign + "\""));
        assertRefused(other, 422, "validation/invalid");
        assertThat(other.json().get("errors").get(0).get("message").asString()).contains("not bound");
        assertThat(jdbc.sql("select count(*) from webhook_delivery where http_status = 422")
                        .query(Long.class)
                        .single())
                .isEqualTo(2);
    }

    @Test
    void aWebhookLimitedToSomePlatformsCannotAnnounceForOthers() throws Exception {
        SignedPlatform.create(admin, "other");
        Api.Response limited = admin.post(
                "/api/v1/system/disk_image_webhooks", "{\"label\":\"team-a\",\"allowed_platforms\":[\"signed\"]}");
        assertThat(limited.status()).as(limited.body()).isEqualTo(201);
        assertThat(limited.json().get("allowed_platforms")).hasSize(1);
        WebhookCaller teamA = new WebhookCaller(
                admin,
                limited.json().get("webhook_url").asString(),
                limited.json().get("webhook_secret").asString());

        Api.Response foreign = teamA.send(WebhookCaller.body("other", "uefi_disk", "amd64", REF, SHA, 1));

        assertRefused(foreign, 403, "webhook/platform-not-allowed");
        assertThat(jdbc.sql("select count(*) from webhook_delivery where http_status = 403")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
        assertThat(teamA.send(good()).status()).isEqualTo(202);
        Api.Response unknownPlatform = admin.post(
                "/api/v1/system/disk_image_webhooks", "{\"label\":\"team-b\",\"allowed_platforms\":[\"nope\"]}");
        assertThat(unknownPlatform.status()).isEqualTo(422);
        assertThat(unknownPlatform.json().get("errors").get(0).get("field").asString())
                .isEqualTo("allowed_platforms");
    }

    @Test
    void responsesOfTheWebhookAndWorkerFiltersAreNotSniffedOrCached() {
        List<Api.Response> written = List.of(
                caller.send(good()),
                caller.sendRaw("x", null, null, good().getBytes()),
                new WebhookCaller(admin, "http://x/api/v1/system/webhooks/disk_image/built/nope", "00").send(good()),
                admin.anonymous().post("/api/v1/system/worker_api/disk_image_publications", "{}"));
        for (Api.Response r : written) {
            assertThat(r.raw().headers().firstValue("X-Content-Type-Options"))
                    .as(r.toString())
                    .hasValue("nosniff");
            assertThat(r.raw().headers().firstValue("Cache-Control").orElse(""))
                    .as(r.toString())
                    .contains("no-store");
        }
    }

    @Test
    void deliveriesOlderThanTheirMaximumAgeArePurgedWithTheirRepeats() {
        String id = UUID.randomUUID().toString();
        long now = Instant.now().getEpochSecond();
        caller.send(id, now, good());
        caller.send(id, now, good());
        clock.advance(java.time.Duration.ofDays(31));
        caller.send(
                UUID.randomUUID().toString(),
                clock.instant().getEpochSecond(),
                WebhookCaller.body("nope", "uefi_disk", "amd64", REF, SHA, 1));

        assertThat(deliveryLog.purgeOlderThan(java.time.Duration.ofDays(30))).isEqualTo(2);

        assertThat(deliveries()).as("the recent refusal stays").isEqualTo(1);
    }

    private String worker(String label) {
        Api.Response w = admin.post("/api/v1/workers", "{\"label\":\"" + label + "\"}");
        assertThat(w.status()).as(w.body()).isIn(200, 201);
        return w.json().get("worker_id").asString();
    }

    @Test
    void malformedAndOversizedBodiesAreRefused() {
        assertRefused(caller.send("{\"platform\":"), 400, "webhook/malformed-json");
        assertRefused(caller.send("[1,2]"), 400, "webhook/malformed-json");
        String huge = good().replace("\"42\"", "\"" + "x".repeat(70_000) + "\"");
        assertRefused(caller.send(huge), 413, "webhook/too-large");
    }

    @Test
    void invalidFieldsAreNamed() {
        Api.Response r = caller.send("""
                {"platform":"signed","artifact_family":"floppy","arch":"sparc","oci_ref":"not a ref",
                 "sha256":"xyz","size_bytes":-1,"git_sha":"nothex!","extra":1}
                """);
        assertRefused(r, 422, "validation/invalid");
        assertThat(r.json().get("errors").findValuesAsString("field"))
                .contains("artifact_family", "arch", "oci_ref", "sha256", "size_bytes", "git_sha", "extra");
    }

    @Test
    void unknownPlatformMissingPolicyAndForeignRegistriesAreRefused() {
        assertRefused(
                caller.send(WebhookCaller.body("nope", "uefi_disk", "amd64", REF, SHA, 1)), 422, "validation/invalid");
        Api.Response noPolicy = caller.send(WebhookCaller.body("unsigned", "uefi_disk", "amd64", REF, SHA, 1));
        assertRefused(noPolicy, 422, "validation/invalid");
        assertThat(noPolicy.json().get("detail").asString()).contains("no verification policy");
        Api.Response ssrf = caller.send(WebhookCaller.body(
                "signed", "uefi_disk", "amd64", "169.254.169.254/x@sha256:" + "ab".repeat(32), SHA, 1));
        assertRefused(ssrf, 422, "validation/invalid");
        assertThat(ssrf.json().get("errors").get(0).get("message").asString()).contains("not allowed");
        Api.Response byTag = caller.send(
                WebhookCaller.body("signed", "uefi_disk", "amd64", "registry.test:5000/disk-images:latest", SHA, 1));
        assertRefused(byTag, 422, "validation/invalid");
    }

    @Test
    void provisioningAgainRotatesTheSecret() {
        Api.Response again = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"amd64-builder\"}");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("webhook_id").asString()).isEqualTo(webhookId);
        assertThat(again.json().get("rotated").asBoolean()).isTrue();

        assertRefused(caller.send(good()), 401, "webhook/bad-signature");
        WebhookCaller rotated = new WebhookCaller(
                admin,
                again.json().get("webhook_url").asString(),
                again.json().get("webhook_secret").asString());
        assertThat(rotated.send(good()).status()).isEqualTo(202);
        assertThat(jdbc.sql("select count(*) from disk_image_webhook")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
        assertThat(jdbc.sql("select secret_ciphertext from disk_image_webhook")
                        .query(byte[].class)
                        .single())
                .as("stored encrypted, not as the secret")
                .isNotEqualTo(again.json().get("webhook_secret").asString().getBytes());
    }

    @Test
    void provisioningNeedsAdminAndAValidLabel() {
        Api writer = admin.as(Api.token(Scope.DISK_IMAGES_WRITE));
        assertThat(writer.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"x\"}")
                        .status())
                .isEqualTo(403);
        Api.Response bad = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"no spaces allowed\"}");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("errors").get(0).get("field").asString()).isEqualTo("label");
    }

    private void assertRefused(Api.Response r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.isProblem()).isTrue();
        assertThat(r.json().get("code").asString()).isEqualTo(code);
        assertThat(publications()).as("nothing queued").isZero();
    }

    private long publications() {
        return jdbc.sql("select count(*) from disk_image_publication")
                .query(Long.class)
                .single();
    }

    private long deliveries() {
        return jdbc.sql("select count(*) from webhook_delivery")
                .query(Long.class)
                .single();
    }
}
