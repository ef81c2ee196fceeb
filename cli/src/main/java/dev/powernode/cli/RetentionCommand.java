package dev.powernode.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

@Command(
        name = "retention",
        description = {
            "What retention would purge, and a run now (the recurring job runs on its own).",
            "Per (platform, family, arch) it keeps disk_image_retention_count publications, the current one first."
        },
        subcommands = {RetentionCommand.Plan.class, RetentionCommand.Run.class})
final class RetentionCommand extends CommandGroup {

    @Command(
            name = "plan",
            description = "Dry run: what a run now would purge, and why (GET /api/v1/system/retention_plan).")
    static final class Plan extends ApiCommand {
        @Option(names = "--platform", description = "Only this platform (slug or id).")
        String platform;

        @Override
        public void run() {
            list(
                    ApiClient.query("/api/v1/system/retention_plan", "platform", platform),
                    new Table()
                            .text("PUBLICATION", "publication_id")
                            .text("PLATFORM", "platform_slug")
                            .text("TRIPLE", n -> Format.text(n, "artifact_family") + "/" + Format.text(n, "arch"))
                            .status("STATUS", "status")
                            .text(
                                    "ARTIFACT",
                                    n -> Format.shortDigest(
                                            n.hasNonNull("oci_ref")
                                                    ? Format.text(n, "oci_ref")
                                                    : Format.text(n, "location")))
                            .text("SHARED", n -> n.path("artifact_shared").asBoolean(false) ? "shared" : Format.NONE)
                            .status("ACTION", "action")
                            .clipped("REASON", "reason", 60));
        }
    }

    @Command(
            name = "run",
            description = {
                "Run retention now and print what it did (POST /api/v1/system/retention_runs).",
                "Needs disk_images:write. Rows it could not purge are named under errors and left for the next run."
            })
    static final class Run extends ApiCommand {
        @Option(names = "--platform", description = "Only this platform (slug or id).")
        String platform;

        @Override
        public void run() {
            JsonNode report =
                    api.client().post(ApiClient.query("/api/v1/system/retention_runs", "platform", platform), null);
            output.record(report);
        }
    }
}
