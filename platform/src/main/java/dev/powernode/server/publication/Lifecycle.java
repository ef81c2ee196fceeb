package dev.powernode.server.publication;

import static dev.powernode.server.publication.PublicationStatus.AWAITING_UPLOAD;
import static dev.powernode.server.publication.PublicationStatus.FAILED;
import static dev.powernode.server.publication.PublicationStatus.PUBLISHED;
import static dev.powernode.server.publication.PublicationStatus.PURGED;
import static dev.powernode.server.publication.PublicationStatus.QUEUED;
import static dev.powernode.server.publication.PublicationStatus.RETIRED;
import static dev.powernode.server.publication.PublicationStatus.VERIFYING;

import dev.powernode.server.shared.DomainException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** The legal state changes of a publication (docs/promotion-and-retention.md, Publication states). */
final class Lifecycle {
    private static final Map<PublicationStatus, Set<PublicationStatus>> ALLOWED =
            new EnumMap<>(PublicationStatus.class);

    static {
        ALLOWED.put(QUEUED, EnumSet.of(VERIFYING, FAILED));
        ALLOWED.put(AWAITING_UPLOAD, EnumSet.of(VERIFYING, FAILED));
        // verifying -> verifying: a new attempt after one that was interrupted (crash, dead replica)
        ALLOWED.put(VERIFYING, EnumSet.of(PUBLISHED, QUEUED, FAILED, VERIFYING));
        ALLOWED.put(PUBLISHED, EnumSet.of(RETIRED, PURGED));
        ALLOWED.put(RETIRED, EnumSet.of(PUBLISHED, PURGED));
        ALLOWED.put(FAILED, EnumSet.of(PURGED));
        ALLOWED.put(PURGED, EnumSet.noneOf(PublicationStatus.class));
    }

    private Lifecycle() {}

    static boolean allows(PublicationStatus from, PublicationStatus to) {
        return ALLOWED.get(from).contains(to);
    }

    static void check(UUID id, PublicationStatus from, PublicationStatus to) {
        if (!allows(from, to)) {
            throw DomainException.conflict(
                    "publication/illegal-transition",
                    "publication " + id + " cannot go from " + from.value() + " to " + to.value());
        }
    }
}
