package dev.powernode.common.oci;

/** Media types we produce or must accept. */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCTET_STREAM = "application/octet-stream";
    /** artifactType of our disk-image manifests (docs/ingest.md). */
    public static final String DISK_IMAGE_ARTIFACT = "application/vnd.powernode.disk-image.v1+json";

    public static final String COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
    public static final String SIGSTORE_BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json";

    private MediaTypes() {}
}
