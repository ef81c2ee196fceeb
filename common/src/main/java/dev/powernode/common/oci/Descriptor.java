package dev.powernode.common.oci;

import java.util.Map;

/** An OCI content descriptor. {@code annotations} is never null; {@code artifactType} may be. */
public record Descriptor(
        String mediaType, Digest digest, long size, Map<String, String> annotations, String artifactType) {
    public Descriptor {
        if (size < 0) {
            throw new IllegalArgumentException("negative size");
        }
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public static Descriptor of(String mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest, size, Map.of(), null);
    }

    /** The {@code org.opencontainers.image.title} annotation (a layer's file name), or null. */
    public String title() {
        return annotations.get("org.opencontainers.image.title");
    }
}
