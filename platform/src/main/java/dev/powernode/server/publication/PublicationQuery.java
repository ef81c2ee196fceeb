package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.util.UUID;

/** Filters for listing publications; a null component does not filter. */
public record PublicationQuery(UUID nodePlatformId, PublicationStatus status, Arch arch, ArtifactFamily family) {
    public static PublicationQuery all() {
        return new PublicationQuery(null, null, null, null);
    }

    public PublicationQuery forPlatform(UUID platformId) {
        return new PublicationQuery(platformId, status, arch, family);
    }
}
