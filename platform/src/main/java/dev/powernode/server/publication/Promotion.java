package dev.powernode.server.publication;

import static dev.powernode.server.publication.Attempts.SYSTEM;

import dev.powernode.server.events.EventType;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.platform.PrimaryTripleChanged;
import dev.powernode.server.platform.PublicationOutcome;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.signing.VerifiedArtifact;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Which publication of a triple is current (docs/promotion-and-retention.md): publishing a
 * verified artifact auto-promotes it when its build is newer ({@link BuildOrder}), an operator
 * sets another one (promote or roll back), and the platform's pointer columns follow its primary
 * triple. Each move retires the previous current one and is audited as a pointer change. Callers
 * hold the platform row lock ({@link NodePlatforms#lockForPromotion}) first, then the
 * publications', so concurrent promotions of a triple queue up.
 */
@Component
class Promotion {
    private final PublicationRepository rows;
    private final PublicationHistory history;
    private final ArtifactRecords artifacts;
    private final NodePlatforms platforms;
    private final PublicationEvents events;
    private final Clock clock;

    Promotion(
            PublicationRepository rows,
            PublicationHistory history,
            ArtifactRecords artifacts,
            NodePlatforms platforms,
            PublicationEvents events,
            Clock clock) {
        this.rows = rows;
        this.history = history;
        this.artifacts = artifacts;
        this.platforms = platforms;
        this.events = events;
        this.clock = clock;
    }

    /** Points the platform's pointer columns at the new primary triple's current publication, or at nothing. */
    void followPrimaryTriple(PrimaryTripleChanged changed) {
        Optional<DiskImagePublication> current =
                rows.lockActive(changed.platformId(), changed.family(), changed.arch());
        platforms.pointTo(
                changed.platformId(),
                changed.family(),
                changed.arch(),
                current.map(DiskImagePublication::ociRef).orElse(null),
                current.map(DiskImagePublication::gitSha).orElse(null),
                current.map(DiskImagePublication::fileObjectId).orElse(null));
    }

    DiskImagePublication publish(VerifiedArtifact verified) {
        UUID id = verified.publicationId();
        platforms.lockForPromotion(rows.get(id).nodePlatformId());
        DiskImagePublication p = rows.lock(id);
        Lifecycle.check(id, p.status(), PublicationStatus.PUBLISHED);
        Instant now = clock.instant();

        UUID fileObjectId = Ids.newId();
        artifacts.insertFileObject(fileObjectId, verified, now);
        artifacts.insertBlobs(verified);

        Optional<DiskImagePublication> current = rows.lockActive(p.nodePlatformId(), p.artifactFamily(), p.arch());
        // only forward: a build that is not newer than the current one (a late or repeated
        // announcement, or the same manifest again) is published but does not become current
        boolean supersedes = current.isEmpty()
                || (BuildOrder.isNewer(p, current.get()) && !BuildOrder.sameManifest(p, current.get()));
        if (supersedes && current.isPresent()) {
            retire(current.get().id(), SYSTEM, "auto-promote: superseded by " + id, now);
        }
        rows.markPublished(
                verified,
                fileObjectId,
                supersedes && current.isPresent() ? current.get().fileObjectId() : null,
                supersedes,
                now);
        history.transition(
                id, p.status(), PublicationStatus.PUBLISHED, SYSTEM, "verified: " + verified.verifiedBy(), now);
        if (supersedes) {
            movePointer(p, current, fileObjectId, SYSTEM, "auto-promote", now);
        } else {
            retire(
                    id,
                    SYSTEM,
                    "auto-promote: publication " + current.get().id() + " is already current and not older"
                            + " (build time " + BuildOrder.orderKey(current.get()) + ", this one "
                            + BuildOrder.orderKey(p) + ")",
                    now);
        }
        platforms.recordPublicationOutcome(p.nodePlatformId(), PublicationOutcome.PUBLISHED, null);
        DiskImagePublication published = rows.get(id);
        events.emit(EventType.PUBLISHED, () -> published, "verified: " + verified.verifiedBy());
        if (supersedes) {
            events.emit(EventType.PROMOTED, () -> published, "auto-promote");
        }
        return published;
    }

    /** Why {@code p} cannot become its triple's current publication, or null when it can. */
    static @Nullable String whyNotPromotable(DiskImagePublication p) {
        return switch (p.status()) {
            case PUBLISHED, RETIRED -> null;
            case PURGED -> "its artifact was purged by retention";
            case FAILED -> "it failed verification: " + p.errorMessage();
            default -> "it is still " + p.status().value() + " (not verified yet)";
        };
    }

    DiskImagePublication setDefault(UUID platformId, UUID publicationId, String actor) {
        platforms.lockForPromotion(platformId);
        DiskImagePublication target = rows.lock(publicationId);
        if (!target.nodePlatformId().equals(platformId)) {
            throw new DomainException(
                    ErrorKind.INVALID,
                    "publication/other-platform",
                    "publication " + publicationId + " belongs to another platform");
        }
        String why = whyNotPromotable(target);
        if (why != null) {
            throw DomainException.conflict(
                    "publication/not-promotable", "publication " + publicationId + " cannot become current: " + why);
        }
        if (target.active()) {
            return target;
        }
        Instant now = clock.instant();
        Optional<DiskImagePublication> current = rows.lockActive(platformId, target.artifactFamily(), target.arch());
        String reason = current.isPresent() && BuildOrder.isNewer(current.get(), target) ? "rollback" : "set-default";
        if (current.isPresent()) {
            retire(current.get().id(), actor, reason + ": replaced by " + publicationId, now);
        }
        rows.activate(
                publicationId, current.map(DiskImagePublication::fileObjectId).orElse(null), now);
        if (target.status() == PublicationStatus.RETIRED) {
            history.transition(
                    publicationId, PublicationStatus.RETIRED, PublicationStatus.PUBLISHED, actor, reason, now);
        }
        movePointer(target, current, target.fileObjectId(), actor, reason, now);
        DiskImagePublication promoted = rows.get(publicationId);
        events.emit(
                reason.equals("rollback") ? EventType.ROLLED_BACK : EventType.PROMOTED,
                () -> promoted,
                reason + " by " + actor);
        return promoted;
    }

    /**
     * Auto-rollback's move, under the platform's promotion lock: when {@code expectedCurrent} is
     * still its triple's current publication, the newest retired publication older than it (build
     * order) and not in {@code excluded} becomes current by {@link #setDefault}. Empty when the
     * triple moved on meanwhile or nothing older is left.
     */
    Optional<DiskImagePublication> rollBackFrom(UUID expectedCurrent, Set<UUID> excluded, String actor) {
        DiskImagePublication from = rows.get(expectedCurrent);
        platforms.lockForPromotion(from.nodePlatformId());
        Optional<DiskImagePublication> current =
                rows.lockActive(from.nodePlatformId(), from.artifactFamily(), from.arch());
        if (current.isEmpty() || !current.get().id().equals(expectedCurrent)) {
            return Optional.empty();
        }
        Optional<DiskImagePublication> target =
                rows.retiredOf(from.nodePlatformId(), from.artifactFamily(), from.arch()).stream()
                        .filter(p -> !excluded.contains(p.id()) && BuildOrder.isNewer(current.get(), p))
                        .max((a, b) -> BuildOrder.isNewer(a, b) ? 1 : BuildOrder.isNewer(b, a) ? -1 : 0);
        return target.map(t -> setDefault(from.nodePlatformId(), t.id(), actor));
    }

    /** A published publication stops being current. */
    private void retire(UUID id, String actor, String reason, Instant now) {
        rows.retire(id, now);
        history.transition(id, PublicationStatus.PUBLISHED, PublicationStatus.RETIRED, actor, reason, now);
    }

    /**
     * Audits the move of {@code to}'s triple from {@code current} to it, and points the platform's
     * pointer columns at it (at {@code fileObjectId}, its stored artifact).
     */
    private void movePointer(
            DiskImagePublication to,
            Optional<DiskImagePublication> current,
            UUID fileObjectId,
            String actor,
            String reason,
            Instant now) {
        history.recordPointerChange(
                to.nodePlatformId(),
                to.artifactFamily(),
                to.arch(),
                current.map(DiskImagePublication::id).orElse(null),
                to.id(),
                actor,
                reason,
                now);
        platforms.pointTo(to.nodePlatformId(), to.artifactFamily(), to.arch(), to.ociRef(), to.gitSha(), fileObjectId);
    }
}
