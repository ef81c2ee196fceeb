package dev.powernode.server.provision;

import dev.powernode.common.disk.DiskFormatException;
import dev.powernode.common.disk.DiskReader;
import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A publication's primary file where it is kept (its registry blob, or the local store for a direct
 * upload), read two ways: {@link #reader()} for the few parts provisioning looks at (by
 * {@code Range}, unverified, each part remembered), and {@link #stream} for the whole, hashed on
 * the way, which must match the publication's SHA-256 <em>and</em> contain every part read earlier
 * as it was read. Only then are the last bytes released: a client never receives a complete file
 * built on bytes that were not the published ones.
 */
final class PublishedFile {
    /** The bytes held back until the whole file has verified. */
    static final int HELD_BACK = 64 * 1024;

    private final DiskImagePublication publication;
    private final RegistryClient registry;
    private final Path local;
    private final List<Map.Entry<Long, byte[]>> reads = new ArrayList<>();

    private PublishedFile(DiskImagePublication publication, RegistryClient registry, Path local) {
        this.publication = publication;
        this.registry = registry;
        this.local = local;
    }

    static PublishedFile of(DiskImagePublication p, RegistryClient registry, java.util.Optional<Path> local) {
        if (p.sha256() == null || p.sizeBytes() == null || p.publishedAt() == null) {
            throw DomainException.conflict(
                    "provision/not-published",
                    "publication " + p.id() + " was never published ("
                            + p.status().value() + "): its artifact is not verified");
        }
        if (p.purgedAt() != null) {
            throw DomainException.conflict(
                    "provision/artifact-gone", "publication " + p.id() + " was purged: its artifact is gone");
        }
        if (p.ociRef() == null && local.isEmpty()) {
            throw DomainException.conflict(
                    "provision/artifact-gone", "publication " + p.id() + "'s uploaded artifact is no longer stored");
        }
        return new PublishedFile(p, registry, p.ociRef() == null ? local.get() : null);
    }

    long size() {
        return publication.sizeBytes();
    }

    String sha256() {
        return publication.sha256();
    }

    /** Random reads of the file, each remembered for {@link #stream} to check. */
    DiskReader reader() {
        DiskReader direct = local != null ? DiskReader.of(local) : null;
        return new DiskReader() {
            @Override
            public long size() {
                return PublishedFile.this.size();
            }

            @Override
            public byte[] read(long offset, int length) {
                if (offset < 0 || length < 0 || offset > size() - length) {
                    throw new DiskFormatException("read past the end of the published file");
                }
                byte[] b = direct != null ? direct.read(offset, length) : range(offset, length);
                synchronized (reads) {
                    reads.add(Map.entry(offset, b));
                }
                return b;
            }
        };
    }

    private byte[] range(long offset, int length) {
        OciRef ref = publication.ref();
        try {
            return registry.readBlobRange(ref.registry(), ref.repository(), digest(), offset, length);
        } catch (RegistryException e) {
            throw unavailable(e);
        }
    }

    /**
     * Streams the whole file into {@code sink} (the last {@value #HELD_BACK} bytes only after it
     * verified); a mismatch is a DomainException and {@code sink} never gets the end of the file.
     */
    void stream(OutputStream sink) throws IOException {
        Checking checking = new Checking(sink, reads, size());
        if (local != null) {
            MessageDigest sha = Digest.hasher();
            try (InputStream in = Files.newInputStream(local)) {
                byte[] buf = new byte[256 * 1024];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                    checking.write(buf, 0, n);
                }
            }
            if (!HexFormat.of().formatHex(sha.digest()).equals(sha256())) {
                throw mismatch("the stored upload no longer hashes to its SHA-256");
            }
        } else {
            OciRef ref = publication.ref();
            try {
                registry.fetchBlob(
                        ref.registry(),
                        ref.repository(),
                        Descriptor.of(MediaTypes.OCTET_STREAM, digest(), size()),
                        checking,
                        RegistryClient.Progress.NONE);
            } catch (RegistryException e) {
                if (e.kind() == RegistryException.Kind.DIGEST_MISMATCH) {
                    throw mismatch(e.getMessage());
                }
                throw unavailable(e);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        checking.finish();
    }

    private Digest digest() {
        return Digest.parse("sha256:" + sha256());
    }

    private DomainException unavailable(RegistryException e) {
        return new DomainException(
                ErrorKind.UNAVAILABLE,
                "provision/registry-unavailable",
                "cannot read publication " + publication.id() + "'s artifact from the registry: " + e.getMessage());
    }

    private DomainException mismatch(String why) {
        return new DomainException(
                ErrorKind.CONFLICT,
                "provision/artifact-mismatch",
                "publication " + publication.id() + "'s artifact is not the verified one (" + why + ")");
    }

    /** Compares the parts read earlier as the stream passes them, and holds back the tail. */
    private final class Checking extends OutputStream {
        private final OutputStream out;
        private final List<Map.Entry<Long, byte[]>> pending;
        private final long total;
        private final byte[] tail = new byte[HELD_BACK];
        private final long tailStart;
        private long position;

        Checking(OutputStream out, List<Map.Entry<Long, byte[]>> reads, long total) {
            this.out = out;
            synchronized (reads) {
                this.pending = new ArrayList<>(reads);
            }
            this.total = total;
            this.tailStart = Math.max(0, total - HELD_BACK);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            long start = position;
            long end = start + len;
            if (end > total) {
                throw mismatch("it has more than " + total + " bytes");
            }
            for (Map.Entry<Long, byte[]> r : pending) {
                long rs = r.getKey();
                long re = rs + r.getValue().length;
                if (rs < end && re > start) {
                    long from = Math.max(rs, start);
                    long to = Math.min(re, end);
                    if (!Arrays.equals(
                            b,
                            off + (int) (from - start),
                            off + (int) (to - start),
                            r.getValue(),
                            (int) (from - rs),
                            (int) (to - rs))) {
                        throw mismatch("bytes read at " + rs + " differ from the verified file's");
                    }
                }
            }
            int pass = (int) Math.max(0, Math.min(end, tailStart) - start);
            if (pass > 0) {
                out.write(b, off, pass);
            }
            for (int i = pass; i < len; i++) {
                tail[(int) (start + i - tailStart)] = b[off + i];
            }
            position = end;
        }

        void finish() throws IOException {
            if (position != total) {
                throw mismatch("it has " + position + " bytes, not " + total);
            }
            out.write(tail, 0, (int) (total - tailStart));
            out.flush();
        }
    }
}
