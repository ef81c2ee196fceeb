package dev.powernode.server.events;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.Page;
import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.shared.SecretBox;
import dev.powernode.server.shared.Text;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Signed notifications to operator endpoints (CloudEvents 1.0 JSON, HMAC-signed like the inbound
 * webhook) on published / failed / promoted / rolled back / purged. Events are written in the
 * transaction of the change they describe (an outbox), then delivered with retries by
 * {@link EventDeliveryTask}; every delivery is logged.
 */
@Service
public class OutboundEvents {
    private static final String SOURCE = "/powernode/platform";

    private final JdbcClient jdbc;
    private final SecretBox box;
    private final JsonMapper json;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    OutboundEvents(JdbcClient jdbc, SecretBox box, JsonMapper json, Clock clock) {
        this.jdbc = jdbc;
        this.box = box;
        this.json = json;
        this.clock = clock;
    }

    /** What an event says about a publication; becomes the CloudEvent's {@code data}. */
    public record Fact(UUID platformId, UUID publicationId, Map<String, Object> data) {}

    /** A new subscription and its signing secret (shown once). */
    public record NewSubscription(Subscription subscription, String secret) {}

    @Transactional
    public NewSubscription subscribe(String url, List<String> types) {
        if (url == null || !Text.isHttpUrl(url) || url.length() > 2048) {
            throw DomainException.invalid("url", "must be an absolute http(s) URL");
        }
        List<String> checked = new ArrayList<>();
        for (String t : types == null ? List.<String>of() : types) {
            checked.add(EventType.parse("events", t).value());
        }
        UUID id = Ids.newId();
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String secret = HexFormat.of().formatHex(raw);
        Instant now = clock.instant();
        jdbc.sql("""
                insert into event_subscription (id, url, secret_ciphertext, event_types, created_at)
                values (:id, :url, :secret, :types, :now)
                """)
                .param("id", id)
                .param("url", url)
                .param("secret", box.seal(secret.getBytes(StandardCharsets.US_ASCII), aad(id)))
                .param("types", checked.toArray(String[]::new))
                .param("now", Timestamp.from(now))
                .update();
        return new NewSubscription(new Subscription(id, url, checked, now), secret);
    }

    @Transactional(readOnly = true)
    public List<Subscription> subscriptions() {
        return jdbc.sql("select * from event_subscription order by created_at, id")
                .query((rs, n) -> new Subscription(
                        rs.getObject("id", UUID.class),
                        rs.getString("url"),
                        List.of((String[]) rs.getArray("event_types").getArray()),
                        rs.getTimestamp("created_at").toInstant()))
                .list();
    }

    @Transactional
    public void unsubscribe(UUID id) {
        if (jdbc.sql("delete from event_subscription where id = :id")
                        .param("id", id)
                        .update()
                == 0) {
            throw DomainException.notFound("event_subscription/not-found", "no event subscription '" + id + "'");
        }
    }

    /** True when some subscription wants events of this type (nothing is stored for nobody). */
    boolean wanted(EventType type) {
        return jdbc.sql("select exists (select 1 from event_subscription where cardinality(event_types) = 0"
                        + " or :type = any(event_types))")
                .param("type", type.value())
                .query(Boolean.class)
                .single();
    }

    /**
     * Records one event per fact and a pending delivery per interested subscription, in the
     * caller's transaction. Events nobody subscribed to are not stored (the audit trail has them),
     * and their facts are not even gathered: {@code facts} is only called when someone listens.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void emit(EventType type, Supplier<List<Fact>> gather) {
        if (!wanted(type)) {
            return;
        }
        List<Fact> facts = gather.get();
        if (facts.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        List<UUID> ids = new ArrayList<>();
        List<UUID> platforms = new ArrayList<>();
        List<UUID> publications = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        for (Fact f : facts) {
            UUID id = Ids.newId();
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("specversion", "1.0");
            event.put("id", id.toString());
            event.put("source", SOURCE);
            event.put("type", type.cloudEventType());
            event.put("subject", f.publicationId().toString());
            event.put("time", now.toString());
            event.put("datacontenttype", "application/json");
            event.put("data", f.data());
            ids.add(id);
            platforms.add(f.platformId());
            publications.add(f.publicationId());
            bodies.add(json.writeValueAsString(event));
        }
        jdbc.sql("""
                with events as (
                    insert into outbound_event (id, type, node_platform_id, publication_id, body, created_at)
                    select e.id, :type, e.platform, e.publication, e.body, :now
                    from unnest(cast(:ids as uuid[]), cast(:platforms as uuid[]), cast(:publications as uuid[]),
                                 cast(:bodies as text[])) as e(id, platform, publication, body)
                    returning id
                )
                insert into event_delivery (id, event_id, subscription_id, status, next_attempt_at, created_at)
                select gen_random_uuid(), e.id, s.id, 'pending', :now, :now
                from events e cross join event_subscription s
                where cardinality(s.event_types) = 0 or :type = any(s.event_types)
                """)
                .param("type", type.value())
                .param("ids", ids.toArray(UUID[]::new))
                .param("platforms", platforms.toArray(UUID[]::new))
                .param("publications", publications.toArray(UUID[]::new))
                .param("bodies", bodies.toArray(String[]::new))
                .param("now", Timestamp.from(now))
                .update();
    }

    /** The delivery log, newest first. */
    @Transactional(readOnly = true)
    public Page<EventDelivery> deliveries(PageRequest page) {
        long total = jdbc.sql("select count(*) from event_delivery")
                .query(Long.class)
                .single();
        List<EventDelivery> items = jdbc.sql("""
                select d.*, e.type, e.publication_id, s.url from event_delivery d
                join outbound_event e on e.id = d.event_id join event_subscription s on s.id = d.subscription_id
                order by d.created_at desc, d.id desc limit :limit offset :offset
                """)
                .param("limit", page.perPage())
                .param("offset", page.offset())
                .query((rs, n) -> new EventDelivery(
                        rs.getObject("id", UUID.class),
                        rs.getObject("event_id", UUID.class),
                        rs.getString("type"),
                        rs.getObject("publication_id", UUID.class),
                        rs.getObject("subscription_id", UUID.class),
                        rs.getString("url"),
                        rs.getString("status"),
                        rs.getInt("attempts"),
                        (Integer) rs.getObject("last_http_status"),
                        rs.getString("last_error"),
                        instant(rs.getTimestamp("next_attempt_at")),
                        instant(rs.getTimestamp("delivered_at")),
                        instant(rs.getTimestamp("created_at"))))
                .list();
        return new Page<>(items, page.page(), page.perPage(), total);
    }

    byte[] secret(UUID subscriptionId, byte[] sealed) {
        return box.open(sealed, aad(subscriptionId));
    }

    private static byte[] aad(UUID id) {
        return ("event_subscription:" + id).getBytes(StandardCharsets.US_ASCII);
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
