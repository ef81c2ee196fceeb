package dev.powernode.server.support;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Rows for read-side tests, written with plain SQL: the write paths that create them (ingest,
 * promotion) arrive in later issues and are tested there through their own facades.
 */
public final class Fixtures {
    private final JdbcClient jdbc;

    public Fixtures(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void reset() {
        // parents before children, the order the service writes them in (a publication, then its
        // history): a job of an earlier test still running in a newly started context then waits
        // for the truncate, or it for the job, instead of the two deadlocking
        // PostgreSQL still picks a victim now and then (a job touching a table the list locks
        // later): the truncate is all or nothing, so it is simply tried again
        for (int attempt = 1; ; attempt++) {
            try {
                jdbc.sql("""
                        truncate node_platform, disk_image_webhook, worker, file_object, disk_image_publication,
                            disk_image_publication_transition, disk_image_pointer_change, webhook_delivery, api_token,
                            event_subscription, outbound_event, event_delivery,
                            node, node_report, node_rollback_policy, node_rollback_trip cascade
                        """).update();
                break;
            } catch (org.springframework.dao.PessimisticLockingFailureException e) {
                if (attempt == 5) {
                    throw e;
                }
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
        // job rows of earlier tests; the recurring jobs (retention, event delivery) keep their rows
        jdbc.sql("delete from scheduled_tasks where task_name = 'ingest-publication'")
                .update();
    }

    public UUID platform(String slug) {
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into node_platform (id, slug, name, created_at, updated_at)
                values (:id, :slug, :name, now(), now())
                """)
                .param("id", id)
                .param("slug", slug)
                .param("name", "Platform " + slug)
                .update();
        return id;
    }

    /** A publication in {@code status}; published-ish rows get the timestamps and digest the schema demands. */
    public UUID publication(UUID platform, String family, String arch, String status, boolean active, Instant created) {
        UUID id = UUID.randomUUID();
        boolean wasPublished = status.equals("published") || status.equals("retired") || status.equals("purged");
        jdbc.sql("""
                insert into disk_image_publication (id, node_platform_id, artifact_family, arch, status, active,
                    git_sha, oci_ref, sha256, size_bytes, attempt_count, published_at, verified_at, retired_at,
                    purged_at, error_message, created_at, updated_at)
                values (:id, :platform, :family, :arch, :status, :active, :gitSha, :ociRef, :sha256, :size, 1,
                    :publishedAt, :publishedAt, :retiredAt, :purgedAt, :error, :created, :created)
                """)
                .param("id", id)
                .param("platform", platform)
                .param("family", family)
                .param("arch", arch)
                .param("status", status)
                .param("active", active)
                .param("gitSha", "0123456789abcdef0123456789abcdef01234567")
                .param("ociRef", "registry.example.org/disk-images@sha256:" + "ab".repeat(32))
                .param("sha256", "cd".repeat(32))
                .param("size", 1234L)
                .param("publishedAt", wasPublished ? Timestamp.from(created) : null)
                .param("retiredAt", status.equals("retired") ? Timestamp.from(created) : null)
                .param("purgedAt", status.equals("purged") ? Timestamp.from(created) : null)
                .param("error", status.equals("failed") ? "cosign: no signature" : null)
                .param("created", Timestamp.from(created))
                .update();
        return id;
    }
}
