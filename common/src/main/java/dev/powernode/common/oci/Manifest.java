package dev.powernode.common.oci;

import java.util.List;
import java.util.Map;

/**
 * An image manifest (OCI or Docker v2) as fetched: the exact bytes, their digest, and the parsed
 * fields we use. {@code subject} and {@code artifactType} may be null; lists and maps never are.
 */
public record Manifest(
        Digest digest,
        String mediaType,
        byte[] raw,
        String artifactType,
        Descriptor config,
        List<Descriptor> layers,
        Descriptor subject,
        Map<String, String> annotations) {

    public Manifest {
        raw = raw.clone();
        layers = List.copyOf(layers);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    @Override
    public byte[] raw() {
        return raw.clone();
    }
}
