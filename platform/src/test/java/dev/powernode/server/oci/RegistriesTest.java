package dev.powernode.server.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.oci.OciRef;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry allow-list: one rule, the same the registry client enforces on every request. */
class RegistriesTest {
    @Test
    void aHostIsAllowedWhateverTheCaseItIsWrittenInAsTheClientAllowsIt() {
        Registries registries = new Registries(properties(List.of("Registry.Example.org:5000")));

        assertThat(registries.isAllowed(OciRef.parse("registry.example.org:5000/disk-images:latest")))
                .isTrue();
        assertThat(registries.isAllowed(OciRef.parse("REGISTRY.example.org:5000/disk-images:latest")))
                .isTrue();
        assertThat(registries.isAllowed(OciRef.parse("registry.example.org/disk-images:latest")))
                .as("another port is another registry")
                .isFalse();
        assertThat(registries.isAllowed(OciRef.parse("169.254.169.254/x:latest")))
                .isFalse();
    }

    private static RegistryProperties properties(List<String> allowed) {
        return new RegistryProperties(allowed, List.of(), null, Duration.ofSeconds(30));
    }
}
