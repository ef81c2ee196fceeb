package dev.powernode.server.platform;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A platform whose build script produces boot artifacts, with its verification policy, retention
 * and the pointer columns that mirror its primary (family, arch) triple.
 */
public record NodePlatform(
        UUID id,
        String slug,
        String name,
        String buildScript,
        String cosignIdentityRegexp,
        String cosignOidcIssuer,
        List<String> cosignPublicKeys,
        Boolean requireTlog,
        int diskImageRetentionCount,
        ArtifactFamily primaryArtifactFamily,
        Arch primaryArch,
        String diskImageOciRef,
        String diskImageGitSha,
        UUID diskImageFileObjectId,
        PublicationOutcome diskImagePublicationStatus,
        String diskImagePublicationError,
        Instant createdAt,
        Instant updatedAt) {

    public NodePlatform {
        cosignPublicKeys = List.copyOf(cosignPublicKeys);
    }

    /** True when the platform has a keyless or a key-pair policy; without one nothing may publish. */
    public boolean hasVerificationPolicy() {
        return cosignIdentityRegexp != null || !cosignPublicKeys.isEmpty();
    }
}
