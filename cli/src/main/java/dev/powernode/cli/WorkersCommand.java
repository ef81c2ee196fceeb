package dev.powernode.cli;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "workers",
        mixinStandardHelpOptions = true,
        description = "CI workers: provision one (its token authenticates direct uploads) and list them.",
        subcommands = {WorkersCommand.Provision.class, WorkersCommand.ListWorkers.class})
final class WorkersCommand implements Runnable {
    static final String BASE = "/api/v1/workers";

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(
            name = "provision",
            mixinStandardHelpOptions = true,
            description = {
                "Create the CI worker of LABEL, or rotate its token when it exists.",
                "POST " + BASE + ", system:admin. The token (pnw_...) is shown only this once (or written to "
                        + "--save-secret FILE)."
            })
    static final class Provision implements Runnable {
        @Mixin
        ApiOptions api;

        @Mixin
        Output output;

        @Parameters(paramLabel = "LABEL", description = "1-128 of A-Z a-z 0-9 . _ -, e.g. ubuntu-2404-amd64-builder.")
        String label;

        @Option(
                names = "--save-secret",
                paramLabel = "FILE",
                description = "Write the worker token to this new file (mode 600) instead of printing it.")
        Path saveSecret;

        @Override
        public void run() {
            if (saveSecret != null) {
                SecretFile.checkWritable(saveSecret);
            }
            output.withSecret(api.client().post(BASE, Map.of("label", label)), "token", saveSecret, "the worker token");
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "CI workers and when each was last seen (GET " + BASE + "); tokens are never shown.")
    static final class ListWorkers implements Runnable {
        @Mixin
        ApiOptions api;

        @Mixin
        Output output;

        @Option(names = "--role", defaultValue = "ci_worker", description = "Worker role (default ${DEFAULT-VALUE}).")
        String role;

        @Override
        public void run() {
            output.list(
                    api.client().get(ApiClient.query(BASE, "role", role)),
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
