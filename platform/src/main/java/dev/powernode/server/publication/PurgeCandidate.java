package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.util.List;
import java.util.UUID;

/**
 * A publication that may be purged: beyond its triple's retention count, or failed long ago (see
 * {@link Publications#purgeCandidates}). {@code keptBefore}: how many publications of its triple
 * rank before it (null for a failed one). {@code storage} and {@code location}: its stored artifact
 * ({@code oci} or {@code local}), null when it has none. {@code artifactShared}: a live
 * publication that is not itself a candidate uses the same artifact, so only the row may go.
 */
public record PurgeCandidate(
        UUID publicationId,
        UUID platformId,
        ArtifactFamily family,
        Arch arch,
        PublicationStatus status,
        String ociRef,
        String signatureDigest,
        List<String> attachedDigests,
        String storage,
        String location,
        boolean artifactShared,
        Integer keptBefore) {

    public PurgeCandidate {
        attachedDigests = List.copyOf(attachedDigests);
    }
}
