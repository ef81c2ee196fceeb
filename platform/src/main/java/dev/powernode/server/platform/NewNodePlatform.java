package dev.powernode.server.platform;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.util.List;

/** What an operator gives to create a NodePlatform; null means "use the default". */
public record NewNodePlatform(
        String slug,
        String name,
        String buildScript,
        String cosignIdentityRegexp,
        String cosignOidcIssuer,
        List<String> cosignPublicKeys,
        Boolean requireTlog,
        Integer diskImageRetentionCount,
        ArtifactFamily primaryArtifactFamily,
        Arch primaryArch) {}
