package dev.powernode.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

@Command(
        name = "ci",
        description = "The CI side in Gitea: bootstrap a build repository, dispatch its workflow, watch runs and job "
                + "logs, set its Actions secrets.",
        subcommands = {
            CiCommand.Bootstrap.class,
            CiCommand.Bootstraps.class,
            CiCommand.Dispatch.class,
            CiCommand.Runs.class,
            CiCommand.Run.class,
            CiCommand.Logs.class,
            CiCommand.Secret.class
        })
final class CiCommand extends CommandGroup {
    static final String BOOTSTRAP = "/api/v1/system/ci/bootstrap";
    static final String REPOS = "/api/v1/system/gitea/repos/";

    /** {@code OWNER/REPO} → the platform's path of that Gitea repository. */
    static String repo(String ownerRepo) {
        int slash = ownerRepo == null ? -1 : ownerRepo.indexOf('/');
        if (slash <= 0 || slash == ownerRepo.length() - 1 || ownerRepo.indexOf('/', slash + 1) >= 0) {
            throw new CliException("REPO must be OWNER/REPO, e.g. ops/disk-images (got '" + ownerRepo + "')", 2);
        }
        return REPOS + ApiClient.enc(ownerRepo.substring(0, slash)) + "/"
                + ApiClient.enc(ownerRepo.substring(slash + 1));
    }

    /** A run's or job's conclusion once it has one, else its status. */
    static String state(JsonNode n) {
        String conclusion = n.path("conclusion").asString("");
        return conclusion.isEmpty() ? Format.text(n, "status") : conclusion;
    }

    @Command(
            name = "bootstrap",
            description = {
                "bootstrap_disk_image_ci: set up a Gitea repository to build images. Idempotent on --label: creates or"
                        + " rotates the webhook and the ci_worker, gets a fresh runner registration token"
                        + " (ci_worker_token: give it to act_runner register), optionally mints a read token, and writes"
                        + " the repository's Actions secrets (POWERNODE_WEBHOOK_URL, POWERNODE_WEBHOOK_SECRET,"
                        + " POWERNODE_WORKER_ID, POWERNODE_UPLOAD_TOKEN, POWERNODE_API_TOKEN, OCI_REGISTRY_*).",
                "POST " + BOOTSTRAP + ", system:admin. The webhook secret and the registration token are shown only"
                        + " this once. Safe to run again after a failure: it names the secrets it had set."
            })
    static final class Bootstrap extends ApiCommand {
        @Option(
                names = "--owner",
                required = true,
                paramLabel = "OWNER",
                description = "The Gitea user or organisation.")
        String owner;

        @Option(names = "--repo", required = true, paramLabel = "REPO", description = "The build repository.")
        String repo;

        @Option(
                names = "--label",
                required = true,
                paramLabel = "LABEL",
                description = "Your name for this pipeline (the webhook and the worker are keyed on it), e.g."
                        + " amd64-builder.")
        String label;

        @Option(
                names = "--platform-api-base",
                paramLabel = "URL",
                description = "Base URL runners reach the platform at (default: the platform's public URL).")
        String platformApiBase;

        @Option(
                names = "--create-platform-read-token",
                description = "Mint a read-scoped token for the runner (Gitea secret POWERNODE_API_TOKEN); the one a"
                        + " previous bootstrap minted is revoked.")
        boolean readToken;

        @Option(
                names = "--save-secret",
                paramLabel = "FILE",
                description = "Write the webhook secret to this new file (mode 600) instead of printing it.")
        Path saveSecret;

        @Override
        public void run() {
            if (saveSecret != null) {
                SecretFile.checkWritable(saveSecret);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("owner", owner);
            body.put("repo", repo);
            body.put("label", label);
            if (platformApiBase != null) {
                body.put("platform_api_base", platformApiBase);
            }
            body.put("create_platform_read_token", readToken);
            output.withSecret(api.client().post(BOOTSTRAP, body), "webhook_secret", saveSecret, "the webhook secret");
        }
    }

