package dev.powernode.server.retention;

import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.server.oci.Registries;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.shared.PowernodeProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * {@code DiskImageRetentionService}: per (platform, family, arch) triple keep
 * {@code disk_image_retention_count} published/retired publications, the current one first and then
 * the newest by build (the signed build time, else the creation time, as promotion orders them) (after a rollback to an old build, a count of 1 keeps exactly the current one); never
 * a retired one inside the grace window; failed ones older than their maximum age go too. A run
 * follows its plan row by row: delete the artifact (manifest by digest, and its signature), then
 * mark the row {@code purged}. A registry 404 counts as already deleted; any other error leaves the
 * row for the next run. Each row is independent, so a run that dies half-way is finished by the next.
 */
@Service
public class RetentionPolicy {
    private static final Logger log = LoggerFactory.getLogger(RetentionPolicy.class);
    /** Registry deletes in flight at once: enough to hide round trips, few enough to be polite. */
    static final int PARALLEL_DELETES = 8;

    static final int BATCH = 1000;

    private final JdbcClient jdbc;
    private final Publications publications;
    private final Registries registries;
    private final PowernodeProperties.Retention config;
    private final Clock clock;

    RetentionPolicy(
            JdbcClient jdbc, Publications publications, Registries registries, PowernodeProperties props, Clock clock) {
        this.jdbc = jdbc;
        this.publications = publications;
        this.registries = registries;
        this.config = props.retention();
        this.clock = clock;
    }

    /** The dry run: what a run now would purge, for one platform or (null) all. */
    public List<RetentionCandidate> plan(UUID platformId) {
        Instant now = clock.instant();
        return jdbc.sql("""
                with ranked as (
                    select p.id, p.node_platform_id, np.slug, p.artifact_family, p.arch, p.status, p.active,
                        p.retired_at, p.oci_ref, p.signature_digest, p.attached_digests, p.file_object_id,
                        np.disk_image_retention_count as keep,
                        row_number() over (partition by p.node_platform_id, p.artifact_family, p.arch
                                           order by p.active desc, coalesce(p.build_time, p.created_at) desc,
                                               p.created_at desc, p.id desc) as rank
                    from disk_image_publication p join node_platform np on np.id = p.node_platform_id
                    where p.status in ('published', 'retired')
                      and (cast(:platform as uuid) is null or p.node_platform_id = cast(:platform as uuid))
                ), candidates as (
                    select id, node_platform_id, slug, artifact_family, arch, status, oci_ref, signature_digest, attached_digests,
                        file_object_id,
                        'kept before it (the current one, then the newest): ' || (rank - 1)
                            || ', disk_image_retention_count ' || keep as reason
                    from ranked
                    where rank > keep and not active and (status = 'published' or retired_at < :graceCutoff)
                    union all
                    select p.id, p.node_platform_id, np.slug, p.artifact_family, p.arch, p.status, p.oci_ref,
                        p.signature_digest, p.attached_digests, p.file_object_id, 'failed more than ' || cast(:failedAge as text) || ' ago'
                    from disk_image_publication p join node_platform np on np.id = p.node_platform_id
                    where p.status = 'failed' and p.updated_at < :failedCutoff
                      and (cast(:platform as uuid) is null or p.node_platform_id = cast(:platform as uuid))
                ), live_refs as (
                    -- artifacts that stay: used by a live publication that is not itself going
                    select q.oci_ref from disk_image_publication q
                    where q.status not in ('purged', 'failed') and q.oci_ref is not null
                      and q.id not in (select id from candidates)
                ), live_files as (
                    select fq.location from disk_image_publication q join file_object fq on fq.id = q.file_object_id
                    where q.status not in ('purged', 'failed') and fq.storage = 'local'
                      and q.id not in (select id from candidates)
                )
                select c.*, f.storage, f.location,
                    coalesce(c.oci_ref in (select oci_ref from live_refs), false)
                        or coalesce(f.storage = 'local' and f.location in (select location from live_files), false)
                        as shared
                from candidates c left join file_object f on f.id = c.file_object_id
                order by c.slug, c.artifact_family, c.arch, c.id
                """)
                .param("platform", platformId)
                .param("graceCutoff", Timestamp.from(now.minus(config.grace())))
                .param("failedCutoff", Timestamp.from(now.minus(config.failedMaxAge())))
                .param("failedAge", config.failedMaxAge().toString())
                .query((rs, n) -> new RetentionCandidate(
                        rs.getObject("id", UUID.class),
                        rs.getObject("node_platform_id", UUID.class),
                        rs.getString("slug"),
                        rs.getString("artifact_family"),
                        rs.getString("arch"),
                        rs.getString("status"),
                        rs.getString("oci_ref"),
                        rs.getString("signature_digest"),
                        attached(rs.getArray("attached_digests")),
                        rs.getString("storage"),
                        rs.getString("location"),
                        rs.getBoolean("shared"),
                        rs.getString("reason")))
                .list();
    }

