package dev.powernode.cli;

import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.RegistryClient;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pushes one artifact of a {@link PublishPlan} to the registry as a disk-image manifest, with the
 * annotations the platform reads, and refuses to go on when the bytes pushed are not the ones the
 * build manifest recorded. Progress and timings go to stderr.
 */
record ArtifactPush(RegistryClient client, String host, String repository, PrintWriter err) {

    /**
     * Pushes {@code upload}'s files as layers (the first is the primary artifact) under a manifest
     * annotated with the platform, family, arch, commit and build time.
     *
     * @throws CliException when a pushed layer does not hash to the build manifest's digest: the
     *     signature must never cover bytes other than the build's
     */
    DiskImageArtifacts.Pushed push(String platform, PublishPlan plan, PublishPlan.Upload upload) {
        List<DiskImageArtifacts.Layer> layers = upload.files().stream()
                .map(f -> new DiskImageArtifacts.Layer(f, f.getFileName().toString(), MediaTypes.OCTET_STREAM))
                .toList();
        long started = System.nanoTime();
        DiskImageArtifacts.Pushed pushed = DiskImageArtifacts.push(
                client,
                host,
                repository,
                layers,
                Map.of(
                        "dev.powernode.platform", platform,
                        "dev.powernode.family", upload.family(),
                        "dev.powernode.arch", plan.arch(),
                        "org.opencontainers.image.revision", plan.gitSha(),
                        // signed with the manifest: the platform orders builds by it
                        "org.opencontainers.image.created", plan.builtAt().toString()),
                upload.tag(),
                progress(err));
        err.printf("pushed %s (%s)%n", pushed.ref(), Format.since(started));
        for (int i = 0; i < upload.expectedSha256().size(); i++) {
            String hex = pushed.layers().get(i).digest().hex();
            if (!hex.equals(upload.expectedSha256().get(i))) {
                throw new CliException(upload.files().get(i) + " does not match " + BuildOutputs.MANIFEST
                        + " (sha256 " + hex + ", manifest "
                        + upload.expectedSha256().get(i)
                        + "); pushed but not signed or announced");
            }
        }
        return pushed;
    }

    // One line per 10 % of a blob over 8 MiB, with the rate so far (hashing the file included): a
    // long upload shows it moves. Reports come per chunk; a blob starts where the previous one ended.
    // A blob reported done at once (one request, or already in the registry) gets no rate.
    private static RegistryClient.Progress progress(PrintWriter err) {
        long[] lastPercent = {-1};
        long[] blobStarted = {System.nanoTime()};
        return (done, total) -> {
            if (total > 8L * 1024 * 1024) {
                long percent = done * 100 / total;
                if (percent / 10 != lastPercent[0] / 10) {
                    boolean first = lastPercent[0] < 0;
                    lastPercent[0] = percent;
                    double secs = Math.max(1e-3, (System.nanoTime() - blobStarted[0]) / 1e9);
                    err.printf(
                            Locale.ROOT,
                            "  upload %d%% (%d / %d MiB%s)%n",
                            percent,
                            done >> 20,
                            total >> 20,
                            first && done >= total
                                    ? ""
                                    : String.format(Locale.ROOT, ", %.0f MiB/s", done / 1048576.0 / secs));
                    err.flush();
                }
            }
            if (done >= total) {
                lastPercent[0] = -1;
                blobStarted[0] = System.nanoTime();
            }
        };
    }
}
