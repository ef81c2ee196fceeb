package dev.powernode.server.node;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An enrolled node. Its token is stored hashed and never returned after enrolment. The {@code
 * last*} fields are its last accepted report (null until it sent one).
 */
public record Node(
        UUID id,
        UUID nodePlatformId,
        String name,
        ArtifactFamily artifactFamily,
        Arch arch,
        String enrolledBy,
        Instant enrolledAt,
        @Nullable Instant revokedAt,
        @Nullable Instant lastSeenAt,
        @Nullable UUID lastPublicationId,
        @Nullable BootResult lastResult,
        @Nullable Instant lastReportAt,
        @Nullable String agentVersion,
        @Nullable Long uptimeSeconds) {}
