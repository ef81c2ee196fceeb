package dev.powernode.server.publication;

import dev.powernode.server.events.EventType;
import dev.powernode.server.platform.RetentionCount;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Purged publications stay as tombstones for the audit trail (docs/promotion-and-retention.md):
 * which ones retention may purge, and marking them purged once their artifact is gone.
 */
@Component
class Tombstones {
    private final PurgeRepository purges;
    private final PublicationEvents events;
    private final Clock clock;

    Tombstones(PurgeRepository purges, PublicationEvents events, Clock clock) {
        this.purges = purges;
        this.events = events;
        this.clock = clock;
    }

    List<PurgeCandidate> candidates(Collection<RetentionCount> counts, Instant graceCutoff, Instant failedCutoff) {
        return counts.isEmpty() ? List.of() : purges.candidates(counts, graceCutoff, failedCutoff);
    }

    int purgeAll(List<UUID> ids, List<String> reasons) {
        if (ids.isEmpty()) {
            return 0;
        }
        Instant now = clock.instant();
        int purged = purges.purgeAll(ids, reasons, now);
        events.emitAll(EventType.PURGED, () -> purges.purgedAt(ids, now), "retention");
        return purged;
    }
}
