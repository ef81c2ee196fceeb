package dev.powernode.server.node;

import org.jspecify.annotations.Nullable;

/**
 * What a node's agent reports, as it arrived (every field may be missing or wrong; {@link
 * Nodes#report} checks them): {@code reportId} the agent's UUID for this report (a retry sends the
 * same one), the publication it booted and that publication's artifact digest, how the boot ended,
 * its version and uptime.
 */
public record NodeReport(
        @Nullable String reportId,
        @Nullable String publicationId,
        @Nullable String sha256,
        @Nullable String result,
        @Nullable String agentVersion,
        @Nullable Long uptimeSeconds) {}
