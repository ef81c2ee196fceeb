package dev.powernode.server.oci;

import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * The registries the platform may talk to, and the one client it talks to them with. A reference
 * to any other host is refused before a connection is made (no SSRF through {@code oci_ref}):
 * {@link #isAllowed} is the rule the platform's own checks ask (the webhook at announcement,
 * retention before deleting), and the client enforces the same list on every request.
 */
@Component
public class Registries {
    private final Set<String> allowed;
    private final RegistryClient client;

    Registries(RegistryProperties cfg) {
        this.allowed = cfg.allowedHosts().stream().map(Registries::lowerCase).collect(Collectors.toUnmodifiableSet());
        RegistryClient.Builder builder = RegistryClient.builder()
                .allowRegistries(allowed)
                .plainHttp(new HashSet<>(cfg.plainHttp()))
                .readTimeout(cfg.readTimeout());
        for (Map.Entry<String, String[]> c : cfg.credentialMap().entrySet()) {
            builder.credentials(c.getKey(), c.getValue()[0], c.getValue()[1]);
        }
        this.client = builder.build();
    }

    /**
     * True when {@code ref}'s registry ({@code host[:port]}) is on the allow-list. Host names
     * compare without case, as the client's own check does.
     */
    public boolean isAllowed(OciRef ref) {
        return allowed.contains(lowerCase(ref.registry()));
    }

    private static String lowerCase(String host) {
        return host.toLowerCase(Locale.ROOT);
    }

    public RegistryClient client() {
        return client;
    }
}
