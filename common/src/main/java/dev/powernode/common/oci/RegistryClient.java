package dev.powernode.common.oci;

import static dev.powernode.common.oci.RegistryClient.RegistryTransport.discard;
import static dev.powernode.common.oci.RegistryClient.RegistryTransport.encode;
import static dev.powernode.common.oci.RegistryClient.RegistryTransport.json;
import static dev.powernode.common.oci.RegistryClient.RegistryTransport.mediaType;
import static dev.powernode.common.oci.RegistryClient.RegistryTransport.repository;

import dev.powernode.common.oci.RegistryClient.RegistryTransport.Call;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /**
     * The HTTP side of {@link RegistryClient}: which registries may be reached and over which scheme,
     * building and sending requests with their timeouts, answering an authentication challenge (through
     * {@link RegistryAuth}), following redirects, and turning unusable responses into
     * {@link RegistryException}s. Knows nothing of manifests or blobs; it changes when the way we talk
     * HTTP to registries changes.
     */
    static final class RegistryTransport {
        static final String USER_AGENT = "powernode-registry-client";

        private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;
        private static final int MAX_REDIRECTS = 5;
        private static final Pattern LINK = Pattern.compile("<([^>]*)>((?:\\s*;\\s*[^;,]+)*)");
        private static final Pattern REL_NEXT = Pattern.compile(";\\s*rel\\s*=\\s*\"?([^\";]*)\"?");

        private final Set<String> allowedRegistries;
        private final boolean allowAnyRegistry;
        private final Set<String> plainHttpRegistries;
        private final Duration readTimeout;
        private final HttpClient http;
        private final RegistryAuth auth;

        RegistryTransport(RegistryClient.Builder config) {
            this.allowedRegistries = lowerCase(config.allowedRegistries);
            this.allowAnyRegistry = config.allowAnyRegistry;
            this.plainHttpRegistries = lowerCase(config.plainHttpRegistries);
            this.readTimeout = config.readTimeout;
            // HTTP/1.1 throughout: closing a broken or stalled body then closes exactly its connection,
            // and plain-http registries are not offered an h2c upgrade they may mishandle.
            this.http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(config.connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            this.auth = new RegistryAuth(config.credentials, config.clock, http, readTimeout, this::isPlainHttp);
        }

        /** Longest wait for the next bytes of a response; also the base timeout of every request. */
        Duration readTimeout() {
            return readTimeout;
        }

        /** A request to {@code registry}, refused here (before any connection) if it is not allowed. */
        Call call(String registry, String what) {
            return new Call(registry, what);
        }

        /** One request to one registry; re-sendable after an auth challenge unless its body is one-shot. */
        final class Call {
            final String registry;
            final String what;
            String method = "GET";
            URI uri;
            String scope = "";
            final Map<String, String> headers = new LinkedHashMap<>();
            Supplier<BodyPublisher> body;
            boolean replayable = true;
            Duration timeout = readTimeout;

            private Call(String registry, String what) {
                requireAllowed(registry);
                this.registry = registry;
                this.what = what;
            }

            Call method(String m) {
                method = m;
                return this;
            }

            Call uri(URI u) {
                uri = u;
                return this;
            }

            Call pull(String repository) {
                return scope(repository, "pull");
            }

            Call push(String repository) {
                return scope(repository, "pull,push");
            }

            Call scope(String repository, String actions) {
                scope = "repository:" + repository(repository) + ":" + actions;
                return this;
            }

            Call header(String name, String value) {
                headers.put(name, value);
                return this;
            }

            Call body(Supplier<BodyPublisher> publisher, boolean canReplay) {
                body = publisher;
                replayable = canReplay;
                return this;
            }

            Call timeout(Duration d) {
                timeout = d;
                return this;
            }
        }

        // ---- the exchange: auth, redirects --------------------------------------------------------

        /** {@link #exchange} with connection failures reported as TRANSIENT. */
        HttpResponse<InputStream> send(Call call) {
            try {
                return exchange(call);
            } catch (IOException e) {
                throw unreachable(call, e);
            }
        }

        /**
         * Sends {@code call}, answering one authentication challenge and following redirects. Returns
         * the response whatever its status (callers decide what a 404 means); only 401 after
         * authenticating is turned into an error here. An {@link IOException} is left to the caller,
         * which alone can tell a broken transfer worth resuming from an unreachable registry.
         */
        HttpResponse<InputStream> exchange(Call call) throws IOException {
            String authorization = auth.upFront(call.registry, call.scope);
            HttpResponse<InputStream> response = sendOnce(call, call.uri, authorization);
            if (response.statusCode() == 401) {
                List<String> challenge = response.headers().allValues("WWW-Authenticate");
                discard(response);
                String answer = auth.answer(call.registry, call.scope, call.what, challenge, authorization);
                if (!call.replayable) {
                    throw new RegistryException(
                            RegistryException.Kind.UNAUTHORIZED,
                            call.what + ": the registry asked to authenticate again in the middle of an upload"
                                    + " (token expired?); retry the push",
                            401,
                            null);
                }
                response = sendOnce(call, call.uri, answer);
                if (response.statusCode() == 401) {
                    discard(response);
                    throw new RegistryException(
                            RegistryException.Kind.UNAUTHORIZED,
                            call.what + ": the registry rejected "
                                    + (auth.hasCredentials(call.registry)
                                            ? "the configured credentials"
                                            : "anonymous access")
                                    + RegistryAuth.scopeText(call.scope) + " (HTTP 401 after authenticating)",
                            401,
                            null);
                }
            }
            return followRedirects(call, response);
        }

        private HttpResponse<InputStream> followRedirects(Call call, HttpResponse<InputStream> first)
                throws IOException {
            HttpResponse<InputStream> response = first;
            URI current = call.uri;
            for (int hops = 0; isRedirect(response.statusCode()); hops++) {
                if (!call.method.equals("GET") && !call.method.equals("HEAD")) {
                    return response;
                }
                Optional<String> location = response.headers().firstValue("Location");
                if (location.isEmpty()) {
                    return response;
                }
                discard(response);
                if (hops == MAX_REDIRECTS) {
                    throw new RegistryException(
                            RegistryException.Kind.INVALID, call.what + ": more than " + MAX_REDIRECTS + " redirects");
                }
                URI next;
                try {
                    next = current.resolve(location.get());
                } catch (IllegalArgumentException e) {
                    throw new RegistryException(
                            RegistryException.Kind.INVALID, call.what + ": unusable redirect: " + e.getMessage());
                }
                boolean sameRegistry = onRegistry(next, call.registry);
                boolean https = "https".equals(next.getScheme());
                boolean plainOk = "http".equals(next.getScheme()) && sameRegistry && isPlainHttp(call.registry);
                if (!https && !plainOk) {
                    throw new RegistryException(
                            RegistryException.Kind.INVALID,
                            call.what + ": refusing a redirect to " + next.getScheme() + "://" + next.getHost()
                                    + " (only https leaves the registry)");
                }
                current = next;
                response = sendOnce(call, next, sameRegistry ? auth.upFront(call.registry, call.scope) : null);
            }
            return response;
        }

        private HttpResponse<InputStream> sendOnce(Call call, URI uri, String authorization) throws IOException {
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(uri).timeout(call.timeout).header("User-Agent", USER_AGENT);
            call.headers.forEach(request::header);
            // credentials go to the registry only, never to the storage a redirect points at
            if (authorization != null && onRegistry(uri, call.registry)) {
                request.header("Authorization", authorization);
            }
            request.method(call.method, call.body == null ? BodyPublishers.noBody() : call.body.get());
            return send(http, request.build(), call.what);
        }

        /** One plain HTTP exchange; an interrupt becomes TRANSIENT with the thread's flag kept. */
        static HttpResponse<InputStream> send(HttpClient http, HttpRequest request, String what) throws IOException {
            try {
                return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(RegistryException.Kind.TRANSIENT, what + ": interrupted", 0, e);
            }
        }

        private static boolean isRedirect(int status) {
            return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
        }

        // ---- errors -------------------------------------------------------------------------------

        /** The error for a response the caller cannot use; reads (a bounded part of) its body. */
        RegistryException failure(Call call, HttpResponse<InputStream> response) {
            int status = response.statusCode();
            String detail = errorDetail(response, readTimeout);
            String text = call.what + ": HTTP " + status + (detail.isEmpty() ? "" : " " + detail);
            if (status == 405 && call.method.equals("DELETE")) {
                text += " (is storage.delete.enabled set on the registry?)";
            }
            return new RegistryException(classify(status, detail), text, status, null);
        }

        static RegistryException.Kind classify(int status, String detail) {
            if (status >= 500 || status == 429 || status == 408) {
                return RegistryException.Kind.TRANSIENT;
            }
            if (status == 404) {
                return RegistryException.Kind.NOT_FOUND;
            }
            if (status == 401 || status == 403) {
                return RegistryException.Kind.UNAUTHORIZED;
            }
            if (status == 400 && (detail.startsWith("DIGEST_INVALID") || detail.startsWith("SIZE_INVALID"))) {
                return RegistryException.Kind.DIGEST_MISMATCH;
            }
            return RegistryException.Kind.INVALID;
        }

        RegistryException unreachable(Call call, IOException e) {
            String text = e instanceof HttpTimeoutException
                    ? "no answer within " + call.timeout.toMillis() + " ms (" + describe(e) + ")"
                    : "cannot reach " + call.uri.getScheme() + "://" + call.uri.getRawAuthority() + ": " + describe(e);
            return new RegistryException(RegistryException.Kind.TRANSIENT, call.what + ": " + text, 0, e);
        }

        /**
         * The distribution error codes and messages of an error body ({@code MANIFEST_UNKNOWN: manifest
         * unknown}), or its first line when it is not JSON. Bounded, single line, printable only.
         */
        static String errorDetail(HttpResponse<InputStream> response, Duration readTimeout) {
            byte[] body;
            try (InputStream in = new StallGuardedInputStream(response.body(), readTimeout)) {
                body = in.readNBytes(MAX_ERROR_BODY_BYTES);
            } catch (IOException e) {
                return "";
            }
            if (body.length == 0) {
                return "";
            }
            try {
                JsonNode errors = ManifestJson.tree(body).get("errors");
                if (errors != null && errors.isArray() && !errors.isEmpty()) {
                    List<String> parts = new ArrayList<>();
                    for (int i = 0; i < Math.min(3, errors.size()); i++) {
                        JsonNode error = errors.get(i);
                        String code = error.path("code").asString("");
                        String message = error.path("message").asString("");
                        parts.add(message.isEmpty() ? code : code + ": " + message);
                    }
                    return printable(String.join("; ", parts));
                }
            } catch (IllegalArgumentException notJson) {
                // fall through to the raw text
            }
            String text = new String(body, StandardCharsets.UTF_8).strip();
            int newline = text.indexOf('\n');
            return printable(newline < 0 ? text : text.substring(0, newline));
        }

        static String printable(String text) {
            String clean = text.replaceAll("[\\p{Cntrl}]", " ").strip();
            return clean.length() > 300 ? clean.substring(0, 300) + "..." : clean;
        }

        static String describe(Throwable e) {
            String type = e.getClass().getSimpleName();
            String message = e.getMessage();
            if (message == null && e.getCause() != null && e.getCause() != e) {
                return type + " (" + describe(e.getCause()) + ")";
            }
            return message == null ? type : type + ": " + message;
        }

        // ---- where requests may go ----------------------------------------------------------------

        void requireAllowed(String registry) {
            if (!OciRef.isRegistry(registry)) {
                throw new IllegalArgumentException("invalid registry host: " + registry);
            }
            if (!allowAnyRegistry && !allowedRegistries.contains(registry.toLowerCase(Locale.ROOT))) {
                throw new RegistryException(
                        RegistryException.Kind.HOST_NOT_ALLOWED,
                        "registry " + registry + " is not on the allow-list; no connection made");
            }
        }

        static String repository(String repository) {
            if (!OciRef.isRepository(repository)) {
                throw new IllegalArgumentException("invalid repository: " + repository);
            }
            return repository;
        }

        boolean isPlainHttp(String registry) {
            return plainHttpRegistries.contains(registry.toLowerCase(Locale.ROOT));
        }

        URI url(String registry, String path) {
            requireAllowed(registry);
            return URI.create((isPlainHttp(registry) ? "http" : "https") + "://" + registry + path);
        }

        static boolean onRegistry(URI uri, String registry) {
            return uri.getRawAuthority() != null && uri.getRawAuthority().equalsIgnoreCase(registry);
        }

        /** The next page from a {@code Link: <url>; rel="next"} header, resolved against the request. */
        URI nextPage(Call call, HttpResponse<InputStream> response) {
            URI next = nextLink(response.headers().allValues("Link"), call.uri);
            if (next != null && !onRegistry(next, call.registry)) {
                discard(response);
                throw new RegistryException(
                        RegistryException.Kind.INVALID,
                        call.what + ": the next page is on another host (" + next.getRawAuthority() + ")");
            }
            return next;
        }

        static URI nextLink(List<String> linkHeaders, URI base) {
            for (String header : linkHeaders) {
                Matcher link = LINK.matcher(header);
                while (link.find()) {
                    Matcher rel = REL_NEXT.matcher(link.group(2));
                    while (rel.find()) {
                        if (List.of(rel.group(1).trim().split("\\s+")).contains("next")) {
                            try {
                                return base.resolve(link.group(1).trim());
                            } catch (IllegalArgumentException e) {
                                return null;
                            }
                        }
                    }
                }
            }
            return null;
        }

        // ---- response bodies ----------------------------------------------------------------------

        static String mediaType(HttpResponse<?> response) {
            return response.headers()
                    .firstValue("Content-Type")
                    .map(t -> t.split(";", 2)[0].trim().toLowerCase(Locale.ROOT))
                    .filter(t -> !t.isEmpty())
                    .orElse(null);
        }

        byte[] readBody(Call call, HttpResponse<InputStream> response, int limit) {
            long declared =
                    response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (declared > limit) {
                discard(response);
                throw new RegistryException(
                        RegistryException.Kind.INVALID,
                        call.what + ": the response has " + declared + " bytes, over the " + limit + " byte limit");
            }
            byte[] body;
            try (InputStream in = new StallGuardedInputStream(response.body(), readTimeout)) {
                body = in.readNBytes(limit + 1);
            } catch (IOException e) {
                throw new RegistryException(
                        RegistryException.Kind.TRANSIENT,
                        call.what + ": reading the response failed: " + describe(e),
                        0,
                        e);
            }
            if (body.length > limit) {
                throw new RegistryException(
                        RegistryException.Kind.INVALID,
                        call.what + ": the response is over the " + limit + " byte limit");
            }
            if (declared >= 0 && body.length != declared) {
                throw new RegistryException(
                        RegistryException.Kind.TRANSIENT,
                        call.what + ": the response ended after " + body.length + " of " + declared + " bytes");
            }
            return body;
        }

        static JsonNode json(Call call, byte[] body) {
            try {
                return ManifestJson.tree(body);
            } catch (IllegalArgumentException e) {
                throw new RegistryException(RegistryException.Kind.INVALID, call.what + ": " + e.getMessage());
            }
        }

        /** Closing an unread body cancels it; the connection is not reused, which is fine for errors. */
        static void discard(HttpResponse<InputStream> response) {
            try {
                response.body().close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }

        static String encode(String value) {
            return URLEncoder.encode(value, StandardCharsets.UTF_8);
        }

        private static Set<String> lowerCase(Set<String> values) {
            Set<String> result = new HashSet<>();
            values.forEach(v -> result.add(v.toLowerCase(Locale.ROOT)));
            return Set.copyOf(result);
        }
    }

    /**
     * How {@link RegistryClient} proves itself to a registry, following the registry's
     * {@code WWW-Authenticate} challenge: Basic with the configured credentials, or Bearer with a token
     * from the challenge's realm (asked for with its service and scope, using the credentials if any;
     * cached per scope until it expires). Each registry's last challenge is remembered so that later
     * requests authenticate up front instead of drawing a 401 each time. Thread-safe.
     */
    static final class RegistryAuth {
        // JWTs carrying an x5c chain are several KiB; anything near a megabyte is not a token response.
        private static final int MAX_TOKEN_BODY_BYTES = 1024 * 1024;

        /** registry → ready-made {@code Basic ...} header value; never logged or put in messages. */
        private final Map<String, String> basicAuthorization;

        private final TokenCache tokens;
        /** The last challenge each registry sent, so later calls can authenticate up front. */
        private final Map<String, Challenge> challenges = new ConcurrentHashMap<>();

        private final HttpClient http;
        private final Duration readTimeout;
        private final Predicate<String> plainHttp;

        RegistryAuth(
                Map<String, String[]> credentials,
                Clock clock,
                HttpClient http,
                Duration readTimeout,
                Predicate<String> plainHttp) {
            Map<String, String> basic = new HashMap<>();
            credentials.forEach((registry, userPassword) -> basic.put(
                    registry.toLowerCase(Locale.ROOT),
                    "Basic "
                            + Base64.getEncoder()
                                    .encodeToString((userPassword[0] + ":" + userPassword[1])
                                            .getBytes(StandardCharsets.UTF_8))));
            this.basicAuthorization = Map.copyOf(basic);
            this.tokens = new TokenCache(clock);
            this.http = http;
            this.readTimeout = readTimeout;
            this.plainHttp = plainHttp;
        }

        boolean hasCredentials(String registry) {
            return basicAuthorization.containsKey(registry.toLowerCase(Locale.ROOT));
        }

        /** The Authorization to send up front, from what the registry asked for last time; null if none. */
        String upFront(String registry, String scope) {
            String key = registry.toLowerCase(Locale.ROOT);
            Challenge challenge = challenges.get(key);
            if (challenge == null) {
                return null;
            }
            if (challenge.scheme().equals(Challenge.BASIC)) {
                return basicAuthorization.get(key);
            }
            String token = tokens.get(key, scope);
            if (token == null) {
                Token fresh = fetchToken(registry, challenge, scope, "authenticate to " + registry);
                tokens.put(key, scope, fresh.value, fresh.lifetime);
                token = fresh.value;
            }
            return "Bearer " + token;
        }

        /**
         * The Authorization answering a 401 with {@code headers} to a request for {@code scope} that
         * carried {@code sent}. Refuses (UNAUTHORIZED) rather than answer with what was already
         * rejected, so a registry that keeps saying 401 is not asked forever.
         */
        String answer(String registry, String scope, String what, List<String> headers, String sent) {
            String key = registry.toLowerCase(Locale.ROOT);
            Challenge challenge = Challenge.choose(headers)
                    .orElseThrow(() -> new RegistryException(
                            RegistryException.Kind.UNAUTHORIZED,
                            what + ": HTTP 401 without a Basic or Bearer challenge",
                            401,
                            null));
            challenges.put(key, challenge);
            if (challenge.scheme().equals(Challenge.BASIC)) {
                String basic = basicAuthorization.get(key);
                if (basic == null) {
                    throw new RegistryException(
                            RegistryException.Kind.UNAUTHORIZED,
                            what + ": the registry requires a login and no credentials are configured for it",
                            401,
                            null);
                }
                if (basic.equals(sent)) {
                    throw new RegistryException(
                            RegistryException.Kind.UNAUTHORIZED,
                            what + ": the registry rejected the configured credentials",
                            401,
                            null);
                }
                return basic;
            }
            tokens.invalidate(key, scope);
            // The challenge's scope is what this request needs; ours is only our guess of it.
            String needed = challenge.param("scope") != null ? challenge.param("scope") : scope;
            Token token = fetchToken(registry, challenge, needed, what);
            String answer = "Bearer " + token.value;
            if (answer.equals(sent)) {
                throw new RegistryException(
                        RegistryException.Kind.UNAUTHORIZED,
                        what + ": the registry refused a fresh token from its token service" + scopeText(needed),
                        401,
                        null);
            }
            tokens.put(key, scope, token.value, token.lifetime);
            return answer;
        }

        static String scopeText(String scope) {
            return scope == null || scope.isEmpty() ? "" : " for scope " + scope;
        }

        private record Token(String value, Duration lifetime) {}

        private Token fetchToken(String registry, Challenge challenge, String scope, String what) {
            URI realmUri = realm(registry, challenge, what);
            String realm = challenge.param("realm");
            StringBuilder query = new StringBuilder();
            if (challenge.param("service") != null) {
                query.append("service=").append(RegistryTransport.encode(challenge.param("service")));
            }
            if (scope != null && !scope.isEmpty()) {
                query.append(query.length() > 0 ? "&" : "").append("scope=").append(RegistryTransport.encode(scope));
            }
            String separator = realmUri.getRawQuery() == null ? "?" : "&";
            URI uri = URI.create(realm + (query.length() > 0 ? separator + query : ""));
            String service = realmUri.getScheme() + "://" + realmUri.getRawAuthority() + realmUri.getRawPath();
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .timeout(readTimeout)
                    .header("User-Agent", RegistryTransport.USER_AGENT)
                    .header("Accept", "application/json")
                    .GET();
            String basic = basicAuthorization.get(registry.toLowerCase(Locale.ROOT));
            if (basic != null) {
                request.header("Authorization", basic);
            }
            HttpResponse<InputStream> response;
            try {
                response = RegistryTransport.send(http, request.build(), what);
            } catch (IOException e) {
                throw new RegistryException(
                        RegistryException.Kind.TRANSIENT,
                        what + ": cannot get a token from " + service + ": " + RegistryTransport.describe(e),
                        0,
                        e);
            }
            int status = response.statusCode();
            if (status != 200) {
                String detail = RegistryTransport.errorDetail(response, readTimeout);
                RegistryException.Kind kind = status == 401 || status == 403
                        ? RegistryException.Kind.UNAUTHORIZED
                        : RegistryTransport.classify(status, detail);
                throw new RegistryException(
                        kind,
                        what + ": token service " + service + " answered HTTP " + status
                                + (basic == null ? " to an anonymous request" : " for the configured credentials")
                                + scopeText(scope) + (detail.isEmpty() ? "" : ": " + detail),
                        status,
                        null);
            }
            byte[] body;
            try (InputStream in = new StallGuardedInputStream(response.body(), readTimeout)) {
                body = in.readNBytes(MAX_TOKEN_BODY_BYTES + 1);
            } catch (IOException e) {
                throw new RegistryException(
                        RegistryException.Kind.TRANSIENT,
                        what + ": reading the token from " + service + " failed: " + RegistryTransport.describe(e),
                        0,
                        e);
            }
            try {
                return token(body);
            } catch (IllegalArgumentException e) {
                throw new RegistryException(
                        RegistryException.Kind.INVALID, what + ": token service " + service + ": " + e.getMessage());
            }
        }

        /**
         * The challenge's token realm, if it is one the Basic credentials (if any) may be sent to:
         * https, or plain http on the registry's own host for a plain-http (loopback development)
         * registry.
         */
        private URI realm(String registry, Challenge challenge, String what) {
            String realm = challenge.param("realm");
            if (realm == null || realm.isBlank()) {
                throw new RegistryException(
                        RegistryException.Kind.INVALID,
                        what + ": " + registry + " sent a Bearer challenge without a realm");
            }
            URI realmUri;
            try {
                realmUri = new URI(realm);
            } catch (URISyntaxException e) {
                throw new RegistryException(
                        RegistryException.Kind.INVALID, what + ": " + registry + " sent an unusable token realm");
            }
            boolean https = "https".equals(realmUri.getScheme());
            boolean loopbackDev = "http".equals(realmUri.getScheme())
                    && plainHttp.test(registry)
                    && realmUri.getHost() != null
                    && realmUri.getHost().equalsIgnoreCase(hostOf(registry));
            if (!https && !loopbackDev || realmUri.getRawAuthority() == null) {
                throw new RegistryException(
                        RegistryException.Kind.INVALID,
                        what + ": " + registry + " sends clients to token service " + realmUri.getScheme() + "://"
                                + realmUri.getRawAuthority() + "; refusing it (https, or plain http on the"
                                + " registry's own host for plain-http registries)");
            }
            return realmUri;
        }

        /** A token response body: {@code token} (or {@code access_token}) and {@code expires_in}. */
        private static Token token(byte[] body) {
            if (body.length > MAX_TOKEN_BODY_BYTES) {
                throw new IllegalArgumentException("response over 1 MiB");
            }
            JsonNode root = ManifestJson.tree(body);
            String token = ManifestJson.text(root, "token");
            if (token == null || token.isEmpty()) {
                token = ManifestJson.text(root, "access_token");
            }
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException("no token or access_token in the response");
            }
            JsonNode expiresIn = root.get("expires_in");
            return new Token(
                    token,
                    expiresIn != null && expiresIn.isIntegralNumber() && expiresIn.longValue() > 0
                            ? Duration.ofSeconds(expiresIn.longValue())
                            : TokenCache.DEFAULT_LIFETIME);
        }

        private static String hostOf(String registry) {
            if (registry.startsWith("[")) {
                return registry.substring(1, registry.indexOf(']'));
            }
            int colon = registry.indexOf(':');
            return colon < 0 ? registry : registry.substring(0, colon);
        }
    }

    /**
     * The distribution blob upload protocol for {@link RegistryClient}: start a session (POST), send
     * the content in one PUT {@code ?digest=} or as PATCH chunks with {@code Content-Range} before an
     * empty committing PUT, follow the session's {@code Location} from answer to answer, and cancel
     * the session when anything fails. Content is hashed as it is sent, so content that does not match
     * its digest is caught before the upload is committed. Whether a blob needs uploading at all is
     * the caller's concern.
     */
    static final class BlobUpload {
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
                MessageDigest sha = RegistryClient.sha256();
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
            String stored =
                    response.headers().firstValue("Docker-Content-Digest").orElse(null);
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
            if (!RegistryTransport.onRegistry(resolved, call.registry)) {
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

    /**
     * A verified, resumable blob download for {@link RegistryClient#fetchBlob}: one pass through a
     * fixed buffer, hashed as it is read, resumed with {@code Range} requests after breaks. Kept apart
     * from the facade because its resume rules (what a 200, 206 or 416 means part way through) change
     * on their own.
     */
    static final class BlobDownload {
        private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");

        private final RegistryTransport transport;
        private final int maxResumes;

        BlobDownload(RegistryTransport transport, int maxResumes) {
            this.transport = transport;
            this.maxResumes = maxResumes;
        }

        RegistryClient.BlobResult fetch(
                String registry,
                String repository,
                Descriptor blob,
                OutputStream sink,
                RegistryClient.Progress report) {
            String what = "fetch blob " + registry + "/" + repository + "@" + blob.digest();
            URI uri = transport.url(
                    registry, "/v2/" + RegistryTransport.repository(repository) + "/blobs/" + blob.digest());
            long size = blob.size();
            MessageDigest sha = RegistryClient.sha256();
            byte[] buffer = new byte[RegistryClient.BUFFER_BYTES];
            long done = 0;
            int resumes = 0;
            boolean bodyStarted = false;
            while (true) {
                RegistryTransport.Call call =
                        transport.call(registry, what).uri(uri).pull(repository);
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
                        sha.reset();
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
                    long length = response.headers()
                            .firstValueAsLong("Content-Length")
                            .orElse(-1);
                    if (status == 200 && length >= 0 && length != size) {
                        RegistryTransport.discard(response);
                        throw new RegistryException(
                                RegistryException.Kind.DIGEST_MISMATCH,
                                what + ": the registry says the blob has " + length + " bytes, the descriptor " + size);
                    }
                    bodyStarted = true;
                    try (InputStream in = new StallGuardedInputStream(response.body(), transport.readTimeout())) {
                        int n;
                        while ((n = in.read(buffer)) != -1) {
                            if (n > size - done) {
                                throw new RegistryException(
                                        RegistryException.Kind.DIGEST_MISMATCH,
                                        what + ": the registry sent more than the descriptor's " + size + " bytes");
                            }
                            sha.update(buffer, 0, n);
                            write(sink, buffer, n, what);
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
                                    + RegistryTransport.describe(broken) + ") and " + maxResumes
                                    + " resumes are used up",
                            0,
                            broken);
                }
                resumes++;
            }
            Digest actual = Digest.ofSha256(sha.digest());
            if (!actual.equals(blob.digest())) {
                throw new RegistryException(
                        RegistryException.Kind.DIGEST_MISMATCH,
                        what + ": the " + done + " bytes received hash to " + actual
                                + "; the blob is corrupt or was replaced");
            }
            return new RegistryClient.BlobResult(actual, done, resumes);
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
}
