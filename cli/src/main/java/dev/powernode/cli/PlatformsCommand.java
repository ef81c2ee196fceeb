package dev.powernode.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

@Command(
        name = "platforms",
        description = "List, show, create and update NodePlatforms; their audit trail.",
        subcommands = {
            PlatformsCommand.ListPlatforms.class,
            PlatformsCommand.Show.class,
            PlatformsCommand.Create.class,
            PlatformsCommand.Update.class,
            PlatformsCommand.Audit.class
        })
final class PlatformsCommand extends CommandGroup {
    static final String BASE = "/api/v1/system/node_platforms";

    /** The PLATFORM parameter of the commands on one platform, and that platform's path in the API. */
    static final class OnePlatform {
        @Parameters(paramLabel = "PLATFORM", description = "Slug or id.")
        String platform;

        String path() {
            return BASE + "/" + ApiClient.enc(platform);
        }
    }

    static Table table() {
        return new Table()
                .text("SLUG", "slug")
                .text("NAME", "name")
                .text("POLICY", PlatformsCommand::policy)
                .text("KEEP", "disk_image_retention_count")
                .text(
                        "PRIMARY",
                        n -> n.hasNonNull("primary_artifact_family")
                                ? Format.text(n, "primary_artifact_family") + "/" + Format.text(n, "primary_arch")
                                : null)
                .status("CURRENT", "disk_image_publication_status")
                .digest("GIT", "disk_image_git_sha")
                .ago("UPDATED", "updated_at");
    }

    /** keyless, key-pair (N keys), or none: what a signature must satisfy on this platform. */
    static String policy(JsonNode p) {
        JsonNode keys = p.get("cosign_public_keys");
        int n = keys != null && keys.isArray() ? keys.size() : 0;
        String tlog = p.path("require_tlog").asBoolean(false) ? ", tlog" : "";
        if (p.hasNonNull("cosign_identity_regexp")) {
            return "keyless" + (n > 0 ? " + " + n + " key" + (n == 1 ? "" : "s") : "") + tlog;
        }
        return n > 0 ? "key-pair (" + n + ")" + tlog : "none";
    }

    @Command(name = "list", description = "List platforms by slug (GET " + BASE + ").")
    static final class ListPlatforms extends ApiCommand.Paged {
        @Override
        public void run() {
            listPage(BASE, table());
        }
    }

    @Command(name = "show", description = "Show one platform by slug or id, every field.")
    static final class Show extends ApiCommand {
        @Mixin
        OnePlatform platform;

        @Override
        public void run() {
            show(platform.path());
        }
    }

    /** The fields create and update share, named as the API names them. */
    static final class Fields {
        @Option(names = "--name", description = "Display name.")
        String name;

        @Option(names = "--build-script", description = "build_script: what builds this platform's images.")
        String buildScript;

        @Option(
                names = {"--retention-count", "--retention"},
                paramLabel = "N",
                description = "disk_image_retention_count: publications kept per (family, arch), 1-100 (default 3).")
        Integer retention;

        @Option(names = "--identity-regexp", description = "Keyless: regexp the whole certificate SAN must match.")
        String identityRegexp;

        @Option(names = "--issuer", description = "Keyless: exact OIDC issuer.")
        String issuer;

        @Option(
                names = "--public-key-file",
                paramLabel = "PEM",
                description = "Key-pair: PEM public key file; repeatable (replaces the platform's list).")
        List<Path> keyFiles = new ArrayList<>();

        @Option(
                names = "--require-tlog",
                negatable = true,
                description = "Key-pair signatures need a transparency-log entry (default: no; keyless always do).")
        Boolean requireTlog;

        @Option(
                names = "--primary-family",
                description = "primary_artifact_family: the family the platform's pointer columns follow.")
        String primaryFamily;

        @Option(names = "--primary-arch", description = "primary_arch: amd64 or arm64.")
        String primaryArch;

