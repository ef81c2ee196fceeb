package dev.powernode.server.node;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Where one (platform, family, arch) triple's live nodes are. {@code current} is the triple's
 * current publication (null when it has none); every live (not revoked) node counts once in {@code
 * total} and once in exactly one of {@code onCurrent}, {@code onOther} (per publication) and {@code
 * neverReported}. {@code unhealthy}: nodes whose last report was not healthy; {@code stale}: nodes
 * not seen for the stale interval (or never), as counted at {@code staleCountedAt} (at most {@link
 * Nodes#STALE_RECOUNT} before the answer; the other counts are as of the answer); both overlap the
 * others.
 */
public record Convergence(
        ArtifactFamily family,
        Arch arch,
        @Nullable UUID current,
        long total,
        long onCurrent,
        List<Count> onOther,
        long neverReported,
        long unhealthy,
        long stale,
        Instant staleCountedAt) {
    /** Nodes whose last accepted report named this publication. */
    public record Count(UUID publicationId, long nodes) {}
}
