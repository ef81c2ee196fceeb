package dev.powernode.server.webhook;

import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.Page;
import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.shared.SecretBox;
import dev.powernode.server.shared.ServiceProperties;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.Violations;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Per-pipeline webhooks ({@code provision_disk_image_webhook}): keyed by operator label, a fresh
 * secret minted on every call (rotation), shown once, stored AES-GCM encrypted.
 */
@Service
public class DiskImageWebhooks {
    static final Pattern LABEL = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");
    static final String PATH = "/api/v1/system/webhooks/disk_image/built/";

    private final JdbcClient jdbc;
    private final SecretBox box;
    private final NodePlatforms platforms;
    private final ServiceProperties props;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final SecretCache cache;

    DiskImageWebhooks(
            JdbcClient jdbc,
            SecretBox box,
            NodePlatforms platforms,
            ServiceProperties props,
            Clock clock,
            SecretCache cache) {
        this.jdbc = jdbc;
        this.cache = cache;
        this.platforms = platforms;
        this.box = box;
        this.props = props;
        this.clock = clock;
    }

    /** What the receiver needs of a webhook: its label and HMAC key. */
    record Credentials(String label, byte[] secret) {}

    /**
     * Creates the webhook of {@code label}, or rotates its secret when it exists, and sets the
     * platforms it may announce for ({@code allowedPlatforms}: slugs or ids; empty = any platform;
     * null = leave as it is). Idempotent on the label: concurrent calls for one label leave one
     * webhook (the last secret wins).
     */
    @Transactional
    public ProvisionedWebhook provision(String label, String platformApiBase, List<String> allowedPlatforms) {
        Violations v = new Violations();
        List<UUID> allowed = null;
        if (allowedPlatforms != null) {
            allowed = new ArrayList<>();
            for (String ref : allowedPlatforms) {
                Optional<NodePlatform> p = ref == null ? Optional.empty() : platforms.find(ref);
                if (p.isEmpty()) {
                    v.add("allowed_platforms", "no node platform '" + Text.printable(ref, 200) + "'");
                } else if (!allowed.contains(p.get().id())) {
                    allowed.add(p.get().id());
                }
            }
        }
        if (label == null || !LABEL.matcher(label).matches()) {
            v.add("label", "must be 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
        if (platformApiBase != null && !Text.isHttpUrl(platformApiBase)) {
            v.add("platform_api_base", "must be an absolute http(s) URL");
        }
        v.throwIfAny();
        Instant now = clock.instant();
        UUID fresh = Ids.newId();
        jdbc.sql("""
                insert into disk_image_webhook (id, label, secret_ciphertext, platform_api_base, created_at, rotated_at)
                values (:id, :label, '\\x'::bytea, :base, :now, :now)
                on conflict (label) do nothing
                """)
                .param("id", fresh)
                .param("label", label)
                .param("base", platformApiBase)
                .param("now", Timestamp.from(now))
                .update();
        UUID id = jdbc.sql("select id from disk_image_webhook where label = :label for update")
                .param("label", label)
                .query(UUID.class)
                .single();
        boolean rotated = !id.equals(fresh);
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String secret = HexFormat.of().formatHex(raw);
        byte[] sealed = box.seal(secret.getBytes(StandardCharsets.US_ASCII), aad(id));
        jdbc.sql("""
                update disk_image_webhook set secret_ciphertext = :sealed, rotated_at = :now,
                    platform_api_base = coalesce(:base, platform_api_base),
                    allowed_platform_ids = coalesce(cast(:allowed as uuid[]), allowed_platform_ids)
                where id = :id
                """)
                .param("id", id)
                .param("allowed", allowed == null ? null : allowed.toArray(new UUID[0]))
                .param("sealed", sealed)
                .param("base", platformApiBase)
                .param("now", Timestamp.from(now))
                .update();
        cache.announceRotation(id);
        String base = platformApiBase != null
                ? platformApiBase
                : jdbc.sql("select coalesce(platform_api_base, :def) from disk_image_webhook where id = :id")
                        .param("id", id)
                        .param("def", props.publicUrl().toString())
                        .query(String.class)
                        .single();
        return new ProvisionedWebhook(id, label, url(base, id), secret, rotated, allowedPlatforms(id));
    }

    /** The platforms (ids) a webhook may announce for; empty = any. */
    private List<UUID> allowedPlatforms(UUID id) {
        UUID[] ids = jdbc.sql("select allowed_platform_ids from disk_image_webhook where id = :id")
                .param("id", id)
                .query((rs, n) -> (UUID[]) rs.getArray(1).getArray())
                .optional()
                .orElse(new UUID[0]);
        return List.of(ids);
    }

    /** Webhooks by label with their URL and last delivery; never their secrets. */
    @Transactional(readOnly = true)
    public Page<WebhookEndpoint> list(PageRequest page) {
        long total = jdbc.sql("select count(*) from disk_image_webhook")
                .query(Long.class)
                .single();
        List<WebhookEndpoint> items = jdbc.sql("""
                select w.id, w.label, coalesce(w.platform_api_base, :def) as base, w.created_at, w.rotated_at,
                    w.allowed_platform_ids,
                    d.id as d_id, d.requested_webhook_id, d.delivery_id, d.received_at, d.signature_valid,
                    d.http_status, d.reason, d.publication_id
                from disk_image_webhook w
                left join lateral (
                    select * from webhook_delivery d where d.webhook_id = w.id
                    order by d.received_at desc, d.id desc limit 1
                ) d on true
                order by w.label
                limit :limit offset :offset
                """)
                .param("def", props.publicUrl().toString())
                .param("limit", page.perPage())
                .param("offset", page.offset())
                .query((rs, n) -> {
                    UUID id = rs.getObject("id", UUID.class);
                    UUID deliveryRow = rs.getObject("d_id", UUID.class);
                    WebhookDelivery last = deliveryRow == null
                            ? null
                            : new WebhookDelivery(
                                    deliveryRow,
                                    rs.getString("requested_webhook_id"),
                                    id,
                                    rs.getString("label"),
                                    rs.getString("delivery_id"),
                                    rs.getTimestamp("received_at").toInstant(),
                                    rs.getBoolean("signature_valid"),
                                    rs.getInt("http_status"),
                                    rs.getString("reason"),
                                    rs.getObject("publication_id", UUID.class));
                    return new WebhookEndpoint(
                            id,
                            rs.getString("label"),
                            url(rs.getString("base"), id),
                            rs.getTimestamp("created_at").toInstant(),
                            rs.getTimestamp("rotated_at").toInstant(),
                            List.of((UUID[]) rs.getArray("allowed_platform_ids").getArray()),
                            last);
                })
                .list();
        return new Page<>(items, page.page(), page.perPage(), total);
    }

    /**
     * Label and HMAC key of a webhook, or empty when unknown; from the replica's copy while it
     * hears every rotation ({@link SecretCache}).
     */
    Optional<Credentials> credentials(UUID id) {
        return cache.get(
                id,
                () -> jdbc.sql("select label, secret_ciphertext from disk_image_webhook where id = :id")
                        .param("id", id)
                        .query((rs, n) -> new Credentials(
                                rs.getString("label"), box.open(rs.getBytes("secret_ciphertext"), aad(id))))
                        .optional());
    }

    static String url(String base, UUID id) {
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + PATH + id;
    }

    private static byte[] aad(UUID id) {
        return ("disk_image_webhook:" + id).getBytes(StandardCharsets.US_ASCII);
    }
}
