package dev.powernode.server.oci;

import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.server.shared.PowernodeProperties;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * The registries the platform may talk to, and the one client it talks to them with. A reference
 * to any other host is refused before a connection is made (no SSRF through {@code oci_ref}).
 */
@Component
public class Registries {
    private final Set<String> allowed;
    private final RegistryClient client;

    Registries(PowernodeProperties props) {
        PowernodeProperties.Registry cfg = props.registry();
        this.allowed = Set.copyOf(cfg.allowedHosts());
        RegistryClient.Builder builder = RegistryClient.builder()
                .allowRegistries(allowed)
                .plainHttp(new HashSet<>(cfg.plainHttp()))
                .readTimeout(cfg.readTimeout());
        for (Map.Entry<String, String[]> c : cfg.credentialMap().entrySet()) {
            builder.credentials(c.getKey(), c.getValue()[0], c.getValue()[1]);
        }
        this.client = builder.build();
    }

    /** True when {@code ref}'s registry ({@code host[:port]}) is on the allow-list. */
    public boolean isAllowed(OciRef ref) {
        return allowed.contains(ref.registry());
    }

    public Set<String> allowedRegistries() {
        return allowed;
    }

    public RegistryClient client() {
        return client;
    }
}
