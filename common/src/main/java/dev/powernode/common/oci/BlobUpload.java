package dev.powernode.common.oci;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The distribution blob upload protocol for {@link RegistryClient}: start a session (POST), send
 * the content in one PUT {@code ?digest=} or as PATCH chunks with {@code Content-Range} before an
 * empty committing PUT, follow the session's {@code Location} from answer to answer, and cancel
 * the session when anything fails. Content is hashed as it is sent, so content that does not match
 * its digest is caught before the upload is committed. Whether a blob needs uploading at all is
 * the caller's concern.
 */
final class BlobUpload {
    // Upload requests get readTimeout plus the time to send their body at this (slow) rate, so a
    // large chunk on a poor link is not cut off while a registry that never answers still is.
    private static final long MIN_UPLOAD_BYTES_PER_SECOND = 64 * 1024;

    private final RegistryTransport transport;
    private final long chunkSize;

    BlobUpload(RegistryTransport transport, long chunkSize) {
        this.transport = transport;
        this.chunkSize = chunkSize;
    }

    /** Uploads {@code content} (already hashed to {@code digest}) in one request. */
    void putWhole(String registry, String repository, Digest digest, byte[] content, String what) {
        URI location = start(registry, repository, what);
        finish(
                registry,
                repository,
                location,
                digest,
                () -> BodyPublishers.ofByteArray(content),
                null,
                content.length,
                what);
    }

    /**
     * Uploads {@code size} bytes of {@code content}: in one request up to the chunk size, else in
     * chunks. Content that does not hash to {@code digest} or is short is DIGEST_MISMATCH, and the
     * session is cancelled on any failure.
     */
    void stream(
            String registry,
            String repository,
            InputStream content,
            Digest digest,
            long size,
            RegistryClient.Progress report,
            String what) {
        URI location = start(registry, repository, what);
        try {
            MessageDigest sha = Digest.hasher();
            if (size <= chunkSize) {
                Chunk chunk = new Chunk(content, size, sha);
                finish(registry, repository, location, digest, chunk::publisher, chunk, size, what);
                report.update(size, size);
                return;
            }
            long offset = 0;
            while (offset < size) {
                long length = Math.min(chunkSize, size - offset);
                Chunk chunk = new Chunk(content, length, sha);
                RegistryTransport.Call call = transport
                        .call(registry, what)
                        .method("PATCH")
                        .uri(location)
                        .push(repository)
                        .header("Content-Type", MediaTypes.OCTET_STREAM)
                        .header("Content-Range", offset + "-" + (offset + length - 1))
                        .body(chunk::publisher, false)
                        .timeout(timeout(length));
                HttpResponse<InputStream> response = sendChunk(call, chunk, size);
                if (response.statusCode() != 202) {
                    throw transport.failure(call, response);
                }
                location = location(call, response);
                RegistryTransport.discard(response);
                offset += length;
                report.update(offset, size);
            }
            Digest actual = Digest.ofSha256(sha.digest());
            if (!actual.equals(digest)) {
                throw new RegistryException(
                        RegistryException.Kind.DIGEST_MISMATCH,
                        what + ": the content hashes to " + actual + "; upload abandoned");
            }
            finish(registry, repository, location, digest, BodyPublishers::noBody, null, 0, what);
        } catch (RuntimeException e) {
            cancel(registry, repository, location);
            throw e;
        }
    }

    /** Opens an upload session and returns its location (see {@link RegistryClient#startUpload}). */
    URI open(String registry, String repository) {
        return start(registry, repository, "start upload to " + registry + "/" + repository);
    }

    /**
     * Appends {@code length} bytes at {@code offset} of a session (one PATCH with {@code
     * Content-Range}) and returns the session's next location. The session is not cancelled when
     * this fails: the caller decides whether to continue it or start again.
     */
    URI append(String registry, String repository, URI location, long offset, byte[] bytes, int length) {
        RegistryTransport.Call call = transport
                .call(registry, "upload " + length + " bytes at " + offset + " to " + registry + "/" + repository)
                .method("PATCH")
                .uri(checkedLocation(registry, location))
                .push(repository)
                .header("Content-Type", MediaTypes.OCTET_STREAM)
                .header("Content-Range", offset + "-" + (offset + length - 1))
                .body(() -> BodyPublishers.ofByteArray(bytes, 0, length), true)
                .timeout(timeout(length));
        HttpResponse<InputStream> response = transport.send(call);
        if (response.statusCode() != 202) {
            throw transport.failure(call, response);
        }
        RegistryTransport.discard(response);
        return location(call, response);
    }

    /** Commits a session whose bytes were all appended, as {@code digest} (the registry re-checks it). */
    void commit(String registry, String repository, URI location, Digest digest) {
        finish(
                registry,
                repository,
                checkedLocation(registry, location),
                digest,
                BodyPublishers::noBody,
                null,
                0,
                "commit upload of " + digest + " to " + registry + "/" + repository);
    }

    /** Cancels a session (best effort: the registry also purges abandoned sessions itself). */
    void abandon(String registry, String repository, URI location) {
        cancel(registry, repository, checkedLocation(registry, location));
    }

    /** A stored session location must still name the registry, or one on the allow-list. */
    private URI checkedLocation(String registry, URI location) {
        if (!"http".equals(location.getScheme()) && !"https".equals(location.getScheme())
                || location.getRawAuthority() == null) {
            throw new RegistryException(RegistryException.Kind.INVALID, "unusable upload location " + location);
        }
        if (!transport.reaches(location, registry)) {
            transport.requireAllowed(location.getRawAuthority());
        }
        return location;
    }

