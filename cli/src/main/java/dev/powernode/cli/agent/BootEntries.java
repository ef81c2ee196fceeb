package dev.powernode.cli.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node's boot entries on its ESP, in the layout buildkit/lib/disk.sh makes and systemd-boot
 * reads (docs/decisions/006): each image's UKI at {@code /EFI/powernode/<image digest>.efi} and one
 * Boot Loader Specification type #1 entry for it, {@code /loader/entries/powernode-<n>[+LEFT[-DONE]].conf}
 * with {@code sort-key powernode} and {@code version <n>}.
 *
 * <p>systemd-boot boots the entry with the highest version that still has tries left, and renames a
 * counted entry before booting it ({@code +3} → {@code +2-1} …); one at {@code +0} sorts last, so the
 * next older entry (the last good image) boots instead. A new image is installed as a counted entry
 * with the next version; blessing it (health confirmed) drops the counter.
 */
final class BootEntries {
    static final Pattern ENTRY = Pattern.compile("powernode-(\\d{1,9})(?:\\+(\\d+)(?:-(\\d+))?)?\\.conf");
    private static final Pattern EFI_LINE = Pattern.compile("(?m)^efi\\s+/EFI/powernode/([0-9a-f]{64})\\.efi\\s*$");

    /** One entry: {@code triesLeft} null for a blessed (uncounted) one. */
    record Entry(String file, int version, Integer triesLeft, int triesDone, String image) {
        boolean blessed() {
            return triesLeft == null;
        }

        /** Out of tries: systemd-boot sorts it last, the previous image boots. */
        boolean bad() {
            return triesLeft != null && triesLeft == 0;
        }
    }

    private final Path esp;

    BootEntries(Path esp) {
        this.esp = esp;
    }

    Path esp() {
        return esp;
    }

    private Path entries() {
        return esp.resolve("loader/entries");
    }

    private Path ukis() {
        return esp.resolve("EFI/powernode");
    }

    /** The entries, newest version first; an entry that names no image of ours is skipped. */
    List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(entries())) {
            throw new AgentException(
                    AgentException.Kind.CONFIG,
                    entries() + " does not exist: is the ESP mounted at " + esp
                            + " and was the disk built with systemd-boot (buildkit/build.sh --build-script)?");
        }
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(entries(), "powernode-*.conf")) {
            for (Path p : dir) {
                Matcher m = ENTRY.matcher(p.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                Matcher efi = EFI_LINE.matcher(Files.readString(p, StandardCharsets.UTF_8));
                if (!efi.find()) {
                    continue;
                }
                out.add(new Entry(
                        p.getFileName().toString(),
                        Integer.parseInt(m.group(1)),
                        m.group(2) == null ? null : Integer.valueOf(m.group(2)),
                        m.group(3) == null ? 0 : Integer.parseInt(m.group(3)),
                        efi.group(1)));
            }
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot read the boot entries in " + entries(), e);
        }
        out.sort(Comparator.comparingInt(Entry::version).reversed());
        return out;
    }

    /** The newest entry for {@code image}, if any. */
    Optional<Entry> find(String image) {
        return list().stream().filter(e -> e.image().equals(image)).findFirst();
    }

    /**
     * Installs {@code uki} for {@code image} as a new counted entry ({@code tries} boots to prove
     * itself) with a version above every other, so systemd-boot boots it next. The UKI is written
     * and synced under a temporary name and renamed into place before the entry that names it is
     * (itself written the same way): a crash leaves either no entry or a complete one.
     */
    Entry install(Path uki, String image, int tries, String title) {
        try {
            Files.createDirectories(ukis());
            Path target = ukis().resolve(image + ".efi");
            if (!Files.exists(target) || !sameContent(target, uki)) {
                long need = Files.size(uki) + 1024 * 1024;
                long free = Files.getFileStore(esp).getUsableSpace();
                if (free < need) {
                    throw new AgentException(
                            AgentException.Kind.ESP_FULL,
                            "the ESP at " + esp + " has " + free / 1048576 + " MiB free, the UKI needs "
                                    + need / 1048576 + " MiB; nothing was installed");
                }
                Path tmp = ukis().resolve(image + ".efi.tmp");
                try (InputStream in = Files.newInputStream(uki)) {
                    writeSynced(tmp, in);
                }
                move(tmp, target);
            }
            int version = list().stream().mapToInt(Entry::version).max().orElse(0) + 1;
            String name = "powernode-" + version + "+" + tries + ".conf";
            String body = "title " + title.replaceAll("[\\r\\n]", " ") + "\nsort-key powernode\nversion " + version
                    + "\nefi /EFI/powernode/" + image + ".efi\n";
            Path tmp = entries().resolve("." + name + ".tmp");
            writeSynced(tmp, new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
            move(tmp, entries().resolve(name));
            return new Entry(name, version, tries, 0, image);
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot install the boot entry for " + image, e);
        }
    }

    private static boolean sameContent(Path a, Path b) throws IOException {
        return Files.size(a) == Files.size(b) && Files.mismatch(a, b) == -1;
    }

    /** Removes the entries whose file name is not in {@code keepFiles}, then the UKIs no remaining entry names. */
    Set<String> pruneFiles(Set<String> keepFiles) {
        Set<String> removed = new HashSet<>();
        Set<String> named = new HashSet<>();
        try {
            for (Entry e : list()) {
                if (keepFiles.contains(e.file())) {
                    named.add(e.image());
                } else {
                    Files.deleteIfExists(entries().resolve(e.file()));
                    removed.add(e.image());
                }
            }
            removed.removeAll(named);
            if (Files.isDirectory(ukis())) {
                try (DirectoryStream<Path> dir = Files.newDirectoryStream(ukis())) {
                    for (Path p : dir) {
                        String n = p.getFileName().toString();
                        String image = n.endsWith(".efi") ? n.substring(0, n.length() - 4) : null;
                        if (image == null || !named.contains(image)) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot prune boot entries on " + esp, e);
        }
        return removed;
    }

    /** Makes {@code entry} permanent: renamed without its counter (what systemd-bless-boot does). */
    Entry bless(Entry entry) {
        if (entry.blessed()) {
            return entry;
        }
        String name = "powernode-" + entry.version() + ".conf";
        try {
            move(entries().resolve(entry.file()), entries().resolve(name));
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot bless boot entry " + entry.file(), e);
        }
        return new Entry(name, entry.version(), null, 0, entry.image());
    }

    /** Writes {@code in} to {@code file} (replacing it) and syncs it to the device. */
    static void writeSynced(Path file, InputStream in) throws IOException {
        try (FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) != -1) {
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            ch.force(true);
        }
    }

    /** Renames atomically where the filesystem can, then syncs the directory. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDir(to.getParent());
    }

    static void syncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some filesystems (vfat) refuse fsync on a directory; the file itself was synced
        }
    }
}
