package dev.powernode.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class WorkerAndDeliveryApiTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Api reader;

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        reader = new Api(port, Api.token(Scope.DISK_IMAGES_READ));
    }

    @Test
    void listsCiWorkersWithoutTheirTokens() {
        // an empty unpaged list: one page whose size is still at least 1 (docs/api.md)
        JsonNode none = reader.get("/api/v1/workers?role=ci_worker").json().get("meta");
        assertThat(none.get("total").asLong()).isZero();
        assertThat(none.get("page").asInt()).isEqualTo(1);
        assertThat(none.get("per_page").asInt()).isEqualTo(1);

        jdbc.sql("""
                insert into worker (id, role, label, token_sha256, created_at, rotated_at)
                values (:id, 'ci_worker', 'ubuntu-2404-amd64-builder', :hash, now(), now())
                """)
                .param("id", UUID.randomUUID())
                .param("hash", "ef".repeat(32))
                .update();

        Api.Response r = reader.get("/api/v1/workers?role=ci_worker");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode w = r.json().get("data").get(0);
        assertThat(w.get("label").asString()).isEqualTo("ubuntu-2404-amd64-builder");
        assertThat(w.get("role").asString()).isEqualTo("ci_worker");
        assertThat(r.body()).doesNotContain("efefef").doesNotContain("token");
        assertThat(reader.get("/api/v1/workers?role=overlord").status()).isEqualTo(422);
    }

    @Test
    void recentDeliveriesAreTheLastDaysNewestFirst() {
        UUID webhook = UUID.randomUUID();
        jdbc.sql("""
                insert into disk_image_webhook (id, label, secret_ciphertext, created_at, rotated_at)
                values (:id, 'amd64-builder', '\\x00'::bytea, now(), now())
                """).param("id", webhook).update();
        UUID fresh = delivery(webhook, Instant.now().minus(Duration.ofMinutes(5)), 202, null);
        UUID older = delivery(webhook, Instant.now().minus(Duration.ofHours(2)), 401, "bad signature");
        delivery(webhook, Instant.now().minus(Duration.ofDays(3)), 202, null);

        Api.Response recent = reader.get("/api/v1/system/disk_image_webhooks?recent=true");
        assertThat(recent.status()).as(recent.body()).isEqualTo(200);
        assertThat(recent.json().get("data").findValuesAsString("id"))
                .containsExactly(fresh.toString(), older.toString());
        JsonNode rejected = recent.json().get("data").get(1);
        assertThat(rejected.get("http_status").asInt()).isEqualTo(401);
        assertThat(rejected.get("reason").asString()).isEqualTo("bad signature");
        assertThat(rejected.get("webhook_label").asString()).isEqualTo("amd64-builder");

        assertThat(reader.get("/api/v1/system/disk_image_webhooks")
                        .json()
                        .get("meta")
                        .get("total")
                        .asLong())
                .isEqualTo(3);
        assertThat(reader.get("/api/v1/system/disk_image_webhooks?webhook_id=" + UUID.randomUUID())
                        .json()
                        .get("data")
                        .size())
                .isZero();
        assertThat(reader.get("/api/v1/system/disk_image_webhooks?recent=maybe").status())
                .isEqualTo(422);
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
