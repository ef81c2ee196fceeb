package dev.powernode.server.ingest;

import dev.powernode.server.publication.NewPublication;
import dev.powernode.server.publication.PublicationStatus;
import dev.powernode.server.shared.Text;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.UUID;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The one SQL statement that turns a webhook announcement into a queued publication: the single
 * place where module code writes tables other modules own, on purpose (docs/decisions/002: one
 * round trip, atomic without a transaction, is what gives the intake its throughput). It writes
 * and reads, in one statement:
 *
 * <table>
 *   <caption>Tables the intake statement touches, and the module that owns each</caption>
 *   <tr><th>table</th><th>owner</th><th>what the statement does</th></tr>
 *   <tr><td>{@code disk_image_publication}</td><td>publication</td><td>inserts the {@code queued} row
 *       ({@code Publications.enqueue} writes the same columns); reads it for "already announced"</td></tr>
 *   <tr><td>{@code disk_image_publication_transition}</td><td>publication</td><td>inserts the first
 *       history entry</td></tr>
 *   <tr><td>{@code scheduled_tasks}</td><td>jobs ({@code jobs/Jobs}, db-scheduler)</td><td>inserts
 *       the ingest job's row, as {@code SchedulerClient.schedule} would</td></tr>
 *   <tr><td>{@code webhook_delivery}</td><td>webhook</td><td>inserts the 202 delivery</td></tr>
 *   <tr><td>{@code node_platform}</td><td>platform</td><td>reads id, slug and policy</td></tr>
 *   <tr><td>{@code disk_image_webhook}</td><td>webhook</td><td>reads the webhook's allowed platforms</td></tr>
 *   <tr><td>{@code worker}</td><td>ci</td><td>reads the announced worker's label</td></tr>
 * </table>
 *
 * A change to any of those tables' columns must change this statement too; the owning modules'
 * schema tests and {@code IngestFlowTest} run it. When it writes nothing it says why in the same
 * round trip ({@link IntakeResult}), so nobody asks again.
 */
@Component
class PublicationIntake {
    private static final String STATEMENT = """
            with candidate as (
                -- platform: the announced one, with each condition the insert needs
                select p.id, p.slug,
                    (p.cosign_identity_regexp is not null or cardinality(p.cosign_public_keys) > 0) as has_policy,
                    -- webhook: its allow-list (empty = any)
                    exists (select 1 from disk_image_webhook w where w.id = :webhookId
                            and (cardinality(w.allowed_platform_ids) = 0 or p.id = any(w.allowed_platform_ids)))
                        as webhook_may,
                    -- ci: the announced worker (if any) has the webhook's label
                    (cast(:workerId as uuid) is null
                     or exists (select 1 from worker k where k.id = :workerId and k.label = :webhookLabel))
                        as worker_may,
                    -- publication: rows with a build time are the unique index's (ON CONFLICT below finds them)
                    not exists (select 1 from disk_image_publication q
                                where q.manifest_digest = :digest and q.build_time is null
                                  and q.node_platform_id = p.id
                                  and q.artifact_family = :family and q.arch = :arch
                                  and q.status in ('queued', 'verifying', 'published', 'retired')) as new_digest
                from node_platform p
                where p.id = :platformId or p.slug = :slug
            ), platform as (
                select id from candidate where has_policy and webhook_may and worker_may and new_digest
            ), pub as (
                -- publication
                insert into disk_image_publication (id, node_platform_id, artifact_family, arch, status, active,
                    firmware_ref, git_sha, oci_ref, sha256, size_bytes, attempt_count, webhook_id, webhook_label,
                    triggered_by_worker_id, run_id, delivery_id, build_time, created_at, updated_at)
                select :id, platform.id, :family, :arch, 'queued', false, :firmwareRef, :gitSha, :ociRef,
                    :sha256, :size, 0, :webhookId, :webhookLabel, :workerId, :runId, :deliveryId, :buildTime,
                    :at, :at
                from platform
                on conflict (node_platform_id, artifact_family, arch, manifest_digest)
                    where build_time is not null and status in ('queued', 'verifying', 'published', 'retired')
                    do nothing
                returning id
            ), history as (
                -- publication
                insert into disk_image_publication_transition (publication_id, from_status, to_status, actor,
                    reason, at)
                select id, null, 'queued', :actor, :reason, :at from pub
            ), job as (
                -- scheduler
                insert into scheduled_tasks (task_name, task_instance, task_data, execution_time, picked, version)
                select :task, id::text, null, :at, false, 1 from pub
            ), delivery as (
                -- webhook
                insert into webhook_delivery (id, requested_webhook_id, webhook_id, delivery_id, received_at,
                    signature_valid, http_status, publication_id, response_body, signature, body_sha256)
                select :rowId, :requested, :webhookId, :deliveryId, :at, true, 202, id, :body, :signature,
                    :bodySha256 from pub
            )
            -- one row always; the laterals run only when nothing was inserted (the refusal's why)
            select pub.id as accepted, c.id as platform_id, c.slug, c.has_policy, c.webhook_may, c.worker_may,
                k.label as worker_label, e.id as existing_id, e.status as existing_status
            from (select 1) one
            left join pub on true
            left join candidate c on true
            left join lateral (
                select k.label from worker k where pub.id is null and k.id = :workerId
            ) k on true
            left join lateral (
                select * from (
                    -- each branch reads its partial index (announced_once, by_manifest_digest)
                    select q.id, q.status, q.created_at from disk_image_publication q
                    where pub.id is null and q.manifest_digest = :digest and q.build_time is not null
                      and q.node_platform_id = c.id and q.artifact_family = :family and q.arch = :arch
                      and q.status in ('queued', 'verifying', 'published', 'retired')
                    union all
                    select q.id, q.status, q.created_at from disk_image_publication q
                    where pub.id is null and q.manifest_digest = :digest and q.build_time is null
                      and q.node_platform_id = c.id and q.artifact_family = :family and q.arch = :arch
                      and q.status in ('queued', 'verifying', 'published', 'retired')
                ) live order by created_at, id limit 1
            ) e on true
            """;