    @Command(
            name = "bootstraps",
            description = "Every label bootstrapped: repository, whether the last run finished, the secrets it set"
                    + " (GET /api/v1/system/ci/bootstraps).")
    static final class Bootstraps extends ApiCommand {
        @Override
        public void run() {
            list(
                    "/api/v1/system/ci/bootstraps",
                    new Table()
                            .text("LABEL", "label")
                            .text("REPOSITORY", n -> Format.text(n, "owner") + "/" + Format.text(n, "repo"))
                            .status("STATE", n -> n.path("complete").asBoolean() ? "complete" : "incomplete")
                            .text(
                                    "SECRETS",
                                    n -> String.valueOf(n.path("secrets_set").size()))
                            .ago("BOOTSTRAPPED", "bootstrapped_at")
                            .text("ERROR", "error"));
        }
    }

    @Command(
            name = "dispatch",
            description = {
                "dispatch_gitea_workflow: run a workflow of a repository on a ref, with inputs.",
                "POST " + REPOS + "OWNER/REPO/workflow_dispatches, disk_images:write. Prints the run's id and page."
            })
    static final class Dispatch extends ApiCommand {
        @Parameters(paramLabel = "OWNER/REPO", description = "The Gitea repository.")
        String repository;

        @Option(
                names = "--workflow-file",
                required = true,
                paramLabel = "FILE",
                description = "The workflow's file name, e.g. build-disk-image.yaml.")
        String workflowFile;

        @Option(names = "--ref", required = true, paramLabel = "REF", description = "Branch or tag, e.g. main.")
        String ref;

        @Option(names = "--input", paramLabel = "NAME=VALUE", description = "A workflow input (repeat).")
        Map<String, String> inputs;

        @Override
        public void run() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("workflow_file", workflowFile);
            body.put("ref", ref);
            body.put("inputs", inputs == null ? Map.of() : inputs);
            output.record(api.client().post(repo(repository) + "/workflow_dispatches", body));
        }
    }

    @Command(
            name = "runs",
            description = "list_gitea_workflow_runs: a repository's runs, newest first (GET " + REPOS
                    + "OWNER/REPO/workflow_runs).")
    static final class Runs extends ApiCommand {
        @Parameters(paramLabel = "OWNER/REPO", description = "The Gitea repository.")
        String repository;

        @Option(names = "--workflow-file", paramLabel = "FILE", description = "Only this workflow's runs.")
        String workflowFile;

        @Option(
                names = "--status",
                paramLabel = "STATUS",
                description = "pending, queued, in_progress, waiting, success, failure, cancelled or skipped.")
        String status;

        @Option(names = "--limit", paramLabel = "N", description = "At most N runs (1-100, default 20).")
        Integer limit;

        @Override
        public void run() {
            StringBuilder q = new StringBuilder("?");
            if (workflowFile != null) {
                q.append("workflow_file=").append(ApiClient.enc(workflowFile)).append('&');
            }
            if (status != null) {
                q.append("status=").append(ApiClient.enc(status)).append('&');
            }
            if (limit != null) {
                q.append("limit=").append(limit).append('&');
            }
            list(
                    repo(repository) + "/workflow_runs" + q.substring(0, q.length() - 1),
                    new Table()
                            .text("RUN", "id")
                            .text("WORKFLOW", "workflow_file")
                            .text("REF", "head_branch")
                            .text("EVENT", "event")
                            .status("STATUS", CiCommand::state)
                            .ago("STARTED", "started_at"));
        }
    }

    @Command(
            name = "run",
            description =
                    "get_gitea_workflow_run: a run and its jobs (GET " + REPOS + "OWNER/REPO/workflow_runs/RUN_ID).")
    static final class Run extends ApiCommand {
        @Parameters(index = "0", paramLabel = "OWNER/REPO", description = "The Gitea repository.")
        String repository;

        @Parameters(index = "1", paramLabel = "RUN_ID", description = "The run's id.")
        long runId;

        @Override
        public void run() {
            JsonNode r = api.client().get(repo(repository) + "/workflow_runs/" + runId);
            if (output.json) {
                output.record(r);
                return;
            }
            output.record(r.get("run"));
            output.out().println();
            output.rows(
                    r,
                    r.get("jobs").values(),
                    new Table()
                            .text("JOB", "id")
                            .text("NAME", "name")
                            .status("STATUS", CiCommand::state)
                            .text("RUNNER", "runner_name")
                            .ago("STARTED", "started_at"));
        }
    }