        Map<String, Object> body() {
            Map<String, Object> body = new LinkedHashMap<>();
            put(body, "name", name);
            put(body, "build_script", buildScript);
            put(body, "cosign_identity_regexp", identityRegexp);
            put(body, "cosign_oidc_issuer", issuer);
            if (!keyFiles.isEmpty()) {
                body.put(
                        "cosign_public_keys",
                        keyFiles.stream().map(PlatformsCommand::read).toList());
            }
            put(body, "require_tlog", requireTlog);
            put(body, "disk_image_retention_count", retention);
            put(body, "primary_artifact_family", primaryFamily);
            put(body, "primary_arch", primaryArch);
            return body;
        }

        private static void put(Map<String, Object> body, String field, Object value) {
            if (value != null) {
                body.put(field, value);
            }
        }
    }

    @Command(
            name = "create",
            description = {
                "Create a platform.",
                "POST " + BASE + ". Needs disk_images:write; giving it a verification policy (--identity-regexp, "
                        + "--issuer, --public-key-file, --require-tlog) needs system:admin."
            })
    static final class Create extends ApiCommand {
        @Option(names = "--slug", required = true, description = "1-63 of a-z 0-9 -.")
        String slug;

        @Mixin
        Fields fields;

        @Override
        public void run() {
            if (fields.name == null) {
                throw new CliException("--name is required", 2);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("slug", slug);
            body.putAll(fields.body());
            output.record(api.client().post(BASE, body));
        }
    }

    @Command(
            name = "update",
            description = {
                "Change a platform: only the fields given change.",
                "PATCH " + BASE + "/{id}, a JSON merge patch. Needs disk_images:write; changing the verification "
                        + "policy (--identity-regexp, --issuer, --public-key-file, --require-tlog, or clearing one of "
                        + "them) needs system:admin."
            })
    static final class Update extends ApiCommand {
        static final Set<String> CLEARABLE = new TreeSet<>(Set.of(
                "build_script",
                "cosign_identity_regexp",
                "cosign_oidc_issuer",
                "cosign_public_keys",
                "require_tlog",
                "primary_artifact_family",
                "primary_arch"));

        @Mixin
        OnePlatform platform;

        @Mixin
        Fields fields;

        @Option(
                names = "--clear",
                paramLabel = "FIELD",
                description =
                        "Set a field to null (repeatable): build_script, cosign_identity_regexp, cosign_oidc_issuer,"
                                + " cosign_public_keys, require_tlog, primary_artifact_family, primary_arch.")
        List<String> clear = new ArrayList<>();

        @Override
        public void run() {
            Map<String, Object> body = fields.body();
            for (String field : clear) {
                if (!CLEARABLE.contains(field)) {
                    throw new CliException(
                            "--clear " + field + ": not a field that can be cleared (" + String.join(", ", CLEARABLE)
                                    + ")",
                            2);
                }
                if (body.containsKey(field)) {
                    throw new CliException("--clear " + field + " and a new value for it: pass one", 2);
                }
                body.put(field, null);
            }
            if (body.isEmpty()) {
                throw new CliException("nothing to change: pass at least one field option (see --help)", 2);
            }
            output.record(api.client().patch(platform.path(), body));
        }
    }

    @Command(
            name = "audit",
            description = {
                "A platform's audit trail, newest first (GET " + BASE + "/{id}/audit).",
                "Pointer changes (FROM/TO are publication ids; reason auto-promote, set-default or rollback) and "
                        + "state transitions (FROM/TO are statuses), each with who did it."
            })
    static final class Audit extends ApiCommand.Paged {
        @Mixin
        OnePlatform platform;

        @Override
        public void run() {
            listPage(
                    platform.path() + "/audit",
                    new Table()
                            .ago("AT", "at")
                            .text("KIND", "kind")
                            .text("PUBLICATION", "publication_id")
                            .text("TRIPLE", n -> Format.text(n, "artifact_family") + "/" + Format.text(n, "arch"))
                            .text("FROM", "from")
                            .status("TO", "to")
                            .text("ACTOR", "actor")
                            .clipped("REASON", "reason", 60));
        }
    }

    static String read(Path p) {
        try {
            return java.nio.file.Files.readString(p);
        } catch (java.io.IOException e) {
            throw new CliException("cannot read " + p + ": " + e.getMessage(), 2);
        }
    }
}
