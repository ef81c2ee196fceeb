package dev.powernode.server.bootstrap;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A provisioned ci_worker. {@code ciWorkerToken}: the Gitea runner registration token ({@code
 * act_runner register --token}); {@code uploadToken}: the platform's own token for the runner-facing
 * direct-upload API ({@code pnw_...}). Both are shown once.
 */
public record ProvisionedCiWorker(
        UUID workerId, String label, @Nullable String ciWorkerToken, String uploadToken, boolean rotated) {}
