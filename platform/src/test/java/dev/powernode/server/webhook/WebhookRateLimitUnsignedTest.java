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
 * A webhook's URL is not a secret (CI configuration, the endpoint list): calls that fail its HMAC
 * must not spend the webhook's own rate, or anyone could keep its runner at 429.
 */
@IntegrationTest
@TestPropertySource(
        properties = {
            "powernode.webhook.rate-per-address=1000",
            "powernode.webhook.burst-per-address=1000",
            "powernode.webhook.rate-per-webhook=0.001",
            "powernode.webhook.burst-per-webhook=2",
        })
class WebhookRateLimitUnsignedTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void callsThatFailTheSignatureDoNotDrainTheWebhooksRate() {
        new Fixtures(jdbc).reset();
        Api admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        JsonNode w = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"rate-unsigned\"}")
                .json();
        WebhookCaller runner = new WebhookCaller(
                admin, w.get("webhook_url").asString(), w.get("webhook_secret").asString());

        for (int i = 0; i < 10; i++) {
            Api.Response forged = runner.sendRaw(
                    "forged-" + i,
                    Long.toString(System.currentTimeMillis() / 1000),
                    "sha256=" + "0".repeat(64),
                    "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(forged.status()).as(forged.body()).isEqualTo(401);
        }

        Api.Response signed = runner.send("{}");
        assertThat(signed.status())
                .as(
                        "the runner's signed call is judged on its body, not refused for the forgers' rate: %s",
                        signed.body())
                .isEqualTo(422);
    }
}
