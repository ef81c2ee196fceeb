package dev.powernode.server.bootstrap;

import org.jspecify.annotations.Nullable;

/**
 * {@code provision_ci_worker}: the worker's label, and where its Gitea runner registers: the
 * repository {@code owner/repo}, or the organisation {@code owner} (every repository of it) when
 * {@code repo} is absent; no {@code owner}, no registration token (the worker row and the upload
 * token only).
 */
public record CiWorkerRequest(
        @Nullable String label,
        @Nullable String owner,
        @Nullable String repo) {}
