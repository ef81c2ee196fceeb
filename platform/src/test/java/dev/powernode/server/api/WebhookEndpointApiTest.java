package dev.powernode.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** {@code GET /api/v1/system/disk_image_webhook_endpoints}: the webhooks, their last call, no secrets. */
@IntegrationTest
class WebhookEndpointApiTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Api admin;
    Api reader;

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        reader = admin.as(Api.token(Scope.DISK_IMAGES_READ));
    }

    JsonNode provision(String body) {
        Api.Response r = admin.post("/api/v1/system/disk_image_webhooks", body);
        assertThat(r.status()).as(r.body()).isIn(200, 201);
        return r.json();
    }

    @Test
    void listsWebhooksByLabelWithTheirUrlAndLastDeliveryButNeverASecret() {
        JsonNode arm = provision("{\"label\":\"arm64-builder\",\"platform_api_base\":\"https://pn.example.org\"}");
        JsonNode amd = provision("{\"label\":\"amd64-builder\"}");
        JsonNode amdRotated = provision("{\"label\":\"amd64-builder\"}");
        UUID amdId = UUID.fromString(amd.get("webhook_id").asString());
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        delivery(amdId, now.minus(Duration.ofHours(3)), 202, null);
        UUID newest = delivery(amdId, now.minus(Duration.ofMinutes(2)), 401, "signature does not match");

        Api.Response r = reader.get("/api/v1/system/disk_image_webhook_endpoints");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode data = r.json().get("data");
        assertThat(data.findValuesAsString("label")).containsExactly("amd64-builder", "arm64-builder");
        JsonNode first = data.get(0);
        assertThat(first.get("id").asString()).isEqualTo(amdId.toString());
        assertThat(first.get("webhook_url").asString())
                .isEqualTo(amd.get("webhook_url").asString());
        assertThat(Instant.parse(first.get("rotated_at").asString()))
                .isAfterOrEqualTo(Instant.parse(first.get("created_at").asString()));
        JsonNode last = first.get("last_delivery");
        assertThat(last.get("id").asString()).isEqualTo(newest.toString());
        assertThat(Instant.parse(last.get("received_at").asString())).isEqualTo(now.minus(Duration.ofMinutes(2)));
        assertThat(last.get("http_status").asInt()).isEqualTo(401);
        assertThat(last.get("verdict").asString()).isEqualTo("rejected");
        assertThat(last.get("reason").asString()).isEqualTo("signature does not match");

        JsonNode second = data.get(1);
        assertThat(second.get("webhook_url").asString())
                .isEqualTo("https://pn.example.org/api/v1/system/webhooks/disk_image/built/"
                        + arm.get("webhook_id").asString());
        assertThat(second.get("last_delivery").isNull()).isTrue();

        assertThat(r.body())
                .doesNotContain(arm.get("webhook_secret").asString())
                .doesNotContain(amd.get("webhook_secret").asString())
                .doesNotContain(amdRotated.get("webhook_secret").asString())
                .doesNotContain("secret");
    }

    @Test
    void anAcceptedLastDeliveryIsTheVerdictAccepted() {
        UUID id = UUID.fromString(
                provision("{\"label\":\"builder\"}").get("webhook_id").asString());
        delivery(id, Instant.now().minus(Duration.ofDays(2)), 401, "stale timestamp");
        delivery(id, Instant.now().minus(Duration.ofMinutes(1)), 202, null);

        JsonNode last = reader.get("/api/v1/system/disk_image_webhook_endpoints")
                .json()
                .get("data")
                .get(0)
                .get("last_delivery");

        assertThat(last.get("verdict").asString()).isEqualTo("accepted");
        assertThat(last.get("http_status").asInt()).isEqualTo(202);
    }

    @Test
    void pagesLikeTheOtherListsAndNeedsAToken() {
        for (String label : new String[] {"a-builder", "b-builder", "c-builder"}) {
            provision("{\"label\":\"" + label + "\"}");
        }

        Api.Response page2 = reader.get("/api/v1/system/disk_image_webhook_endpoints?page=2&per_page=2");

        assertThat(page2.status()).as(page2.body()).isEqualTo(200);
        assertThat(page2.json().get("data").findValuesAsString("label")).containsExactly("c-builder");
        JsonNode meta = page2.json().get("meta");
        assertThat(meta.get("page").asInt()).isEqualTo(2);
        assertThat(meta.get("per_page").asInt()).isEqualTo(2);
        assertThat(meta.get("total").asLong()).isEqualTo(3);
        assertThat(reader.get("/api/v1/system/disk_image_webhook_endpoints?per_page=500")
                        .status())
                .isEqualTo(422);
        assertThat(reader.anonymous()
                        .get("/api/v1/system/disk_image_webhook_endpoints")
                        .status())
                .isEqualTo(401);
    }

    private UUID delivery(UUID webhook, Instant at, int status, String reason) {
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into webhook_delivery (id, requested_webhook_id, webhook_id, delivery_id, received_at,
                    signature_valid, http_status, reason)
                values (:id, :requested, :webhook, :delivery, :at, :valid, :status, :reason)
                """)
                .param("id", id)
                .param("requested", webhook.toString())
                .param("webhook", webhook)
                .param("delivery", UUID.randomUUID().toString())
                .param("at", Timestamp.from(at))
                .param("valid", status == 202)
                .param("status", status)
                .param("reason", reason)
                .update();
        return id;
    }
}
