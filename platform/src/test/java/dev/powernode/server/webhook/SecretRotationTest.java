package dev.powernode.server.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.powernode.common.token.Scope;
import dev.powernode.server.shared.SecretBox;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A rotation made by another replica (here: another connection doing what {@code provision} does)
 * reaches this replica's copy of the secret through PostgreSQL's {@code NOTIFY}, not a timeout.
 */
@IntegrationTest
class SecretRotationTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    DiskImageWebhooks webhooks;

    @Autowired
    SecretCache cache;

    @Autowired
    SecretBox box;

    UUID id;

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        Api admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        Api.Response w = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\":\"rotating\"}");
        assertThat(w.status()).as(w.body()).isEqualTo(201);
        id = UUID.fromString(w.json().get("webhook_id").asString());
        await().atMost(Duration.ofSeconds(10)).until(cache::listening);
    }

    @Test
    void aRotationOnAnotherReplicaIsSeenHereAsItCommits() throws Exception {
        String before = secret();
        assertThat(secret()).as("served from the copy").isEqualTo(before);

        // a write without the notification is not seen: the copy is what answers
        store("not-announced", false);
        assertThat(secret()).isEqualTo(before);

        store("rotated", true);
        await().atMost(Duration.ofSeconds(2))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> secret().equals("rotated"));
    }

    private String secret() {
        return new String(webhooks.credentials(id).orElseThrow().secret(), StandardCharsets.US_ASCII);
    }

    /** What another replica's rotation writes, in one transaction, with or without its NOTIFY. */
    private void store(String secret, boolean announce) throws Exception {
        try (Connection c =
                DriverManager.getConnection(TestDatabase.url(), TestDatabase.user(), TestDatabase.password())) {
            c.setAutoCommit(false);
            try (PreparedStatement ps =
                    c.prepareStatement("update disk_image_webhook set secret_ciphertext = ? where id = ?")) {
                ps.setBytes(
                        1,
                        box.seal(
                                secret.getBytes(StandardCharsets.US_ASCII),
                                ("disk_image_webhook:" + id).getBytes(StandardCharsets.US_ASCII)));
                ps.setObject(2, id);
                ps.executeUpdate();
            }
            if (announce) {
                try (PreparedStatement ps = c.prepareStatement("select pg_notify(?, ?)")) {
                    ps.setString(1, SecretCache.CHANNEL);
                    ps.setString(2, id.toString());
                    ps.executeQuery().close();
                }
            }
            c.commit();
        }
    }
}
