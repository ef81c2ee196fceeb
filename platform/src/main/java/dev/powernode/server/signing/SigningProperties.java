package dev.powernode.server.signing;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Keyless signature verification.
 *
 * @param trustedRoot a Sigstore {@code trusted_root.json} for keyless verification (a private
 *     Sigstore deployment); null = the public-good root shipped with the service
 */
@ConfigurationProperties("powernode")
public record SigningProperties(@Nullable Path trustedRoot) {
    public SigningProperties {
        if (trustedRoot != null && trustedRoot.toString().isBlank()) {
            trustedRoot = null;
        }
    }
}
