package dev.powernode.server.publication;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Direct uploads still {@code awaiting_upload} (docs/operations.md, abandoned uploads): each one's idle time
 * ({@code updated_at}, moved on by every byte that arrives) decides when it is abandoned.
 */
@Repository
class AwaitingUploads {
    /** Awaiting uploads with no announcement or bytes since before {@code :cutoff}. */
    private static final String IDLE = """
            select * from disk_image_publication
            where status = 'awaiting_upload' and updated_at < :cutoff
            """;

    private final JdbcClient jdbc;

    AwaitingUploads(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records that bytes of an awaiting upload arrived (its idle time starts again). */
    void touch(UUID id, Instant now) {
        jdbc.sql("""
                update disk_image_publication set updated_at = :now where id = :id and status = 'awaiting_upload'
                """).param("id", id).param("now", Timestamp.from(now)).update();
    }

    /** Idle uploads, the longest idle first, at most {@code limit}. */
    List<DiskImagePublication> idleSince(Instant cutoff, int limit) {
        return jdbc.sql(IDLE + "order by updated_at limit :limit")
                .param("cutoff", Timestamp.from(cutoff))
                .param("limit", limit)
                .query(PublicationRows::map)
                .list();
    }

    /** The upload, locked, if it is still awaiting bytes and idle since before {@code cutoff}. */
    Optional<DiskImagePublication> lockIfIdle(UUID id, Instant cutoff) {
        return jdbc.sql(IDLE + "and id = :id for update")
                .param("id", id)
                .param("cutoff", Timestamp.from(cutoff))
                .query(PublicationRows::map)
                .optional();
    }
}
