package dev.powernode.server.platform;

import java.util.List;

/**
 * What an operator gives to create a NodePlatform, as given (enums by their wire values, so every
 * invalid field is reported together); null means "use the default".
 */
public record NewNodePlatform(
        String slug,
        String name,
        String buildScript,
        String cosignIdentityRegexp,
        String cosignOidcIssuer,
        List<String> cosignPublicKeys,
        Boolean requireTlog,
        Integer diskImageRetentionCount,
        String primaryArtifactFamily,
        String primaryArch) {}
