package dev.powernode.testkit;

import static dev.powernode.testkit.OciFixtures.TEST_ARTIFACT;
import static dev.powernode.testkit.OciFixtures.artifactManifest;
import static dev.powernode.testkit.OciFixtures.bytes;
import static dev.powernode.testkit.OciFixtures.pushLayer;
import static dev.powernode.testkit.OciFixtures.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RegistryClient against docker-registry in {@code auth: token} mode, with tokens from {@link TokenServer}. */
class RegistryClientBearerTest {
    static TokenServer tokens;
    static RegistryProcess registry;
    static String host;

    @BeforeAll
    static void start() {
        tokens = TokenServer.start();
        registry = RegistryProcess.startWithTokenAuth(tokens);
        host = registry.registry();
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
        if (tokens != null) {
            tokens.close();
        }
    }

    @Test
    void pushesAndFetchesWithTokensForTheChallengedScopesAndReusesThem() {
        RegistryClient client = registry.clientBuilder().build();
        byte[] content = bytes(50_000, 200);

        client.ping(host);
        Descriptor layer = pushLayer(client, host, "bearer/app", content);
        byte[] body = artifactManifest(TEST_ARTIFACT, List.of(layer), null, "bearer");
        OciRef ref = OciRef.of(host, "bearer/app", sha256(body));
        client.putManifest(ref, MediaTypes.OCI_MANIFEST, body);
        int afterFirstRound = tokens.tokensIssued();
        client.getManifest(ref);
        client.fetchBlob(host, "bearer/app", layer, null, null);
        client.pushBlob(host, "bearer/app", bytes(10, 201), MediaTypes.OCTET_STREAM);

        assertThat(tokens.requestedScopes())
                .contains("", "repository:bearer/app:pull", "repository:bearer/app:pull,push");
        assertThat(tokens.tokensIssued())
                .as("later calls reuse the cached tokens per scope")
                .isEqualTo(afterFirstRound);
        assertThat(client.deleteManifest(ref)).isTrue();
        assertThat(tokens.requestedScopes()).contains("repository:bearer/app:delete");
    }

    @Test
    void aWrongPasswordIsRefusedByTheTokenServiceAsUnauthorized() {
        RegistryClient wrong = RegistryClient.builder()
                .allowRegistries(Set.of(host))
                .plainHttp(Set.of(host))
                .credentials(host, tokens.username(), "wrong-password")
                .build();

        assertThatThrownBy(() -> wrong.ping(host))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.UNAUTHORIZED))
                .hasMessageContaining("token service " + tokens.realm() + " answered HTTP 401")
                .hasMessageNotContaining("wrong-password");
    }

    @Test
    void anAnonymousTokenWithoutAccessIsUnauthorized() {
        RegistryClient anonymous = RegistryClient.builder()
                .allowRegistries(Set.of(host))
                .plainHttp(Set.of(host))
                .build();

        assertThatThrownBy(() -> anonymous.listTags(host, "bearer/app"))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.UNAUTHORIZED))
                .hasMessageContaining("anonymous access");
    }
}
