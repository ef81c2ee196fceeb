package dev.powernode.common.oci;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 */
public final class RegistryClient {
    /** Accept header for manifest GET/HEAD (Debian's registry answers 404 without the OCI type). */
    public static final String MANIFEST_ACCEPT =
            String.join(", ", MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST, MediaTypes.OCI_INDEX);

    /** Reports blob transfer progress: bytes done so far of {@code total}. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> {};

        void update(long done, long total);
    }

    /** What a verified blob download produced. {@code resumes}: Range requests after broken transfers. */
    public record BlobResult(Digest digest, long size, int resumes) {}

    private final Builder config;

    private RegistryClient(Builder config) {
        this.config = config;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code GET /v2/}: reachable and credentials accepted; throws otherwise. */
    public void ping(String registry) {
        throw new UnsupportedOperationException("todo");
    }

    /**
     * GET a manifest by digest or tag. When {@code ref} has a digest, the bytes must hash to it
     * (else DIGEST_MISMATCH). Manifests over 4 MiB are refused (INVALID).
     */
    public Manifest getManifest(OciRef ref) {
        throw new UnsupportedOperationException("todo");
    }

    /** HEAD a manifest: its descriptor (digest from {@code Docker-Content-Digest}), or empty on 404. */
    public Optional<Descriptor> headManifest(OciRef ref) {
        throw new UnsupportedOperationException("todo");
    }

    /** PUT a manifest under {@code ref}'s tag or digest; returns the digest of {@code body}. */
    public Digest putManifest(OciRef ref, String mediaType, byte[] body) {
        throw new UnsupportedOperationException("todo");
    }

    /** DELETE a manifest by digest. Returns false when the registry says 404 (already gone). */
    public boolean deleteManifest(OciRef ref) {
        throw new UnsupportedOperationException("todo");
    }

    /**
     * Streams a blob into {@code sink} (may be null to only verify), hashing while reading in one
     * pass with bounded memory. A transfer that breaks (reset, truncated body, timeout mid-body) is
     * resumed with a {@code Range} request from the last byte received, up to the configured number
     * of resumes; if the registry ignores Range the transfer restarts only when {@code sink} is null
     * (nothing written yet to discard), else TRANSIENT. The result must match the descriptor's size
     * and digest, else DIGEST_MISMATCH.
     */
    public BlobResult fetchBlob(
            String registry, String repository, Descriptor blob, OutputStream sink, Progress progress) {
        throw new UnsupportedOperationException("todo");
    }

    /** HEAD a blob: true when present. */
    public boolean blobExists(String registry, String repository, Digest digest) {
        throw new UnsupportedOperationException("todo");
    }

    /** Monolithic upload of a small blob (POST + PUT?digest=); skipped when it already exists. */
    public Descriptor pushBlob(String registry, String repository, byte[] content, String mediaType) {
        throw new UnsupportedOperationException("todo");
    }

    /**
     * Uploads a file, skipped when the registry already has it. Files up to the chunk size go in
     * one request; larger ones as a chunked upload (POST, PATCH per chunk with Content-Range, PUT
     * ?digest=), reporting progress. The digest is computed while reading.
     */
    public Descriptor pushBlob(String registry, String repository, Path file, String mediaType, Progress progress) {
        throw new UnsupportedOperationException("todo");
    }

    /** Uploads a stream of known digest and size (chunked when larger than the chunk size). */
    public Descriptor pushBlob(
            String registry,
            String repository,
            InputStream content,
            Digest digest,
            long size,
            String mediaType,
            Progress progress) {
        throw new UnsupportedOperationException("todo");
    }

    /** All tags of a repository (follows {@code Link} pagination). Empty when the repository is unknown. */
    public List<String> listTags(String registry, String repository) {
        throw new UnsupportedOperationException("todo");
    }

    /**
     * Manifests that name {@code subject} as their subject: the referrers API
     * ({@code GET /v2/<name>/referrers/<digest>}), or when the registry lacks it (404) the
     * tag-schema fallback index at tag {@code sha256-<hex>}. Filtered by {@code artifactType} if
     * not null. Empty when there are none.
     */
    public List<Descriptor> referrers(String registry, String repository, Digest subject, String artifactType) {
        throw new UnsupportedOperationException("todo");
    }

    /** Configuration; {@link #build()} makes an immutable, thread-safe client. */
    public static final class Builder {
        final Set<String> allowedRegistries = new HashSet<>();
        boolean allowAnyRegistry;
        final Set<String> plainHttpRegistries = new HashSet<>();
        final Map<String, String[]> credentials = new HashMap<>();
        Duration connectTimeout = Duration.ofSeconds(10);
        Duration readTimeout = Duration.ofSeconds(60);
        int maxResumes = 5;
        long chunkSize = 16L * 1024 * 1024;

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

        public Builder credentials(String registry, String username, String password) {
            credentials.put(registry, new String[] {username, password});
            return this;
        }

        public Builder connectTimeout(Duration d) {
            connectTimeout = d;
            return this;
        }

        /** Longest wait for the next bytes of a response (a stalled transfer counts as broken). */
        public Builder readTimeout(Duration d) {
            readTimeout = d;
            return this;
        }

        public Builder maxResumes(int n) {
            maxResumes = n;
            return this;
        }

        public Builder chunkSize(long bytes) {
            chunkSize = bytes;
            return this;
        }

        public RegistryClient build() {
            return new RegistryClient(this);
        }
    }
}
