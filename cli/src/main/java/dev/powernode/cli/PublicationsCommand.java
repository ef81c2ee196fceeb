package dev.powernode.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "publications",
        mixinStandardHelpOptions = true,
        description = "List and show disk image publications.",
        subcommands = {PublicationsCommand.ListPublications.class, PublicationsCommand.Show.class})
final class PublicationsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List publications, newest first (JSON).")
    static final class ListPublications implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiOptions api;

        @Option(names = "--platform", description = "Platform slug or id.")
        String platform;

        @Option(names = "--status")
        String status;

        @Option(names = "--arch")
        String arch;

        @Option(names = "--family")
        String family;

        @Option(names = "--page", defaultValue = "1")
        int page;

        @Override
        public void run() {
            List<String> q = new ArrayList<>();
            q.add("page=" + page);
            add(q, "platform", platform);
            add(q, "status", status);
            add(q, "arch", arch);
            add(q, "family", family);
            spec.commandLine()
                    .getOut()
                    .println(ApiClient.pretty(
                            api.client().get("/api/v1/system/disk_image_publications?" + String.join("&", q))));
        }

        private static void add(List<String> q, String name, String value) {
            if (value != null) {
                q.add(name + "=" + PlatformsCommand.enc(value));
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one publication.")
    static final class Show implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public void run() {
            spec.commandLine()
                    .getOut()
                    .println(ApiClient.pretty(
                            api.client().get("/api/v1/system/disk_image_publications/" + PlatformsCommand.enc(id))));
        }
    }
}
