package dev.powernode.server.shared;

import java.net.URI;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * What the whole service shares: where it is reached, where it keeps its files, its two keys
 * ({@link KeyMaterial}). Each module binds its own settings in its own record (README,
 * Configuration, lists every environment variable; each has a default fit for a developer machine).
 *
 * @param publicUrl base URL the platform is reached at; webhook URLs are built from it
 * @param home directory for generated dev keys and local artifact storage
 * @param jwtSecret base64 HS256 key for API tokens; blank = generated once into {@code home}
 * @param masterKey base64 AES-256 key for secrets at rest; blank = generated once into {@code home}
 */
@ConfigurationProperties("powernode")
public record ServiceProperties(
        URI publicUrl,
        Path home,
        @Nullable String jwtSecret,
        @Nullable String masterKey) {
    public ServiceProperties {
        if (publicUrl == null) {
            publicUrl = URI.create("http://127.0.0.1:8080");
        }
        if (home == null) {
            home = Path.of(System.getProperty("user.home"), ".local", "share", "powernode");
        }
    }
}
