package dev.powernode.common.oci;

import static dev.powernode.common.oci.RegistryTransport.discard;
import static dev.powernode.common.oci.RegistryTransport.encode;
import static dev.powernode.common.oci.RegistryTransport.json;
import static dev.powernode.common.oci.RegistryTransport.mediaType;
import static dev.powernode.common.oci.RegistryTransport.repository;

import dev.powernode.common.oci.RegistryTransport.Call;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

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
 * <p>This class holds the registry operations only; each concern that changes for its own reasons
 * is a package-private part: {@link RegistryTransport} (allow-list, requests, redirects, error
 * mapping), {@link RegistryAuth} (the challenge and token cache), {@link BlobUpload} (the upload
 * session protocol) and {@link BlobDownload} (the verified, resumable fetch).
 */
public final class RegistryClient {
    /** Accept header for manifest GET/HEAD (Debian's registry answers 404 without the OCI type). */
    public static final String MANIFEST_ACCEPT =
            String.join(", ", MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST, MediaTypes.OCI_INDEX);

    /** Largest manifest (or index, tags page) accepted: the size registries must accept per the spec. */
    public static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

    /** Blob transfers go through one buffer of this size: memory does not grow with the blob. */
    static final int BUFFER_BYTES = 128 * 1024;

    private static final int MAX_PAGES = 10_000;

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

    private RegistryClient(Builder config) {
        this.transport = new RegistryTransport(config);
        this.uploads = new BlobUpload(transport, config.chunkSize);
        this.downloads = new BlobDownload(transport, config.maxResumes);
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
        Call call = manifestCall(ref, "get manifest " + ref, "GET");
        HttpResponse<InputStream> response = transport.send(call);
        if (response.statusCode() != 200) {
            throw transport.failure(call, response);
        }
        String contentType = mediaType(response);
        String claimed = response.headers().firstValue("Docker-Content-Digest").orElse(null);
        byte[] raw = transport.readBody(call, response, MAX_MANIFEST_BYTES);
        Digest actual = sha256(raw);
        if (ref.digest() != null && !ref.digest().equals(actual)) {
            throw new RegistryException(
                    RegistryException.Kind.DIGEST_MISMATCH,
                    call.what + ": the registry served bytes that hash to " + actual + "; refusing them");
        }
        if (claimed != null && !claimed.equals(actual.toString())) {
            throw new RegistryException(
                    RegistryException.Kind.DIGEST_MISMATCH,
                    call.what + ": the registry says the manifest is " + claimed + " but its bytes hash to " + actual);
        }
        try {
            return ManifestJson.manifest(actual, raw, contentType);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(RegistryException.Kind.INVALID, call.what + ": " + e.getMessage());
        }
    }

    /** HEAD a manifest: its descriptor (digest from {@code Docker-Content-Digest}), or empty on 404. */
    public Optional<Descriptor> headManifest(OciRef ref) {
        Call call = manifestCall(ref, "head manifest " + ref, "HEAD");
        HttpResponse<InputStream> response = transport.send(call);
        if (response.statusCode() == 404) {
            discard(response);
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw transport.failure(call, response);
        }
        discard(response);
        String claimed = response.headers().firstValue("Docker-Content-Digest").orElse(null);
        long size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        String mediaType = mediaType(response);
        if (claimed == null || size < 0 || mediaType == null) {
            // Some registries leave these out of HEAD answers; the body tells us all of it.
            Manifest manifest = getManifest(ref);
            return Optional.of(Descriptor.of(manifest.mediaType(), manifest.digest(), manifest.raw().length));
        }
        Digest digest;
        try {
            digest = Digest.parse(claimed);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(
                    RegistryException.Kind.INVALID, call.what + ": unusable Docker-Content-Digest: " + e.getMessage());
        }
        if (ref.digest() != null && !ref.digest().equals(digest)) {
            throw new RegistryException(
                    RegistryException.Kind.DIGEST_MISMATCH, call.what + ": the registry answered for " + digest);
        }
        return Optional.of(Descriptor.of(mediaType, digest, size));
    }

