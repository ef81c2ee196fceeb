package dev.powernode.server.ingest;

import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.server.oci.DiskImageOciIngestService;
import dev.powernode.server.oci.FetchedArtifact;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.VerificationFailure;
import dev.powernode.server.signing.SignatureVerifier;
import dev.powernode.server.signing.VerificationPolicy;
import dev.powernode.server.signing.VerifiedArtifact;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The spec's DiskImagePublicationProcessor (its name is kept so a reader of the spec finds it
 * here): the ingest job of one publication: {@code queued → verifying}, pull and re-hash every blob,
 * verify the signature, then {@code published} (auto-promoted). Transient registry trouble goes
 * back to {@code queued} with exponential backoff until the attempts run out; wrong content or a
 * missing/invalid signature fails at once. No database transaction is open while the registry is
 * called. Idempotent: a publication that is no longer queued/verifying is left alone.
 */
@Component
class DiskImagePublicationProcessor {
    private static final Logger log = LoggerFactory.getLogger(DiskImagePublicationProcessor.class);

    private final Publications publications;
    private final NodePlatforms platforms;
    private final DiskImageOciIngestService oci;
    private final SignatureVerifier signatures;
    private final IngestProperties config;
    private final Clock clock;

    DiskImagePublicationProcessor(
            Publications publications,
            NodePlatforms platforms,
            DiskImageOciIngestService oci,
            SignatureVerifier signatures,
            IngestProperties config,
            Clock clock) {
        this.publications = publications;
        this.platforms = platforms;
        this.oci = oci;
        this.signatures = signatures;
        this.config = config;
        this.clock = clock;
    }

    /** Runs one attempt. Returns when to try again, or null when the job is finished. */
    Instant process(UUID id) {
        Optional<DiskImagePublication> started = publications.beginAttempt(id);
        if (started.isEmpty()) {
            return null;
        }
        DiskImagePublication p = started.get();
        try {
            FetchedArtifact fetched = oci.fetch(
                    id, p.ref(), new Digest(p.sha256()), p.sizeBytes() == null ? -1 : p.sizeBytes(), p.buildTime());
            VerificationPolicy policy = VerificationPolicy.of(platforms.get(p.nodePlatformId()));
            VerifiedArtifact verified = signatures.verify(policy, fetched);
            DiskImagePublication published = publications.publish(verified);
            log.info(
                    "published {} ({} {} of {}), active={}",
                    id,
                    p.artifactFamily().value(),
                    p.arch().value(),
                    p.ociRef(),
                    published.active());
            return null;
        } catch (RegistryException e) {
            if (e.isTransient()) {
                return retryOrGiveUp(p, "registry: " + e.getMessage());
            }
            return fail(p, "registry: " + e.getMessage());
        } catch (VerificationFailure e) {
            // the check's code leads the message: operators and scripts can tell which check failed
            return fail(p, e.errorMessage());
        } catch (DomainException e) {
            return fail(p, e.getMessage());
        } catch (IllegalArgumentException e) {
            return fail(p, "invalid artifact: " + e.getMessage());
        } catch (RuntimeException e) {
            log.error("unexpected error ingesting {}", id, e);
            return retryOrGiveUp(p, "internal error: " + e);
        }
    }

    private Instant retryOrGiveUp(DiskImagePublication p, String reason) {
        if (p.attemptCount() >= config.maxAttempts()) {
            return fail(p, "gave up after " + p.attemptCount() + " attempts; last error: " + reason);
        }
        Instant next = clock.instant().plus(config.backoff(p.attemptCount()));
        log.warn(
                "ingest of {} failed transiently (attempt {}), retrying at {}: {}",
                p.id(),
                p.attemptCount(),
                next,
                reason);
        publications.retryLater(p.id(), reason, next);
        return next;
    }

    private Instant fail(DiskImagePublication p, String reason) {
        log.warn("ingest of {} failed: {}", p.id(), reason);
        publications.fail(p.id(), reason);
        return null;
    }
}
