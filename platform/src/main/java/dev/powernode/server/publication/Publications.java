package dev.powernode.server.publication;

import dev.powernode.server.platform.PrimaryTripleChanged;
import dev.powernode.server.platform.RetentionCount;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.Page;
import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.signing.VerifiedArtifact;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * DiskImagePublications: reading them, and every change of their state, each in one transaction;
 * the publication module's one facade. The changes are made by its parts: the way to verification
 * by {@link Attempts}, which publication is current by {@link Promotion}, purging by
 * {@link Tombstones}. Each change is checked against the {@link Lifecycle}, appended to the
 * history, and mirrored on the platform.
 */
@Service
public class Publications {
    private final PublicationRepository rows;
    private final PublicationSearch search;
    private final AwaitingUploads uploads;
    private final PublicationHistory history;
    private final ArtifactRecords artifacts;
    private final Attempts attempts;
    private final Promotion promotion;
    private final Tombstones tombstones;
    private final Clock clock;

    Publications(
            PublicationRepository rows,
            PublicationSearch search,
            AwaitingUploads uploads,
            PublicationHistory history,
            ArtifactRecords artifacts,
            Attempts attempts,
            Promotion promotion,
            Tombstones tombstones,
            Clock clock) {
        this.rows = rows;
        this.search = search;
        this.uploads = uploads;
        this.history = history;
        this.artifacts = artifacts;
        this.attempts = attempts;
        this.promotion = promotion;
        this.tombstones = tombstones;
        this.clock = clock;
    }

    @Transactional(readOnly = true)
    public Page<DiskImagePublication> list(PublicationQuery query, PageRequest page) {
        return new Page<>(search.page(query, page), page.page(), page.perPage(), search.count(query));
    }

    /** The publication with this id, or NOT_FOUND ({@code publication/not-found}). */
    @Transactional(readOnly = true)
    public DiskImagePublication get(UUID id) {
        return rows.get(id);
    }

    /**
     * Auto-rollback's move, in one transaction under the platform's promotion lock: when {@code
     * expectedCurrent} is still its triple's current publication, the newest retired publication
     * older than it (build order) and not in {@code excluded} becomes current through the same
     * set-default path operators use ({@code actor} in the audit). Empty when the triple moved on
     * meanwhile or nothing older is left.
     */
    @Transactional
    public Optional<DiskImagePublication> rollBackFrom(UUID expectedCurrent, Set<UUID> excluded, String actor) {
        return promotion.rollBackFrom(expectedCurrent, excluded, actor);
    }

    /** The current publication of each triple of a platform that has one. */
    @Transactional(readOnly = true)
    public List<DiskImagePublication> current(UUID platformId) {
        return rows.activeOf(platformId);
    }

    /** The current (active) publication of a triple, or empty when it has none. */
    @Transactional(readOnly = true)
    public Optional<DiskImagePublication> current(UUID platformId, ArtifactFamily family, Arch arch) {
        return rows.findActive(platformId, family, arch);
    }

    /** The publication with this id, if there is one. */
    @Transactional(readOnly = true)
    public Optional<DiskImagePublication> find(UUID id) {
        return rows.findById(id);
    }

    /**
     * Whether making {@code target} current instead of {@code current} is a rollback (the audit's
     * {@code rollback} rather than {@code set-default}): the current one is the newer build, by the
     * order promotion itself uses ({@link BuildOrder}).
     */
    public boolean isRollback(DiskImagePublication current, DiskImagePublication target) {
        return BuildOrder.isNewer(current, target);
    }

    /**
     * Why {@code p} cannot be made current by {@link #setDefault} (purged, failed, not verified yet),
     * or null when it can: the rule setDefault applies, for callers that show it before asking.
     */
    public @Nullable String whyNotPromotable(DiskImagePublication p) {
        return Promotion.whyNotPromotable(p);
    }

    /** Its state transitions, oldest first; NOT_FOUND when there is no such publication. */
    @Transactional(readOnly = true)
    public List<Transition> history(UUID id) {
        rows.get(id);
        return history.transitions(id);
    }

    /** A platform's audit trail, newest first: pointer changes and state transitions. */
    @Transactional(readOnly = true)
    public Page<AuditEntry> audit(UUID platformId, PageRequest page) {
        return new Page<>(history.audit(platformId, page), page.page(), page.perPage(), history.auditCount(platformId));
    }

    /**
     * The live (queued, verifying, published or retired) publication of a triple with this
     * manifest digest ({@code sha256:<hex>}), if any: announcing it again creates nothing.
     */
    @Transactional(readOnly = true)
    public Optional<DiskImagePublication> findAnnounced(
            UUID platformId, ArtifactFamily family, Arch arch, String manifestDigest) {
        return search.findLiveByDigest(platformId, family, arch, manifestDigest);
    }

