package dev.powernode.server.ingest;

import dev.powernode.server.publication.PublicationStatus;
import java.util.UUID;

/**
 * What {@link Ingest#accept} did with an announcement, and when it wrote nothing, why: the caller
 * answers from this without asking the database again (docs/ingest.md, "The receiver"). Every variant but {@link Accepted} means nothing was written.
 */
public sealed interface IntakeResult {
    /** The queued publication, its history entry, its job and the 202 delivery were written. */
    record Accepted(UUID publicationId) implements IntakeResult {}

    /** No node platform has this id or slug. */
    record PlatformUnknown() implements IntakeResult {}

    /** The platform has no verification policy: nothing could ever be published for it. */
    record NoVerificationPolicy(String platformSlug) implements IntakeResult {}

    /** The webhook's {@code allowed_platforms} does not name the platform. */
    record PlatformNotAllowed(String platformSlug) implements IntakeResult {}

    /** The announced {@code worker_id} names no worker. */
    record WorkerUnknown() implements IntakeResult {}

    /** The announced worker exists but has another label than the webhook's. */
    record WorkerForeign(String workerLabel) implements IntakeResult {}

    /** The manifest is already live (queued, verifying, published or retired) for its triple. */
    record AlreadyAnnounced(UUID publicationId, PublicationStatus status) implements IntakeResult {}

    /** This delivery id was accepted before ({@code webhook_delivery_accepted_once}). */
    record DeliveryRepeated() implements IntakeResult {}

    /**
     * Nothing was written and nothing the statement could see explains it: a concurrent change
     * (policy, allow-list, a publication failing) between its checks and its inserts.
     */
    record Raced() implements IntakeResult {}
}
