package dev.powernode.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

@Command(
        name = "nodes",
        description = "Nodes: enrol one (its identity.cfg goes onto its BOOT partition), list, show and revoke them, "
                + "and see a platform's convergence.",
        subcommands = {
            NodesCommand.Enroll.class,
            NodesCommand.ListNodes.class,
            NodesCommand.Show.class,
            NodesCommand.Revoke.class,
            NodesCommand.Disk.class,
            NodesCommand.Convergence.class,
            NodesCommand.AutoRollback.class
        })
final class NodesCommand extends CommandGroup {
    static final String BASE = "/api/v1/system/nodes";

    @Command(
            name = "enroll",
            description = {
                "Enrol node NAME for a platform's family and arch: POST " + BASE + ", system:admin.",
                "Prints the node and its identity.cfg (with the node's token, shown only this once), or writes the "
                        + "identity.cfg to --identity-out FILE (mode 600); buildkit/identity.sh puts it into a disk "
                        + "image."
            })
    static final class Enroll extends ApiCommand {
        @Parameters(paramLabel = "NAME", description = "1-128 of A-Z a-z 0-9 . _ -, unique in the platform.")
        String name;

        @Option(names = "--platform", required = true, paramLabel = "SLUG|ID", description = "The node's platform.")
        String platform;

        @Option(
                names = "--family",
                defaultValue = "uefi_disk",
                description = "The artifact family it boots (default ${DEFAULT-VALUE}).")
        String family;

        @Option(names = "--arch", defaultValue = "amd64", description = "amd64 or arm64 (default ${DEFAULT-VALUE}).")
        String arch;

        @Option(
                names = "--identity-out",
                paramLabel = "FILE",
                description =
                        "Write the identity.cfg to this new file (mode 600) instead of printing it and the token.")
        Path identityOut;

        @Override
        public void run() {
            if (identityOut != null) {
                SecretFile.checkWritable(identityOut);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("platform", platform);
            body.put("name", name);
            body.put("artifact_family", family);
            body.put("arch", arch);
            JsonNode response = api.client().post(BASE, body);
            if (identityOut != null && response instanceof ObjectNode object) {
                // the token is in the identity.cfg: written to the file, shown nowhere
                object.remove("token");
            }
            output.withSecret(
                    response,
                    "identity_cfg",
                    identityOut,
                    "the node's identity.cfg (with its token)",
                    "--identity-out");
        }
    }

    @Command(
            name = "list",
            description = "Live nodes (GET " + BASE + "), with their last report; tokens are never shown.")
    static final class ListNodes extends ApiCommand.Paged {
        @Option(names = "--platform", paramLabel = "SLUG|ID", description = "Only this platform's nodes.")
        String platform;

        @Option(names = "--include-revoked", description = "Revoked nodes too.")
        boolean includeRevoked;

        @Override
        public void run() {
            listPage(
                    ApiClient.query(BASE, "platform", platform, "include_revoked", includeRevoked ? "true" : null),
                    new Table()
                            .text("ID", "id")
                            .text("NAME", "name")
                            .text("FAMILY", "artifact_family")
                            .text("ARCH", "arch")
                            .status("RESULT", "last_result")
                            .text("PUBLICATION", "last_publication_id")
                            .ago("LAST SEEN", "last_seen_at")
                            .ago("REVOKED", "revoked_at"));
        }
    }

    @Command(name = "show", description = "One node (GET " + BASE + "/ID).")
    static final class Show extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public void run() {
            show(BASE + "/" + ApiClient.enc(id));
        }
    }

