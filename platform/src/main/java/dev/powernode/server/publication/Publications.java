package dev.powernode.server.publication;

import dev.powernode.server.events.EventType;
import dev.powernode.server.events.OutboundEvents;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.platform.PrimaryTripleChanged;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.Page;
import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.shared.PublicationStatus;
import dev.powernode.server.shared.Text;
import dev.powernode.server.signing.VerifiedArtifact;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * DiskImagePublications: reading them, and every change of their state. Each change is checked
 * against the lifecycle, appended to the history, and mirrored on the platform in one transaction.
 */
@Service
public class Publications {
    public static final String SYSTEM = "system";
    /** Longest failure reason kept (error_message, history, events); longer ones are cut. */
    static final int MAX_REASON = 2000;

    private final PublicationRepository repository;
    private final NodePlatforms platforms;
    private final OutboundEvents events;
    private final Clock clock;

    Publications(PublicationRepository repository, NodePlatforms platforms, OutboundEvents events, Clock clock) {
        this.repository = repository;
        this.platforms = platforms;
        this.events = events;
        this.clock = clock;
    }

    /**
     * Keeps the platform's pointer columns on its primary triple when an operator changes that
     * triple: they name the new triple's current publication, or nothing. Runs in the updating
     * transaction; the platform row is already locked by it.
     */
    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void onPrimaryTripleChanged(PrimaryTripleChanged changed) {
        Optional<DiskImagePublication> current =
                repository.lockActive(changed.platformId(), changed.family(), changed.arch());
        platforms.pointTo(
                changed.platformId(),
                changed.family(),
                changed.arch(),
                current.map(DiskImagePublication::ociRef).orElse(null),
                current.map(DiskImagePublication::gitSha).orElse(null),
                current.map(DiskImagePublication::fileObjectId).orElse(null));
    }

