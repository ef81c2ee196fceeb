package dev.powernode.server.shared;

import dev.powernode.common.token.SigningKey;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The service's two symmetric keys: the API token signing key and the master key for secrets at
 * rest. Each comes from configuration (base64) or, for a developer machine, is generated once into
 * {@code POWERNODE_HOME} and reused on every later start.
 */
@Component
public class KeyMaterial {
    private static final Logger log = LoggerFactory.getLogger(KeyMaterial.class);

    private final SigningKey jwtKey;
    private final SigningKey masterKey;

    KeyMaterial(ServiceProperties props) {
        this.jwtKey =
                resolve("POWERNODE_JWT_SECRET", props.jwtSecret(), props.home().resolve("jwt-secret"));
        this.masterKey =
                resolve("POWERNODE_MASTER_KEY", props.masterKey(), props.home().resolve("master-key"));
    }

    private static SigningKey resolve(String name, String configured, Path devFile) {
        if (configured != null && !configured.isBlank()) {
            try {
                return SigningKey.fromBase64(configured);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(name + " is set but is not base64 of at least 32 bytes", e);
            }
        }
        log.warn("{} is not set: using the development key in {} (created if missing)", name, devFile);
        return SigningKey.loadOrCreate(devFile);
    }

    public SigningKey jwtKey() {
        return jwtKey;
    }

    public SigningKey masterKey() {
        return masterKey;
    }
}