    @Command(
            name = "revoke",
            description = "Revoke a node: its token is refused from now on (DELETE " + BASE + "/ID, system:admin).")
    static final class Revoke extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public void run() {
            output.record(api.client().delete(BASE + "/" + ApiClient.enc(id)));
        }
    }

    @Command(
            name = "disk",
            description = {
                "Fetch node ID's disk into --out DIR with its identity.cfg (from templates provision or enroll) in "
                        + "BOOT: a uefi_disk node's DIR/NAME.img (POST " + BASE + "/ID/disk), a qcow2 node's overlay "
                        + "DIR/NAME.qcow2 (POST " + BASE + "/ID/qcow2_overlay) over the published qcow2, which must be "
                        + "in DIR under the name it prints.",
                "Its current publication's disk: after a promotion this is the new one. Existing files are never "
                        + "overwritten."
            })
    static final class Disk extends ApiCommand {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--identity", required = true, paramLabel = "FILE", description = "The node's identity.cfg.")
        Path identity;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "An existing folder.")
        Path out;

        @Override
        public void run() {
            if (!java.nio.file.Files.isDirectory(out) || !java.nio.file.Files.isWritable(out)) {
                throw new CliException("--out " + out + " is not a writable folder", 2);
            }
            String cfg;
            try {
                cfg = java.nio.file.Files.readString(identity);
            } catch (java.io.IOException e) {
                throw new CliException("cannot read --identity " + identity + ": " + e.getMessage(), 2);
            }
            JsonNode node = api.client().get(BASE + "/" + ApiClient.enc(id));
            boolean qcow2 = "qcow2".equals(node.get("artifact_family").asString());
            Path target =
                    out.resolve(TemplatesCommand.plainName(node.get("name").asString() + (qcow2 ? ".qcow2" : ".img")));
            if (java.nio.file.Files.exists(target)) {
                throw new CliException("will not overwrite " + target + ": it exists", 2);
            }
            java.io.PrintWriter err = spec.commandLine().getErr();
            java.net.http.HttpHeaders h = api.client()
                    .download(
                            BASE + "/" + ApiClient.enc(id) + (qcow2 ? "/qcow2_overlay" : "/disk"),
                            cfg,
                            target,
                            -1,
                            null,
                            err);
            output.note("disk: " + target);
            h.firstValue("Powernode-Backing-File").ifPresent(base -> {
                if (!java.nio.file.Files.exists(out.resolve(base))) {
                    output.note("its base " + base + " is not in " + out
                            + ": templates provision downloads it, or GET /api/v1/system/disk_image_publications/"
                            + "<current publication>/file");
                }
            });
        }
    }

    @Command(
            name = "auto-rollback",
            description = {
                "A platform's auto-rollback policy and its trips: when FAILURES of the first WINDOW nodes that "
                        + "reported on a triple's current publication fail to boot it, the triple goes back to the "
                        + "previous publication.",
                "Without options: GET /api/v1/system/node_platforms/PLATFORM/auto_rollback. --failures: PUT, "
                        + "--off: DELETE (system:admin)."
            })
    static final class AutoRollback extends ApiCommand {
        @Parameters(paramLabel = "PLATFORM", description = "Slug or id.")
        String platform;

        @Option(names = "--failures", paramLabel = "N", description = "Failed boots that trip it.")
        Integer failures;

        @Option(
                names = "--window",
                paramLabel = "M",
                description = "Among the first M nodes that report (default: the policy's, 5 for a new one).")
        Integer window;

        @Option(names = "--off", description = "Turn auto-rollback off.")
        boolean off;

        @Override
        public void run() {
            String path = "/api/v1/system/node_platforms/" + ApiClient.enc(platform) + "/auto_rollback";
            if (off && (failures != null || window != null)) {
                throw new CliException("--off excludes --failures and --window", 2);
            }
            if (off) {
                output.record(api.client().delete(path));
                return;
            }
            if (failures == null) {
                if (window != null) {
                    throw new CliException("--window needs --failures", 2);
                }
                show(path);
                return;
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("failures", failures);
            body.put("window", window);
            output.record(api.client().put(path, body));
        }
    }

    @Command(
            name = "convergence",
            description = {
                "Where a platform's live nodes are, per family and arch: on the current publication, on others, "
                        + "never reported; unhealthy (last report not healthy) and stale (not seen for "
                        + "POWERNODE_NODES_STALE_AFTER; counted at most 30 s before the answer, at "
                        + "stale_counted_at).",
                "GET /api/v1/system/node_platforms/PLATFORM/convergence."
            })
    static final class Convergence extends ApiCommand {
        @Parameters(paramLabel = "PLATFORM", description = "Slug or id.")
        String platform;

        @Override
        public void run() {
            list(
                    "/api/v1/system/node_platforms/" + ApiClient.enc(platform) + "/convergence",
                    new Table()
                            .text("FAMILY", "artifact_family")
                            .text("ARCH", "arch")
                            .text("CURRENT", "current_publication_id")
                            .text("NODES", n -> n.get("total").asString())
                            .text("ON CURRENT", n -> n.get("on_current").asString())
                            .text("ON OTHER", n -> {
                                long other = 0;
                                for (JsonNode c : n.get("on_other").values()) {
                                    other += c.get("nodes").asLong();
                                }
                                return Long.toString(other);
                            })
                            .text("NEVER", n -> n.get("never_reported").asString())
                            .text("UNHEALTHY", n -> n.get("unhealthy").asString())
                            .text("STALE", n -> n.get("stale").asString()));
        }
    }
}