    private URI start(String registry, String repository, String what) {
        RegistryTransport.Call call = transport
                .call(registry, what)
                .method("POST")
                .uri(transport.url(registry, "/v2/" + RegistryTransport.repository(repository) + "/blobs/uploads/"))
                .push(repository)
                .body(BodyPublishers::noBody, true);
        HttpResponse<InputStream> response = transport.send(call);
        if (response.statusCode() != 202) {
            throw transport.failure(call, response);
        }
        RegistryTransport.discard(response);
        return location(call, response);
    }

    private void finish(
            String registry,
            String repository,
            URI location,
            Digest digest,
            Supplier<BodyPublisher> body,
            Chunk streamed,
            long length,
            String what) {
        String separator = location.getRawQuery() == null ? "?" : "&";
        RegistryTransport.Call call = transport
                .call(registry, what)
                .method("PUT")
                .uri(URI.create(location + separator + "digest=" + RegistryTransport.encode(digest.toString())))
                .push(repository)
                // distribution 2.8 silently stores nothing for a PUT without this type
                .header("Content-Type", MediaTypes.OCTET_STREAM)
                .body(body, streamed == null)
                .timeout(timeout(length));
        HttpResponse<InputStream> response =
                streamed != null ? sendChunk(call, streamed, length) : transport.send(call);
        if (response.statusCode() != 201 && response.statusCode() != 204) {
            throw transport.failure(call, response);
        }
        RegistryTransport.discard(response);
        String stored = response.headers().firstValue("Docker-Content-Digest").orElse(null);
        if (stored != null && !stored.equals(digest.toString())) {
            throw new RegistryException(
                    RegistryException.Kind.DIGEST_MISMATCH, what + ": the registry stored the upload as " + stored);
        }
    }

    /** Sends a request with a one-shot streamed body, telling a short source from a broken connection. */
    private HttpResponse<InputStream> sendChunk(RegistryTransport.Call call, Chunk source, long size) {
        try {
            return transport.exchange(call);
        } catch (IOException e) {
            if (source.failure != null) {
                if (source.failure instanceof EOFException) {
                    throw new RegistryException(
                            RegistryException.Kind.DIGEST_MISMATCH,
                            call.what + ": the content ended before its declared size of " + size + " bytes");
                }
                throw new UncheckedIOException(
                        call.what + ": reading the content failed: " + source.failure.getMessage(), source.failure);
            }
            throw transport.unreachable(call, e);
        }
    }

    private void cancel(String registry, String repository, URI location) {
        // Best effort: the registry purges abandoned uploads itself eventually.
        try {
            RegistryTransport.Call call = transport
                    .call(registry, "cancel upload to " + registry + "/" + repository)
                    .method("DELETE")
                    .uri(location)
                    .push(repository);
            HttpResponse<InputStream> response = transport.exchange(call);
            if (response != null) {
                RegistryTransport.discard(response);
            }
        } catch (IOException | RuntimeException ignored) {
            // the original failure is what the caller needs to see
        }
    }

    /**
     * The session URL an answer names. It may be on another host (upload storage), which must then
     * be a registry on the allow-list like any other.
     */
    private URI location(RegistryTransport.Call call, HttpResponse<InputStream> response) {
        String location = response.headers()
                .firstValue("Location")
                .orElseThrow(() -> new RegistryException(
                        RegistryException.Kind.INVALID,
                        call.what + ": the registry answered " + response.statusCode() + " without a Location"));
        URI resolved;
        try {
            resolved = call.uri.resolve(location);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(
                    RegistryException.Kind.INVALID, call.what + ": unusable upload Location: " + e.getMessage());
        }
        if (!"http".equals(resolved.getScheme()) && !"https".equals(resolved.getScheme())
                || resolved.getRawAuthority() == null) {
            throw new RegistryException(RegistryException.Kind.INVALID, call.what + ": unusable upload Location");
        }
        if (!transport.reaches(resolved, call.registry)) {
            if (!OciRef.isRegistry(resolved.getRawAuthority())) {
                throw new RegistryException(
                        RegistryException.Kind.INVALID, call.what + ": unusable upload Location authority");
            }
            transport.requireAllowed(resolved.getRawAuthority());
        }
        return resolved;
    }

    private Duration timeout(long bytes) {
        return transport.readTimeout().plusSeconds(bytes / MIN_UPLOAD_BYTES_PER_SECOND);
    }

    /**
     * Exactly {@code length} bytes of the caller's stream, hashed as the HTTP client reads them. A
     * stream that ends early fails the request (rather than sending a short body) and is recorded
     * so the caller can tell it from a network failure.
     */
    private static final class Chunk extends InputStream {
        private final InputStream source;
        private final MessageDigest sha;
        private final long length;
        private long remaining;
        private boolean used;
        volatile IOException failure;

        Chunk(InputStream source, long length, MessageDigest sha) {
            this.source = source;
            this.length = length;
            this.remaining = length;
            this.sha = sha;
        }

        BodyPublisher publisher() {
            if (used) {
                throw new IllegalStateException("a streamed chunk can be sent once");
            }
            used = true;
            return BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(() -> this), length);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) {
                return -1;
            }
            int n;
            try {
                n = source.read(b, off, (int) Math.min(len, remaining));
            } catch (IOException e) {
                failure = e;
                throw e;
            }
            if (n == -1) {
                failure = new EOFException("content ended " + remaining + " bytes short");
                throw failure;
            }
            sha.update(b, off, n);
            remaining -= n;
            return n;
        }
    }
}
