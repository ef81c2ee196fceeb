package dev.powernode.server.bootstrap;

import org.jspecify.annotations.Nullable;

/**
 * {@code bootstrap_disk_image_ci}'s parameters, exactly the spec's: the Gitea repository, the
 * operator's label (the webhook and the worker are keyed on it), the platform's public base URL for
 * the webhook (default {@code POWERNODE_PUBLIC_URL}) and whether to mint a read-scoped token for the
 * runner.
 */
public record BootstrapRequest(
        @Nullable String owner,
        @Nullable String repo,
        @Nullable String label,
        @Nullable String platformApiBase,
        @Nullable Boolean createPlatformReadToken) {}