    @Command(
            name = "logs",
            description =
                    "get_gitea_job_logs: the last lines of a job's log (GET " + REPOS + "OWNER/REPO/jobs/JOB_ID/logs).")
    static final class Logs extends ApiCommand {
        @Parameters(index = "0", paramLabel = "OWNER/REPO", description = "The Gitea repository.")
        String repository;

        @Parameters(index = "1", paramLabel = "JOB_ID", description = "The job's id (ci run shows them).")
        long jobId;

        @Option(names = "--tail", paramLabel = "N", description = "The last N lines (1-10000, default 200).")
        Integer tail;

        @Override
        public void run() {
            JsonNode r = api.client()
                    .get(repo(repository) + "/jobs/" + jobId + "/logs" + (tail == null ? "" : "?tail=" + tail));
            if (output.json) {
                output.record(r);
                return;
            }
            for (JsonNode line : r.get("lines").values()) {
                output.out().println(line.asString());
            }
            output.out().flush();
        }
    }

    @Command(
            name = "secret",
            description = "A Gitea repository's Actions secrets (system:admin).",
            subcommands = {SecretSet.class, SecretList.class, SecretDelete.class})
    static final class Secret extends CommandGroup {}

    @Command(
            name = "set",
            description = {
                "set_gitea_action_secret: create or replace a repository Actions secret. The value is read from"
                        + " --from-file, --from-env or stdin, never from the command line.",
                "PUT " + REPOS + "OWNER/REPO/action_secrets/NAME."
            })
    static final class SecretSet extends ApiCommand {
        @Parameters(index = "0", paramLabel = "OWNER/REPO", description = "The Gitea repository.")
        String repository;

        @Parameters(
                index = "1",
                paramLabel = "NAME",
                description = "^[A-Z_][A-Z0-9_]*$, not GITEA_* or GITHUB_* or CI, e.g. OCI_REGISTRY_TOKEN.")
        String name;

        @Option(names = "--from-file", paramLabel = "FILE", description = "Read the value from FILE.")
        Path fromFile;

        @Option(names = "--from-env", paramLabel = "VAR", description = "Read the value from environment variable VAR.")
        String fromEnv;

        @Override
        public void run() {
            String value;
            if (fromFile != null && fromEnv != null) {
                throw new CliException("--from-file and --from-env exclude each other", 2);
            }
            try {
                if (fromFile != null) {
                    value = Files.readString(fromFile, StandardCharsets.UTF_8);
                } else if (fromEnv != null) {
                    value = System.getenv(fromEnv);
                    if (value == null) {
                        throw new CliException("environment variable " + fromEnv + " is not set", 2);
                    }
                } else {
                    if (System.console() != null) {
                        System.err.println("reading the value of " + name + " from standard input; end it with Ctrl-D");
                    }
                    value = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                throw new CliException("cannot read the secret's value: " + e.getMessage(), 1);
            }
            if (fromEnv == null) {
                // the line end a file or a terminal adds is not part of the secret
                value = value.endsWith("\r\n")
                        ? value.substring(0, value.length() - 2)
                        : value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
            }
            output.record(api.client()
                    .put(repo(repository) + "/action_secrets/" + ApiClient.enc(name), Map.of("value", value)));
        }
    }

    @Command(name = "list", description = "The repository's secret names (values are never shown).")
    static final class SecretList extends ApiCommand {
        @Parameters(paramLabel = "OWNER/REPO", description = "The Gitea repository.")
        String repository;

        @Override
        public void run() {
            list(
                    repo(repository) + "/action_secrets",
                    new Table()
                            .text("NAME", "name")
                            .text("DESCRIPTION", "description")
                            .ago("CREATED", "created_at"));
        }
    }

    @Command(name = "delete", description = "Delete a repository secret.")
    static final class SecretDelete extends ApiCommand {
        @Parameters(index = "0", paramLabel = "OWNER/REPO", description = "The Gitea repository.")
        String repository;

        @Parameters(index = "1", paramLabel = "NAME", description = "The secret's name.")
        String name;

        @Override
        public void run() {
            output.record(api.client().delete(repo(repository) + "/action_secrets/" + ApiClient.enc(name)));
        }
    }
}
