package dev.powernode.server.ci;

import dev.powernode.common.oci.Digest;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.Ids;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Workers that build images: CI runners registered through {@code bootstrap_disk_image_ci} (or
 * {@code POST /api/v1/workers}). A worker authenticates to the runner-facing API with an opaque
 * token ({@code pnw_...}) of which only the SHA-256 is stored.
 */
@Service
public class Workers {
    static final String TOKEN_PREFIX = "pnw_";
    static final Pattern LABEL = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");

    private final JdbcClient jdbc;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    Workers(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Creates the worker of {@code label} (role ci_worker), or rotates its token; idempotent on label. */
    @Transactional
    public ProvisionedWorker provision(WorkerRole role, String label) {
        if (label == null || !LABEL.matcher(label).matches()) {
            throw DomainException.invalid(
                    "label", "must be 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Timestamp now = Timestamp.from(clock.instant());
        UUID fresh = Ids.newId();
        UUID id = jdbc.sql("""
                insert into worker (id, role, label, token_sha256, created_at, rotated_at)
                values (:id, :role, :label, :hash, :now, :now)
                on conflict (role, label) do update set token_sha256 = excluded.token_sha256, rotated_at = :now
                returning id
                """)
                .param("id", fresh)
                .param("role", role.value())
                .param("label", label)
                .param("hash", sha256(token))
                .param("now", now)
                .query(UUID.class)
                .single();
        return new ProvisionedWorker(id, label, token, !id.equals(fresh));
    }

    /** The worker holding {@code token}, or empty; records that it was seen. */
    @Transactional
    public Optional<Worker> authenticate(String token) {
        if (token == null || !token.startsWith(TOKEN_PREFIX) || token.length() > 100) {
            return Optional.empty();
        }
        return jdbc.sql("""
                update worker set last_seen_at = :now where token_sha256 = :hash
                returning id, role, label, last_seen_at, created_at, rotated_at
                """)
                .param("hash", sha256(token))
                .param("now", Timestamp.from(clock.instant()))
                .query(Workers::worker)
                .optional();
    }

    static String sha256(String token) {
        return Digest.of(token.getBytes(StandardCharsets.US_ASCII)).hex();
    }

    /** Workers of one role, by label. */
    @Transactional(readOnly = true)
    public List<Worker> list(WorkerRole role) {
        return jdbc.sql("select * from worker where role = :role order by label")
                .param("role", role.value())
                .query(Workers::worker)
                .list();
    }

    /** The worker with this id, or empty. */
    @Transactional(readOnly = true)
    public Optional<Worker> find(UUID id) {
        return jdbc.sql("select * from worker where id = :id")
                .param("id", id)
                .query(Workers::worker)
                .optional();
    }

    private static Worker worker(ResultSet rs, int row) throws SQLException {
        return new Worker(
                rs.getObject("id", UUID.class),
                WorkerRole.parse("role", rs.getString("role")),
                rs.getString("label"),
                instant(rs.getTimestamp("last_seen_at")),
                instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("rotated_at")));
    }

    private static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }
}
