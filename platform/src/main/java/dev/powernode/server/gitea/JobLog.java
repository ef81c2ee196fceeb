package dev.powernode.server.gitea;

import java.util.List;

/** The last lines of a job's log: {@code totalLines} in the log, {@code lines} the tail asked for. */
public record JobLog(long jobId, long totalLines, List<String> lines) {}
