package dev.powernode.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.powernode.common.token.Scope;
import dev.powernode.common.webhook.WebhookSignature;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Signed CloudEvents to an operator endpoint (a real HTTP server on loopback), with retries and a log. */
@IntegrationTest
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@TestPropertySource(
        properties = {
            "powernode.ingest.enabled=true",
            "powernode.ingest.polling-interval=200ms",
            "powernode.events.poll-interval=200ms",
            "powernode.events.backoff-base=200ms",
            "powernode.retention.cron=0 0 0 1 1 *"
        })
class OutboundEventsTest {
    record Received(String delivery, String timestamp, String signature, String body) {}

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    HttpServer receiver;
    List<Received> received = new CopyOnWriteArrayList<>();
    AtomicInteger failuresLeft = new AtomicInteger();
    Fixtures fixtures;
    Api admin;
    UUID platform;

    @BeforeEach
    void setUp() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 10);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int status = failuresLeft.getAndDecrement() > 0 ? 500 : 204;
            if (status == 204) {
                received.add(new Received(
                        exchange.getRequestHeaders().getFirst(WebhookSignature.DELIVERY_HEADER),
                        exchange.getRequestHeaders().getFirst(WebhookSignature.TIMESTAMP_HEADER),
                        exchange.getRequestHeaders().getFirst(WebhookSignature.SIGNATURE_HEADER),
                        new String(body, StandardCharsets.UTF_8)));
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();
        fixtures = new Fixtures(jdbc);
        fixtures.reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        platform = fixtures.platform("events");
    }

    @AfterEach
    void stop() {
        receiver.stop(0);
    }

    String hook() {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    }

    String subscribe(String events) {
        Api.Response r = admin.post(
                "/api/v1/system/event_subscriptions", "{\"url\":\"" + hook() + "\",\"events\":" + events + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("secret").asString();
    }

    UUID rollback() {
        Instant t0 = Instant.now().minus(Duration.ofDays(1));
        UUID old = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(60));
        Api.Response r = admin.post(
                "/api/v1/system/node_platforms/" + platform + "/default_disk_image_publication",
                "{\"publication_id\":\"" + old + "\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return old;
    }

    @Test
    void aRollbackIsAnnouncedAsASignedCloudEvent() {
        String secret = subscribe("[]");
        UUID old = rollback();

        await().atMost(Duration.ofSeconds(20)).until(() -> !received.isEmpty());
        Received r = received.get(0);
        assertThat(WebhookSignature.verify(
                        secret.getBytes(StandardCharsets.US_ASCII),
                        Long.parseLong(r.timestamp()),
                        r.delivery(),
                        r.body().getBytes(StandardCharsets.UTF_8),
                        r.signature()))
                .isTrue();
        JsonNode event = JsonMapper.builder().build().readTree(r.body());
        assertThat(event.get("specversion").asString()).isEqualTo("1.0");
        assertThat(event.get("type").asString()).isEqualTo("dev.powernode.disk_image.rolled_back");
        assertThat(event.get("subject").asString()).isEqualTo(old.toString());
        assertThat(event.get("data").get("active").asBoolean()).isTrue();
        assertThat(event.get("data").get("reason").asString()).contains("rollback by test-system:admin");
    }

    @Test
    void aFailingEndpointIsRetriedUntilItAcceptsAndTheLogShowsIt() {
        failuresLeft.set(2);
        subscribe("[\"rolled_back\"]");
        rollback();

        await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            JsonNode d = admin.get("/api/v1/system/event_deliveries")
                    .json()
                    .get("data")
                    .get(0);
            return d.get("status").asString().equals("delivered");
        });
        JsonNode d =
                admin.get("/api/v1/system/event_deliveries").json().get("data").get(0);
        assertThat(d.get("attempts").asInt()).isEqualTo(3);
        assertThat(d.get("event_type").asString()).isEqualTo("rolled_back");
        assertThat(d.get("last_http_status").asInt()).isEqualTo(204);
    }

    @Test
    void subscriptionsOnlyGetTheEventsTheyAskedFor() {
        subscribe("[\"purged\"]");
        String other = subscribe("[\"rolled_back\", \"promoted\"]");
        rollback();
        await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 1);
        assertThat(jdbc.sql("select count(*) from event_delivery")
                        .query(Long.class)
                        .single())
                .as("one delivery: to the subscription that asked for rolled_back")
                .isEqualTo(1);
        assertThat(other).isNotBlank();
    }

    @Test
    void eventsNobodySubscribedToAreNotStored() {
        subscribe("[\"purged\"]");
        rollback();
        assertThat(jdbc.sql("select count(*) from outbound_event")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    @Test
    void subscribingValidatesTheUrlAndTheEventNames() {
        Api.Response badUrl = admin.post("/api/v1/system/event_subscriptions", "{\"url\":\"ftp://x\",\"events\":[]}");
        assertThat(badUrl.status()).isEqualTo(422);
        Api.Response badEvent = admin.post(
                "/api/v1/system/event_subscriptions", "{\"url\":\"" + hook() + "\",\"events\":[\"exploded\"]}");
        assertThat(badEvent.status()).isEqualTo(422);
        assertThat(admin.as(Api.token(Scope.DISK_IMAGES_WRITE))
                        .post("/api/v1/system/event_subscriptions", "{\"url\":\"" + hook() + "\"}")
                        .status())
                .isEqualTo(403);
    }
}
