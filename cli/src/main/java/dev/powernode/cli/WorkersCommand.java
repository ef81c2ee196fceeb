package dev.powernode.cli;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "workers",
        description = "CI workers: provision one (its token authenticates direct uploads) and list them.",
        subcommands = {WorkersCommand.Provision.class, WorkersCommand.ListWorkers.class})
final class WorkersCommand extends CommandGroup {
    static final String BASE = "/api/v1/workers";

    @Command(
            name = "provision",
            description = {
                "provision_ci_worker: create the CI worker of LABEL, or rotate its upload token when it exists;"
                        + " with --owner also a Gitea runner registration token (ci_worker_token) for act_runner.",
                "POST " + BASE + ", system:admin. The tokens are shown only this once (the upload token, pnw_..., "
                        + "may be written to --save-secret FILE)."
            })
    static final class Provision extends ApiCommand {
        @Parameters(paramLabel = "LABEL", description = "1-128 of A-Z a-z 0-9 . _ -, e.g. ubuntu-2404-amd64-builder.")
        String label;

        @Option(
                names = "--save-secret",
                paramLabel = "FILE",
                description = "Write the worker token to this new file (mode 600) instead of printing it.")
        Path saveSecret;

        @Option(
                names = "--owner",
                paramLabel = "OWNER",
                description = "Also get a Gitea runner registration token (ci_worker_token) for this user's or"
                        + " organisation's runners, or with --repo for one repository's.")
        String owner;

        @Option(
                names = "--repo",
                paramLabel = "REPO",
                description = "The repository the runner serves (needs --owner).")
        String repo;

        @Override
        public void run() {
            if (saveSecret != null) {
                SecretFile.checkWritable(saveSecret);
            }
            if (repo != null && owner == null) {
                throw new CliException("--repo needs --owner", 2);
            }
            Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("label", label);
            if (owner != null) {
                body.put("owner", owner);
            }
            if (repo != null) {
                body.put("repo", repo);
            }
            output.withSecret(api.client().post(BASE, body), "upload_token", saveSecret, "the worker's upload token");
        }
    }

    @Command(
            name = "list",
            description = "CI workers and when each was last seen (GET " + BASE + "); tokens are never shown.")
    static final class ListWorkers extends ApiCommand {
        @Option(names = "--role", defaultValue = "ci_worker", description = "Worker role (default ${DEFAULT-VALUE}).")
        String role;

        @Override
        public void run() {
            list(
                    ApiClient.query(BASE, "role", role),
                    new Table()
                            .text("ID", "id")
                            .text("LABEL", "label")
                            .text("ROLE", "role")
                            .ago("LAST SEEN", "last_seen_at")
                            .ago("CREATED", "created_at")
                            .ago("ROTATED", "rotated_at"));
        }
    }
}