    private final JdbcClient jdbc;

    PublicationIntake(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Runs the statement: when the platform (by id or slug) exists, has a verification policy, is
     * one the webhook may announce for (its allow-list, empty = any), the announced worker (if any)
     * is bound to the webhook's label, and the manifest digest is not already live for the triple,
     * inserts the {@code queued} publication, its first history entry, its db-scheduler job and
     * the 202 delivery. A repeated delivery id violates {@code webhook_delivery_accepted_once}; a
     * concurrent announcement of the same digest meets {@code
     * disk_image_publication_announced_once}: either writes nothing.
     */
    Outcome insert(UUID id, NewPublication n, String platformRef, AcceptedDelivery d) {
        UUID platformId = Text.uuid(platformRef).orElse(null);
        try {
            return jdbc.sql(STATEMENT)
                    .param("platformId", platformId)
                    .param("slug", platformId == null ? platformRef : null)
                    .param("id", id)
                    .params(n.columns())
                    .param("digest", manifestDigest(n.ociRef()))
                    .param("actor", n.actor())
                    .param("reason", n.reason())
                    .param("task", IngestTask.TASK)
                    .param("rowId", d.rowId())
                    .param("requested", d.requestedWebhookId())
                    .param("body", d.responseBody())
                    .param("signature", d.signature())
                    .param("bodySha256", d.bodySha256())
                    .param("at", Timestamp.from(d.receivedAt()))
                    .query((rs, row) -> outcome(rs, n.workerId() != null))
                    .single();
        } catch (DuplicateKeyException repeated) {
            return new Outcome(new IntakeResult.DeliveryRepeated(), null);
        }
    }

    /** The statement's answer, and the platform it found (for a caller that must look again). */
    record Outcome(IntakeResult result, UUID platformId) {}

    private static Outcome outcome(ResultSet rs, boolean workerAnnounced) throws SQLException {
        UUID accepted = rs.getObject("accepted", UUID.class);
        UUID platformId = rs.getObject("platform_id", UUID.class);
        String slug = rs.getString("slug");
        IntakeResult result;
        if (accepted != null) {
            result = new IntakeResult.Accepted(accepted);
        } else if (platformId == null) {
            result = new IntakeResult.PlatformUnknown();
        } else if (!rs.getBoolean("has_policy")) {
            result = new IntakeResult.NoVerificationPolicy(slug);
        } else if (!rs.getBoolean("webhook_may")) {
            result = new IntakeResult.PlatformNotAllowed(slug);
        } else if (workerAnnounced && rs.getString("worker_label") == null) {
            result = new IntakeResult.WorkerUnknown();
        } else if (!rs.getBoolean("worker_may")) {
            result = new IntakeResult.WorkerForeign(rs.getString("worker_label"));
        } else if (rs.getObject("existing_id", UUID.class) != null) {
            result = new IntakeResult.AlreadyAnnounced(
                    rs.getObject("existing_id", UUID.class),
                    PublicationStatus.parse("status", rs.getString("existing_status")));
        } else {
            result = new IntakeResult.Raced();
        }
        return new Outcome(result, platformId);
    }

    /** The digest part of {@code host/repo@sha256:...} (what the {@code manifest_digest} column holds). */
    static String manifestDigest(String ociRef) {
        int at = ociRef == null ? -1 : ociRef.indexOf('@');
        return at < 0 ? null : ociRef.substring(at + 1);
    }
}
