package dev.powernode.server.retention;

import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.server.node.Nodes;
import dev.powernode.server.oci.Registries;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.platform.RetentionCount;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.publication.PurgeCandidate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

    /**
     * The plan's order, as the operator reads it: by platform slug, family, arch, then id (ids as
     * their text, as PostgreSQL orders uuids).
     */
    static final Comparator<RetentionCandidate> PLAN_ORDER = Comparator.comparing(RetentionCandidate::platformSlug)
            .thenComparing(RetentionCandidate::artifactFamily)
            .thenComparing(RetentionCandidate::arch)
            .thenComparing(c -> c.publicationId().toString());

    private final NodePlatforms platforms;
    private final Publications publications;
    private final Nodes nodes;
    private final Registries registries;
    private final RetentionProperties config;
    private final Clock clock;
    private final DataSource dataSource;

    RetentionPolicy(
            NodePlatforms platforms,
            Publications publications,
            Nodes nodes,
            Registries registries,
            RetentionProperties config,
            Clock clock,
            DataSource dataSource) {
        this.dataSource = dataSource;
        this.platforms = platforms;
        this.publications = publications;
        this.nodes = nodes;
        this.registries = registries;
        this.config = config;
        this.clock = clock;
    }

    /**
     * The dry run: what a run now would purge, for one platform or (null) all, ordered by platform
     * slug, family, arch and id. The counts are the platforms' ({@link NodePlatforms}), the
     * candidates the publications' ({@link Publications#purgeCandidates}).
     */
    public List<RetentionCandidate> plan(UUID platformId) {
        Instant now = clock.instant();
        Map<UUID, RetentionCount> counts = new HashMap<>();
        for (RetentionCount c : platforms.retentionCounts(platformId)) {
            counts.put(c.platformId(), c);
        }
        Map<UUID, Nodes.InUse> inUse = nodes.publicationsInUse(platformId);
        List<RetentionCandidate> planned =
                publications
                        .purgeCandidates(counts.values(), now.minus(config.grace()), now.minus(config.failedMaxAge()))
                        .stream()
                        .map(c -> candidate(c, counts.get(c.platformId()), inUse.get(c.publicationId())))
                        .toList();
        // the publications found the sharing among the live ones; a kept candidate is live too: a
        // purged row that shares its artifact must leave the bytes
        Set<String> keptArtifacts = new HashSet<>();
        for (RetentionCandidate c : planned) {
            if (!c.purges()) {
                keptArtifacts.add(artifactKey(c));
            }
        }
        return planned.stream()
                .map(c -> c.purges() && !c.artifactShared() && keptArtifacts.contains(artifactKey(c))
                        ? c.sharingItsArtifact()
                        : c)
                .sorted(PLAN_ORDER)
                .toList();
    }

    private static String artifactKey(RetentionCandidate c) {
        return c.ociRef() != null ? "oci:" + c.ociRef() : c.storage() + ":" + c.location();
    }

    private RetentionCandidate candidate(PurgeCandidate c, RetentionCount count, Nodes.@Nullable InUse inUse) {
        String reason = c.keptBefore() == null
                ? "failed more than " + config.failedMaxAge() + " ago"
                : "kept before it (the current one, then the newest): " + c.keptBefore()
                        + ", disk_image_retention_count " + count.keep();
        if (inUse != null) {
            reason = "live nodes still boot it: " + inUse.nodes() + " (e.g. " + inUse.example()
                    + "); retention never purges what nodes run (past the count: " + reason + ")";
        }
        return new RetentionCandidate(
                c.publicationId(),
                c.platformId(),
                count.slug(),
                c.family().value(),
                c.arch().value(),
                c.status().value(),
                c.ociRef(),
                c.signatureDigest(),
                c.attachedDigests(),
                c.storage(),
                c.location(),
                c.artifactShared(),
                inUse == null ? RetentionCandidate.PURGE : RetentionCandidate.KEEP,
                reason);
    }

    /** The session advisory lock that makes runs take turns across replicas. */
    static final long RUN_LOCK = 0x706e_7265_7465_6e74L; // "pnretent"

    /**
     * Runs retention now, for one platform or (null) all. Artifacts are deleted by a few parallel
     * workers; rows whose artifact is gone (or shared) are then marked purged in batches. Runs take
     * turns across replicas (a PostgreSQL advisory lock held by the running one, released by its
     * connection if the replica dies): a run started while another is going plans after it, so no
     * manifest is deleted twice.
     */
    public RetentionReport run(UUID platformId) {
        try (Connection lock = dataSource.getConnection()) {
            try (Statement s = lock.createStatement()) {
                s.execute("select pg_advisory_lock(" + RUN_LOCK + ")");
            }
            try {
                return runAlone(platformId);
            } finally {
                try (Statement s = lock.createStatement()) {
                    s.execute("select pg_advisory_unlock(" + RUN_LOCK + ")");
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("retention cannot take its turn: " + e.getMessage(), e);
        }
    }

    private RetentionReport runAlone(UUID platformId) {
        long start = System.nanoTime();
        List<RetentionCandidate> planned = plan(platformId);
        List<RetentionCandidate> plan =
                planned.stream().filter(RetentionCandidate::purges).toList();
        int keptInUse = planned.size() - plan.size();
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
                plan.size(),
                purged,
                deleted.get(),
                gone.get(),
                shared.get(),
                keptInUse,
                reclaimable,
                List.copyOf(errors),
                millis);
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
