/**
 * {@code bootstrap_disk_image_ci}: one idempotent call that sets up a build repository's CI side
 * (the webhook, the ci_worker, a runner registration token, an optional read token, the Gitea
 * Actions secrets), and {@code provision_ci_worker}.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"auth", "ci", "gitea", "shared", "webhook"})
package dev.powernode.server.bootstrap;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
