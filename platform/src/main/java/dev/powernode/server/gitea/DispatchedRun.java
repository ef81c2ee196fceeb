package dev.powernode.server.gitea;

import org.jspecify.annotations.Nullable;

/**
 * What a dispatch started: the run's id and page when Gitea said (1.26+ answers them) or the run was
 * found by listing right after; null when neither (an older Gitea that had not queued it yet).
 */
public record DispatchedRun(@Nullable Long runId, @Nullable String htmlUrl, boolean foundByListing) {}
