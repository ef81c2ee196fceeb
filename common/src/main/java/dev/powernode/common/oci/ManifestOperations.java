package dev.powernode.common.oci;

import static dev.powernode.common.oci.RegistryTransport.discard;
import static dev.powernode.common.oci.RegistryTransport.mediaType;

import dev.powernode.common.oci.RegistryTransport.Call;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.Objects;
import java.util.Optional;

/**
 * The manifest operations of {@link RegistryClient} (GET, HEAD, PUT, DELETE on
 * {@code /v2/<name>/manifests/<reference>}): what they accept and the digest checks that make a
 * registry unable to pass off other bytes than the ones asked for. Apart from the client so that
 * the manifest rules change without touching blobs, listings or the transport.
 */
final class ManifestOperations {
    /** Accept header for manifest GET/HEAD (Debian's registry answers 404 without the OCI type). */
    static final String MANIFEST_ACCEPT =
            String.join(", ", MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST, MediaTypes.OCI_INDEX);

    /** Largest manifest (or index, tags page) accepted: the size registries must accept per the spec. */
    static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

    private final RegistryTransport transport;

    ManifestOperations(RegistryTransport transport) {
        this.transport = transport;
    }

    /** See {@link RegistryClient#getManifest(OciRef)}. */
    Manifest get(OciRef ref) {
        Call call = manifestCall(ref, "get manifest " + ref, "GET");
        HttpResponse<InputStream> response = transport.send(call);
        if (response.statusCode() != 200) {
            throw transport.failure(call, response);
        }
        String contentType = mediaType(response);
        String claimed = response.headers().firstValue("Docker-Content-Digest").orElse(null);
        byte[] raw = transport.readBody(call, response, MAX_MANIFEST_BYTES);
        Digest actual = Digest.of(raw);
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

    /** See {@link RegistryClient#headManifest(OciRef)}. */
    Optional<Descriptor> head(OciRef ref) {
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
            Manifest manifest = get(ref);
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

    /** See {@link RegistryClient#putManifest(OciRef, String, byte[])}. */
    Digest put(OciRef ref, String mediaType, byte[] body) {
        Objects.requireNonNull(mediaType, "mediaType");
        if (body.length > MAX_MANIFEST_BYTES) {
            throw new IllegalArgumentException("manifest of " + body.length + " bytes is over the 4 MiB limit");
        }
        Digest digest = Digest.of(body);
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

    /** See {@link RegistryClient#deleteManifest(OciRef)}. */
    boolean delete(OciRef ref) {
        OciRef byDigest = ref;
        if (ref.digest() == null) {
            Optional<Descriptor> current = head(ref);
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
}