    /** What outbound events say about a publication. */
    static OutboundEvents.Fact fact(DiskImagePublication p, String reason) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("publication_id", p.id().toString());
        data.put("platform_id", p.nodePlatformId().toString());
        data.put("artifact_family", p.artifactFamily().value());
        data.put("arch", p.arch().value());
        data.put("status", p.status().value());
        data.put("active", p.active());
        data.put("oci_ref", p.ociRef());
        data.put("sha256", p.sha256());
        data.put("git_sha", p.gitSha());
        data.put("reason", reason);
        return new OutboundEvents.Fact(p.nodePlatformId(), p.id(), data);
    }

    @Transactional(readOnly = true)
    public Page<DiskImagePublication> list(PublicationQuery query, PageRequest page) {
        return new Page<>(repository.page(query, page), page.page(), page.perPage(), repository.count(query));
    }

    /** The publication with this id, or NOT_FOUND ({@code publication/not-found}). */
    @Transactional(readOnly = true)
    public DiskImagePublication get(UUID id) {
        return repository.findById(id).orElseThrow(() -> notFound(id));
    }

    /** The publication with this id, if there is one. */
    @Transactional(readOnly = true)
    public Optional<DiskImagePublication> find(UUID id) {
        return repository.findById(id);
    }

    @Transactional(readOnly = true)
    public List<Transition> history(UUID id) {
        get(id);
        return repository.transitions(id);
    }

    /** Records a new publication; callers schedule its processing in the same transaction. */
    @Transactional
    public DiskImagePublication enqueue(NewPublication n) {
        UUID id = Ids.newId();
        Instant now = clock.instant();
        repository.insert(n, id, now);
        repository.transition(id, null, n.initialStatus(), n.actor(), n.reason(), now);
        return new DiskImagePublication(
                id,
                n.nodePlatformId(),
                n.family(),
                n.arch(),
                n.initialStatus(),
                false,
                n.firmwareRef(),
                n.gitSha(),
                n.ociRef(),
                n.sha256(),
                n.sizeBytes(),
                0,
                null,
                false,
                false,
                null,
                null,
                n.webhookId(),
                n.webhookLabel(),
                n.workerId(),
                null,
                null,
                null,
                null,
                null,
                now,
                n.runId(),
                n.deliveryId(),
                null,
                null,
                null,
                n.uploadSignature(),
                n.uploadMediaType(),
                n.buildTime());
    }

    /**
     * Starts an ingest attempt: {@code queued} (or {@code verifying}, when a previous attempt was
     * interrupted) becomes {@code verifying} and {@code attempt_count} grows. Empty when there is
     * nothing to do (already published, failed, ...), which makes the job idempotent.
     */
    @Transactional
    public Optional<DiskImagePublication> beginAttempt(UUID id) {
        DiskImagePublication p = repository.lockById(id).orElse(null);
        if (p == null
                || (p.status() != PublicationStatus.QUEUED
                        && p.status() != PublicationStatus.VERIFYING
                        && p.status() != PublicationStatus.AWAITING_UPLOAD)) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        repository.startAttempt(id, now);
        String reason = p.status() == PublicationStatus.VERIFYING
                ? "attempt " + (p.attemptCount() + 1) + " (the previous one was interrupted)"
                : "attempt " + (p.attemptCount() + 1);
        repository.transition(id, p.status(), PublicationStatus.VERIFYING, SYSTEM, reason, now);
        return repository.findById(id);
    }

    /** A transient failure: back to {@code queued} until {@code nextAttemptAt}. */
    @Transactional
    public void retryLater(UUID id, String cause, Instant nextAttemptAt) {
        String reason = Text.printable(cause, MAX_REASON);
        DiskImagePublication p = repository.lockById(id).orElseThrow(() -> notFound(id));
        Lifecycle.check(id, p.status(), PublicationStatus.QUEUED);
        Instant now = clock.instant();
        repository.requeue(id, reason, nextAttemptAt, now);
        repository.transition(id, p.status(), PublicationStatus.QUEUED, SYSTEM, "transient: " + reason, now);
    }

    /** Bytes of an awaiting direct upload arrived: it is not abandoned (see {@link #idleUploads}). */
    @Transactional
    public void recordUploadProgress(UUID id) {
        repository.touchUpload(id, clock.instant());
    }

    /**
     * Direct uploads still {@code awaiting_upload} with no announcement or bytes for {@code idle}
     * by the injected clock, oldest first, at most {@code limit}.
     */
    @Transactional(readOnly = true)
    public List<DiskImagePublication> idleUploads(java.time.Duration idle, int limit) {
        return repository.awaitingUploadIdleSince(clock.instant().minus(idle), limit);
    }

    /**
     * Fails an abandoned direct upload with {@code reason}, if it is still {@code awaiting_upload}
     * and has had no bytes for {@code idle} (checked under the row lock, so bytes arriving meanwhile
     * keep it alive). Returns whether it failed.
     */
    @Transactional
    public boolean expireIdleUpload(UUID id, java.time.Duration idle, String reason) {
        if (repository.lockIdleUpload(id, clock.instant().minus(idle)).isEmpty()) {
            return false;
        }
        fail(id, reason);
        return true;
    }

    /** The sum of {@code size_bytes} over uploads still awaiting their bytes. */
    @Transactional(readOnly = true)
    public long awaitingUploadBytes() {
        return repository.awaitingUploadBytes();
    }

    /** A permanent failure: {@code failed} with {@code reason} as its error message. */
    @Transactional
    public void fail(UUID id, String cause) {
        // reasons quote what registries, manifests and callers said: stored, logged and sent as events
        String reason = Text.printable(cause, MAX_REASON);
        DiskImagePublication p = repository.lockById(id).orElseThrow(() -> notFound(id));
        if (p.status() == PublicationStatus.FAILED) {
            return;
        }
        Lifecycle.check(id, p.status(), PublicationStatus.FAILED);
        Instant now = clock.instant();
        repository.fail(id, reason, now);
        repository.transition(id, p.status(), PublicationStatus.FAILED, SYSTEM, reason, now);
        platforms.recordPublicationOutcome(p.nodePlatformId(), PublicationStatus.FAILED, reason);
        events.emit(EventType.FAILED, () -> List.of(fact(get(id), reason)));
    }

    /**
     * Publishes a verified artifact and auto-promotes it: it becomes its triple's current
     * publication, the previous current one is retired, and the platform's pointer columns follow
     * when the triple is the platform's primary one. Promotion only moves forward by build time
     * ({@link #isNewer}): a publication whose build is not newer than the triple's current one
     * (builds finishing out of order, a late announcement) is published and immediately retired.
     */
    @Transactional
    public DiskImagePublication publish(VerifiedArtifact verified) {
        UUID id = verified.publicationId();
        // lock order: platform row, then publications, so concurrent promotions of a triple queue up
        platforms.lockForPromotion(get(id).nodePlatformId());
        DiskImagePublication p = repository.lockById(id).orElseThrow(() -> notFound(id));
        Lifecycle.check(id, p.status(), PublicationStatus.PUBLISHED);
        Instant now = clock.instant();

        UUID fileObjectId = Ids.newId();
        repository.insertFileObject(
                fileObjectId,
                verified.storage(),
                verified.location(),
                verified.mediaType(),
                verified.sha256(),
                verified.size(),
                now);
        repository.insertBlobs(id, verified.registry(), verified.blobs());

        Optional<DiskImagePublication> current =
                repository.lockActive(p.nodePlatformId(), p.artifactFamily(), p.arch());
        // only forward: a build that is not newer than the current one (a late or repeated
        // announcement, or the same manifest again) is published but does not become current
        boolean supersedes = current.isEmpty() || (isNewer(p, current.get()) && !sameManifest(p, current.get()));
        if (supersedes && current.isPresent()) {
            DiskImagePublication previous = current.get();
            repository.retire(previous.id(), now);
            repository.transition(
                    previous.id(),
                    PublicationStatus.PUBLISHED,
                    PublicationStatus.RETIRED,
                    SYSTEM,
                    "auto-promote: superseded by " + id,
                    now);
        }
        repository.markPublished(
                id,
                verified.signatureDigest(),
                verified.attachedDigests(),
                fileObjectId,
                supersedes && current.isPresent() ? current.get().fileObjectId() : null,
                supersedes,
                verified.size(),
                verified.verifiedBy(),
                verified.cosignBundlePresent(),
                verified.attestationPresent(),
                verified.attestationPredicate(),
                now);
        repository.transition(
                id, p.status(), PublicationStatus.PUBLISHED, SYSTEM, "verified: " + verified.verifiedBy(), now);
        if (supersedes) {
            repository.recordPointerChange(
                    p.nodePlatformId(),
                    p.artifactFamily(),
                    p.arch(),
                    current.map(DiskImagePublication::id).orElse(null),
                    id,
                    SYSTEM,
                    "auto-promote",
                    now);
            platforms.pointTo(p.nodePlatformId(), p.artifactFamily(), p.arch(), p.ociRef(), p.gitSha(), fileObjectId);
        } else {
            repository.retire(id, now);
            repository.transition(
                    id,
                    PublicationStatus.PUBLISHED,
                    PublicationStatus.RETIRED,
                    SYSTEM,
                    "auto-promote: publication " + current.get().id() + " is already current and not older"
                            + " (build time " + orderKey(current.get()) + ", this one " + orderKey(p) + ")",
                    now);
        }
        platforms.recordPublicationOutcome(p.nodePlatformId(), PublicationStatus.PUBLISHED, null);
        DiskImagePublication published = get(id);
        events.emit(EventType.PUBLISHED, () -> List.of(fact(published, "verified: " + verified.verifiedBy())));
        if (supersedes) {
            events.emit(EventType.PROMOTED, () -> List.of(fact(published, "auto-promote")));
        }
        return published;
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
        platforms.lockForPromotion(platformId);
        DiskImagePublication target = repository.lockById(publicationId).orElseThrow(() -> notFound(publicationId));
        if (!target.nodePlatformId().equals(platformId)) {
            throw new DomainException(
                    ErrorKind.INVALID,
                    "publication/other-platform",
                    "publication " + publicationId + " belongs to another platform");
        }
        if (target.status() != PublicationStatus.PUBLISHED && target.status() != PublicationStatus.RETIRED) {
            String why = switch (target.status()) {
                case PURGED -> "its artifact was purged by retention";
                case FAILED -> "it failed verification: " + target.errorMessage();
                default -> "it is still " + target.status().value() + " (not verified yet)";
            };
            throw DomainException.conflict(
                    "publication/not-promotable", "publication " + publicationId + " cannot become current: " + why);
        }
        if (target.active()) {
            return target;
        }
        Instant now = clock.instant();
        Optional<DiskImagePublication> current =
                repository.lockActive(platformId, target.artifactFamily(), target.arch());
        String reason = current.isPresent() && isNewer(current.get(), target) ? "rollback" : "set-default";
        if (current.isPresent()) {
            repository.retire(current.get().id(), now);
            repository.transition(
                    current.get().id(),
                    PublicationStatus.PUBLISHED,
                    PublicationStatus.RETIRED,
                    actor,
                    reason + ": replaced by " + publicationId,
                    now);
        }
        repository.activate(
                publicationId, current.map(DiskImagePublication::fileObjectId).orElse(null), now);
        if (target.status() == PublicationStatus.RETIRED) {
            repository.transition(
                    publicationId, PublicationStatus.RETIRED, PublicationStatus.PUBLISHED, actor, reason, now);
        }
        repository.recordPointerChange(
                platformId,
                target.artifactFamily(),
                target.arch(),
                current.map(DiskImagePublication::id).orElse(null),
                publicationId,
                actor,
                reason,
                now);
        platforms.pointTo(
                platformId,
                target.artifactFamily(),
                target.arch(),
                target.ociRef(),
                target.gitSha(),
                target.fileObjectId());
        DiskImagePublication promoted = get(publicationId);
        events.emit(
                reason.equals("rollback") ? EventType.ROLLED_BACK : EventType.PROMOTED,
                () -> List.of(fact(promoted, reason + " by " + actor)));
        return promoted;
    }

    /**
     * Bytes that the registry's garbage collection can free now that these publications are purged:
     * the blobs their manifests referenced that no publication still alive references. Publications
     * ingested before blobs were recorded (migration V13) count for nothing.
     */
    @Transactional(readOnly = true)
    public long reclaimableBytes(List<UUID> purged) {
        return repository.unreferencedBlobBytes(purged);
    }

    /**
     * Marks a publication purged after retention deleted its artifact (a tombstone kept for
     * audit). Only an inactive published, retired or failed publication can be purged; returns
     * false when it is already purged or has become current again since it was planned.
     */
    @Transactional
    public boolean purge(UUID id, String reason) {
        DiskImagePublication p = repository.lockById(id).orElseThrow(() -> notFound(id));
        if (p.active() || !Lifecycle.allows(p.status(), PublicationStatus.PURGED)) {
            return false;
        }
        Instant now = clock.instant();
        repository.purge(id, now);
        repository.transition(id, p.status(), PublicationStatus.PURGED, SYSTEM, "retention: " + reason, now);
        events.emit(EventType.PURGED, () -> List.of(fact(get(id), reason)));
        return true;
    }

    /**
     * {@link #purge} for many rows in one statement (retention sweeps): each row is purged only if
     * it still may be (inactive published, retired or failed). Returns how many were purged.
     */
    @Transactional
    public int purgeAll(List<UUID> ids, List<String> reasons) {
        if (ids.isEmpty()) {
            return 0;
        }
        Instant now = clock.instant();
        int purged = repository.purgeAll(ids, reasons, now);
        events.emit(
                EventType.PURGED,
                () -> repository.purgedAt(ids, now).stream()
                        .map(p -> fact(p, "retention"))
                        .toList());
        return purged;
    }

    /** A platform's audit trail, newest first: pointer changes and state transitions. */
    @Transactional(readOnly = true)
    public Page<AuditEntry> audit(UUID platformId, PageRequest page) {
        return new Page<>(
                repository.audit(platformId, page), page.page(), page.perPage(), repository.auditCount(platformId));
    }

    /**
     * Build order: the signed build time each webhook announced (checked against its manifest), so
     * arrival order cannot move the pointer backwards; an equal build time is never "newer".
     * Publications without one (direct uploads, rows from before build times) count from their
     * creation among themselves (ties told apart by id). Across the two kinds, a signed build time
     * beats an arrival time, and a publication without one never displaces one that has it: an
     * upload's signature says nothing about when its file was built, so a re-upload of an old file
     * must not become current on its own (an operator promotes it).
     */
    static boolean isNewer(DiskImagePublication a, DiskImagePublication b) {
        if ((a.buildTime() == null) != (b.buildTime() == null)) {
            return a.buildTime() != null;
        }
        int byTime = orderKey(a).compareTo(orderKey(b));
        if (byTime != 0) {
            return byTime > 0;
        }
        if (a.buildTime() != null) {
            return false;
        }
        return a.id().toString().compareTo(b.id().toString()) > 0;
    }

    private static Instant orderKey(DiskImagePublication p) {
        return p.buildTime() != null ? p.buildTime() : p.createdAt();
    }

    private static boolean sameManifest(DiskImagePublication a, DiskImagePublication b) {
        return a.ociRef() != null
                && b.ociRef() != null
                && a.ref().digest() != null
                && a.ref().digest().equals(b.ref().digest());
    }

    /**
     * The live (queued, verifying, published or retired) publication of a triple with this
     * manifest digest ({@code sha256:<hex>}), if any: announcing it again creates nothing.
     */
    @Transactional(readOnly = true)
    public Optional<DiskImagePublication> findAnnounced(
            UUID platformId,
            dev.powernode.server.shared.ArtifactFamily family,
            dev.powernode.server.shared.Arch arch,
            String manifestDigest) {
        return repository.findLiveByDigest(platformId, family, arch, manifestDigest);
    }

    private static DomainException notFound(UUID id) {
        return DomainException.notFound("publication/not-found", "no disk image publication '" + id + "'");
    }
}
