package dev.powernode.cli.agent;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The images on the node's {@code persist} partition, in the layout the initramfs boots from
 * (buildkit/dracut/90powernode/powernode-root.sh): {@code powernode/images/<digest>.cfs} (the
 * composefs metadata image, named by its sha256) and {@code powernode/objects/XX/<62 hex>} (the
 * content objects, named by their fs-verity digest, shared by every image), plus the agent's own
 * {@code powernode/agent/} (state and partial downloads).
 */
final class ImageStore {
    private static final Pattern OBJECT = Pattern.compile("(?:\\./)?([0-9a-f]{2})/([0-9a-f]{62})");
    private static final Pattern DIR = Pattern.compile("(?:\\./)?(?:[0-9a-f]{2}/?)?|\\./");

    /** What adding a publication's objects did. */
    record ObjectsAdded(int added, int present, long bytesWritten) {}

    private final Path root;
    private final FsVerity verity;

    ImageStore(Path persist, FsVerity verity) {
        this.root = persist.resolve("powernode");
        this.verity = verity;
    }

    Path images() {
        return root.resolve("images");
    }

    Path objects() {
        return root.resolve("objects");
    }

    Path agentDir() {
        return root.resolve("agent");
    }

    Path downloads() {
        return agentDir().resolve("downloads");
    }

    boolean hasImage(String image) {
        return Files.isRegularFile(images().resolve(image + ".cfs"));
    }

    /** The images present, by digest. */
    Set<String> listImages() {
        Set<String> out = new HashSet<>();
        if (!Files.isDirectory(images())) {
            return out;
        }
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(images(), "*.cfs")) {
            for (Path p : dir) {
                String n = p.getFileName().toString();
                out.add(n.substring(0, n.length() - 4));
            }
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot list " + images(), e);
        }
        return out;
    }

    /** Bytes free on persist for new images. */
    long usableSpace() {
        try {
            return Files.getFileStore(root).getUsableSpace();
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot stat " + root, e);
        }
    }

    /** Moves a verified metadata image (a synced file on persist) into place as {@code images/<image>.cfs}. */
    void addImage(Path verifiedFile, String image) {
        try {
            Files.createDirectories(images());
            BootEntries.move(verifiedFile, images().resolve(image + ".cfs"));
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot store image " + image, e);
        }
    }

    /**
     * Adds the objects of a verified objects tar ({@code powernode-<arch>.composefs-objects.tar}, as
     * the build writes it): an object already present is kept (the name is its content's fs-verity
     * digest), a new one is written under a temporary name, synced, sealed with fs-verity (the kernel
     * then refuses it if its content does not match the digest the image records) and renamed into
     * place. Anything in the tar but directories and {@code XX/<62 hex>} files is refused before it is
     * written, so a crash or a refusal leaves only whole, sealed objects behind.
     */
    ObjectsAdded addObjects(InputStream tar) {
        int added = 0;
        int present = 0;
        long written = 0;
        try (TarArchiveInputStream in = new TarArchiveInputStream(new BufferedInputStream(tar, 1 << 16))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                String name = e.getName();
                if (e.isDirectory() && DIR.matcher(name).matches()) {
                    continue;
                }
                Matcher m = OBJECT.matcher(name);
                if (!e.isFile() || !m.matches()) {
                    throw new AgentException(
                            AgentException.Kind.NOT_UPDATABLE,
                            "the objects tar holds \"" + name + "\", which is not a content object (XX/<62 hex>)");
                }
                Path dir = objects().resolve(m.group(1));
                Path target = dir.resolve(m.group(2));
                if (Files.isRegularFile(target) && Files.size(target) == e.getSize()) {
                    present++;
                    continue;
                }
                Files.createDirectories(dir);
                Path tmp = dir.resolve("." + m.group(2) + ".tmp");
                // a crash after sealing leaves a sealed temp file, which cannot be opened for writing
                Files.deleteIfExists(tmp);
                BootEntries.writeSynced(tmp, in);
                verity.seal(tmp);
                BootEntries.move(tmp, target);
                added++;
                written += e.getSize();
            }
        } catch (IOException | UncheckedIOException e) {
            if (e.getMessage() != null && e.getMessage().contains("No space left")) {
                throw new AgentException(
                        AgentException.Kind.PERSIST_FULL,
                        "persist is full while adding objects (" + added + " added); the image was not installed");
            }
            throw new AgentException(AgentException.Kind.IO, "cannot add objects to " + objects() + ": " + e, e);
        }
        return new ObjectsAdded(added, present, written);
    }

    /** Removes the metadata images not in {@code keep}; returns them. Objects are shared and stay. */
    List<String> pruneImages(Set<String> keep) {
        List<String> removed = new ArrayList<>();
        for (String image : listImages()) {
            if (!keep.contains(image)) {
                try {
                    Files.deleteIfExists(images().resolve(image + ".cfs"));
                    removed.add(image);
                } catch (IOException e) {
                    throw new AgentException(AgentException.Kind.IO, "cannot remove image " + image, e);
                }
            }
        }
        return removed;
    }
}
