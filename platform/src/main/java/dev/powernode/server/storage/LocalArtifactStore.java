package dev.powernode.server.storage;

import dev.powernode.server.shared.ServiceProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Direct uploads published before V22 (issue 19) were kept on the replica's disk under {@code
 * objects/sha256/<hex>}; new uploads go to the registry ({@link RegistryUploads}). This reads those
 * older files for provisioning; retention deletes them by their recorded path.
 */
@Component
public class LocalArtifactStore {
    private final Path objects;

    LocalArtifactStore(ServiceProperties props) {
        this.objects = props.home().resolve("objects").resolve("sha256");
    }

    /** The stored artifact whose SHA-256 is {@code sha256} (hex), if this store holds it. */
    public Optional<Path> object(String sha256) {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            return Optional.empty();
        }
        Path p = objects.resolve(sha256);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }
}