    /** PUT a manifest under {@code ref}'s tag or digest; returns the digest of {@code body}. */
    public Digest putManifest(OciRef ref, String mediaType, byte[] body) {
        Objects.requireNonNull(mediaType, "mediaType");
        if (body.length > MAX_MANIFEST_BYTES) {
            throw new IllegalArgumentException("manifest of " + body.length + " bytes is over the 4 MiB limit");
        }
        Digest digest = sha256(body);
        if (ref.digest() != null && !ref.digest().equals(digest)) {
            throw new IllegalArgumentException("manifest bytes hash to " + digest + ", not to " + ref.digest());
        }
        byte[] copy = body.clone();
        Call call = transport
                .call(ref.registry(), "put manifest " + ref)
                .method("PUT")
                .uri(manifestUrl(ref))
                .push(ref.repository())
                .header("Content-Type", mediaType)
                .body(() -> BodyPublishers.ofByteArray(copy), true);
        HttpResponse<InputStream> response = transport.send(call);
        if (response.statusCode() / 100 != 2) {
            throw transport.failure(call, response);
        }
        discard(response);
        String stored = response.headers().firstValue("Docker-Content-Digest").orElse(null);
        if (stored != null && !stored.equals(digest.toString())) {
            throw new RegistryException(
                    RegistryException.Kind.DIGEST_MISMATCH,
                    call.what + ": the registry stored it as " + stored + " but the bytes hash to " + digest);
        }
        return digest;
    }

