package dev.powernode.cli;

import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

@Command(
        name = "publications",
        description = "List and show disk image publications, promote or roll back, and their history.",
        subcommands = {
            PublicationsCommand.ListPublications.class,
            PublicationsCommand.Show.class,
            PublicationsCommand.Promote.class,
            PublicationsCommand.History.class
        })
final class PublicationsCommand extends CommandGroup {
    static final String BASE = "/api/v1/system/disk_image_publications";

    /** Publications as rows: the id (what promote and rollback take), triple, state and short digests. */
    static Table table() {
        return new Table()
                .text("ID", "id")
                .text("FAMILY", "artifact_family")
                .text("ARCH", "arch")
                .status("STATUS", "status")
                .status("CURRENT", n -> n.path("active").asBoolean(false) ? "current" : Format.NONE)
                .text("GIT", "git_sha_short")
                .text("SHA256", "sha256_short")
                .text(
                        "SIZE",
                        n -> n.hasNonNull("size_bytes")
                                ? Format.bytes(n.get("size_bytes").asLong())
                                : null)
                .ago("PUBLISHED", "published_at")
                .clipped("ERROR", "error_message", 60);
    }

    /** The ID parameter of the commands on one publication, and that publication's path in the API. */
    static final class OnePublication {
        @Parameters(paramLabel = "ID", description = "The publication's id.")
        String id;

        String path() {
            return BASE + "/" + ApiClient.enc(id);
        }
    }

    @Command(name = "list", description = "List publications, newest first (GET " + BASE + ").")
    static final class ListPublications extends ApiCommand.Paged {
        @Option(names = "--platform", description = "Platform slug or id.")
        String platform;

        @Option(
                names = "--status",
                description = "queued, awaiting_upload, verifying, published, failed, retired or purged.")
        String status;

        @Option(names = "--arch", description = "amd64 or arm64.")
        String arch;

        @Option(names = "--family", description = "kernel_initramfs, uefi_disk, iso, ipxe, qcow2 or oci.")
        String family;

        @Override
        public void run() {
            String path = ApiClient.query(BASE, "platform", platform, "status", status, "arch", arch, "family", family);
            listPage(path, table());
        }
    }

    @Command(name = "show", description = "Show one publication, every field.")
    static final class Show extends ApiCommand {
        @Mixin
        OnePublication publication;

        @Override
        public void run() {
            show(publication.path());
        }
    }

    @Command(
            name = "promote",
            aliases = "rollback",
            description = {
                "Make a publication the current one of its (platform, family, arch).",
                "Promote a newer one, or roll back to an older retired one: both names are one action on one route, "
                        + "POST /api/v1/system/node_platforms/{platform}/default_disk_image_publication (the platform "
                        + "is the publication's own). The audit trail records a rollback when the target is older than "
                        + "the current one. Purged, failed or unverified publications are refused "
                        + "(409 publication/not-promotable). Needs disk_images:read and disk_images:write "
                        + "(or system:admin): it reads the publication and the current one first."
            })
    static final class Promote extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The publication to make current.")
        String id;

        @Override
        public void run() {
            ApiClient client = api.client();
            JsonNode target = client.get(BASE + "/" + ApiClient.enc(id));
            String platformId = target.get("platform_id").asString();
            String family = target.get("artifact_family").asString();
            String arch = target.get("arch").asString();
            JsonNode previous = current(client, platformId, family, arch);
            JsonNode promoted = client.post(
                    "/api/v1/system/node_platforms/" + ApiClient.enc(platformId) + "/default_disk_image_publication",
                    Map.of("publication_id", target.get("id").asString()));
            String slug = client.get("/api/v1/system/node_platforms/" + ApiClient.enc(platformId))
                    .get("slug")
                    .asString();
            String triple = family + "/" + arch + " of " + slug;
            if (previous != null
                    && previous.get("id").asString().equals(promoted.get("id").asString())) {
                output.note(triple + ": " + promoted.get("id").asString() + " is already current; nothing changed");
            } else if (previous == null) {
                output.note(triple + ": " + promoted.get("id").asString() + " is now current (none was)");
            } else {
                String reason =
                        pointerReason(client, platformId, promoted.get("id").asString());
                output.note(("rollback".equals(reason) ? "rolled back " : "promoted ") + triple + ": "
                        + promoted.get("id").asString() + " is now current, "
                        + previous.get("id").asString()
                        + " retired");
            }
            output.rows(promoted, List.of(promoted), table());
        }

        private static JsonNode current(ApiClient client, String platformId, String family, String arch) {
            JsonNode published = client.get(ApiClient.query(
                    "/api/v1/system/node_platforms/" + ApiClient.enc(platformId) + "/disk_image_publications",
                    "family",
                    family,
                    "arch",
                    arch,
                    "status",
                    "published",
                    "per_page",
                    200));
            for (JsonNode p : published.get("data").values()) {
                if (p.path("active").asBoolean(false)) {
                    return p;
                }
            }
            return null;
        }

        /** How the audit trail names the pointer change just made: rollback or set-default. */
        private static String pointerReason(ApiClient client, String platformId, String to) {
            JsonNode audit = client.get(ApiClient.query(
                    "/api/v1/system/node_platforms/" + ApiClient.enc(platformId) + "/audit", "per_page", 20));
            for (JsonNode e : audit.get("data").values()) {
                if ("pointer".equals(Format.text(e, "kind")) && to.equals(Format.text(e, "to"))) {
                    return Format.text(e, "reason");
                }
            }
            return null;
        }
    }

    @Command(
            name = "history",
            description = "A publication's state transitions, oldest first (GET " + BASE + "/{id}/history).")
    static final class History extends ApiCommand {
        @Mixin
        OnePublication publication;

        @Override
        public void run() {
            list(
                    publication.path() + "/history",
                    new Table()
                            .ago("AT", "at")
                            .text("FROM", "from")
                            .status("TO", "to")
                            .text("ACTOR", "actor")
                            .clipped("REASON", "reason", 80));
        }
    }
}
