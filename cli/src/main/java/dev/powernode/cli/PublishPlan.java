package dev.powernode.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What one {@code powernode publish} pushes: the artifacts collected from a build directory or
 * from FILES, with the arch, commit and build time they are announced with. Exists apart from the
 * command so that how a publish is put together (the --build-dir and FILES rules, the defaults
 * taken from the build manifest) changes in one place, not with the push, signing or webhook.
 */
record PublishPlan(String arch, String gitSha, Instant builtAt, List<Upload> uploads) {

    /** One artifact to publish; {@code expectedSha256} are the build manifest's digests, if any. */
    record Upload(String family, List<Path> files, List<String> expectedSha256, String tag, String firmwareRef) {}

    /**
     * The options that say what to publish; {@link #plan()} collects the artifacts. A mixin of
     * {@code publish}: the command's help lists them with its other options.
     */
    static final class Options {
        @Option(
                names = "--build-dir",
                paramLabel = "DIR",
                description = "A build.sh output directory: publish every family its manifest.json lists.")
        Path buildDir;

        @Option(
                names = "--family",
                split = ",",
                description = {
                    "kernel_initramfs, uefi_disk, iso, ipxe, qcow2 or oci (required with FILES);",
                    "with --build-dir a comma list restricting the families published."
                })
        List<String> families = new ArrayList<>();

        @Option(names = "--arch", description = "amd64 or arm64 (required with FILES; with --build-dir must match it).")
        String arch;

        @Option(
                names = "--tag",
                description = {
                    "Also tag the manifest (e.g. the build's git tag); with --build-dir TAG-FAMILY.",
                    "--build-dir tags ARCH-FAMILY-BUILD_ID when not given."
                })
        String tag;

        @Option(
                names = "--git-sha",
                description = "Source commit (7-64 hex; required with FILES; default: the build's).")
        String gitSha;

        @Option(
                names = "--firmware-ref",
                description = {
                    "What the image boots through (e.g. the UEFI stub of its UKI), kept as the publication's"
                            + " firmware_ref.",
                    "With --build-dir default: the build manifest's firmware_ref, for the families that boot"
                            + " through the UKI (not kernel_initramfs)."
                })
        String firmwareRef;

        @Option(
                names = "--build-time",
                description = {
                    "When the build was made (RFC 3339, e.g. 2026-11-29T01:30:00Z, or unix seconds): written into each"
                            + " manifest as org.opencontainers.image.created and announced as build_time.",
                    "The platform auto-promotes only builds newer than the current one by this time.",
                    "Default: the build manifest's source_date_epoch with --build-dir, else now."
                })
        String buildTime;

        @Parameters(
                arity = "0..*",
                paramLabel = "FILES",
                description = "Build outputs; the first is the primary artifact.")
        List<Path> files = new ArrayList<>();

        /** True when the artifacts come from a build directory (one line per family on stdout). */
        boolean fromBuild() {
            return buildDir != null;
        }

        PublishPlan plan() {
            Instant builtAt = buildTime == null ? null : parseBuildTime(buildTime);
            return buildDir != null ? ofBuild(builtAt) : ofFiles(builtAt);
        }

        /** Every family the build's manifest lists (or those of --family); options override it. */
        private PublishPlan ofBuild(Instant builtAt) {
            if (!files.isEmpty()) {
                throw new CliException("pass either --build-dir or FILES, not both", 2);
            }
            BuildOutputs build = BuildOutputs.read(buildDir, new LinkedHashSet<>(families));
            if (arch != null && !arch.equals(build.arch())) {
                throw new CliException("--arch " + arch + " but " + buildDir + " is a " + build.arch() + " build", 2);
            }
            List<Upload> uploads = build.families().stream()
                    .map(f -> new Upload(
                            f.family(),
                            f.files().stream().map(BuildOutputs.Output::file).toList(),
                            f.files().stream().map(BuildOutputs.Output::sha256).toList(),
                            build.tag(tag, f.family()),
                            firmwareRef != null
                                    ? firmwareRef
                                    : BuildOutputs.bootsThroughUki(f) ? build.firmwareRef() : null))
                    .toList();
            Instant built = builtAt != null ? builtAt : build.builtAt() != null ? build.builtAt() : now();
            return new PublishPlan(build.arch(), gitSha != null ? gitSha : build.gitSha(), built, uploads);
        }

        /** FILES as one artifact of the one --family given, the first file its primary one. */
        private PublishPlan ofFiles(Instant builtAt) {
            if (files.isEmpty()) {
                throw new CliException("nothing to publish: pass --build-dir DIR or --family F FILES", 2);
            }
            if (families.size() != 1) {
                throw new CliException("FILES are one artifact: pass exactly one --family", 2);
            }
            if (arch == null || gitSha == null) {
                throw new CliException("FILES need --arch and --git-sha", 2);
            }
            for (Path f : files) {
                if (!Files.isRegularFile(f)) {
                    throw new CliException("not a file: " + f, 2);
                }
            }
            Upload upload = new Upload(families.get(0), List.copyOf(files), List.of(), tag, firmwareRef);
            return new PublishPlan(arch, gitSha, builtAt != null ? builtAt : now(), List.of(upload));
        }
    }

    /** Whole seconds: a build time reads the same in the manifest, the webhook and the database. */
    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    private static Instant parseBuildTime(String text) {
        try {
            return text.matches("[0-9]{1,12}")
                    ? Instant.ofEpochSecond(Long.parseLong(text))
                    : OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new CliException(
                    "--build-time must be RFC 3339 (2026-11-29T01:30:00Z) or unix seconds, got " + text, 2);
        }
    }
}