    /** Records a new publication; callers schedule its processing in the same transaction. */
    @Transactional
    public DiskImagePublication enqueue(NewPublication n) {
        return attempts.enqueue(n);
    }

    /**
     * Starts an ingest attempt: {@code queued} (or {@code verifying}, when a previous attempt was
     * interrupted) becomes {@code verifying} and {@code attempt_count} grows. Empty when there is
     * nothing to do (already published, failed, ...), which makes the job idempotent.
     */
    @Transactional
    public Optional<DiskImagePublication> beginAttempt(UUID id) {
        return attempts.begin(id);
    }

    /** A transient failure: back to {@code queued} until {@code nextAttemptAt}. */
    @Transactional
    public void retryLater(UUID id, String cause, Instant nextAttemptAt) {
        attempts.retryLater(id, cause, nextAttemptAt);
    }

    /** A permanent failure: {@code failed} with {@code reason} as its error message. */
    @Transactional
    public void fail(UUID id, String cause) {
        attempts.fail(id, cause);
    }

    /** Bytes of an awaiting direct upload arrived: it is not abandoned (see {@link #idleUploads}). */
    @Transactional
    public void recordUploadProgress(UUID id) {
        uploads.touch(id, clock.instant());
    }

    /**
     * Direct uploads still {@code awaiting_upload} with no announcement or bytes for {@code idle}
     * by the injected clock, oldest first, at most {@code limit}.
     */
    @Transactional(readOnly = true)
    public List<DiskImagePublication> idleUploads(Duration idle, int limit) {
        return uploads.idleSince(clock.instant().minus(idle), limit);
    }

    /**
     * Fails an abandoned direct upload with {@code reason}, if it is still {@code awaiting_upload}
     * and has had no bytes for {@code idle} (checked under the row lock, so bytes arriving meanwhile
     * keep it alive). Returns whether it failed.
     */
    @Transactional
    public boolean expireIdleUpload(UUID id, Duration idle, String reason) {
        return attempts.expireIdleUpload(id, idle, reason);
    }

    /**
     * Publishes a verified artifact and auto-promotes it: it becomes its triple's current
     * publication, the previous current one is retired, and the platform's pointer columns follow
     * when the triple is the platform's primary one. Promotion only moves forward by build time
     * ({@link BuildOrder}): a publication whose build is not newer than the triple's current one
     * (builds finishing out of order, a late announcement) is published and immediately retired.
     */
    @Transactional
    public DiskImagePublication publish(VerifiedArtifact verified) {
        return promotion.publish(verified);
    }

    /**
     * {@code system_set_default_disk_image_publication}: makes {@code publicationId} the current
     * publication of its triple on {@code platformId} (promote, or roll back to an older one). The
     * target must be {@code published}, or {@code retired} with its artifact still there (not
     * purged); it becomes published and active, the previous current one is retired, the
     * platform's pointers follow, all in one transaction, audited with {@code actor}. Setting the
     * current publication again is a no-op.
     */
    @Transactional
    public DiskImagePublication setDefault(UUID platformId, UUID publicationId, String actor) {
        return promotion.setDefault(platformId, publicationId, actor);
    }

    /**
     * Keeps the platform's pointer columns on its primary triple when an operator changes that
     * triple: they name the new triple's current publication, or nothing. Runs in the updating
     * transaction; the platform row is already locked by it.
     */
    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void onPrimaryTripleChanged(PrimaryTripleChanged changed) {
        promotion.followPrimaryTriple(changed);
    }

    /**
     * What retention may purge, per (platform, family, arch) triple of the platforms in
     * {@code counts}: its published and retired publications ranked the current one first, then
     * the newest by build (the signed build time, else the creation time, as promotion orders
     * them), those beyond the platform's count that are not current and not retired after
     * {@code graceCutoff}; and its failed publications last changed before {@code failedCutoff}.
     * Unordered.
     */
    @Transactional(readOnly = true)
    public List<PurgeCandidate> purgeCandidates(
            Collection<RetentionCount> counts, Instant graceCutoff, Instant failedCutoff) {
        return tombstones.candidates(counts, graceCutoff, failedCutoff);
    }

    /**
     * Marks publications purged after retention deleted their artifacts (tombstones kept for
     * audit), in one statement: each row only if it still may be (inactive published, retired or
     * failed; not one that became current again since it was planned), its history entry saying
     * "retention: " and its reason. Returns how many were purged.
     */
    @Transactional
    public int purgeAll(List<UUID> ids, List<String> reasons) {
        return tombstones.purgeAll(ids, reasons);
    }

    /**
     * Bytes that the registry's garbage collection can free now that these publications are purged:
     * the blobs their manifests referenced that no publication still alive references. Publications
     * ingested before blobs were recorded (migration V13) count for nothing.
     */
    @Transactional(readOnly = true)
    public long reclaimableBytes(List<UUID> purged) {
        return artifacts.unreferencedBlobBytes(purged);
    }
}
