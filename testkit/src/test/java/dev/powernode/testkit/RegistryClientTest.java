package dev.powernode.testkit;

import static dev.powernode.testkit.OciFixtures.TEST_ARTIFACT;
import static dev.powernode.testkit.OciFixtures.artifactManifest;
import static dev.powernode.testkit.OciFixtures.bytes;
import static dev.powernode.testkit.OciFixtures.pushLayer;
import static dev.powernode.testkit.OciFixtures.referrersIndex;
import static dev.powernode.testkit.OciFixtures.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RegistryClient against the real docker-registry (distribution 2.8) with htpasswd authentication. */
class RegistryClientTest {
    static RegistryProcess registry;
    static RegistryClient client;
    static String host;

    @BeforeAll
    static void startRegistry() {
        registry = RegistryProcess.start();
        host = registry.registry();
        client = registry.clientBuilder().build();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void pingSucceedsWithTheConfiguredCredentials() {
        client.ping(host);
    }

    /**
     * A session opened by one process and continued by another whose first request to the registry
     * is that PATCH (a second replica, issue 19). Not knowing yet how the registry authenticates,
     * the client used to send the 256 KiB chunk without credentials; distribution answers 401
     * without reading such a body and closes the connection, and under load the client saw a
     * broken connection instead of the 401 (it failed a CI run). Now a fresh client asks {@code GET
     * /v2/} first, and the chunk goes out once, with credentials.
     */
    @Test
    void aFreshClientsFirstChunkGoesOutOnceWithCredentials() {
        byte[] chunk = new byte[256 * 1024];
        new java.util.Random(3).nextBytes(chunk);
        try (FaultProxy proxy = FaultProxy.start(host)) {
            String via = proxy.registry();
            String location = registry.clientBuilder(via).build().startUpload(via, "test/sessions");
            proxy.clearRequests();
            RegistryClient fresh = registry.clientBuilder(via).build();
            String next = fresh.appendUpload(via, "test/sessions", location, 0, chunk, chunk.length);
            assertThat(next).isNotEqualTo(location);
            assertThat(proxy.requests())
                    .containsExactly(
                            "GET /v2/", "PATCH " + java.net.URI.create(location).getPath());
            Digest digest = Digest.of(chunk);
            fresh.commitUpload(via, "test/sessions", next, digest, chunk.length, MediaTypes.OCTET_STREAM);
            assertThat(client.blobExists(host, "test/sessions", digest)).isTrue();
        }
    }

    @Test
    void pingWithAWrongPasswordIsUnauthorizedAndDoesNotEchoIt() {
        RegistryClient wrong = RegistryClient.builder()
                .allowRegistries(Set.of(host))
                .plainHttp(Set.of(host))
                .credentials(host, registry.username(), "not-the-password")
                .build();

        assertThatThrownBy(() -> wrong.ping(host))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.UNAUTHORIZED))
                .hasMessageContaining(host)
                .hasMessageContaining("rejected the configured credentials")
                .hasMessageNotContaining("not-the-password");
    }

    @Test
    void pingWithoutCredentialsIsUnauthorized() {
        RegistryClient anonymous = RegistryClient.builder()
                .allowRegistries(Set.of(host))
                .plainHttp(Set.of(host))
                .build();

        assertThatThrownBy(() -> anonymous.ping(host))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.UNAUTHORIZED))
                .hasMessageContaining("no credentials are configured");
    }

    @Test
    void pushesASmallBlobInOneRequestAndFetchesItBackVerified() {
        byte[] content = bytes(100_000, 1);

        Descriptor pushed = client.pushBlob(host, "test/small", content, MediaTypes.OCTET_STREAM);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        RegistryClient.BlobResult result =
                client.fetchBlob(host, "test/small", pushed, sink, RegistryClient.Progress.NONE);

        assertThat(pushed.digest()).isEqualTo(sha256(content));
        assertThat(pushed.size()).isEqualTo(content.length);
        assertThat(client.blobExists(host, "test/small", pushed.digest())).isTrue();
        assertThat(sink.toByteArray()).isEqualTo(content);
        assertThat(result).isEqualTo(new RegistryClient.BlobResult(pushed.digest(), content.length, 0));
    }

    @Test
    void continuesADownloadFromTheBytesAnEarlierRunKeptAndStillChecksTheWhole() {
        byte[] content = bytes(300_000, 7);
        Descriptor pushed = client.pushBlob(host, "test/resume", content, MediaTypes.OCTET_STREAM);
        int kept = 123_457;
        java.security.MessageDigest prefix = dev.powernode.common.oci.Digest.hasher();
        prefix.update(content, 0, kept);
        ByteArrayOutputStream rest = new ByteArrayOutputStream();

        RegistryClient.BlobResult result =
                client.fetchBlobFrom(host, "test/resume", pushed, kept, prefix, rest, RegistryClient.Progress.NONE);

        assertThat(rest.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(content, kept, content.length));
        assertThat(result.digest()).isEqualTo(pushed.digest());
        assertThat(result.size()).isEqualTo(content.length);

        // kept bytes that are not the blob's: the whole no longer hashes to the digest
        java.security.MessageDigest wrong = dev.powernode.common.oci.Digest.hasher();
        byte[] corrupt = java.util.Arrays.copyOf(content, kept);
        corrupt[5] ^= 1;
        wrong.update(corrupt);
        assertThatThrownBy(() -> client.fetchBlobFrom(
                        host, "test/resume", pushed, kept, wrong, new ByteArrayOutputStream(), null))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.DIGEST_MISMATCH));
    }

    @Test
    void dialsTheConfiguredEndpointForARegistryNameAndAuthenticatesThere() {
        byte[] content = bytes(10_000, 9);
        Descriptor pushed = client.pushBlob(host, "test/endpoint", content, MediaTypes.OCTET_STREAM);
        // references name "registry.invalid"; the node reaches it through the real address
        RegistryClient viaName = registry.clientBuilder("registry.invalid")
                .endpoint("registry.invalid", host)
                .build();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();

        viaName.fetchBlob("registry.invalid", "test/endpoint", pushed, sink, null);

        assertThat(sink.toByteArray()).isEqualTo(content);
    }

    @Test
    void pushesALargeFileInChunksAndFetchesItBackVerified(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] block = bytes(1024 * 1024, 2);
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < 40; i++) {
                block[0] = (byte) i; // no two MiB alike
                out.write(block);
                expected.update(block);
            }
        }
        long size = Files.size(file);
        AtomicLong uploaded = new AtomicLong();
        AtomicLong downloaded = new AtomicLong();
        try (FaultProxy proxy = FaultProxy.start(host)) {
            RegistryClient chunked = registry.clientBuilder(proxy.registry())
                    .chunkSize(4L * 1024 * 1024)
                    .build();

            Descriptor pushed = chunked.pushBlob(
                    proxy.registry(), "test/large", file, MediaTypes.OCTET_STREAM, (done, total) -> uploaded.set(done));
            RegistryClient.BlobResult result = chunked.fetchBlob(
                    proxy.registry(), "test/large", pushed, null, (done, total) -> downloaded.set(done));

            assertThat(proxy.requestCount("PATCH", "/v2/test/large/blobs/uploads/.+"))
                    .isEqualTo(10);
            assertThat(pushed.digest()).isEqualTo(Digest.ofSha256(expected.digest()));
            assertThat(pushed.size()).isEqualTo(size);
            assertThat(result.digest()).isEqualTo(pushed.digest());
            assertThat(result.size()).isEqualTo(size);
        }
        assertThat(uploaded).hasValue(size);
        assertThat(downloaded).hasValue(size);
    }

    @Test
    void skipsTheUploadOfABlobTheRegistryAlreadyHas() {
        byte[] content = bytes(10_000, 3);
        client.pushBlob(host, "test/skip", content, MediaTypes.OCTET_STREAM);
        try (FaultProxy proxy = FaultProxy.start(host)) {
            RegistryClient viaProxy = registry.clientBuilder(proxy.registry()).build();

            Descriptor again = viaProxy.pushBlob(proxy.registry(), "test/skip", content, MediaTypes.OCTET_STREAM);

            assertThat(again.digest()).isEqualTo(sha256(content));
            assertThat(proxy.requestCount("POST", ".*")).isZero();
            assertThat(proxy.requestCount("HEAD", FaultProxy.BLOB_PATH)).isPositive();
        }
    }

    @Test
    void refusesAChunkedStreamWhoseContentDoesNotMatchItsDigest() {
        byte[] content = bytes(300_000, 4);
        Digest claimed = sha256(bytes(300_000, 5));
        RegistryClient chunked = registry.clientBuilder().chunkSize(100_000).build();

        assertThatThrownBy(() -> chunked.pushBlob(
                        host,
                        "test/liar",
                        new ByteArrayInputStream(content),
                        claimed,
                        content.length,
                        MediaTypes.OCTET_STREAM,
                        null))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.DIGEST_MISMATCH));
        assertThat(client.blobExists(host, "test/liar", claimed)).isFalse();
    }

    @Test
    void refusesAStreamShorterThanItsDeclaredSize() {
        byte[] content = bytes(1000, 6);

        assertThatThrownBy(() -> client.pushBlob(
                        host,
                        "test/short",
                        new ByteArrayInputStream(content),
                        sha256(content),
                        2000,
                        MediaTypes.OCTET_STREAM,
                        null))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.DIGEST_MISMATCH))
                .hasMessageContaining("ended before its declared size");
    }

    @Test
    void fetchingABlobTheRegistryDoesNotHaveIsNotFound() {
        Descriptor missing = Descriptor.of(MediaTypes.OCTET_STREAM, sha256(bytes(10, 7)), 10);

        assertThatThrownBy(() -> client.fetchBlob(host, "test/small", missing, null, null))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND);
                    assertThat(e.httpStatus()).isEqualTo(404);
                })
                .hasMessageContaining(host + "/test/small@" + missing.digest());
    }

    @Test
    void aDescriptorWithTheWrongSizeIsADigestMismatch() {
        byte[] content = bytes(5000, 8);
        Descriptor pushed = client.pushBlob(host, "test/size", content, MediaTypes.OCTET_STREAM);
        Descriptor wrongSize = Descriptor.of(pushed.mediaType(), pushed.digest(), 4000);

        assertThatThrownBy(() -> client.fetchBlob(host, "test/size", wrongSize, null, null))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.DIGEST_MISMATCH));
    }

    @Test
    void putsGetsHeadsAndDeletesAManifestByDigest() {
        Descriptor layer = pushLayer(client, host, "test/bydigest", bytes(2000, 9));
        byte[] body = artifactManifest(TEST_ARTIFACT, List.of(layer), null, "by digest");
        OciRef ref = OciRef.of(host, "test/bydigest", sha256(body));

        Digest digest = client.putManifest(ref, MediaTypes.OCI_MANIFEST, body);
        Manifest fetched = client.getManifest(ref);
        Descriptor head = client.headManifest(ref).orElseThrow();

        assertThat(digest).isEqualTo(ref.digest());
        assertThat(fetched.raw()).isEqualTo(body);
        assertThat(fetched.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(fetched.artifactType()).isEqualTo(TEST_ARTIFACT);
        assertThat(fetched.config().mediaType()).isEqualTo(MediaTypes.OCI_EMPTY);
        assertThat(fetched.layers()).containsExactly(layer);
        assertThat(fetched.annotations()).containsEntry("dev.powernode.test.note", "by digest");
        assertThat(head).isEqualTo(Descriptor.of(MediaTypes.OCI_MANIFEST, digest, body.length));

        assertThat(client.deleteManifest(ref)).isTrue();
        assertThat(client.deleteManifest(ref)).isFalse();
        assertThat(client.headManifest(ref)).isEmpty();
        assertThatThrownBy(() -> client.getManifest(ref))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND))
                .hasMessageContaining(ref.toString())
                .hasMessageContaining("MANIFEST_UNKNOWN");
    }

    @Test
    void putsAndGetsAManifestByTagAndDeletesWhatTheTagPointsAt() {
        Descriptor layer = pushLayer(client, host, "test/bytag", bytes(2000, 10));
        byte[] body = artifactManifest(TEST_ARTIFACT, List.of(layer), null, "by tag");
        OciRef tag = new OciRef(host, "test/bytag", null, "v1");

        Digest digest = client.putManifest(tag, MediaTypes.OCI_MANIFEST, body);

        assertThat(client.getManifest(tag).digest()).isEqualTo(digest);
        assertThat(client.headManifest(tag).orElseThrow().digest()).isEqualTo(digest);
        assertThat(client.getManifest(tag.withDigest(digest)).raw()).isEqualTo(body);

        assertThat(client.deleteManifest(tag)).isTrue();
        assertThat(client.deleteManifest(tag)).isFalse();
        assertThat(client.headManifest(tag)).isEmpty();
        assertThatThrownBy(() -> client.getManifest(tag.withDigest(digest)))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND));
    }

    @Test
    void aManifestReferringToMissingBlobsIsInvalid() {
        Descriptor absent = Descriptor.of(MediaTypes.OCTET_STREAM, sha256(bytes(10, 11)), 10);
        client.pushBlob(host, "test/dangling", OciFixtures.EMPTY_JSON, MediaTypes.OCI_EMPTY);
        byte[] body = artifactManifest(TEST_ARTIFACT, List.of(absent), null, "dangling");

        assertThatThrownBy(() -> client.putManifest(
                        new OciRef(host, "test/dangling", null, "v1"), MediaTypes.OCI_MANIFEST, body))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RegistryException.Kind.INVALID);
                    assertThat(e.httpStatus()).isEqualTo(400);
                })
                .hasMessageContaining("MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    void listsTheTagsOfARepositoryAndNoneOfAnUnknownOne() {
        Descriptor layer = pushLayer(client, host, "test/tags", bytes(100, 12));
        for (String tag : List.of("a", "b", "c")) {
            client.putManifest(
                    new OciRef(host, "test/tags", null, tag),
                    MediaTypes.OCI_MANIFEST,
                    artifactManifest(TEST_ARTIFACT, List.of(layer), null, tag));
        }

        assertThat(client.listTags(host, "test/tags")).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(client.listTags(host, "test/never-pushed")).isEmpty();
    }

    @Test
    void findsReferrersThroughTheTagFallbackFilteredByArtifactType() {
        String repo = "test/referrers";
        Descriptor layer = pushLayer(client, host, repo, bytes(500, 13));
        byte[] subjectBody = artifactManifest(MediaTypes.DISK_IMAGE_ARTIFACT, List.of(layer), null, "image");
        Digest subjectDigest =
                client.putManifest(OciRef.of(host, repo, sha256(subjectBody)), MediaTypes.OCI_MANIFEST, subjectBody);
        Descriptor subject = Descriptor.of(MediaTypes.OCI_MANIFEST, subjectDigest, subjectBody.length);
        Descriptor signature = putReferrer(repo, subject, MediaTypes.SIGSTORE_BUNDLE_V03, layer, "signature");
        Descriptor sbom = putReferrer(repo, subject, "application/spdx+json", layer, "sbom");
        client.putManifest(
                new OciRef(host, repo, null, subjectDigest.tagPrefix()),
                MediaTypes.OCI_INDEX,
                referrersIndex(List.of(signature, sbom)));

        assertThat(client.referrers(host, repo, subjectDigest, null)).containsExactly(signature, sbom);
        assertThat(client.referrers(host, repo, subjectDigest, MediaTypes.SIGSTORE_BUNDLE_V03))
                .containsExactly(signature);
        assertThat(client.referrers(host, repo, sha256(bytes(10, 14)), null)).isEmpty();
    }

    private Descriptor putReferrer(
            String repo, Descriptor subject, String artifactType, Descriptor layer, String note) {
        byte[] body = artifactManifest(artifactType, List.of(layer), subject, note);
        Digest digest = client.putManifest(OciRef.of(host, repo, sha256(body)), MediaTypes.OCI_MANIFEST, body);
        return new Descriptor(MediaTypes.OCI_MANIFEST, digest, body.length, Map.of(), artifactType);
    }

    @Test
    void refusesARegistryNotOnTheAllowListWithoutConnecting() {
        try (FaultProxy proxy = FaultProxy.start(host)) {
            RegistryClient elsewhere = RegistryClient.builder()
                    .allowRegistries(Set.of("registry.example.org"))
                    .plainHttp(Set.of(proxy.registry()))
                    .credentials(proxy.registry(), registry.username(), registry.password())
                    .build();
            Descriptor any = Descriptor.of(MediaTypes.OCTET_STREAM, sha256(bytes(10, 15)), 10);

            assertThatThrownBy(() -> elsewhere.ping(proxy.registry()))
                    .isInstanceOfSatisfying(
                            RegistryException.class,
                            e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.HOST_NOT_ALLOWED))
                    .hasMessageContaining(proxy.registry());
            assertThatThrownBy(() -> elsewhere.fetchBlob(proxy.registry(), "test/any", any, null, null))
                    .isInstanceOfSatisfying(
                            RegistryException.class,
                            e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.HOST_NOT_ALLOWED));
            assertThatThrownBy(() -> elsewhere.getManifest(OciRef.parse(proxy.registry() + "/test/any:latest")))
                    .isInstanceOfSatisfying(
                            RegistryException.class,
                            e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.HOST_NOT_ALLOWED));
            assertThat(proxy.requests()).isEmpty();
        }
    }
}
