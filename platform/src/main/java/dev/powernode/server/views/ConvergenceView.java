package dev.powernode.server.views;

import dev.powernode.server.node.Convergence;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** How many of a triple's live nodes run its current publication, and where the rest are. */
public record ConvergenceView(
        String artifactFamily,
        String arch,
        UUID currentPublicationId,
        long total,
        long onCurrent,
        List<CountView> onOther,
        long neverReported,
        long unhealthy,
        long stale,
        Instant staleCountedAt) {
    /** How many live nodes run a publication other than the current one. */
    public record CountView(UUID publicationId, long nodes) {}

    public static ConvergenceView of(Convergence c) {
        return new ConvergenceView(
                c.family().value(),
                c.arch().value(),
                c.current(),
                c.total(),
                c.onCurrent(),
                c.onOther().stream()
                        .map(o -> new CountView(o.publicationId(), o.nodes()))
                        .toList(),
                c.neverReported(),
                c.unhealthy(),
                c.stale(),
                c.staleCountedAt());
    }
}