    /**
     * DELETE a manifest by digest. Returns false when the registry says 404 (already gone). A tag
     * reference is resolved to the digest it points at, and that manifest is deleted, with every
     * tag on it: distribution registries cannot remove just a tag.
     */
    public boolean deleteManifest(OciRef ref) {
        OciRef byDigest = ref;
        if (ref.digest() == null) {
            Optional<Descriptor> current = headManifest(ref);
            if (current.isEmpty()) {
                return false;
            }
            byDigest = ref.withDigest(current.get().digest());
        }
        Call call = transport
                .call(byDigest.registry(), "delete manifest " + byDigest)
                .method("DELETE")
                .uri(manifestUrl(byDigest))
                .scope(byDigest.repository(), "delete");
        HttpResponse<InputStream> response = transport.send(call);
        if (response.statusCode() == 404) {
            discard(response);
            return false;
        }
        if (response.statusCode() / 100 != 2) {
            throw transport.failure(call, response);
        }
        discard(response);
        return true;
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
        Progress report = progress == null ? Progress.NONE : progress;
        Objects.requireNonNull(blob, "blob");
        return downloads.fetch(registry, repository, blob, sink, progress == null ? Progress.NONE : progress);
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
        Descriptor descriptor = Descriptor.of(mediaType, sha256(copy), copy.length);
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
            MessageDigest sha = sha256();
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

    /** All tags of a repository (follows {@code Link} pagination). Empty when the repository is unknown. */
    public List<String> listTags(String registry, String repository) {
        String what = "list tags of " + registry + "/" + repository;
        List<String> tags = new ArrayList<>();
        URI next = transport.url(registry, "/v2/" + repository(repository) + "/tags/list");
        Set<URI> seen = new HashSet<>();
        while (next != null) {
            if (seen.size() >= MAX_PAGES || !seen.add(next)) {
                throw new RegistryException(RegistryException.Kind.INVALID, what + ": pagination does not end");
            }
            Call call =
                    transport.call(registry, what).uri(next).pull(repository).header("Accept", "application/json");
            HttpResponse<InputStream> response = transport.send(call);
            if (response.statusCode() == 404 && seen.size() == 1) {
                discard(response);
                return List.of();
            }
            if (response.statusCode() != 200) {
                throw transport.failure(call, response);
            }
            URI following = transport.nextPage(call, response);
            JsonNode page = json(call, transport.readBody(call, response, MAX_MANIFEST_BYTES));
            JsonNode pageTags = page.get("tags");
            if (pageTags != null && !pageTags.isNull()) {
                if (!pageTags.isArray()) {
                    throw new RegistryException(RegistryException.Kind.INVALID, what + ": tags is not an array");
                }
                for (JsonNode tag : pageTags) {
                    if (!tag.isString()) {
                        throw new RegistryException(RegistryException.Kind.INVALID, what + ": a tag is not a string");
                    }
                    tags.add(tag.stringValue());
                }
            }
            next = following;
        }
        return tags;
    }

    /**
     * Manifests that name {@code subject} as their subject: the referrers API
     * ({@code GET /v2/<name>/referrers/<digest>}), or when the registry lacks it (404) the
     * tag-schema fallback index at tag {@code sha256-<hex>}. Filtered by {@code artifactType} if
     * not null. Empty when there are none.
     */
    public List<Descriptor> referrers(String registry, String repository, Digest subject, String artifactType) {
        String what = "list referrers of " + registry + "/" + repository + "@" + subject;
        String query = artifactType == null ? "" : "?artifactType=" + encode(artifactType);
        URI next = transport.url(registry, "/v2/" + repository(repository) + "/referrers/" + subject + query);
        List<Descriptor> found = new ArrayList<>();
        Set<URI> seen = new HashSet<>();
        while (next != null) {
            if (seen.size() >= MAX_PAGES || !seen.add(next)) {
                throw new RegistryException(RegistryException.Kind.INVALID, what + ": pagination does not end");
            }
            Call call =
                    transport.call(registry, what).uri(next).pull(repository).header("Accept", MediaTypes.OCI_INDEX);
            HttpResponse<InputStream> response = transport.send(call);
            int status = response.statusCode();
            if ((status == 404 || status == 405) && seen.size() == 1) {
                discard(response);
                return withArtifactType(referrersByTag(registry, repository, subject), artifactType);
            }
            if (status != 200) {
                throw transport.failure(call, response);
            }
            URI following = transport.nextPage(call, response);
            JsonNode index = json(call, transport.readBody(call, response, MAX_MANIFEST_BYTES));
            try {
                found.addAll(ManifestJson.descriptors(index, "manifests"));
            } catch (IllegalArgumentException e) {
                throw new RegistryException(RegistryException.Kind.INVALID, what + ": " + e.getMessage());
            }
            next = following;
        }
        return withArtifactType(found, artifactType);
    }

    private List<Descriptor> referrersByTag(String registry, String repository, Digest subject) {
        Manifest index;
        try {
            index = getManifest(new OciRef(registry, repository, null, subject.tagPrefix()));
        } catch (RegistryException e) {
            if (e.kind() == RegistryException.Kind.NOT_FOUND) {
                return List.of();
            }
            throw e;
        }
        if (!MediaTypes.OCI_INDEX.equals(index.mediaType())) {
            throw new RegistryException(
                    RegistryException.Kind.INVALID,
                    "referrers of " + registry + "/" + repository + "@" + subject + ": tag " + subject.tagPrefix()
                            + " holds a " + index.mediaType() + ", not an OCI index");
        }
        return index.layers();
    }

    private static List<Descriptor> withArtifactType(List<Descriptor> descriptors, String artifactType) {
        return descriptors.stream()
                .filter(d -> artifactType == null || artifactType.equals(d.artifactType()))
                .toList();
    }

    private Call manifestCall(OciRef ref, String what, String method) {
        return transport
                .call(ref.registry(), what)
                .method(method)
                .uri(manifestUrl(ref))
                .pull(ref.repository())
                .header("Accept", MANIFEST_ACCEPT);
    }

    private URI manifestUrl(OciRef ref) {
        return transport.url(ref.registry(), "/v2/" + ref.repository() + "/manifests/" + ref.reference());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static Digest sha256(byte[] bytes) {
        return Digest.ofSha256(sha256().digest(bytes));
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

        /** Clock for token expiry. */
        public Builder clock(Clock c) {
            clock = c;
            return this;
        }

        public RegistryClient build() {
            if (connectTimeout.isNegative()
                    || connectTimeout.isZero()
                    || readTimeout.isNegative()
                    || readTimeout.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive");
            }
            if (maxResumes < 0 || chunkSize <= 0) {
                throw new IllegalArgumentException("maxResumes must be >= 0 and chunkSize > 0");
            }
            return new RegistryClient(this);
        }
    }
}
