package dev.powernode.server.oci;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.VerificationFailure;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The spec's DiskImageOciIngestService (its name is kept so a reader of the spec finds it here).
 * Pulls a disk-image artifact and checks its bytes: manifest by digest, then every blob streamed
 * and hashed in one pass (nothing kept), each against its descriptor, and the primary layer
 * against the webhook's sha256 and size. Registry errors propagate as {@link RegistryException}
 * (the caller decides about retries); content that is wrong is a {@link VerificationFailure}.
 */
@Service
public class DiskImageOciIngestService {
    /** Marks the primary layer when an artifact has several (default: the first layer). */
    static final String PRIMARY_ANNOTATION = "dev.powernode.primary";
    /** The build time a manifest carries; the webhook's {@code build_time} must name the same instant. */
    static final String CREATED_ANNOTATION = "org.opencontainers.image.created";

    private static final Logger log = LoggerFactory.getLogger(DiskImageOciIngestService.class);

    private final Registries registries;

    DiskImageOciIngestService(Registries registries) {
        this.registries = registries;
    }

    /**
     * Fetches and checks the artifact. {@code announcedBuildTime}, when not null, must equal the
     * manifest's {@value #CREATED_ANNOTATION} annotation: the signature covers the manifest, so
     * the build time promotion orders by is one the signer vouched for, not only the webhook.
     */
    public FetchedArtifact fetch(
            UUID publicationId, OciRef ref, Digest expectedPrimary, long expectedSize, Instant announcedBuildTime) {
        RegistryClient client = registries.client();
        Manifest manifest;
        try {
            manifest = client.getManifest(ref);
        } catch (RegistryException e) {
            if (e.kind() == RegistryException.Kind.HOST_NOT_ALLOWED) {
                // the client holds the allow-list (Registries) and refused before connecting: the
                // list changed after the webhook accepted the announcement
                throw new VerificationFailure(
                        "oci/host-not-allowed",
                        "registry " + ref.registry() + " is not in POWERNODE_REGISTRY_ALLOWED_HOSTS");
            }
            throw e;
        }
        if (manifest.artifactType() != null && !MediaTypes.DISK_IMAGE_ARTIFACT.equals(manifest.artifactType())) {
            throw new VerificationFailure(
                    "oci/wrong-artifact-type",
                    "manifest " + ref + " has artifactType " + manifest.artifactType() + ", expected "
                            + MediaTypes.DISK_IMAGE_ARTIFACT);
        }
        if (manifest.layers().isEmpty()) {
            throw new VerificationFailure("oci/no-layers", "manifest " + ref + " has no layers");
        }
        if (announcedBuildTime != null) {
            checkBuildTime(ref, manifest, announcedBuildTime);
        }
        Descriptor primary = manifest.layers().stream()
                .filter(l -> "true".equals(l.annotations().get(PRIMARY_ANNOTATION)))
                .findFirst()
                .orElse(manifest.layers().get(0));
        if (!primary.digest().equals(expectedPrimary)) {
            throw new VerificationFailure(
                    "oci/primary-digest-mismatch",
                    "primary layer of " + ref + " is " + primary.digest() + " but the webhook announced "
                            + expectedPrimary);
        }
        if (primary.size() != expectedSize) {
            throw new VerificationFailure(
                    "oci/primary-size-mismatch",
                    "primary layer of " + ref + " is " + primary.size() + " bytes but the webhook announced "
                            + expectedSize);
        }
        long total = 0;
        for (Descriptor layer : manifest.layers()) {
            long start = System.nanoTime();
            RegistryClient.BlobResult r;
            try {
                r = client.fetchBlob(ref.registry(), ref.repository(), layer, null, RegistryClient.Progress.NONE);
            } catch (RegistryException e) {
                if (e.kind() == RegistryException.Kind.DIGEST_MISMATCH) {
                    throw new VerificationFailure("oci/blob-digest-mismatch", "digest mismatch: " + e.getMessage());
                }
                if (e.kind() == RegistryException.Kind.NOT_FOUND) {
                    throw new VerificationFailure(
                            "oci/blob-missing",
                            "blob " + layer.digest() + " of " + ref + " is missing from the registry");
                }
                throw e;
            }
            total += r.size();
            double seconds = (System.nanoTime() - start) / 1e9;
            log.info(
                    "verified blob {} ({} bytes, {} MiB/s, {} resumes) of {}",
                    layer.digest(),
                    r.size(),
                    String.format("%.0f", r.size() / 1048576.0 / Math.max(seconds, 1e-9)),
                    r.resumes(),
                    ref);
        }
        return new FetchedArtifact(publicationId, ref, manifest, primary, total);
    }

    private static void checkBuildTime(OciRef ref, Manifest manifest, Instant announced) {
        String created = manifest.annotations().get(CREATED_ANNOTATION);
        if (created == null) {
            throw new VerificationFailure(
                    "oci/build-time-mismatch",
                    "manifest " + ref + " has no " + CREATED_ANNOTATION + " annotation but the webhook announced"
                            + " build_time " + announced);
        }
        Instant inManifest;
        try {
            // at the database's precision, as the receiver stored the announced one
            inManifest = OffsetDateTime.parse(created).toInstant().truncatedTo(ChronoUnit.MICROS);
        } catch (DateTimeParseException e) {
            throw new VerificationFailure(
                    "oci/build-time-mismatch",
                    "manifest " + ref + " has " + CREATED_ANNOTATION + " '" + Text.printable(created, 64)
                            + "', not an RFC 3339 time");
        }
        if (!inManifest.equals(announced)) {
            throw new VerificationFailure(
                    "oci/build-time-mismatch",
                    "manifest " + ref + " was created " + inManifest + " but the webhook announced build_time "
                            + announced);
        }
    }
}
