package dev.powernode.server.events;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.powernode.common.webhook.WebhookSignature;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Sends due deliveries: claims a batch with a lease ({@code SKIP LOCKED}, so replicas never send
 * one twice at once), POSTs each outside any transaction, and records the outcome. A 2xx is
 * delivered; anything else is retried with exponential backoff (10 s doubling to 1 h) until
 * {@link #MAX_ATTEMPTS}, then failed. Receivers de-duplicate with {@code X-Powernode-Delivery}.
 */
@Configuration(proxyBeanMethods = false)
class EventDeliveryTask {
    static final int MAX_ATTEMPTS = 8;
    static final int BATCH = 50;
    private static final Logger log = LoggerFactory.getLogger(EventDeliveryTask.class);

    @Bean
    RecurringTask<Void> deliverOutboundEventsTask(
            JdbcClient jdbc, OutboundEvents events, EventsProperties props, Clock clock) {
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        Duration backoffBase = props.backoffBase();
        return Tasks.recurring("deliver-outbound-events", Schedules.fixedDelay(props.pollInterval()))
                .execute((instance, context) -> {
                    int sent;
                    do {
                        sent = deliverBatch(jdbc, events, http, backoffBase, clock);
                    } while (sent == BATCH);
                });
    }

    record Due(UUID id, UUID subscriptionId, String url, byte[] sealed, String body, int attempts) {}

    static int deliverBatch(
            JdbcClient jdbc, OutboundEvents events, HttpClient http, Duration backoffBase, Clock clock) {
        Instant now = clock.instant();
        List<Due> due = jdbc.sql("""
                with claimed as (
                    update event_delivery set lease_until = :lease
                    where id in (select id from event_delivery
                                 where status = 'pending' and next_attempt_at <= :now
                                   and (lease_until is null or lease_until < :now)
                                 order by next_attempt_at limit :batch for update skip locked)
                    returning id, event_id, subscription_id, attempts
                )
                select c.id, c.subscription_id, c.attempts, s.url, s.secret_ciphertext, e.body
                from claimed c join event_subscription s on s.id = c.subscription_id
                join outbound_event e on e.id = c.event_id
                """)
                .param("lease", Timestamp.from(now.plusSeconds(120)))
                .param("now", Timestamp.from(now))
                .param("batch", BATCH)
                .query((rs, n) -> new Due(
                        rs.getObject("id", UUID.class),
                        rs.getObject("subscription_id", UUID.class),
                        rs.getString("url"),
                        rs.getBytes("secret_ciphertext"),
                        rs.getString("body"),
                        rs.getInt("attempts")))
                .list();
        for (Due d : due) {
            Integer status = null;
            String error = null;
            try {
                byte[] body = d.body().getBytes(StandardCharsets.UTF_8);
                long ts = clock.instant().getEpochSecond();
                HttpResponse<Void> r = http.send(
                        HttpRequest.newBuilder(URI.create(d.url()))
                                .timeout(Duration.ofSeconds(10))
                                .header("Content-Type", "application/cloudevents+json")
                                .header(WebhookSignature.DELIVERY_HEADER, d.id().toString())
                                .header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(ts))
                                .header(
                                        WebhookSignature.SIGNATURE_HEADER,
                                        WebhookSignature.sign(
                                                events.secret(d.subscriptionId(), d.sealed()),
                                                ts,
                                                d.id().toString(),
                                                body))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                status = r.statusCode();
                if (status / 100 != 2) {
                    error = "HTTP " + status;
                }
            } catch (IOException | IllegalArgumentException e) {
                error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
            record(jdbc, d, status, error, backoffBase, clock.instant());
        }
        return due.size();
    }

    private static void record(
            JdbcClient jdbc, Due d, Integer status, String error, Duration backoffBase, Instant now) {
        int attempts = d.attempts() + 1;
        String outcome = error == null ? "delivered" : attempts >= MAX_ATTEMPTS ? "failed" : "pending";
        Duration backoff = backoffBase.multipliedBy(1L << Math.min(attempts - 1, 20));
        if (backoff.compareTo(Duration.ofHours(1)) > 0) {
            backoff = Duration.ofHours(1);
        }
        jdbc.sql("""
                update event_delivery set status = :status, attempts = :attempts, last_http_status = :http,
                    last_error = :error, lease_until = null, next_attempt_at = :next,
                    delivered_at = case when cast(:status as text) = 'delivered' then cast(:now as timestamptz) end
                where id = :id
                """)
                .param("id", d.id())
                .param("status", outcome)
                .param("attempts", attempts)
                .param("http", status)
                .param("error", error)
                .param("next", Timestamp.from(now.plus(backoff)))
                .param("now", Timestamp.from(now))
                .update();
        if (error != null) {
            log.warn("event delivery {} to {} failed (attempt {}): {}", d.id(), d.url(), attempts, error);
        }
    }
}
