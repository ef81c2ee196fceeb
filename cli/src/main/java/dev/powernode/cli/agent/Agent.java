package dev.powernode.cli.agent;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.common.sigstore.ImageSignatures;
import dev.powernode.common.sigstore.SigstoreException;
import dev.powernode.common.sigstore.SigstoreVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The node agent: keeps this node on its triple's current publication.
 *
 * <ol>
 *   <li>{@link #settle()} once per boot: runs the health checks; a trial boot of a new image that
 *       passes is blessed (its boot entry loses the counter and becomes the one that boots), one
 *       that fails is reported and rebooted so that its counter runs down; a boot that fell back
 *       from a trial that ran out of tries reports it. Every outcome is reported to the platform.
 *   <li>{@link #check()}: asks the platform for the current publication (ETag); if it is another
 *       image than the booted one, pulls it, verifies its cosign signature offline against the
 *       policy baked into this image and the SHA-256 of every blob, stages it on {@code persist}
 *       and installs a counted boot entry for it (the atomic flip).
 *   <li>The reboot into a staged image follows the {@link RebootPolicy}.
 * </ol>
 *
 * <p>Nothing half-installed is ever booted: the boot entry that makes systemd-boot choose an image
 * is written last, after its UKI, metadata image and objects are complete and synced.
 */
public final class Agent implements AutoCloseable {
    /** Where the node keeps things; the defaults are the booted system's. */
    public record NodePaths(
            Path persist, Path esp, Path identity, Path bootedImage, Path bootId, Path uptime, List<Path> healthDirs) {
        public static NodePaths system() {
            return new NodePaths(
                    Path.of("/persist"),
                    Path.of("/efi"),
                    Path.of("/run/powernode/identity"),
                    Path.of("/run/powernode/image"),
                    Path.of("/proc/sys/kernel/random/boot_id"),
                    Path.of("/proc/uptime"),
                    List.of(Path.of("/usr/lib/powernode/health.d"), Path.of("/etc/powernode/health.d")));
        }
    }

    /** What {@link #check()} found. */
    public enum Outcome {
        /** the node runs the current publication */
        CURRENT,
        /** the current publication failed its trial here; the node stays on its image */
        DECLINED,
        /** a new image is staged and waits for a reboot */
        STAGED,
        /** this boot is an unsettled trial: nothing is staged until it is blessed or falls back */
        TRIAL
    }

    private static final Pattern IMAGE = Pattern.compile("sha256:([0-9a-f]{64})");
    static final String UKI_SUFFIX = ".efi";
    static final String EROFS_SUFFIX = ".composefs.erofs";
    static final String OBJECTS_SUFFIX = ".composefs-objects.tar";

    private final AgentConfig config;
    private final NodePaths paths;
    private final Identity identity;
    private final PlatformLink platform;
    private final RegistryClient registry;
    private final SigstoreVerifier verifier;
    private final BootEntries entries;
    private final ImageStore store;
    private final AgentState state;
    private final Clock clock;
    private final PrintStream log;
    private final String version;
    private String etag;
    private PlatformLink.Current current;
    private final java.nio.channels.FileChannel lock;

    /** One agent per node: the service and an operator's {@code apply} must not stage at once. */
    private static java.nio.channels.FileChannel lock(Path file) {
        try {
            Files.createDirectories(file.getParent());
            java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                    file, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            java.nio.channels.FileLock held;
            try {
                held = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                held = null;
            }
            if (held == null) {
                ch.close();
                throw new AgentException(
                        AgentException.Kind.IO,
                        "another powernode agent holds " + file + " (the service is running? stop it, or wait)");
            }
            return ch;
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot lock " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            lock.close();
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }

    public Agent(
            AgentConfig config,
            NodePaths paths,
            RegistryClient registry,
            SigstoreVerifier verifier,
            FsVerity verity,
            Clock clock,
            PrintStream log,
            String version) {
        this.config = config;
        this.paths = paths;
        Identity id = Identity.read(paths.identity());
        this.identity = config.platformUrl() == null ? id : id.withPlatformUrl(config.platformUrl());
        this.platform = new PlatformLink(identity.platformUrl(), identity.token());
        this.registry = registry;
        this.verifier = verifier;
        this.entries = new BootEntries(paths.esp());
        this.store = new ImageStore(paths.persist(), verity);
        this.lock = lock(store.agentDir().resolve("lock"));
        this.state = AgentState.load(store.agentDir().resolve("state.json"));
        this.clock = clock;
        this.log = log;
        this.version = version;
    }

    Identity identity() {
        return identity;
    }

    /** The composefs digest of the running image ({@code /run/powernode/image}). */
    String booted() {
        try {
            String text = Files.readString(paths.bootedImage()).strip();
            var m = IMAGE.matcher(text);
            if (!m.matches()) {
                throw new AgentException(
                        AgentException.Kind.CONFIG, paths.bootedImage() + " does not hold sha256:<hex>: " + text);
            }
            return m.group(1);
        } catch (IOException e) {
            throw new AgentException(
                    AgentException.Kind.CONFIG,
                    "cannot read " + paths.bootedImage() + " (written by the initramfs): " + e.getMessage());
        }
    }

    /** The outcome of settling this boot. */
    public record Settled(String image, boolean trial, boolean healthy, List<String> failures, String fellBackFrom) {}

    /**
     * Settles this boot (idempotent: a restarted agent settles again, with the same report ids).
     * Returns whether the node must reboot at once (a failed trial boot).
     */
    public Settled settle() {
        // what an earlier run could not send goes first: the platform sees events in their order
        flushPending();
        String booted = booted();
        List<BootEntries.Entry> all = entries.list();
        Optional<BootEntries.Entry> mine =
                all.stream().filter(e -> e.image().equals(booted)).findFirst();
        HealthChecks.Outcome health = new HealthChecks(paths.healthDirs(), config.healthTimeout()).run();
        String fellBackFrom = null;
        boolean trial = mine.isPresent() && !mine.get().blessed();
        if (trial) {
            BootEntries.Entry entry = mine.get();
            if (health.healthy()) {
                BootEntries.Entry blessed = entries.bless(entry);
                log("image " + shortId(booted) + " passed " + health.ran() + " health check(s) on trial boot "
                        + entry.triesDone() + "; boot entry " + blessed.file() + " is now the good one");
                report(booted, "healthy");
                prune(booted);
            } else {
                log("image " + shortId(booted) + " FAILED its health checks on trial boot " + entry.triesDone()
                        + " (" + String.join("; ", health.failures()) + "); "
                        + (entry.bad()
                                ? "no tries left: the next boot falls back"
                                : entry.triesLeft() + " tries left"));
                report(booted, "failed");
            }
        } else {
            int myVersion = mine.map(BootEntries.Entry::version).orElse(Integer.MAX_VALUE);
            for (BootEntries.Entry e : all) {
                if (e.version() > myVersion && !e.image().equals(booted) && (e.bad() || e.triesDone() > 0)) {
                    fellBackFrom = e.image();
                    Known known = known(e.image());
                    state.failed.put(e.image(), known == null ? "" : known.publicationId());
                    state.save();
                    log("image " + shortId(e.image()) + " did not come up healthy in " + e.triesDone()
                            + " boot(s); fell back to " + shortId(booted));
                    report(e.image(), "fell_back");
                }
            }
            if (fellBackFrom != null) {
                prune(booted);
            }
            if (health.healthy()) {
                log("image " + shortId(booted) + ": " + health.ran() + " health check(s) passed");
                report(booted, "healthy");
            } else {
                log("image " + shortId(booted) + ": health checks FAILED (" + String.join("; ", health.failures())
                        + ")");
                report(booted, "failed");
            }
        }
        return new Settled(booted, trial, health.healthy(), health.failures(), fellBackFrom);
    }

    /** Whether a settled boot must reboot now: a trial that failed (its counter must run down). */
    public static boolean mustReboot(Settled s) {
        return s.trial() && !s.healthy();
    }

    /**
     * One poll of the platform; stages the current publication when it is another image than the
     * booted one. Throws {@link AgentException} on any fault (nothing is installed then).
     */
    public Outcome check() {
        PlatformLink.Current fresh = platform.current(etag);
        if (fresh != null) {
            current = fresh;
            etag = fresh.etag();
        }
        if (current == null) {
            throw new AgentException(AgentException.Kind.PLATFORM_REFUSED, "the platform sent 304 for a first poll");
        }
        String booted = booted();
        String image = imageOf(current);
        flushPending();
        // a failure only holds while the platform still points at it
        if (state.failed.keySet().removeIf(f -> !f.equals(image))) {
            state.save();
        }
        if (image.equals(booted)) {
            // an image staged for an earlier pointer must not boot now
            List<BootEntries.Entry> stale = entries.list().stream()
                    .filter(e -> !e.image().equals(booted) && !e.blessed() && e.triesDone() == 0)
                    .toList();
            if (!stale.isEmpty()) {
                prune(booted);
                log("the platform points at the running image again; dropped the staged "
                        + stale.stream().map(e -> shortId(e.image())).toList());
            }
            return Outcome.CURRENT;
        }
        if (state.failed.containsKey(image)) {
            log("current publication " + current.publicationId() + " (image " + shortId(image)
                    + ") failed its trial on this node; staying on " + shortId(booted) + " until the platform moves");
            return Outcome.DECLINED;
        }
        List<BootEntries.Entry> all = entries.list();
        Optional<BootEntries.Entry> mine =
                all.stream().filter(e -> e.image().equals(booted)).findFirst();
        if (mine.isPresent() && !mine.get().blessed()) {
            // staging now would drop the last good entry a failing trial falls back to
            log("this boot is a trial of " + shortId(booted) + " that is not settled yet; not staging " + shortId(image)
                    + " until it is blessed or has fallen back");
            return Outcome.TRIAL;
        }
        // staged and not yet tried: the newest entry is a counted one for this image
        if (!all.isEmpty()
                && all.get(0).image().equals(image)
                && !all.get(0).blessed()
                && all.get(0).triesDone() == 0
                && store.hasImage(image)) {
            return Outcome.STAGED;
        }
        stage(current, image);
        return Outcome.STAGED;
    }

    /** Reboots into the staged image (the configured command, e.g. systemctl reboot). */
    public void reboot(String why) {
        log("rebooting: " + why);
        try {
            Process p = new ProcessBuilder(config.rebootCommand()).inheritIO().start();
            int rc = p.waitFor();
            if (rc != 0) {
                throw new AgentException(
                        AgentException.Kind.IO, "reboot command " + config.rebootCommand() + " exited " + rc);
            }
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot run " + config.rebootCommand(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** When a staged image may boot: now (zero), later, or null (operator only). */
    public Duration rebootWait() {
        return config.reboot().waitFrom(clock.instant());
    }

    public AgentConfig config() {
        return config;
    }

    // ---------------------------------------------------------------------------------------------

    private record Known(String publicationId, String sha256) {}

    private Known known(String image) {
        AgentState.Known k = state.images.get(image);
        return k == null ? null : new Known(k.publicationId(), k.sha256());
    }

    /** The composefs digest of a publication: its metadata image layer's digest (from the signed manifest). */
    private String imageOf(PlatformLink.Current c) {
        for (var e : state.images.entrySet()) {
            if (e.getValue().publicationId().equals(c.publicationId())) {
                return e.getKey();
            }
        }
        Manifest m = manifest(c);
        String image = layer(m, EROFS_SUFFIX, c).digest().hex();
        state.images.put(image, new AgentState.Known(c.publicationId(), c.sha256(), c.ociRef()));
        state.save();
        return image;
    }

    private OciRef ref(PlatformLink.Current c) {
        OciRef ref;
        try {
            ref = OciRef.parse(c.ociRef());
        } catch (IllegalArgumentException e) {
            throw new AgentException(AgentException.Kind.PLATFORM_REFUSED, "platform sent oci_ref " + c.ociRef());
        }
        if (ref.digest() == null) {
            throw new AgentException(
                    AgentException.Kind.PLATFORM_REFUSED, "platform sent oci_ref without a digest: " + c.ociRef());
        }
        return ref;
    }

    private Manifest manifest(PlatformLink.Current c) {
        try {
            return registry.getManifest(ref(c));
        } catch (RegistryException e) {
            throw new AgentException(AgentException.Kind.REGISTRY, "manifest of " + c.ociRef() + ": " + e.getMessage());
        }
    }

    private static Descriptor layer(Manifest m, String suffix, PlatformLink.Current c) {
        List<Descriptor> found = m.layers().stream()
                .filter(d -> d.title() != null && d.title().endsWith(suffix))
                .toList();
        if (found.size() != 1) {
            throw new AgentException(
                    AgentException.Kind.NOT_UPDATABLE,
                    "publication " + c.publicationId() + " (" + c.ociRef() + ") has " + found.size() + " *" + suffix
                            + " layers, not one: it carries no node update (publish a build made with"
                            + " buildkit/build.sh --build-script)");
        }
        return found.get(0);
    }

    private void stage(PlatformLink.Current c, String image) {
        long start = clock.millis();
        OciRef ref = ref(c);
        Manifest m = manifest(c);
        try {
            ImageSignatures.Result signed = new ImageSignatures(registry, verifier).verify(ref, config.signers());
            log("publication " + c.publicationId() + " (" + ref.digest() + ") signed by "
                    + signed.signer().signer() + " (baked policy)");
        } catch (SigstoreException e) {
            throw new AgentException(
                    AgentException.Kind.SIGNATURE,
                    "publication " + c.publicationId() + " (" + ref.digest()
                            + ") does not satisfy the signer policy baked into this image (" + e.check() + "): "
                            + e.getMessage() + "; not installed");
        } catch (RegistryException e) {
            throw new AgentException(AgentException.Kind.REGISTRY, "signatures of " + ref + ": " + e.getMessage());
        }
        if (m.layers().isEmpty() || !m.layers().get(0).digest().hex().equals(c.sha256())) {
            throw new AgentException(
                    AgentException.Kind.DIGEST_MISMATCH,
                    "the platform says publication " + c.publicationId() + " is sha256:" + c.sha256()
                            + " but its signed manifest's primary layer is "
                            + (m.layers().isEmpty()
                                    ? "missing"
                                    : m.layers().get(0).digest()));
        }
        Descriptor uki = layer(m, UKI_SUFFIX, c);
        Descriptor erofs = layer(m, EROFS_SUFFIX, c);
        Descriptor objects = layer(m, OBJECTS_SUFFIX, c);
        long need = erofs.size() + 2 * objects.size() + uki.size() + 64L * 1024 * 1024;
        long free = store.usableSpace();
        if (free < need) {
            throw new AgentException(
                    AgentException.Kind.PERSIST_FULL,
                    "persist has " + free / 1048576 + " MiB free; staging image " + shortId(image) + " needs up to "
                            + need / 1048576 + " MiB; not installed");
        }
        Downloads downloads = new Downloads(store.downloads(), registry);
        // partial downloads of another publication only take room
        downloads.keepOnly(Set.of(
                erofs.digest().hex(), uki.digest().hex(), objects.digest().hex()));
        ImageStore.ObjectsAdded added = new ImageStore.ObjectsAdded(0, 0, 0);
        // an image staged before (an earlier pointer, a rollback to the previous image) is on
        // persist already, with its objects: only its UKI and a new entry are needed
        boolean here = store.hasImage(image);
        Path ukiFile = fetch(downloads, ref, uki);
        if (!here) {
            Path erofsFile = fetch(downloads, ref, erofs);
            Path objectsFile = fetch(downloads, ref, objects);
            try (InputStream in = Files.newInputStream(objectsFile)) {
                added = store.addObjects(in);
            } catch (IOException e) {
                throw new AgentException(AgentException.Kind.IO, "cannot read " + objectsFile, e);
            }
            store.addImage(erofsFile, image);
        }
        List<Path> files = List.of(ukiFile);
        // the ESP holds two UKIs: the booted one (what a failed trial falls back to) and the new one;
        // every other entry goes now, before the write that needs its room
        String booted = booted();
        entries.list().stream()
                .filter(e -> e.image().equals(booted))
                .findFirst()
                .ifPresent(e -> entries.pruneFiles(Set.of(e.file())));
        BootEntries.Entry entry =
                entries.install(files.get(0), image, config.bootTries(), "Powernode " + c.publicationId());
        downloads.clear();
        log("staged image " + shortId(image) + " of publication " + c.publicationId() + " in "
                + (clock.millis() - start) + " ms: " + added.added() + " new objects (" + added.bytesWritten() / 1048576
                + " MiB), " + added.present() + " already here; boot entry " + entry.file() + " (" + config.bootTries()
                + " tries)");
        prune(booted, image);
    }

    /**
     * Keeps the entry the node booted (the newest for {@code booted}), the newest entry with tries
     * left for each image in {@code staged}, and, when nothing is staged, the newest blessed entry
     * below the booted one (the previous image). Every other entry goes, bad ones included, and
     * with them the UKIs and metadata images no kept entry names.
     */
    private void prune(String booted, String... staged) {
        List<BootEntries.Entry> all = entries.list();
        Set<String> files = new LinkedHashSet<>();
        Set<String> images = new LinkedHashSet<>();
        Optional<BootEntries.Entry> mine =
                all.stream().filter(e -> e.image().equals(booted)).findFirst();
        mine.ifPresent(e -> files.add(e.file()));
        images.add(booted);
        for (String image : staged) {
            all.stream()
                    .filter(e -> e.image().equals(image) && !e.bad())
                    .findFirst()
                    .ifPresent(e -> files.add(e.file()));
            images.add(image);
        }
        if (staged.length == 0) {
            int bootedVersion = mine.map(BootEntries.Entry::version).orElse(Integer.MAX_VALUE);
            all.stream()
                    .filter(e -> e.blessed()
                            && e.version() < bootedVersion
                            && !e.image().equals(booted))
                    .findFirst()
                    .ifPresent(e -> {
                        files.add(e.file());
                        images.add(e.image());
                    });
        }
        Set<String> gone = entries.pruneFiles(files);
        List<String> removed = store.pruneImages(images);
        if (!gone.isEmpty() || !removed.isEmpty()) {
            Set<String> both = new LinkedHashSet<>(gone);
            both.addAll(removed);
            log("pruned image(s) " + both.stream().map(Agent::shortId).toList() + "; kept "
                    + images.stream().map(Agent::shortId).toList());
        }
    }

    private Path fetch(Downloads downloads, OciRef ref, Descriptor d) {
        Downloads.Fetched f = downloads.fetch(ref.registry(), ref.repository(), d, progress(d));
        if (f.resumedFrom() > 0 && f.resumedFrom() < d.size()) {
            log("resumed " + d.title() + " from byte " + f.resumedFrom());
        }
        return f.file();
    }

    private RegistryClient.Progress progress(Descriptor d) {
        long step = Math.max(d.size() / 4, 64L * 1024 * 1024);
        long[] next = {step};
        return (done, total) -> {
            if (done >= next[0] && done < total) {
                log("fetching " + d.title() + ": " + done / 1048576 + " of " + total / 1048576 + " MiB");
                next[0] += step;
            }
        };
    }

    /** Reports {@code result} for {@code image}'s publication once per boot (the id is derived, so retries match). */
    private void report(String image, String result) {
        report(bootId(), image, result);
    }

    private void report(String bootId, String image, String result) {
        String key = bootId + " " + image + " " + result;
        if (state.reported.containsKey(key)) {
            state.pending.remove(key);
            return;
        }
        Known known = known(image);
        if (known == null) {
            if (state.pending.add(key)) {
                state.save();
                log("cannot report " + result + " for image " + shortId(image)
                        + " yet: no publication known for it (the next poll learns it when the platform points at it)");
            }
            return;
        }
        String reportId = UUID.nameUUIDFromBytes(
                        ("powernode-report " + identity.deviceId() + " " + key).getBytes(StandardCharsets.UTF_8))
                .toString();
        try {
            platform.report(new PlatformLink.Report(
                    reportId, known.publicationId(), known.sha256(), result, version, uptime()));
        } catch (AgentException e) {
            if (e.kind() == AgentException.Kind.PLATFORM_REFUSED) {
                // the platform refused it for good (and recorded why): sending it again changes nothing
                log("report " + result + " for publication " + known.publicationId() + " refused: " + e.getMessage());
                state.pending.remove(key);
                state.save();
                return;
            }
            // a report never holds up what the boot needs (a failed trial must still reboot); it is
            // kept on persist and sent again, with the same id, on the next poll, after a restart too
            if (state.pending.add(key)) {
                state.save();
            }
            log("report " + result + " for publication " + known.publicationId() + " not sent ("
                    + e.kind().label() + ": " + e.getMessage() + "); retrying on the next poll");
            return;
        }
        state.reported.put(key, reportId);
        state.pending.remove(key);
        state.save();
        log("reported " + result + " for publication " + known.publicationId());
    }

    /** Sends the reports kept for later: their publication was unknown or the platform did not answer. */
    public void flushPending() {
        for (String key : List.copyOf(state.pending)) {
            String[] parts = key.split(" ");
            if (parts.length == 3) {
                report(parts[0], parts[1], parts[2]);
            } else {
                state.pending.remove(key);
            }
        }
    }

    private String bootId() {
        try {
            return Files.readString(paths.bootId()).strip();
        } catch (IOException e) {
            return "unknown-boot";
        }
    }

    private long uptime() {
        try {
            String s = Files.readString(paths.uptime()).strip().split("\\s+")[0];
            return (long) Double.parseDouble(s);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    void log(String line) {
        log.println("powernode-agent: " + line);
        log.flush();
    }

    static String shortId(String image) {
        return image.length() > 12 ? image.substring(0, 12) : image;
    }
}
