package dev.powernode.server.api;

import dev.powernode.server.bootstrap.BootstrapRequest;
import dev.powernode.server.bootstrap.BootstrapResult;
import dev.powernode.server.bootstrap.CiBootstrap;
import dev.powernode.server.bootstrap.CiBootstrapRecord;
import dev.powernode.server.gitea.ActionSecret;
import dev.powernode.server.gitea.DispatchedRun;
import dev.powernode.server.gitea.GiteaActions;
import dev.powernode.server.gitea.JobLog;
import dev.powernode.server.gitea.RunWithJobs;
import dev.powernode.server.gitea.WorkflowRun;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.views.SecretSetView;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The CI side in Gitea: {@code bootstrap_disk_image_ci}, the repository's Actions secrets, workflow
 * dispatch, runs, jobs and job logs. Parameter names are the spec's. The repository routes act only on
 * the build repositories the platform manages ({@link CiBootstrap#requireManaged}).
 */
@RestController
class CiController {
    static final String REPO = "/api/v1/system/gitea/repos/{owner}/{repo}";

    private final CiBootstrap bootstrap;
    private final GiteaActions gitea;

    CiController(CiBootstrap bootstrap, GiteaActions gitea) {
        this.bootstrap = bootstrap;
        this.gitea = gitea;
    }

    /** {@code bootstrap_disk_image_ci}: 201 the first time for a label, 200 when it rotated. */
    @PostMapping("/api/v1/system/ci/bootstrap")
    ResponseEntity<BootstrapResult> bootstrap(@RequestBody BootstrapRequest body, Authentication auth) {
        BootstrapResult r = bootstrap.bootstrap(body, auth.getName());
        return ResponseEntity.status(r.rotated() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(r);
    }

    @GetMapping("/api/v1/system/ci/bootstraps")
    ListResponse<CiBootstrapRecord> bootstraps() {
        return ListResponse.of(bootstrap.list());
    }

    record SecretValue(@Nullable String value) {}

    /** {@code set_gitea_action_secret}: 201 created, 200 replaced; the value is never shown again. */
    @PutMapping(REPO + "/action_secrets/{name}")
    ResponseEntity<SecretSetView> putSecret(
            @PathVariable String owner,
            @PathVariable String repo,
            @PathVariable String name,
            @RequestBody SecretValue body) {
        bootstrap.requireManaged(owner, repo);
        boolean created = gitea.putSecret(owner, repo, name, body.value());
        return ResponseEntity.status(created ? HttpStatus.CREATED : HttpStatus.OK)
                .body(new SecretSetView(owner, repo, name, created));
    }

    @GetMapping(REPO + "/action_secrets")
    ListResponse<ActionSecret> secrets(@PathVariable String owner, @PathVariable String repo) {
        bootstrap.requireManaged(owner, repo);
        return ListResponse.of(gitea.listSecrets(owner, repo));
    }

    @DeleteMapping(REPO + "/action_secrets/{name}")
    Map<String, Object> deleteSecret(@PathVariable String owner, @PathVariable String repo, @PathVariable String name) {
        bootstrap.requireManaged(owner, repo);
        return Map.of("name", name, "deleted", gitea.deleteSecret(owner, repo, name));
    }

    record DispatchRequest(
            @Nullable String workflowFile,
            @Nullable String ref,
            @Nullable Map<String, String> inputs) {}

    /** {@code dispatch_gitea_workflow}: 201 with the run when Gitea tells it (or it is found). */
    @PostMapping(REPO + "/workflow_dispatches")
    ResponseEntity<DispatchedRun> dispatch(
            @PathVariable String owner, @PathVariable String repo, @RequestBody DispatchRequest body) {
        bootstrap.requireManaged(owner, repo);
        DispatchedRun run = gitea.dispatch(owner, repo, body.workflowFile(), body.ref(), body.inputs());
        return ResponseEntity.status(HttpStatus.CREATED).body(run);
    }

    /** {@code list_gitea_workflow_runs}: newest first; {@code limit} 1-100, default 20. */
    @GetMapping(REPO + "/workflow_runs")
    ListResponse<WorkflowRun> runs(
            @PathVariable String owner,
            @PathVariable String repo,
            @RequestParam(name = "workflow_file", required = false) String workflowFile,
            @RequestParam(required = false) String status,
            @RequestParam(required = false) String limit) {
        bootstrap.requireManaged(owner, repo);
        return ListResponse.of(gitea.listRuns(
                owner, repo, blankToNull(workflowFile), blankToNull(status), (int) number("limit", limit, 20)));
    }

    /** {@code get_gitea_workflow_run}: the run and its jobs. */
    @GetMapping(REPO + "/workflow_runs/{runId}")
    RunWithJobs run(@PathVariable String owner, @PathVariable String repo, @PathVariable String runId) {
        bootstrap.requireManaged(owner, repo);
        return gitea.run(owner, repo, number("run_id", runId, 0));
    }

    /** {@code get_gitea_job_logs}: the last {@code tail} lines (default 200, at most 10,000). */
    @GetMapping(REPO + "/jobs/{jobId}/logs")
    JobLog logs(
            @PathVariable String owner,
            @PathVariable String repo,
            @PathVariable String jobId,
            @RequestParam(required = false) String tail) {
        bootstrap.requireManaged(owner, repo);
        return gitea.jobLogs(owner, repo, number("job_id", jobId, 0), (int) number("tail", tail, 200));
    }

    private static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static long number(String field, @Nullable String value, long fallback) {
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(value);
            if (n < 0 || n > Integer.MAX_VALUE && !field.endsWith("_id")) {
                throw DomainException.invalid(field, "is out of range");
            }
            return n;
        } catch (NumberFormatException e) {
            throw DomainException.invalid(field, "must be a whole number");
        }
    }
}
