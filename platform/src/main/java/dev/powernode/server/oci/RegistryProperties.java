package dev.powernode.server.oci;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Registries the platform may pull from (no SSRF: an {@code oci_ref} elsewhere is refused).
 *
 * @param allowedHosts {@code host[:port]} entries
 * @param plainHttp registries reached over http (loopback development registries)
 * @param credentials {@code host[:port]=user:password} entries separated by {@code ;}
 * @param readTimeout a transfer with no bytes for this long counts as broken
 */
@ConfigurationProperties("powernode.registry")
public record RegistryProperties(
        List<String> allowedHosts, List<String> plainHttp, String credentials, Duration readTimeout) {
    public RegistryProperties {
        allowedHosts = clean(allowedHosts);
        plainHttp = clean(plainHttp);
        if (readTimeout == null) {
            readTimeout = Duration.ofSeconds(30);
        }
    }

    /** Parsed {@link #credentials}: registry → [user, password]. */
    public Map<String, String[]> credentialMap() {
        Map<String, String[]> out = new LinkedHashMap<>();
        if (credentials == null || credentials.isBlank()) {
            return out;
        }
        for (String entry : credentials.split(";")) {
            int eq = entry.indexOf('=');
            int colon = entry.indexOf(':', eq + 1);
            if (eq <= 0 || colon < 0) {
                throw new IllegalStateException(
                        "POWERNODE_REGISTRY_CREDENTIALS entries must look like host:port=user:password");
            }
            out.put(
                    entry.substring(0, eq).strip(),
                    new String[] {entry.substring(eq + 1, colon), entry.substring(colon + 1)});
        }
        return out;
    }

    private static List<String> clean(List<String> in) {
        return in == null
                ? List.of()
                : in.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
