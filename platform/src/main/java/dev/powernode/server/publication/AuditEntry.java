package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.time.Instant;
import java.util.UUID;

/**
 * One line of a platform's audit trail: a {@code pointer} change (from/to are publication ids) or
 * a publication's state {@code transition} (from/to are statuses).
 */
public record AuditEntry(
        String kind,
        Instant at,
        String actor,
        String reason,
        UUID publicationId,
        ArtifactFamily artifactFamily,
        Arch arch,
        String from,
        String to) {}
