package dev.powernode.server.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.common.webhook.WebhookSignature;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.WebhookCaller;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

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

    Api admin;
    WebhookCaller caller;
    String webhookId;

    @BeforeEach
    void setUp() throws Exception {
        new Fixtures(jdbc).reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        String pem = "-----BEGIN PUBLIC KEY-----\\n"
                + Base64.getEncoder()
                        .encodeToString(g.generateKeyPair().getPublic().getEncoded())
                + "\\n-----END PUBLIC KEY-----\\n";
        assertThat(admin.post(
                                "/api/v1/system/node_platforms",
                                "{\"slug\":\"signed\",\"name\":\"Signed\",\"cosign_public_keys\":[\"" + pem + "\"]}")
                        .status())
                .isEqualTo(201);
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
                "d1", Long.toString(now), WebhookSignature.sign("wrong-secret".getBytes(), now, body), body);
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
        String signature = WebhookSignature.sign(caller.secret(), now, good().getBytes());
        byte[] tampered = good().replace("1234", "9999").getBytes();
        assertRefused(caller.sendRaw("d2", Long.toString(now), signature, tampered), 401, "webhook/bad-signature");
    }

    @Test
    void unsignedOrStaleCallsAreRefused() {
        assertRefused(caller.sendRaw("d3", null, null, good().getBytes()), 401, "webhook/unsigned");
        assertRefused(caller.send("d4", Instant.now().getEpochSecond() - 301, good()), 401, "webhook/stale");
        assertRefused(caller.send("d5", Instant.now().getEpochSecond() + 301, good()), 401, "webhook/stale");
        assertThat(deliveries()).isEqualTo(3);
    }

    @Test
    void anUnknownWebhookIsNotFound() {
        WebhookCaller stranger = new WebhookCaller(
                admin, "http://x/api/v1/system/webhooks/disk_image/built/" + UUID.randomUUID(), "00".repeat(32));
        assertRefused(stranger.send(good()), 404, "webhook/unknown");
        WebhookCaller garbage =
                new WebhookCaller(admin, "http://x/api/v1/system/webhooks/disk_image/built/not-a-uuid", "00");
        assertRefused(garbage.send(good()), 404, "webhook/unknown");
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
