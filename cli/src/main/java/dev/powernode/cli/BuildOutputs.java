package dev.powernode.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * What one {@code buildkit/build.sh} output directory publishes: its {@code manifest.json} read
 * and turned into one artifact per platform family, each with its files in layer order (the
 * first is the primary artifact the webhook's {@code sha256} names).
 *
 * <p>{@code builtAt} is the build's {@code source_date_epoch} (the build time the artifact's
 * {@code org.opencontainers.image.created} annotation and the webhook's {@code build_time} carry;
 * null when the manifest has none); {@code firmwareRef} names the UEFI stub the UKI was built on
 * (null when the build made no UKI).
 *
 * <p>The build kit names its outputs by what they are ({@code disk-image-uefi}, {@code
 * kernel-initrd}, ...); the platform by how they are deployed ({@code uefi_disk}, {@code
 * kernel_initramfs}, ...). This class is the one place that maps the first onto the second.
 */
record BuildOutputs(
        Path dir,
        String buildId,
        String arch,
        String gitSha,
        List<Family> families,
        java.time.Instant builtAt,
        String firmwareRef) {
    static final String MANIFEST = "manifest.json";

    /** The platform's artifact families, in the order a build is published. */
    static final List<String> FAMILY_ORDER = List.of("uefi_disk", "iso", "qcow2", "kernel_initramfs", "ipxe", "oci");

    private static final Pattern ARCH = Pattern.compile("amd64|arm64");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern TAG_UNSAFE = Pattern.compile("[^A-Za-z0-9_.-]");

    /** One build output as the manifest describes it. */
    record Output(Path file, String name, String sha256, long size) {}

    /** One platform artifact: its family and its files, primary first. */
    record Family(String family, List<Output> files) {
        Output primary() {
            return files.get(0);
        }
    }

    /**
     * Reads {@code dir/manifest.json} and checks that every file it lists for a published family
     * exists with the recorded size. {@code only}, when not empty, restricts the families.
     *
     * @throws CliException (exit 2) when the manifest is missing, malformed or does not match the
     *     directory, or {@code only} names an unknown family or one this build did not produce
     */
    static BuildOutputs read(Path dir, Set<String> only) {
        for (String f : only) {
            if (!FAMILY_ORDER.contains(f)) {
                throw new CliException("unknown family " + f + " (one of " + String.join(", ", FAMILY_ORDER) + ")", 2);
            }
        }
        Path manifestFile = dir.resolve(MANIFEST);
        JsonNode manifest;
        try {
            manifest = ApiClient.JSON.readTree(Files.readString(manifestFile));
        } catch (IOException e) {
            throw new CliException(
                    "cannot read " + manifestFile + " (run buildkit/build.sh --out " + dir + " first): " + e, 2);
        } catch (JacksonException e) {
            throw new CliException(manifestFile + " is not JSON: " + e.getOriginalMessage(), 2);
        }
        String arch = text(manifest, "arch", manifestFile);
        if (!ARCH.matcher(arch).matches()) {
            throw new CliException(manifestFile + ": arch must be amd64 or arm64, got " + arch, 2);
        }
        String gitSha = text(manifest, "git_sha", manifestFile);
        String buildId = text(manifest, "build_id", manifestFile);
        JsonNode outputs = manifest.get("outputs");
        if (outputs == null || !outputs.isArray()) {
            throw new CliException(manifestFile + ": no outputs array", 2);
        }
        Map<String, Output> byName = new LinkedHashMap<>();
        Map<String, List<Output>> byKitFamily = new LinkedHashMap<>();
        for (JsonNode o : outputs) {
            String name = text(o, "name", manifestFile);
            if (name.contains("/") || name.equals("..") || name.equals(".")) {
                throw new CliException(manifestFile + ": output name must be a file name, got " + name, 2);
            }
            String sha = text(o, "sha256", manifestFile);
            if (!SHA256.matcher(sha).matches()) {
                throw new CliException(manifestFile + ": " + name + ": sha256 is not 64 hex digits", 2);
            }
            JsonNode size = o.get("size");
            if (size == null || !size.canConvertToLong() || size.asLong() < 0) {
                throw new CliException(manifestFile + ": " + name + ": size is missing or not a number", 2);
            }
            Output out = new Output(dir.resolve(name), name, sha, size.asLong());
            byName.put(name, out);
            byKitFamily
                    .computeIfAbsent(text(o, "family", manifestFile), k -> new ArrayList<>())
                    .add(out);
        }

        List<Family> families = new ArrayList<>();
        for (String family : FAMILY_ORDER) {
            if (!only.isEmpty() && !only.contains(family)) {
                continue;
            }
            List<Output> files = filesOf(family, arch, byName, byKitFamily);
            if (files.isEmpty()) {
                if (only.contains(family)) {
                    throw new CliException(manifestFile + ": this build has no " + family + " output", 2);
                }
                continue;
            }
            for (Output f : files) {
                check(f);
            }
            families.add(new Family(family, List.copyOf(files)));
        }
        if (families.isEmpty()) {
            throw new CliException(manifestFile + ": nothing to publish (no output of a platform family)", 2);
        }
        JsonNode epoch = manifest.get("source_date_epoch");
        java.time.Instant builtAt = null;
        if (epoch != null && !epoch.isNull()) {
            if (!epoch.isIntegralNumber() || epoch.asLong() < 0) {
                throw new CliException(manifestFile + ": source_date_epoch must be unix seconds", 2);
            }
            builtAt = java.time.Instant.ofEpochSecond(epoch.asLong());
        }
        JsonNode firmware = manifest.get("firmware_ref");
        String firmwareRef =
                firmware != null && firmware.isString() && !firmware.asString().isBlank() ? firmware.asString() : null;
        return new BuildOutputs(dir, buildId, arch, gitSha, List.copyOf(families), builtAt, firmwareRef);
    }

    /**
     * True for the families that boot through the UKI (and so through its UEFI stub): the disk,
     * ISO and qcow2 carry it; an iPXE family only when it chains it (the fixture's script does, a
     * real system's netboot boots the kernel with its own initramfs).
     */
    static boolean bootsThroughUki(Family family) {
        return switch (family.family()) {
            case "kernel_initramfs" -> false;
            case "ipxe" -> family.files().stream().anyMatch(f -> f.name().endsWith(".efi"));
            default -> true;
        };
    }

    /** The registry tag for one family of this build, e.g. {@code amd64-uefi_disk-0123abcd4567-1700000000}. */
    String tag(String prefix, String family) {
        String raw = (prefix != null ? prefix + "-" + family : arch + "-" + family + "-" + buildId);
        String tag = TAG_UNSAFE.matcher(raw).replaceAll("_");
        return tag.length() > 128 ? tag.substring(0, 128) : tag;
    }

    // The files of one platform family, primary first. A family is only published when its primary
    // output exists; the others are what it needs to work (the fixture's iPXE script chains the UKI
    // on EFI and loads kernel + initramfs on BIOS; a real system's loads kernel + its netboot
    // initramfs, which fetches the netboot image).
    private static List<Output> filesOf(
            String family, String arch, Map<String, Output> byName, Map<String, List<Output>> byKitFamily) {
        List<Output> files = new ArrayList<>();
        switch (family) {
            case "uefi_disk", "qcow2" -> {
                files.addAll(byKitFamily.getOrDefault(family.equals("qcow2") ? "qcow2" : "disk-image-uefi", List.of()));
                if (files.size() > 1) {
                    throw new CliException(
                            "the build lists " + files.size() + " " + family + " outputs; expected one", 2);
                }
                // a real system's disk also carries what its node agent installs as an update: the UKI,
                // the composefs image and its objects (powernode agent; docs/decisions/006)
                List<String> update = List.of(
                        "powernode-" + arch + ".efi",
                        "powernode-" + arch + ".composefs.erofs",
                        "powernode-" + arch + ".composefs-objects.tar");
                // (a real system's composefs image is a kernel-initrd output; the fixture's
                // composefs-style blob boots nothing)
                boolean realSystem = byKitFamily.getOrDefault("kernel-initrd", List.of()).stream()
                        .anyMatch(o -> o.name().equals(update.get(1)));
                if (!files.isEmpty() && realSystem) {
                    for (String name : update) {
                        if (!byName.containsKey(name)) {
                            throw new CliException(
                                    "the build has " + update.get(1) + " but no " + name + ": a node could not update"
                                            + " to it",
                                    2);
                        }
                        files.add(byName.get(name));
                    }
                }
            }
            case "iso" -> files.addAll(byKitFamily.getOrDefault("iso", List.of()));
            case "oci" -> files.addAll(byKitFamily.getOrDefault("oci", List.of()));
            case "kernel_initramfs" -> {
                // what a node fetches to boot: the kernel, then the build's other kernel-initrd
                // outputs in manifest order (the initramfs and, for a real system built from a
                // build_script, the composefs image and its objects). Not without its initramfs: a
                // build of the iPXE family alone keeps the kernel for it.
                if (byName.containsKey("kernel") && byName.containsKey("initramfs.cpio.zst")) {
                    files.add(byName.get("kernel"));
                    for (Output o : byKitFamily.getOrDefault("kernel-initrd", List.of())) {
                        if (!o.name().equals("kernel")) {
                            files.add(o);
                        }
                    }
                }
            }
            case "ipxe" -> {
                files.addAll(byKitFamily.getOrDefault("ipxe", List.of()));
                // a real system's netboot lists its own initramfs and image file as ipxe outputs and
                // boots the kernel on EFI and BIOS alike; the fixture's script chains the UKI on EFI
                boolean netboot = files.stream().anyMatch(o -> o.name().endsWith(".netboot.ext4"));
                if (!files.isEmpty()) {
                    List<String> needs = netboot
                            ? List.of("kernel")
                            : List.of("powernode-" + arch + ".efi", "kernel", "initramfs.cpio.zst");
                    for (String name : needs) {
                        if (byName.containsKey(name)) {
                            files.add(byName.get(name));
                        }
                    }
                }
            }
            default -> throw new IllegalArgumentException(family);
        }
        if (files.size() > 1 && (family.equals("iso") || family.equals("oci"))) {
            throw new CliException("the build lists " + files.size() + " " + family + " outputs; expected one", 2);
        }
        return files;
    }

    private static void check(Output f) {
        long actual;
        try {
            actual = Files.size(f.file());
        } catch (IOException e) {
            throw new CliException(f.file() + " is listed in " + MANIFEST + " but cannot be read: " + e, 2);
        }
        if (actual != f.size()) {
            throw new CliException(
                    f.file() + " has " + actual + " bytes, " + MANIFEST + " says " + f.size()
                            + " (changed since the build?)",
                    2);
        }
    }

    private static String text(JsonNode node, String field, Path manifestFile) {
        JsonNode v = node.get(field);
        if (v == null || !v.isString() || v.asString().isBlank()) {
            throw new CliException(manifestFile + ": missing or empty \"" + field + "\"", 2);
        }
        return v.asString();
    }
}
