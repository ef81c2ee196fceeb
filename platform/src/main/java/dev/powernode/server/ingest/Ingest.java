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
     * and costs one round trip: when the platform (by id or slug) exists and has a verification
     * policy, insert the {@code queued} publication, its first history entry, its db-scheduler job
     * (the row {@code SchedulerClient.schedule} would write) and the 202 delivery. Returns the
     * publication id, or empty when the platform is unknown or has no policy (nothing written). A
     * repeated delivery id violates {@code webhook_delivery_accepted_once} and writes nothing.
     */
    public Optional<UUID> accept(UUID id, NewPublication n, String platformRef, AcceptedDelivery d) {
        UUID platformId = Text.uuid(platformRef).orElse(null);
        Timestamp at = Timestamp.from(d.receivedAt());
        Optional<UUID> accepted = jdbc.sql("""
                with platform as (
                    select id from node_platform
                    where (id = :platformId or slug = :slug)
                      and (cosign_identity_regexp is not null or cardinality(cosign_public_keys) > 0)
                ), pub as (
                    insert into disk_image_publication (id, node_platform_id, artifact_family, arch, status, active,
                        firmware_ref, git_sha, oci_ref, sha256, size_bytes, attempt_count, webhook_id, webhook_label,
                        triggered_by_worker_id, run_id, delivery_id, created_at, updated_at)
                    select :id, platform.id, :family, :arch, 'queued', false, :firmwareRef, :gitSha, :ociRef,
                        :sha256, :size, 0, :webhookId, :webhookLabel, :workerId, :runId, :deliveryId, :at, :at
                    from platform
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
                        signature_valid, http_status, publication_id, response_body)
                    select :rowId, :requested, :webhookId, :deliveryId, :at, true, 202, id, :body from pub
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
                .param("sha256", n.sha256())
                .param("size", n.sizeBytes())
                .param("webhookId", n.webhookId())
                .param("webhookLabel", n.webhookLabel())
                .param("workerId", n.workerId())
                .param("runId", n.runId())
                .param("deliveryId", n.deliveryId())
                .param("actor", n.actor())
                .param("reason", n.reason())
                .param("task", IngestTask.TASK)
                .param("rowId", d.rowId())
                .param("requested", d.requestedWebhookId())
                .param("body", d.responseBody())
                .param("at", at)
                .query(UUID.class)
                .optional();
        // the statement committed on its own: wake the scheduler instead of waiting for its next poll
        accepted.ifPresent(x -> jobs.checkNow());
        return accepted;
    }

    /** Creates the {@code queued} publication and its job in the caller's transaction (or a new one). */
    @Transactional
    public DiskImagePublication enqueue(NewPublication announced) {
        DiskImagePublication p = publications.enqueue(announced);
        jobs.client().scheduleIfNotExists(task.instance(p.id().toString()), clock.instant());
        return p;
    }
}
