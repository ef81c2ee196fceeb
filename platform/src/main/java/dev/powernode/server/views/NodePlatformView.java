package dev.powernode.server.views;

import dev.powernode.server.platform.NodePlatform;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

public record NodePlatformView(
        UUID id,
        String slug,
        String name,
        String buildScript,
        String cosignIdentityRegexp,
        String cosignOidcIssuer,
        List<String> cosignPublicKeys,
        Boolean requireTlog,
        int diskImageRetentionCount,
        String primaryArtifactFamily,
        String primaryArch,
        String diskImageOciRef,
        String diskImageGitSha,
        UUID diskImageFileObjectId,
        String diskImagePublicationStatus,
        String diskImagePublicationError,
        Instant createdAt,
        Instant updatedAt) {

    public static NodePlatformView of(NodePlatform p) {
        return new NodePlatformView(
                p.id(),
                p.slug(),
                p.name(),
                p.buildScript(),
                p.cosignIdentityRegexp(),
                p.cosignOidcIssuer(),
                p.cosignPublicKeys(),
                p.requireTlog(),
                p.diskImageRetentionCount(),
                p.primaryArtifactFamily().value(),
                p.primaryArch().value(),
                p.diskImageOciRef(),
                p.diskImageGitSha(),
                p.diskImageFileObjectId(),
                p.diskImagePublicationStatus() == null
                        ? null
                        : p.diskImagePublicationStatus().value(),
                p.diskImagePublicationError(),
                p.createdAt(),
                p.updatedAt());
    }
}
