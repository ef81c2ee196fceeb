package dev.powernode.server.ci;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Workers that build images: CI runners registered through {@code bootstrap_disk_image_ci}. */
@Service
public class Workers {
    private final JdbcClient jdbc;

    Workers(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Workers of one role, by label. */
    @Transactional(readOnly = true)
    public List<Worker> list(WorkerRole role) {
        return jdbc.sql("select * from worker where role = :role order by label")
                .param("role", role.value())
                .query((rs, n) -> new Worker(
                        rs.getObject("id", UUID.class),
                        WorkerRole.parse("role", rs.getString("role")),
                        rs.getString("label"),
                        instant(rs.getTimestamp("last_seen_at")),
                        instant(rs.getTimestamp("created_at")),
                        instant(rs.getTimestamp("rotated_at"))))
                .list();
    }

    @Transactional(readOnly = true)
    public boolean exists(UUID id) {
        return jdbc.sql("select exists (select 1 from worker where id = :id)")
                .param("id", id)
                .query(Boolean.class)
                .single();
    }

    private static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }
}
