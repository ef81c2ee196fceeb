package dev.powernode.server.bootstrap;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * What {@code bootstrap_disk_image_ci} hands a build repository besides the webhook.
 *
 * @param registryUsername the user the runner pushes to the OCI registry as (Gitea secret {@code
 *     OCI_REGISTRY_USERNAME}); with {@code registryToken}, or neither
 * @param registryToken its password or token (Gitea secret {@code OCI_REGISTRY_TOKEN})
 * @param readTokenTtl how long the read-scoped token minted for the runner lasts
 * @param repositories {@code owner/repo} names the Gitea routes may act on besides the bootstrapped
 *     ones (e.g. to set a secret before the first bootstrap)
 */
@ConfigurationProperties("powernode.ci")
public record CiProperties(
        @Nullable String registryUsername,
        @Nullable String registryToken,
        Duration readTokenTtl,
        List<String> repositories) {
    public CiProperties {
        registryUsername = registryUsername == null || registryUsername.isBlank() ? null : registryUsername;
        registryToken = registryToken == null || registryToken.isBlank() ? null : registryToken;
        if ((registryUsername == null) != (registryToken == null)) {
            throw new IllegalArgumentException(
                    "set both POWERNODE_CI_REGISTRY_USERNAME and POWERNODE_CI_REGISTRY_TOKEN, or neither");
        }
        readTokenTtl = readTokenTtl == null ? Duration.ofDays(90) : readTokenTtl;
        repositories = repositories == null
                ? List.of()
                : repositories.stream()
                        .map(String::strip)
                        .filter(r -> !r.isEmpty())
                        .toList();
    }
}
