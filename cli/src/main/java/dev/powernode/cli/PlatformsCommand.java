package dev.powernode.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "platforms",
        mixinStandardHelpOptions = true,
        description = "List, show and create NodePlatforms.",
        subcommands = {PlatformsCommand.ListPlatforms.class, PlatformsCommand.Show.class, PlatformsCommand.Create.class
        })
final class PlatformsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List platforms (JSON).")
    static final class ListPlatforms implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiOptions api;

        @Option(names = "--page", defaultValue = "1")
        int page;

        @Override
        public void run() {
            spec.commandLine()
                    .getOut()
                    .println(ApiClient.pretty(api.client().get("/api/v1/system/node_platforms?page=" + page)));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one platform by slug or id.")
    static final class Show implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "PLATFORM")
        String platform;

        @Override
        public void run() {
            spec.commandLine()
                    .getOut()
                    .println(ApiClient.pretty(api.client().get("/api/v1/system/node_platforms/" + enc(platform))));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a platform.")
    static final class Create implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiOptions api;

        @Option(names = "--slug", required = true)
        String slug;

        @Option(names = "--name", required = true)
        String name;

        @Option(names = "--retention", description = "disk_image_retention_count (1-100, default 3).")
        Integer retention;

        @Option(names = "--identity-regexp", description = "Keyless: regexp the whole certificate SAN must match.")
        String identityRegexp;

        @Option(names = "--issuer", description = "Keyless: exact OIDC issuer.")
        String issuer;

        @Option(names = "--public-key-file", description = "Key-pair: PEM public key file; repeatable.")
        java.util.List<java.nio.file.Path> keyFiles = new java.util.ArrayList<>();

        @Option(
                names = "--require-tlog",
                negatable = true,
                description = "Key-pair signatures need a transparency-log entry (default: no; keyless always do).")
        Boolean requireTlog;

        @Override
        public void run() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("slug", slug);
            body.put("name", name);
            if (retention != null) {
                body.put("disk_image_retention_count", retention);
            }
            if (identityRegexp != null) {
                body.put("cosign_identity_regexp", identityRegexp);
            }
            if (issuer != null) {
                body.put("cosign_oidc_issuer", issuer);
            }
            if (requireTlog != null) {
                body.put("require_tlog", requireTlog);
            }
            if (!keyFiles.isEmpty()) {
                body.put(
                        "cosign_public_keys",
                        keyFiles.stream().map(PlatformsCommand::read).toList());
            }
            spec.commandLine()
                    .getOut()
                    .println(ApiClient.pretty(api.client().post("/api/v1/system/node_platforms", body)));
        }
    }

    static String read(java.nio.file.Path p) {
        try {
            return java.nio.file.Files.readString(p);
        } catch (java.io.IOException e) {
            throw new CliException("cannot read " + p + ": " + e.getMessage(), 2);
        }
    }
}
