package dev.powernode.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

@Command(
        name = "templates",
        description = "Node templates (the spec's step 8): make one, list them, and provision a node from one: "
                + "its disk with its identity in BOOT, or for a VM a qcow2 overlay and a libvirt domain.",
        subcommands = {
            TemplatesCommand.Create.class,
            TemplatesCommand.ListTemplates.class,
            TemplatesCommand.Show.class,
            TemplatesCommand.Delete.class,
            TemplatesCommand.Provision.class
        })
final class TemplatesCommand extends CommandGroup {
    static final String BASE = "/api/v1/system/node_templates";

    /** A file name from the platform, refused unless it is a plain name (nothing outside --out). */
    static String plainName(String name) {
        if (name == null
                || name.isEmpty()
                || name.startsWith(".")
                || !name.equals(Path.of(name).getFileName().toString())) {
            throw new CliException("the platform named a file '" + name + "', which is not a plain file name");
        }
        return name;
    }

    @Command(name = "create", description = "Make template NAME (POST " + BASE + ").")
    static final class Create extends ApiCommand {
        @Parameters(paramLabel = "NAME", description = "1-128 of A-Z a-z 0-9 . _ -.")
        String name;

        @Option(names = "--platform", required = true, paramLabel = "SLUG|ID")
        String platform;

        @Option(
                names = "--family",
                defaultValue = "uefi_disk",
                description =
                        "uefi_disk (a raw disk for metal) or qcow2 (a VM under libvirt); default ${DEFAULT-VALUE}.")
        String family;

        @Option(names = "--arch", defaultValue = "amd64", description = "amd64 or arm64 (default ${DEFAULT-VALUE}).")
        String arch;

        @Option(names = "--memory-mib", description = "A VM's memory (default 2048).")
        Integer memoryMib;

        @Option(names = "--vcpus", description = "A VM's vCPUs (default 2).")
        Integer vcpus;

        @Option(
                names = "--image-dir",
                paramLabel = "DIR",
                description = "Where the VM's disks are on the hypervisor (default /var/lib/libvirt/images).")
        String imageDir;

        @Override
        public void run() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("platform", platform);
            body.put("artifact_family", family);
            body.put("arch", arch);
            body.put("memory_mib", memoryMib);
            body.put("vcpus", vcpus);
            body.put("image_dir", imageDir);
            output.record(api.client().post(BASE, body));
        }
    }

    @Command(name = "list", description = "All templates (GET " + BASE + ").")
    static final class ListTemplates extends ApiCommand {
        @Override
        public void run() {
            list(
                    BASE,
                    new Table()
                            .text("NAME", "name")
                            .text("FAMILY", "artifact_family")
                            .text("ARCH", "arch")
                            .text("MEMORY MIB", "memory_mib")
                            .text("VCPUS", "vcpus")
                            .text("PLATFORM", "node_platform_id"));
        }
    }

    @Command(name = "show", description = "One template (GET " + BASE + "/NAME).")
    static final class Show extends ApiCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public void run() {
            show(BASE + "/" + ApiClient.enc(name));
        }
    }

    @Command(name = "delete", description = "Delete a template; nodes made from it stay (DELETE " + BASE + "/NAME).")
    static final class Delete extends ApiCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public void run() {
            api.client().delete(BASE + "/" + ApiClient.enc(name));
            output.note("deleted template " + name);
        }
    }

    @Command(
            name = "provision",
            description = {
                "Provision node NODE from TEMPLATE into --out DIR: POST " + BASE + "/TEMPLATE/instances "
                        + "(system:admin) enrols it, then its disk is fetched with its identity.cfg.",
                "uefi_disk: DIR/NODE.img, the current published raw disk with the identity in BOOT (dd it to the "
                        + "machine's disk). qcow2: DIR/NODE.qcow2, an overlay on the published qcow2 (downloaded once "
                        + "into DIR under its own name and verified), and DIR/NODE.xml, the libvirt domain (virsh "
                        + "define; copy the two disks to the template's image directory first).",
                "Also DIR/NODE.identity.cfg (mode 600): the node's credential. Existing files are never overwritten."
            })
    static final class Provision extends ApiCommand {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "TEMPLATE")
        String template;

        @Parameters(index = "1", paramLabel = "NODE", description = "The new node's name, unique in the platform.")
        String node;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "An existing folder.")
        Path out;

        @Override
        public void run() {
            if (!Files.isDirectory(out) || !Files.isWritable(out)) {
                throw new CliException("--out " + out + " is not a writable folder", 2);
            }
            Path identity = out.resolve(node + ".identity.cfg");
            for (Path p : new Path[] {
                identity, out.resolve(node + ".img"), out.resolve(node + ".qcow2"), out.resolve(node + ".xml")
            }) {
                if (Files.exists(p)) {
                    throw new CliException("will not overwrite " + p + ": it exists", 2);
                }
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", node);
            JsonNode made = api.client().post(BASE + "/" + ApiClient.enc(template) + "/instances", body);
            String cfg = made.get("identity_cfg").asString();
            SecretFile.write(identity, cfg.strip());
            PrintWriter err = spec.commandLine().getErr();
            err.println("enrolled node " + node + " ("
                    + made.get("node").get("id").asString() + "); its identity.cfg is in " + identity + " (mode 600)");
            err.flush();
            Path disk = out.resolve(plainName(made.get("disk_file").asString()));
            try {
                if (made.hasNonNull("base_file")) {
                    Path base = out.resolve(plainName(made.get("base_file").asString()));
                    if (!Files.exists(base)) {
                        api.client()
                                .download(
                                        made.get("base_href").asString(),
                                        null,
                                        base,
                                        made.get("size_bytes").asLong(),
                                        made.get("sha256").asString(),
                                        err);
                    }
                    java.net.http.HttpHeaders h =
                            api.client().download(made.get("disk_href").asString(), cfg, disk, -1, null, err);
                    String backing = h.firstValue("Powernode-Backing-File").orElse("");
                    if (!backing.equals(base.getFileName().toString())) {
                        throw new CliException("the overlay is backed by '" + backing + "', not the base "
                                + base.getFileName() + " the domain names; " + disk + " is kept for inspection");
                    }
                    Files.writeString(
                            out.resolve(node + ".xml"), made.get("domain_xml").asString());
                } else {
                    api.client()
                            .download(
                                    made.get("disk_href").asString(),
                                    cfg,
                                    disk,
                                    made.get("size_bytes").asLong(),
                                    null,
                                    err);
                }
            } catch (CliException e) {
                throw new CliException(
                        e.getMessage() + System.lineSeparator() + "the node is enrolled: fetch its disk "
                                + "again with: powernode nodes disk "
                                + made.get("node").get("id").asString() + " --identity "
                                + identity + " --out " + out,
                        e.exitCode());
            } catch (IOException e) {
                throw new CliException("cannot write into " + out + ": " + e.getMessage());
            }
            if (made instanceof ObjectNode o) {
                o.remove("token");
                o.remove("identity_cfg");
                o.remove("domain_xml");
            }
            output.record(made);
            output.note("disk: " + disk
                    + (made.hasNonNull("base_file")
                            ? " (over " + made.get("base_file").asString() + "), domain: " + out.resolve(node + ".xml")
                            : ""));
        }
    }
}
