package dev.powernode.server.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.WebhookCaller;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Per-address and per-webhook token buckets: over the limit a caller gets 429 with Retry-After,
 * and nothing is written. Buckets live as long as the service, hence one scenario in one context.
 */
@IntegrationTest
@TestPropertySource(
        properties = {
            "powernode.webhook.rate-per-address=0.001",
            "powernode.webhook.burst-per-address=5",
            "powernode.webhook.rate-per-webhook=0.001",
            "powernode.webhook.burst-per-webhook=2",
        })
class WebhookRateLimitTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void callsOverTheWebhookOrAddressLimitAre429WithRetryAfterAndWriteNothing() {
        new Fixtures(jdbc).reset();
        Api admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        WebhookCaller a = webhook(admin, "rate-a");
        WebhookCaller b = webhook(admin, "rate-b");
        String body = "{}";

        assertThat(a.send(body).status()).isEqualTo(422);
        assertThat(a.send(body).status()).isEqualTo(422);
        Api.Response overWebhook = a.send(body);
        assertThat(overWebhook.status()).as(overWebhook.body()).isEqualTo(429);
        assertThat(overWebhook.json().get("code").asString()).isEqualTo("webhook/rate-limited");
        assertThat(overWebhook.json().get("detail").asString()).contains("this webhook");
        assertThat(overWebhook.raw().headers().firstValue("Retry-After")).hasValue("1000");

        assertThat(b.send(body).status()).isEqualTo(422);
        assertThat(b.send(body).status()).isEqualTo(422);
        Api.Response overAddress = b.send(body);
        assertThat(overAddress.status()).as(overAddress.body()).isEqualTo(429);
        assertThat(overAddress.json().get("detail").asString()).contains("this address");
        assertThat(overAddress.raw().headers().firstValue("Retry-After")).isPresent();

        assertThat(jdbc.sql("select count(*) from webhook_delivery")
                        .query(Long.class)
                        .single())
                .as("only the four calls inside the limits are recorded")
                .isEqualTo(4);
    }

    private static WebhookCaller webhook(Api admin, String label) {
        JsonNode w = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"" + label + "\"}")
                .json();
        return new WebhookCaller(
                admin, w.get("webhook_url").asString(), w.get("webhook_secret").asString());
    }
}
