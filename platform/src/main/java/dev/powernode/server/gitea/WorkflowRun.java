package dev.powernode.server.gitea;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One run of a workflow as Gitea reports it. {@code workflowFile}: the file name the run's {@code
 * path} names ({@code build-disk-image.yaml@refs/heads/main} → {@code build-disk-image.yaml});
 * {@code status}: queued, in_progress, completed, ...; {@code conclusion}: success, failure, ...
 * once completed.
 */
public record WorkflowRun(
        long id,
        @Nullable String workflowFile,
        @Nullable String displayTitle,
        @Nullable String event,
        @Nullable String status,
        @Nullable String conclusion,
        @Nullable String headBranch,
        @Nullable String headSha,
        long runNumber,
        @Nullable String htmlUrl,
        @Nullable Instant startedAt,
        @Nullable Instant completedAt) {}
