package dev.powernode.common.oci;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A verified, resumable blob download for {@link RegistryClient#fetchBlob}: one pass through a
 * fixed buffer, hashed as it is read, resumed with {@code Range} requests after breaks. Kept apart
 * from the facade because its resume rules (what a 200, 206 or 416 means part way through) change
 * on their own.
 */
final class BlobDownload {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");

    private final RegistryTransport transport;
    private final int maxResumes;

    BlobDownload(RegistryTransport transport, int maxResumes) {
        this.transport = transport;
        this.maxResumes = maxResumes;
    }

    RegistryClient.BlobResult fetch(
            String registry, String repository, Descriptor blob, OutputStream sink, RegistryClient.Progress report) {
        return fetch(registry, repository, blob, 0, Digest.hasher(), sink, report);
    }

    /**
     * Continues a download whose first {@code offset} bytes the caller already holds (and has fed to
     * {@code prefix}); {@code sink} receives the rest.
     */
    RegistryClient.BlobResult fetch(
            String registry,
            String repository,
            Descriptor blob,
            long offset,
            MessageDigest prefix,
            OutputStream sink,
            RegistryClient.Progress report) {
        String what = "fetch blob " + registry + "/" + repository + "@" + blob.digest();
        URI uri =
                transport.url(registry, "/v2/" + RegistryTransport.repository(repository) + "/blobs/" + blob.digest());
        long size = blob.size();
        if (offset < 0 || offset > size) {
            throw new IllegalArgumentException("offset " + offset + " outside the blob's " + size + " bytes");
        }
        long done = offset;
        try (Hasher hasher = new Hasher(prefix, sink, what, size - offset)) {
            return fetchInto(hasher, registry, repository, blob, uri, what, done, sink, report);
        }
    }

    private RegistryClient.BlobResult fetchInto(
            Hasher hasher,
            String registry,
            String repository,
            Descriptor blob,
            URI uri,
            String what,
            long done,
            OutputStream sink,
            RegistryClient.Progress report) {
        long size = blob.size();
        int resumes = 0;
        boolean bodyStarted = false;
        while (done < size || (done == 0 && size == 0)) {
            RegistryTransport.Call call =
                    transport.call(registry, what).uri(uri).pull(repository).bulk();
            if (done > 0) {
                call.header("Range", "bytes=" + done + "-");
            }
            IOException broken = null;
            HttpResponse<InputStream> response = null;
            try {
                response = transport.exchange(call);
            } catch (IOException e) {
                if (!bodyStarted) {
                    // nothing transferred yet: a plain failure to reach the registry, not a break
                    throw transport.unreachable(call, e);
                }
                broken = e;
            }
            if (response != null) {
                int status = response.statusCode();
                if (status == 200 && done > 0) {
                    if (sink != null) {
                        RegistryTransport.discard(response);
                        throw new RegistryException(
                                RegistryException.Kind.TRANSIENT,
                                what + ": the registry ignored the Range request after the transfer broke at byte "
                                        + done + "; cannot resume into a destination that already holds data");
                    }
                    hasher.restart();
                    done = 0;
                    report.update(0, size);
                } else if (status == 206) {
                    long start = contentRangeStart(call, response);
                    if (start != done) {
                        RegistryTransport.discard(response);
                        throw new RegistryException(
                                RegistryException.Kind.INVALID,
                                what + ": asked for bytes from " + done + ", the registry sent from " + start);
                    }
                } else if (status == 416) {
                    RegistryTransport.discard(response);
                    throw new RegistryException(
                            RegistryException.Kind.DIGEST_MISMATCH,
                            what + ": the registry has no bytes past " + done + " but the descriptor says " + size,
                            416,
                            null);
                } else if (status != 200) {
                    throw transport.failure(call, response);
                }
                long length =
                        response.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (status == 200 && length >= 0 && length != size) {
                    RegistryTransport.discard(response);
                    throw new RegistryException(
                            RegistryException.Kind.DIGEST_MISMATCH,
                            what + ": the registry says the blob has " + length + " bytes, the descriptor " + size);
                }
                bodyStarted = true;
                try (InputStream in = new StallGuardedInputStream(response.body(), transport.readTimeout())) {
                    while (true) {
                        byte[] buffer = hasher.buffer();
                        int n;
                        try {
                            n = in.readNBytes(buffer, 0, buffer.length);
                        } catch (IOException e) {
                            hasher.giveBack(buffer);
                            throw e;
                        }
                        if (n == 0) {
                            hasher.giveBack(buffer);
                            break;
                        }
                        if (n > size - done) {
                            hasher.giveBack(buffer);
                            throw new RegistryException(
                                    RegistryException.Kind.DIGEST_MISMATCH,
                                    what + ": the registry sent more than the descriptor's " + size + " bytes");
                        }
                        hasher.submit(buffer, n);
                        done += n;
                        report.update(done, size);
                    }
                    if (done < size) {
                        broken = new EOFException("body ended after " + done + " of " + size + " bytes");
                    }
                } catch (IOException e) {
                    broken = e;
                }
            }
            if (broken == null) {
                break;
            }
            if (resumes >= maxResumes) {
                throw new RegistryException(
                        RegistryException.Kind.TRANSIENT,
                        what + ": transfer broke at byte " + done + " of " + size + " ("
                                + RegistryTransport.describe(broken) + ") and " + maxResumes + " resumes are used up",
                        0,
                        broken);
            }
            resumes++;
        }
        Digest actual = Digest.ofSha256(hasher.finish().digest());
        if (!actual.equals(blob.digest())) {
            throw new RegistryException(
                    RegistryException.Kind.DIGEST_MISMATCH,
                    what + ": the " + done + " bytes received hash to " + actual
                            + "; the blob is corrupt or was replaced");
        }
        return new RegistryClient.BlobResult(actual, done, resumes);
    }

    /**
     * Bytes {@code [offset, offset + length)} of a blob, with one {@code Range} request; nothing is
     * hashed (a part cannot be): callers check what they read against a verified pass over the
     * whole blob. A registry that answers without a 206 for exactly that range is INVALID.
     */
    byte[] readRange(String registry, String repository, Digest digest, long offset, int length) {
        String what = "read bytes " + offset + "+" + length + " of blob " + registry + "/" + repository + "@" + digest;
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("bad range " + offset + "+" + length);
        }
        URI uri = transport.url(registry, "/v2/" + RegistryTransport.repository(repository) + "/blobs/" + digest);
        RegistryTransport.Call call = transport.call(registry, what).uri(uri).pull(repository);
        call.header("Range", "bytes=" + offset + "-" + (offset + length - 1));
        HttpResponse<InputStream> response;
        try {
            response = transport.exchange(call);
        } catch (IOException e) {
            throw transport.unreachable(call, e);
        }
        int status = response.statusCode();
        if (status == 416) {
            RegistryTransport.discard(response);
            throw new RegistryException(
                    RegistryException.Kind.INVALID, what + ": the blob ends before that range", 416, null);
        }
        if (status == 200) {
            RegistryTransport.discard(response);
            throw new RegistryException(
                    RegistryException.Kind.INVALID, what + ": the registry ignored the Range request", 200, null);
        }
        if (status != 206) {
            throw transport.failure(call, response);
        }
        long start = contentRangeStart(call, response);
        if (start != offset) {
            RegistryTransport.discard(response);
            throw new RegistryException(
                    RegistryException.Kind.INVALID, what + ": the registry sent bytes from " + start);
        }
        byte[] out = new byte[length];
        try (InputStream in = new StallGuardedInputStream(response.body(), transport.readTimeout())) {
            int done = in.readNBytes(out, 0, length);
            if (done != length) {
                throw new RegistryException(
                        RegistryException.Kind.TRANSIENT, what + ": the body ended after " + done + " bytes");
            }
        } catch (IOException e) {
            throw new RegistryException(
                    RegistryException.Kind.TRANSIENT, what + ": " + RegistryTransport.describe(e), 0, e);
        }
        return out;
    }

    private static long contentRangeStart(RegistryTransport.Call call, HttpResponse<InputStream> response) {
        String range = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(range);
        if (!m.matches()) {
            RegistryTransport.discard(response);
            throw new RegistryException(
                    RegistryException.Kind.INVALID,
                    call.what + ": 206 without a usable Content-Range: " + RegistryTransport.printable(range));
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * SHA-256 and the sink's writes on a second thread, over a few filled buffers: reading the next
     * bytes from the socket overlaps hashing (and writing) the last ones, so a download is bound by
     * the slower of the two rather than their sum. Bytes are hashed and written in the order read;
     * a failure of the sink is thrown to the reader at its next step. A blob of at most one buffer
     * is hashed on the reader's thread instead (decision 011).
     */
    private static final class Hasher implements AutoCloseable {
        private static final int BUFFERS = 4;
        private static final int BUFFER = 1 << 20;
        private static final byte[] END = new byte[0];
        private static final byte[] RESTART = new byte[0];

        private record Filled(byte[] bytes, int length) {}

        private final MessageDigest sha;
        private final OutputStream sink;
        private final String what;
        private final java.util.concurrent.BlockingQueue<byte[]> free =
                new java.util.concurrent.ArrayBlockingQueue<>(BUFFERS);
        private final java.util.concurrent.BlockingQueue<Filled> full =
                new java.util.concurrent.ArrayBlockingQueue<>(BUFFERS + 2);
        private final java.util.concurrent.SynchronousQueue<Boolean> restarted =
                new java.util.concurrent.SynchronousQueue<>();
        private final Thread thread;
        private volatile RuntimeException failure;
        private boolean finished;

        /**
         * {@code remaining}: the bytes still to come. Up to one buffer's worth (signatures, manifests'
         * configs, small layers) is hashed on the caller's thread into one buffer of that size: a
         * second thread and 4 MiB of buffers cost more than they overlap there.
         */
        Hasher(MessageDigest sha, OutputStream sink, String what, long remaining) {
            this.sha = sha;
            this.sink = sink;
            this.what = what;
            if (remaining <= BUFFER) {
                free.add(new byte[(int) Math.max(remaining, 1)]);
                thread = null;
                return;
            }
            for (int i = 0; i < BUFFERS; i++) {
                free.add(new byte[BUFFER]);
            }
            thread = new Thread(this::run, "blob-hasher");
            thread.setDaemon(true);
            thread.start();
        }

        byte[] buffer() {
            rethrow();
            byte[] b = take(free);
            rethrow();
            return b;
        }

        void giveBack(byte[] buffer) {
            free.add(buffer);
        }

        void submit(byte[] buffer, int length) {
            if (thread == null) {
                sha.update(buffer, 0, length);
                giveBack(buffer);
                write(sink, buffer, length, what);
                return;
            }
            put(new Filled(buffer, length));
        }

        /** Everything so far hashed, then the hash starts over (a registry that ignored Range). */
        void restart() {
            if (thread == null) {
                sha.reset();
                return;
            }
            put(new Filled(RESTART, 0));
            take(restarted);
            rethrow();
        }

        MessageDigest finish() {
            finished = true;
            if (thread == null) {
                return sha;
            }
            put(new Filled(END, 0));
            join();
            rethrow();
            return sha;
        }

        @Override
        public void close() {
            if (!finished && thread != null) {
                thread.interrupt();
                join();
            }
        }

        private void run() {
            try {
                while (true) {
                    Filled f = full.take();
                    if (f.bytes() == END) {
                        return;
                    }
                    if (f.bytes() == RESTART) {
                        sha.reset();
                        restarted.put(Boolean.TRUE);
                        continue;
                    }
                    if (failure == null) {
                        try {
                            sha.update(f.bytes(), 0, f.length());
                            write(sink, f.bytes(), f.length(), what);
                        } catch (RuntimeException e) {
                            failure = e;
                        }
                    }
                    free.put(f.bytes());
                }
            } catch (InterruptedException e) {
                // the download was abandoned
            }
        }

        private void rethrow() {
            RuntimeException e = failure;
            if (e != null) {
                throw e;
            }
        }

        private void put(Filled f) {
            try {
                full.put(f);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(RegistryException.Kind.TRANSIENT, what + ": interrupted", 0, e);
            }
        }

        private <T> T take(java.util.concurrent.BlockingQueue<T> q) {
            try {
                return q.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(RegistryException.Kind.TRANSIENT, what + ": interrupted", 0, e);
            }
        }

        private void join() {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void write(OutputStream sink, byte[] buffer, int n, String what) {
        if (sink == null) {
            return;
        }
        try {
            sink.write(buffer, 0, n);
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": writing to the destination failed: " + e.getMessage(), e);
        }
    }
}
