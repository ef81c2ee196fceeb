package dev.powernode.server.views;

import dev.powernode.server.node.Node;
import java.time.Instant;
import java.util.UUID;

/** An enrolled node as the API shows it; never its token. */
public record NodeView(
        UUID id,
        UUID nodePlatformId,
        String name,
        String artifactFamily,
        String arch,
        String enrolledBy,
        Instant enrolledAt,
        Instant revokedAt,
        Instant lastSeenAt,
        UUID lastPublicationId,
        String lastResult,
        Instant lastReportAt,
        String agentVersion,
        Long uptimeSeconds) {
    public static NodeView of(Node n) {
        return new NodeView(
                n.id(),
                n.nodePlatformId(),
                n.name(),
                n.artifactFamily().value(),
                n.arch().value(),
                n.enrolledBy(),
                n.enrolledAt(),
                n.revokedAt(),
                n.lastSeenAt(),
                n.lastPublicationId(),
                n.lastResult() == null ? null : n.lastResult().value(),
                n.lastReportAt(),
                n.agentVersion(),
                n.uptimeSeconds());
    }
}
