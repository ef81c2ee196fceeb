package dev.powernode.server.platform;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.util.List;
import java.util.Optional;

/**
 * A partial update with JSON merge-patch meaning: a {@code null} component leaves the field as it
 * is, {@code Optional.empty()} clears it, a value replaces it.
 */
@SuppressWarnings("OptionalUsedAsFieldOrParameterType")
public record NodePlatformChanges(
        Optional<String> name,
        Optional<String> buildScript,
        Optional<String> cosignIdentityRegexp,
        Optional<String> cosignOidcIssuer,
        Optional<List<String>> cosignPublicKeys,
        Optional<Boolean> requireTlog,
        Optional<Integer> diskImageRetentionCount,
        Optional<ArtifactFamily> primaryArtifactFamily,
        Optional<Arch> primaryArch) {

    public static NodePlatformChanges none() {
        return new NodePlatformChanges(null, null, null, null, null, null, null, null, null);
    }

    /** True when the change touches the signature verification policy (an admin-only change). */
    public boolean touchesVerificationPolicy() {
        return cosignIdentityRegexp != null
                || cosignOidcIssuer != null
                || cosignPublicKeys != null
                || requireTlog != null;
    }

    /**
     * True when the change touches the build_script: the build kit runs it as root on the build
     * runners, so it is an admin-only change like the verification policy.
     */
    public boolean touchesBuildScript() {
        return buildScript != null;
    }
}
