package dev.powernode.cli.agent;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * Blob downloads into {@code persist/powernode/agent/downloads/}, verified against their descriptor
 * and resumable across agent restarts: the bytes of an interrupted run stay in {@code <hex>.part};
 * the next run hashes them and asks the registry for the rest with {@code Range}. A finished file
 * is synced and renamed to {@code <hex>}; one that does not match its digest is deleted.
 */
final class Downloads {
    /** A finished download and how it went. */
    record Fetched(Path file, long resumedFrom, int resumes) {}

    private final Path dir;
    private final RegistryClient client;

    Downloads(Path dir, RegistryClient client) {
        this.dir = dir;
        this.client = client;
    }

    Fetched fetch(String registry, String repository, Descriptor blob, RegistryClient.Progress progress) {
        try {
            return fetchOnce(registry, repository, blob, progress);
        } catch (AgentException e) {
            // a registry that ignores Range cannot continue a partial file: start it over, once
            if (e.getCause() instanceof RegistryException r && r.getMessage().contains("ignored the Range request")) {
                try {
                    Files.deleteIfExists(dir.resolve(blob.digest().hex() + ".part"));
                } catch (IOException io) {
                    throw new AgentException(AgentException.Kind.IO, "cannot remove a partial download", io);
                }
                return fetchOnce(registry, repository, blob, progress);
            }
            throw e;
        }
    }

    private Fetched fetchOnce(String registry, String repository, Descriptor blob, RegistryClient.Progress progress) {
        Path done = dir.resolve(blob.digest().hex());
        Path part = dir.resolve(blob.digest().hex() + ".part");
        try {
            Files.createDirectories(dir);
            if (Files.isRegularFile(done) && Files.size(done) == blob.size()) {
                return new Fetched(done, blob.size(), 0);
            }
            long offset = Files.isRegularFile(part) ? Files.size(part) : 0;
            if (offset > blob.size()) {
                Files.delete(part);
                offset = 0;
            }
            MessageDigest prefix = Digest.hasher();
            if (offset > 0) {
                try (InputStream in = Files.newInputStream(part)) {
                    byte[] buf = new byte[1 << 20];
                    int n;
                    while ((n = in.read(buf)) != -1) {
                        prefix.update(buf, 0, n);
                    }
                }
            }
            RegistryClient.BlobResult result;
            try (FileChannel ch = FileChannel.open(
                            part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                    OutputStream out = Channels.newOutputStream(ch)) {
                try {
                    result = client.fetchBlobFrom(registry, repository, blob, offset, prefix, out, progress);
                } catch (RegistryException e) {
                    if (e.kind() == RegistryException.Kind.DIGEST_MISMATCH) {
                        ch.close();
                        Files.deleteIfExists(part);
                        throw new AgentException(
                                AgentException.Kind.DIGEST_MISMATCH,
                                "blob " + blob.digest() + " (" + blob.title() + "): " + e.getMessage()
                                        + "; the partial download was discarded");
                    }
                    throw new AgentException(
                            AgentException.Kind.REGISTRY,
                            "blob " + blob.digest() + " (" + blob.title() + "): " + e.getMessage()
                                    + (offset > 0 || Files.size(part) > 0
                                            ? "; " + Files.size(part) + " bytes kept, the next run resumes"
                                            : ""),
                            e);
                }
                ch.force(true);
            }
            BootEntries.move(part, done);
            return new Fetched(done, offset, result.resumes());
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("No space left")) {
                throw new AgentException(
                        AgentException.Kind.PERSIST_FULL,
                        "persist is full downloading " + blob.title() + " (" + blob.size() / 1048576 + " MiB)");
            }
            throw new AgentException(AgentException.Kind.IO, "cannot download " + blob.digest() + " to " + dir, e);
        } catch (java.io.UncheckedIOException e) {
            throw new AgentException(
                    AgentException.Kind.IO,
                    "cannot write " + part + ": " + e.getCause().getMessage(),
                    e);
        }
    }

    /** Removes the finished and partial downloads of every blob but {@code hexes}. */
    void keepOnly(java.util.Set<String> hexes) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                String hex = name.endsWith(".part") ? name.substring(0, name.length() - 5) : name;
                if (!hexes.contains(hex)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot clear " + dir, e);
        }
    }

    /** Removes finished and partial downloads (after they were installed, or for another image). */
    void clear() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot clear " + dir, e);
        }
    }
}
