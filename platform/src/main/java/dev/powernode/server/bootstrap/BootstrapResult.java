package dev.powernode.server.bootstrap;

import java.util.List;
import java.util.UUID;

/**
 * What a bootstrap set up. {@code webhookSecret} and {@code ciWorkerToken} (the Gitea runner
 * registration token) are shown here once; {@code giteaSecretsSet} names the repository secrets it
 * wrote, in order. {@code rotated}: the label was bootstrapped before and its secrets were replaced.
 */
public record BootstrapResult(
        boolean ok,
        String label,
        UUID webhookId,
        String webhookUrl,
        String webhookSecret,
        UUID workerId,
        String ciWorkerToken,
        List<String> giteaSecretsSet,
        boolean rotated) {}
