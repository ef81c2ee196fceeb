package dev.powernode.server.shared;

import java.net.URI;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Service configuration. Every value has an environment variable (see README, Configuration) and
 * a default fit for a developer machine.
 *
 * @param publicUrl base URL the platform is reached at; webhook URLs are built from it
 * @param home directory for generated dev keys and local artifact storage
 * @param jwtSecret base64 HS256 key for API tokens; blank = generated once into {@code home}
 * @param masterKey base64 AES-256 key for secrets at rest; blank = generated once into {@code home}
 * @param maxRequestBody request bodies over this size are refused with 413
 */
@ConfigurationProperties("powernode")
public record PowernodeProperties(
        URI publicUrl, Path home, String jwtSecret, String masterKey, DataSize maxRequestBody) {

    public PowernodeProperties {
        if (publicUrl == null) {
            publicUrl = URI.create("http://127.0.0.1:8080");
        }
        if (home == null) {
            home = Path.of(System.getProperty("user.home"), ".local", "share", "powernode");
        }
        if (maxRequestBody == null) {
            maxRequestBody = DataSize.ofMegabytes(1);
        }
    }
}
