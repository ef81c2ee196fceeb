package dev.powernode.server.views;

import dev.powernode.server.publication.AuditEntry;
import java.time.Instant;
import java.util.UUID;

/** One entry of a platform's audit trail: a pointer change or a state transition. */
public record AuditView(
        String kind,
        Instant at,
        String actor,
        String reason,
        UUID publicationId,
        String artifactFamily,
        String arch,
        String from,
        String to) {
    public static AuditView of(AuditEntry e) {
        return new AuditView(
                e.kind(),
                e.at(),
                e.actor(),
                e.reason(),
                e.publicationId(),
                e.artifactFamily().value(),
                e.arch().value(),
                e.from(),
                e.to());
    }
}
