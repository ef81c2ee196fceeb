package dev.powernode.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.common.oci.MediaTypes;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegistryProcessTest {
    @Test
    void servesOnALoopbackPortBehindAuthenticationAndStoresInItsOwnDirectory() throws Exception {
        Path storage;
        long pid;
        try (RegistryProcess registry = RegistryProcess.start()) {
            pid = registry.pid();
            storage = registry.storageDir();
            HttpResponse<String> anonymous = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://" + registry.registry() + "/v2/"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            registry.clientBuilder()
                    .build()
                    .pushBlob(registry.registry(), "self/test", new byte[] {1}, MediaTypes.OCTET_STREAM);

            assertThat(registry.registry()).startsWith("127.0.0.1:");
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
            assertThat(Files.walk(storage)
                            .anyMatch(p -> p.getFileName().toString().equals("data")))
                    .isTrue();
            assertThat(registry.password()).hasSize(32);
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
        assertThat(storage).doesNotExist();
    }

    @Test
    void stopsListeningWhenClosed() {
        int port;
        try (RegistryProcess registry = RegistryProcess.start()) {
            port = registry.port();
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void theProxyStopsListeningWhenClosed() {
        int port;
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1:9")) {
            port = Integer.parseInt(proxy.registry().substring("127.0.0.1:".length()));
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }
}
