package dev.powernode.server.ingest;

import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.publication.NewPublication;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.shared.Jobs;
import dev.powernode.server.shared.Text;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Accepts announced artifacts: records the publication and schedules its ingest, atomically. */
@Service
public class Ingest {
    private final Publications publications;
    private final Jobs jobs;
    private final CustomTask<Void> task;
    private final JdbcClient jdbc;
    private final Clock clock;

    Ingest(Publications publications, Jobs jobs, CustomTask<Void> ingestPublicationTask, JdbcClient jdbc, Clock clock) {
        this.publications = publications;
        this.jobs = jobs;
        this.task = ingestPublicationTask;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * The webhook's hot path in one SQL statement, so it is atomic without an explicit transaction
     * and costs one round trip: when the platform (by id or slug) exists, has a verification
     * policy, is one the webhook may announce for (its allow-list, empty = any), the announced
     * worker (if any) is bound to the webhook's label, and the manifest digest is not already
     * queued, verifying, published or retired for the triple, insert the {@code queued}
     * publication, its first history entry, its db-scheduler job (the row {@code
     * SchedulerClient.schedule} would write) and the 202 delivery. Returns the publication id, or
     * empty when any condition fails (nothing written; the caller finds out which). A repeated
     * delivery id violates {@code webhook_delivery_accepted_once} and writes nothing; a concurrent
     * announcement of the same digest meets {@code disk_image_publication_announced_once} and
     * writes nothing.
     */
    public Optional<UUID> accept(UUID id, NewPublication n, String platformRef, AcceptedDelivery d) {
        UUID platformId = Text.uuid(platformRef).orElse(null);
        Timestamp at = Timestamp.from(d.receivedAt());
        Optional<UUID> accepted = jdbc.sql("""
                with platform as (
                    select p.id from node_platform p
                    where (p.id = :platformId or p.slug = :slug)
                      and (p.cosign_identity_regexp is not null or cardinality(p.cosign_public_keys) > 0)
                      and exists (select 1 from disk_image_webhook w where w.id = :webhookId
                                  and (cardinality(w.allowed_platform_ids) = 0 or p.id = any(w.allowed_platform_ids)))
                      and (cast(:workerId as uuid) is null
                           or exists (select 1 from worker k where k.id = :workerId and k.label = :webhookLabel))
                      -- rows with a build time are the unique index's: its ON CONFLICT below finds them
                      and not exists (select 1 from disk_image_publication q
                                      where q.manifest_digest = :digest and q.build_time is null
                                        and q.node_platform_id = p.id
                                        and q.artifact_family = :family and q.arch = :arch
                                        and q.status in ('queued', 'verifying', 'published', 'retired'))
                ), pub as (
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
                    insert into disk_image_publication_transition (publication_id, from_status, to_status, actor,
                        reason, at)
                    select id, null, 'queued', :actor, :reason, :at from pub
                ), job as (
                    insert into scheduled_tasks (task_name, task_instance, task_data, execution_time, picked, version)
                    select :task, id::text, null, :at, false, 1 from pub
                ), delivery as (
                    insert into webhook_delivery (id, requested_webhook_id, webhook_id, delivery_id, received_at,
                        signature_valid, http_status, publication_id, response_body, signature, body_sha256)
                    select :rowId, :requested, :webhookId, :deliveryId, :at, true, 202, id, :body, :signature,
                        :bodySha256 from pub
                )
                select id from pub
                """)
                .param("platformId", platformId)
                .param("slug", platformId == null ? platformRef : null)
                .param("id", id)
                .param("family", n.family().value())
                .param("arch", n.arch().value())
                .param("firmwareRef", n.firmwareRef())
                .param("gitSha", n.gitSha())
                .param("ociRef", n.ociRef())
                .param("digest", manifestDigest(n.ociRef()))
                .param("sha256", n.sha256())
                .param("size", n.sizeBytes())
                .param("webhookId", n.webhookId())
                .param("webhookLabel", n.webhookLabel())
                .param("workerId", n.workerId())
                .param("runId", n.runId())
                .param("deliveryId", n.deliveryId())
                .param("buildTime", n.buildTime() == null ? null : Timestamp.from(n.buildTime()))
                .param("actor", n.actor())
                .param("reason", n.reason())
                .param("task", IngestTask.TASK)
                .param("rowId", d.rowId())
                .param("requested", d.requestedWebhookId())
                .param("body", d.responseBody())
                .param("signature", d.signature())
                .param("bodySha256", d.bodySha256())
                .param("at", at)
                .query(UUID.class)
                .optional();
        // the statement committed on its own: wake the scheduler instead of waiting for its next poll
        accepted.ifPresent(x -> jobs.checkNow());
        return accepted;
    }

    /** The digest part of {@code host/repo@sha256:...} (what the {@code manifest_digest} column holds). */
    static String manifestDigest(String ociRef) {
        int at = ociRef == null ? -1 : ociRef.indexOf('@');
        return at < 0 ? null : ociRef.substring(at + 1);
    }

    /** Creates the {@code queued} publication and its job in the caller's transaction (or a new one). */
    @Transactional
    public DiskImagePublication enqueue(NewPublication announced) {
        DiskImagePublication p = publications.enqueue(announced);
        jobs.client().scheduleIfNotExists(task.instance(p.id().toString()), clock.instant());
        return p;
    }
}