    /**
     * Runs retention now, for one platform or (null) all. Artifacts are deleted by a few parallel
     * workers; rows whose artifact is gone (or shared) are then marked purged in batches.
     */
    public RetentionReport run(UUID platformId) {
        long start = System.nanoTime();
        List<RetentionCandidate> plan = plan(platformId);
        AtomicInteger deleted = new AtomicInteger();
        AtomicInteger gone = new AtomicInteger();
        AtomicInteger shared = new AtomicInteger();
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        List<RetentionCandidate> done = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_DELETES);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (RetentionCandidate c : plan) {
                work.add(pool.submit(() -> {
                    try {
                        if (c.artifactShared()) {
                            shared.incrementAndGet();
                        } else if (deleteArtifact(c)) {
                            deleted.incrementAndGet();
                        } else {
                            gone.incrementAndGet();
                        }
                        done.add(c);
                    } catch (RuntimeException e) {
                        errors.add(c.publicationId() + ": " + e.getMessage());
                        log.warn("retention left {} for the next run: {}", c.publicationId(), e.getMessage());
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("retention run interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("retention run failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
        int purged = 0;
        for (int i = 0; i < done.size(); i += BATCH) {
            List<RetentionCandidate> batch = done.subList(i, Math.min(done.size(), i + BATCH));
            purged += publications.purgeAll(
                    batch.stream().map(RetentionCandidate::publicationId).toList(),
                    batch.stream().map(RetentionCandidate::reason).toList());
        }
        long reclaimable = publications.reclaimableBytes(done.stream()
                .filter(c -> !c.artifactShared())
                .map(RetentionCandidate::publicationId)
                .toList());
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (!plan.isEmpty()) {
            log.info(
                    "retention: {} planned, {} purged ({} artifacts deleted, {} already gone, {} shared kept), {} bytes"
                            + " reclaimable after registry GC, {} errors, {} ms",
                    plan.size(),
                    purged,
                    deleted.get(),
                    gone.get(),
                    shared.get(),
                    reclaimable,
                    errors.size(),
                    millis);
        }
        return new RetentionReport(
                plan.size(), purged, deleted.get(), gone.get(), shared.get(), reclaimable, List.copyOf(errors), millis);
    }

    /** True when something was deleted, false when it was already gone; throws to retry later. */
    private boolean deleteArtifact(RetentionCandidate c) {
        if (c.ociRef() != null) {
            OciRef ref = OciRef.parse(c.ociRef());
            if (!registries.isAllowed(ref)) {
                throw new IllegalStateException("registry " + ref.registry() + " is not allowed any more");
            }
            boolean deleted = registries.client().deleteManifest(ref);
            deleteSignature(ref, c.signatureDigest());
            for (String attached : c.attachedDigests()) {
                deleteAttached(ref, attached);
            }
            return deleted;
        }
        if ("local".equals(c.storage()) && c.location() != null) {
            try {
                return Files.deleteIfExists(Path.of(c.location()));
            } catch (IOException e) {
                throw new IllegalStateException("cannot delete " + c.location() + ": " + e.getMessage(), e);
            }
        }
        return false;
    }

    /** Another manifest attached to the image (bundle, attestation, other signature); best effort like the signature. */
    private void deleteAttached(OciRef ref, String digest) {
        try {
            registries.client().deleteManifest(ref.withDigest(Digest.parse(digest)));
        } catch (RegistryException | IllegalArgumentException e) {
            log.info("could not delete {} attached to {} (left in the registry): {}", digest, ref, e.getMessage());
        }
    }

    private static List<String> attached(java.sql.Array array) throws java.sql.SQLException {
        if (array == null) {
            return List.of();
        }
        return List.of((String[]) array.getArray());
    }

    /** The signature manifest has no other user; failing to delete it does not keep the row. */
    private void deleteSignature(OciRef ref, String recordedDigest) {
        OciRef sig = ref.withTag(ref.digest().tagPrefix() + ".sig");
        try {
            if (recordedDigest != null) {
                // recorded when the signature verified: no need to ask the registry for it
                registries.client().deleteManifest(ref.withDigest(Digest.parse(recordedDigest)));
                return;
            }
            registries
                    .client()
                    .headManifest(sig)
                    .ifPresent(d -> registries.client().deleteManifest(sig.withDigest(d.digest())));
        } catch (RegistryException e) {
            log.info("could not delete the signature {} (left in the registry): {}", sig, e.getMessage());
        }
    }
}
