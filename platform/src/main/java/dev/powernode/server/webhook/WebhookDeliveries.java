package dev.powernode.server.webhook;

import dev.powernode.server.shared.Page;
import dev.powernode.server.shared.PageRequest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The log of inbound disk-image webhook calls, newest first. */
@Service
public class WebhookDeliveries {
    /** What "recent" means for {@code ?recent=true}. */
    public static final Duration RECENT = Duration.ofHours(24);

    private static final String SELECT = """
            select d.*, w.label as webhook_label
            from webhook_delivery d left join disk_image_webhook w on w.id = d.webhook_id
            """;

    private final JdbcClient jdbc;
    private final Clock clock;

    WebhookDeliveries(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * Deliveries newest first; with {@code recentOnly} only those of the last {@link #RECENT};
     * optionally only those addressed to one webhook.
     */
    @Transactional(readOnly = true)
    public Page<WebhookDelivery> list(boolean recentOnly, UUID webhookId, PageRequest page) {
        Map<String, Object> params = new HashMap<>();
        StringBuilder where = new StringBuilder(" where true");
        if (recentOnly) {
            where.append(" and d.received_at >= :since");
            params.put("since", Timestamp.from(clock.instant().minus(RECENT)));
        }
        if (webhookId != null) {
            where.append(" and d.webhook_id = :webhook");
            params.put("webhook", webhookId);
        }
        long total = jdbc.sql("select count(*) from webhook_delivery d" + where)
                .params(params)
                .query(Long.class)
                .single();
        params.put("limit", page.perPage());
        params.put("offset", page.offset());
        List<WebhookDelivery> items = jdbc.sql(
                        SELECT + where + " order by d.received_at desc, d.id desc limit :limit offset :offset")
                .params(params)
                .query(WebhookDeliveries::map)
                .list();
        return new Page<>(items, page.page(), page.perPage(), total);
    }

    /**
     * Deletes deliveries received before {@code now - maxAge} (with any later repeats that point at
     * them), so the log cannot grow without bound. Returns how many rows went.
     */
    @Transactional
    public int purgeOlderThan(Duration maxAge) {
        Timestamp cutoff = Timestamp.from(clock.instant().minus(maxAge));
        return jdbc.sql("""
                delete from webhook_delivery
                where received_at < :cutoff
                   or duplicate_of in (select id from webhook_delivery where received_at < :cutoff)
                """).param("cutoff", cutoff).update();
    }

    private static WebhookDelivery map(ResultSet rs, int row) throws SQLException {
        Timestamp received = rs.getTimestamp("received_at");
        return new WebhookDelivery(
                rs.getObject("id", UUID.class),
                rs.getString("requested_webhook_id"),
                rs.getObject("webhook_id", UUID.class),
                rs.getString("webhook_label"),
                rs.getString("delivery_id"),
                received == null ? null : received.toInstant(),
                rs.getBoolean("signature_valid"),
                rs.getInt("http_status"),
                rs.getString("reason"),
                rs.getObject("publication_id", UUID.class));
    }
}
