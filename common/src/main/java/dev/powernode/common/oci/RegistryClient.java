package dev.powernode.common.oci;

import static dev.powernode.common.oci.RegistryTransport.discard;
import static dev.powernode.common.oci.RegistryTransport.mediaType;
import static dev.powernode.common.oci.RegistryTransport.repository;

import dev.powernode.common.oci.RegistryTransport.Call;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A client of the OCI distribution API v2 over {@code java.net.http}, shared by the platform
 * (ingest, retention) and the CLI (publish, agent fetch).
 *
 * <p>Every call names the registry explicitly; a registry not on the allow-list is refused with
 * {@link RegistryException.Kind#HOST_NOT_ALLOWED} before any connection is made. Authentication
 * follows the registry's {@code WWW-Authenticate} challenge: Basic with the configured credentials,
 * or Bearer (token fetched from the challenge's realm with service and scope, using the
 * credentials if any; tokens cached per scope until they expire). Errors are
 * {@link RegistryException}s whose kind says whether a retry can help. Thread-safe.
 *
 * <p>Redirects (blob storage behind a CDN) are followed for GET and HEAD; credentials are only
 * ever sent to the registry itself, and leaving the registry's host requires https. A Bearer realm
 * must be https too, except for a plain-http (loopback development) registry whose token service
 * runs on the same host.
 *
 * <p>This class is the facade: its contract, and which part does each operation. Each concern that
 * changes for its own reasons is a package-private part: {@link ManifestOperations} (manifest GET,
 * HEAD, PUT, DELETE and their digest checks), {@link Listings} (tags and referrers, paginated),
 * {@link BlobUpload} (the upload session protocol), {@link BlobDownload} (the verified, resumable
 * fetch), {@link RegistryTransport} (allow-list, requests, redirects, error mapping) and
 * {@link RegistryAuth} (the challenge and token cache).
 */
public final class RegistryClient {
    /** Blob transfers go through one buffer of this size: memory does not grow with the blob. */
    static final int BUFFER_BYTES = 128 * 1024;

    /** Reports blob transfer progress: bytes done so far of {@code total}. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> {};

        void update(long done, long total);
    }

    /** What a verified blob download produced. {@code resumes}: Range requests after broken transfers. */
    public record BlobResult(Digest digest, long size, int resumes) {}

    private final RegistryTransport transport;
    private final BlobUpload uploads;
    private final BlobDownload downloads;
    private final ManifestOperations manifests;
    private final Listings listings;

    private RegistryClient(Builder config) {
        this.transport = new RegistryTransport(config);
        this.uploads = new BlobUpload(transport, config.chunkSize);
        this.downloads = new BlobDownload(transport, config.maxResumes);
        this.manifests = new ManifestOperations(transport);
        this.listings = new Listings(transport, manifests, config.clock);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code GET /v2/}: reachable and credentials accepted; throws otherwise. */
    public void ping(String registry) {
        Call call = transport.call(registry, "ping " + registry).uri(transport.url(registry, "/v2/"));
        HttpResponse<InputStream> response = transport.send(call);
        if (response.statusCode() != 200) {
            throw transport.failure(call, response);
        }
        discard(response);
    }

    /**
     * GET a manifest by digest or tag. When {@code ref} has a digest, the bytes must hash to it
     * (else DIGEST_MISMATCH). Manifests over 4 MiB are refused (INVALID). An index comes back with
     * a null config and its {@code manifests} as layers.
     */
    public Manifest getManifest(OciRef ref) {
        return manifests.get(ref);
    }

    /** HEAD a manifest: its descriptor (digest from {@code Docker-Content-Digest}), or empty on 404. */
    public Optional<Descriptor> headManifest(OciRef ref) {
        return manifests.head(ref);
    }

    /** PUT a manifest under {@code ref}'s tag or digest; returns the digest of {@code body}. */
    public Digest putManifest(OciRef ref, String mediaType, byte[] body) {
        return manifests.put(ref, mediaType, body);
    }

    /**
     * DELETE a manifest by digest. Returns false when the registry says 404 (already gone). A tag
     * reference is resolved to the digest it points at, and that manifest is deleted, with every
     * tag on it: distribution registries cannot remove just a tag.
     */
    public boolean deleteManifest(OciRef ref) {
        return manifests.delete(ref);
    }

    /**
     * Streams a blob into {@code sink} (may be null to only verify), hashing while reading in one
     * pass with bounded memory. A transfer that breaks (reset, truncated body, timeout mid-body) is
     * resumed with a {@code Range} request from the last byte received, up to the configured number
     * of resumes; if the registry ignores Range the transfer restarts only when {@code sink} is null
     * (nothing written yet to discard), else TRANSIENT. The result must match the descriptor's size
     * and digest, else DIGEST_MISMATCH. A failure of {@code sink} itself is an
     * {@link UncheckedIOException}, not a registry error.
     */
    public BlobResult fetchBlob(
            String registry, String repository, Descriptor blob, OutputStream sink, Progress progress) {
        Objects.requireNonNull(blob, "blob");
        return downloads.fetch(registry, repository, blob, sink, progress == null ? Progress.NONE : progress);
    }

    /**
     * {@link #fetchBlob} continued after a restart: the caller already holds the blob's first
     * {@code offset} bytes (e.g. a partial file from an interrupted run) and has fed them to
     * {@code prefix} (from {@link Digest#hasher()}); the rest is requested with {@code Range} and
     * appended to {@code sink}, and the whole must still match the descriptor. A registry that
     * ignores Range is TRANSIENT (the caller starts over from 0).
     */
    public BlobResult fetchBlobFrom(
            String registry,
            String repository,
            Descriptor blob,
            long offset,
            java.security.MessageDigest prefix,
            OutputStream sink,
            Progress progress) {
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(prefix, "prefix");
        return downloads.fetch(
                registry, repository, blob, offset, prefix, sink, progress == null ? Progress.NONE : progress);
    }

    /**
     * Bytes {@code [offset, offset + length)} of a blob by one {@code Range} request, unverified:
     * check them against a later {@link #fetchBlob} of the whole blob (as provisioning does).
     */
    public byte[] readBlobRange(String registry, String repository, Digest digest, long offset, int length) {
        Objects.requireNonNull(digest, "digest");
        return downloads.readRange(registry, repository, digest, offset, length);
    }

    /** HEAD a blob: true when present. */
    public boolean blobExists(String registry, String repository, Digest digest) {
        Call call = transport
                .call(registry, "check blob " + registry + "/" + repository + "@" + digest)
                .method("HEAD")
                .uri(transport.url(registry, "/v2/" + repository(repository) + "/blobs/" + digest))
                .pull(repository);
        HttpResponse<InputStream> response = transport.send(call);
        int status = response.statusCode();
        if (status != 200 && status != 404) {
            throw transport.failure(call, response);
        }
        discard(response);
        return status == 200;
    }

    /** Monolithic upload of a small blob (POST + PUT?digest=); skipped when it already exists. */
    public Descriptor pushBlob(String registry, String repository, byte[] content, String mediaType) {
        byte[] copy = content.clone();
        Descriptor descriptor = Descriptor.of(mediaType, Digest.of(copy), copy.length);
        if (blobExists(registry, repository, descriptor.digest())) {
            return descriptor;
        }
        String what = "push blob " + descriptor.digest() + " to " + registry + "/" + repository;
        uploads.putWhole(registry, repository, descriptor.digest(), copy, what);
        return descriptor;
    }

    /**
     * Uploads a file, skipped when the registry already has it. Files up to the chunk size go in
     * one request; larger ones as a chunked upload (POST, PATCH per chunk with Content-Range, PUT
     * ?digest=), reporting progress. The digest is computed while reading: once up front, to skip
     * blobs the registry already has without sending them, and again while uploading, so a file
     * that changes meanwhile is caught before the upload is committed.
     */
    public Descriptor pushBlob(String registry, String repository, Path file, String mediaType, Progress progress) {
        long size;
        Digest digest;
        try (InputStream in = Files.newInputStream(file)) {
            size = Files.size(file);
            MessageDigest sha = Digest.hasher();
            byte[] buffer = new byte[BUFFER_BYTES];
            int n;
            while ((n = in.read(buffer)) != -1) {
                sha.update(buffer, 0, n);
            }
            digest = Digest.ofSha256(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return pushBlob(registry, repository, in, digest, size, mediaType, progress);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Uploads a stream of known digest and size (chunked when larger than the chunk size), skipped
     * when the registry already has it. Content that does not hash to {@code digest} or has
     * another size is DIGEST_MISMATCH and nothing is committed.
     */
    public Descriptor pushBlob(
            String registry,
            String repository,
            InputStream content,
            Digest digest,
            long size,
            String mediaType,
            Progress progress) {
        Progress report = progress == null ? Progress.NONE : progress;
        Descriptor descriptor = Descriptor.of(mediaType, digest, size);
        if (blobExists(registry, repository, digest)) {
            report.update(size, size);
            return descriptor;
        }
        String what = "push blob " + digest + " to " + registry + "/" + repository;
        uploads.stream(registry, repository, content, digest, size, report, what);
        return descriptor;
    }

    /**
     * Opens a blob upload session that any process may continue: the returned location (and the
     * offset reached) can be stored and handed to {@link #appendUpload} elsewhere. Distribution
     * keeps the session's bytes and hash state in its own storage until the session is committed,
     * cancelled, or purged as abandoned.
     */
    public String startUpload(String registry, String repository) {
        return uploads.open(registry, repository).toString();
    }

    /**
     * Appends {@code length} bytes of {@code bytes} at {@code offset} to a session and returns its
     * next location (store it: the registry may refuse an older one). A failure leaves the session
     * as the registry has it; nothing is cancelled.
     */
    public String appendUpload(
            String registry, String repository, String location, long offset, byte[] bytes, int length) {
        if (length <= 0 || length > bytes.length || offset < 0) {
            throw new IllegalArgumentException("bad chunk: " + length + " bytes at " + offset);
        }
        return uploads.append(registry, repository, URI.create(location), offset, bytes, length)
                .toString();
    }

    /**
     * Commits a session as the blob {@code digest}; the registry refuses it when its bytes hash
     * otherwise (DIGEST_MISMATCH or a 400), and nothing is stored.
     */
    public Descriptor commitUpload(
            String registry, String repository, String location, Digest digest, long size, String mediaType) {
        uploads.commit(registry, repository, URI.create(location), digest);
        return Descriptor.of(mediaType, digest, size);
    }

    /** Cancels a session; best effort, never throws. */
    public void cancelUpload(String registry, String repository, String location) {
        try {
            uploads.abandon(registry, repository, URI.create(location));
        } catch (RuntimeException ignored) {
            // the registry purges abandoned sessions itself
        }
    }

    /** All tags of a repository (follows {@code Link} pagination). Empty when the repository is unknown. */
    public List<String> listTags(String registry, String repository) {
        return listings.tags(registry, repository);
    }

    /**
     * Manifests that name {@code subject} as their subject: the referrers API
     * ({@code GET /v2/<name>/referrers/<digest>}), or when the registry lacks it (404) the
     * tag-schema fallback index at tag {@code sha256-<hex>}. Filtered by {@code artifactType} if
     * not null. Empty when there are none.
     */
    public List<Descriptor> referrers(String registry, String repository, Digest subject, String artifactType) {
        return listings.referrers(registry, repository, subject, artifactType);
    }

    /** Configuration; {@link #build()} makes an immutable, thread-safe client. */
    public static final class Builder {
        final Set<String> allowedRegistries = new HashSet<>();
        boolean allowAnyRegistry;
        final Set<String> plainHttpRegistries = new HashSet<>();
        final Map<String, String[]> credentials = new HashMap<>();
        final Map<String, String> endpoints = new HashMap<>();
        Duration connectTimeout = Duration.ofSeconds(10);
        Duration readTimeout = Duration.ofSeconds(60);
        int maxResumes = 5;
        long chunkSize = 16L * 1024 * 1024;
        Clock clock = Clock.systemUTC();

        /** Registries ({@code host[:port]}) calls may go to. Nothing is allowed by default. */
        public Builder allowRegistries(Set<String> registries) {
            allowedRegistries.addAll(registries);
            return this;
        }

        /** For the CLI, where the operator names the registry: every host allowed. */
        public Builder allowAnyRegistry() {
            allowAnyRegistry = true;
            return this;
        }

        /** Registries reached over plain http (loopback development registries); all others use https. */
        public Builder plainHttp(Set<String> registries) {
            plainHttpRegistries.addAll(registries);
            return this;
        }

        /**
         * Dial {@code hostPort} for {@code registry} (a name in references stays {@code registry}:
         * credentials, plain http and allow-lists are keyed by it). For a node whose only way to the
         * registry is a forwarded address, as a QEMU guest's {@code guestfwd}.
         */
        public Builder endpoint(String registry, String hostPort) {
            endpoints.put(registry.toLowerCase(java.util.Locale.ROOT), hostPort);
            return this;
        }

        public Builder credentials(String registry, String username, String password) {
            credentials.put(registry, new String[] {username, password});
            return this;
        }

        public Builder connectTimeout(Duration d) {
            connectTimeout = positive(d, "connectTimeout");
            return this;
        }

        /** Longest wait for the next bytes of a response (a stalled transfer counts as broken). */
        public Builder readTimeout(Duration d) {
            readTimeout = positive(d, "readTimeout");
            return this;
        }

        /** How often one blob download resumes after a broken transfer before it fails; 0 never. */
        public Builder maxResumes(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxResumes must be >= 0, got " + n);
            }
            maxResumes = n;
            return this;
        }

        /** Largest upload request; bigger blobs go in chunks of this size. */
        public Builder chunkSize(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("chunkSize must be > 0, got " + bytes);
            }
            chunkSize = bytes;
            return this;
        }

        /** Clock for token expiry. */
        public Builder clock(Clock c) {
            clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        /** An immutable, thread-safe client; each setting was checked where it was given. */
        public RegistryClient build() {
            return new RegistryClient(this);
        }

        private static Duration positive(Duration d, String name) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }
    }
}
