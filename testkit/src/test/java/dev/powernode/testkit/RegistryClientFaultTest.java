package dev.powernode.testkit;

import static dev.powernode.testkit.OciFixtures.TEST_ARTIFACT;
import static dev.powernode.testkit.OciFixtures.artifactManifest;
import static dev.powernode.testkit.OciFixtures.bytes;
import static dev.powernode.testkit.OciFixtures.pushLayer;
import static dev.powernode.testkit.OciFixtures.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * RegistryClient against the real registry behind a {@link FaultProxy}: what a flaky network or a
 * misbehaving registry does to transfers, and that it never hangs or hands out wrong bytes.
 */
class RegistryClientFaultTest {
    static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    static final Duration BOUND = Duration.ofSeconds(20);
    static final int BLOB_SIZE = 3 * 1024 * 1024;
    static final String REPO = "test/faults";

    static RegistryProcess registry;
    static byte[] content;
    static Descriptor blob;

    FaultProxy proxy;
    RegistryClient client;
    String host;

    @BeforeAll
    static void startRegistry() {
        registry = RegistryProcess.start();
        content = bytes(BLOB_SIZE, 100);
        blob = pushLayer(registry.clientBuilder().build(), registry.registry(), REPO, content);
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void startProxy() {
        proxy = FaultProxy.start(registry.registry());
        host = proxy.registry();
        client = registry.clientBuilder(host)
                .readTimeout(READ_TIMEOUT)
                .maxResumes(3)
                .build();
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    @Test
    void answers503AreTransient() {
        proxy.failNext(1, 503, "GET", FaultProxy.MANIFEST_PATH);

        assertThatThrownBy(() -> client.getManifest(new OciRef(host, REPO, null, "latest")))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RegistryException.Kind.TRANSIENT);
                    assertThat(e.isTransient()).isTrue();
                    assertThat(e.httpStatus()).isEqualTo(503);
                })
                .hasMessageContaining(host + "/" + REPO + ":latest")
                .hasMessageContaining("HTTP 503");
    }

    @Test
    void answers500DuringAnUploadAreTransient() {
        proxy.failNext(1, 500, "POST", "/v2/.+/blobs/uploads/");

        assertThatThrownBy(() -> client.pushBlob(host, REPO, bytes(100, 101), MediaTypes.OCTET_STREAM))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.TRANSIENT));
    }

    @Test
    void resumesABlobDownloadAfterAConnectionReset() {
        proxy.resetBody(1, 1024 * 1024, "GET", FaultProxy.BLOB_PATH);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();

        RegistryClient.BlobResult result = client.fetchBlob(host, REPO, blob, sink, null);

        assertThat(result.resumes()).isEqualTo(1);
        assertThat(result.digest()).isEqualTo(blob.digest());
        assertThat(sink.toByteArray()).isEqualTo(content);
        assertThat(proxy.requestCount("GET", FaultProxy.BLOB_PATH)).isGreaterThanOrEqualTo(2);
    }

    @Test
    void resumesATruncatedBlobBody() {
        proxy.truncateBody(2, 700_000, "GET", FaultProxy.BLOB_PATH);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();

        RegistryClient.BlobResult result = client.fetchBlob(host, REPO, blob, sink, null);

        assertThat(result.resumes()).isEqualTo(2);
        assertThat(sink.toByteArray()).isEqualTo(content);
    }

    @Test
    void abortsAStalledBodyWithinTheReadTimeoutAndResumes() {
        proxy.stallBody(1, 500_000, Duration.ofSeconds(60), "GET", FaultProxy.BLOB_PATH);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();

        long started = System.nanoTime();
        RegistryClient.BlobResult result =
                assertTimeoutPreemptively(BOUND, () -> client.fetchBlob(host, REPO, blob, sink, null));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(result.resumes()).isEqualTo(1);
        assertThat(sink.toByteArray()).isEqualTo(content);
        // aborted by the read timeout (checked four times per timeout), not by the 60 s stall ending
        assertThat(took).isBetween(READ_TIMEOUT, READ_TIMEOUT.multipliedBy(3));
    }

    @Test
    void aRegistryThatNeverAnswersIsTransientWithinTheReadTimeout() {
        proxy.stallHeaders(1, Duration.ofSeconds(60), "GET", FaultProxy.BLOB_PATH);

        long started = System.nanoTime();
        assertTimeoutPreemptively(
                BOUND,
                () -> assertThatThrownBy(() -> client.fetchBlob(host, REPO, blob, null, null))
                        .isInstanceOfSatisfying(
                                RegistryException.class,
                                e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.TRANSIENT))
                        .hasMessageContaining("no answer within 2000 ms"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(READ_TIMEOUT.multipliedBy(3));
    }

    @Test
    void givesUpAsTransientWhenTheResumesAreUsedUp() {
        proxy.resetBody(10, 100_000, "GET", FaultProxy.BLOB_PATH);

        assertThatThrownBy(() -> client.fetchBlob(host, REPO, blob, null, null))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.TRANSIENT))
                .hasMessageContaining("3 resumes are used up")
                .hasMessageContaining(blob.digest().toString());
        assertThat(proxy.requestCount("GET", FaultProxy.BLOB_PATH)).isEqualTo(4 + 1); // + the 401 round
    }

    @Test
    void aBlobSwappedAfterPushIsADigestMismatch() {
        proxy.swapBody(1, "GET", FaultProxy.BLOB_PATH);

        assertThatThrownBy(() -> client.fetchBlob(host, REPO, blob, null, null))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.DIGEST_MISMATCH))
                .hasMessageContaining(blob.digest().toString())
                .hasMessageContaining("corrupt or was replaced");
    }

    @Test
    void aManifestSwappedAfterPushIsADigestMismatch() {
        byte[] body = artifactManifest(TEST_ARTIFACT, List.of(blob), null, "swapped");
        OciRef ref = OciRef.of(host, REPO, sha256(body));
        client.putManifest(ref, MediaTypes.OCI_MANIFEST, body);
        proxy.swapBody(2, "GET", FaultProxy.MANIFEST_PATH);

        assertThatThrownBy(() -> client.getManifest(ref))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.DIGEST_MISMATCH))
                .hasMessageContaining(ref.toString());
        client.putManifest(new OciRef(host, REPO, null, "swapped"), MediaTypes.OCI_MANIFEST, body);
        // by tag the registry's Docker-Content-Digest header is what the bytes are checked against
        assertThatThrownBy(() -> client.getManifest(new OciRef(host, REPO, null, "swapped")))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.DIGEST_MISMATCH));
    }
}
