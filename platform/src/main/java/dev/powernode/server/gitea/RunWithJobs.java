package dev.powernode.server.gitea;

import java.util.List;

/** A run and its jobs ({@code get_gitea_workflow_run}). */
public record RunWithJobs(WorkflowRun run, List<WorkflowJob> jobs) {}
