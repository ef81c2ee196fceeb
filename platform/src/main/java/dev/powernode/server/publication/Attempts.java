package dev.powernode.server.publication;

import dev.powernode.server.events.EventType;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.platform.PublicationOutcome;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.Text;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * A publication's way to verification (docs/ingest.md): recorded {@code queued} (or
 * {@code awaiting_upload}), each attempt {@code verifying}, a transient failure back to
 * {@code queued}, a permanent one {@code failed}. Each step is checked against the
 * {@link Lifecycle} and appended to the history; publishing is {@link Promotion}'s.
 */
@Component
class Attempts {
    static final String SYSTEM = "system";
    /** Longest failure reason kept (error_message, history, events); longer ones are cut. */
    static final int MAX_REASON = 2000;

    private final PublicationRepository rows;
    private final AwaitingUploads uploads;
    private final PublicationHistory history;
    private final NodePlatforms platforms;
    private final PublicationEvents events;
    private final Clock clock;

    Attempts(
            PublicationRepository rows,
            AwaitingUploads uploads,
            PublicationHistory history,
            NodePlatforms platforms,
            PublicationEvents events,
            Clock clock) {
        this.rows = rows;
        this.uploads = uploads;
        this.history = history;
        this.platforms = platforms;
        this.events = events;
        this.clock = clock;
    }

    DiskImagePublication enqueue(NewPublication n) {
        Instant now = clock.instant();
        DiskImagePublication p = rows.insert(n, Ids.newId(), now);
        history.transition(p.id(), null, n.initialStatus(), n.actor(), n.reason(), now);
        return p;
    }

    Optional<DiskImagePublication> begin(UUID id) {
        DiskImagePublication p = rows.lockById(id).orElse(null);
        if (p == null
                || (p.status() != PublicationStatus.QUEUED
                        && p.status() != PublicationStatus.VERIFYING
                        && p.status() != PublicationStatus.AWAITING_UPLOAD)) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        rows.startAttempt(id, now);
        String reason = p.status() == PublicationStatus.VERIFYING
                ? "attempt " + (p.attemptCount() + 1) + " (the previous one was interrupted)"
                : "attempt " + (p.attemptCount() + 1);
        history.transition(id, p.status(), PublicationStatus.VERIFYING, SYSTEM, reason, now);
        return rows.findById(id);
    }

    void retryLater(UUID id, String cause, Instant nextAttemptAt) {
        String reason = Text.printable(cause, MAX_REASON);
        DiskImagePublication p = rows.lock(id);
        Lifecycle.check(id, p.status(), PublicationStatus.QUEUED);
        Instant now = clock.instant();
        rows.requeue(id, reason, nextAttemptAt, now);
        history.transition(id, p.status(), PublicationStatus.QUEUED, SYSTEM, "transient: " + reason, now);
    }

    boolean expireIdleUpload(UUID id, Duration idle, String reason) {
        if (uploads.lockIfIdle(id, clock.instant().minus(idle)).isEmpty()) {
            return false;
        }
        fail(id, reason);
        return true;
    }

    void fail(UUID id, String cause) {
        // reasons quote what registries, manifests and callers said: stored, logged and sent as events
        String reason = Text.printable(cause, MAX_REASON);
        DiskImagePublication p = rows.lock(id);
        if (p.status() == PublicationStatus.FAILED) {
            return;
        }
        Lifecycle.check(id, p.status(), PublicationStatus.FAILED);
        Instant now = clock.instant();
        rows.fail(id, reason, now);
        history.transition(id, p.status(), PublicationStatus.FAILED, SYSTEM, reason, now);
        platforms.recordPublicationOutcome(p.nodePlatformId(), PublicationOutcome.FAILED, reason);
        events.emit(EventType.FAILED, () -> rows.get(id), reason);
    }
}
