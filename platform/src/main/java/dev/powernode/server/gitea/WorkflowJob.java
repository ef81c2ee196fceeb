package dev.powernode.server.gitea;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** One job of a run, with its steps. */
public record WorkflowJob(
        long id,
        long runId,
        @Nullable String name,
        @Nullable String status,
        @Nullable String conclusion,
        List<String> labels,
        @Nullable String runnerName,
        @Nullable Instant startedAt,
        @Nullable Instant completedAt,
        List<Step> steps) {
    public record Step(
            long number,
            @Nullable String name,
            @Nullable String status,
            @Nullable String conclusion,
            @Nullable Instant startedAt,
            @Nullable Instant completedAt) {}
}
