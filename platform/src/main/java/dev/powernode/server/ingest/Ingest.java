package dev.powernode.server.ingest;

import dev.powernode.server.jobs.Jobs;
import dev.powernode.server.publication.NewPublication;
import dev.powernode.server.publication.Publications;
import java.util.UUID;
import org.springframework.stereotype.Service;

/**
 * Accepts announced artifacts: records the publication and schedules its ingest, atomically, or
 * says why it did not.
 */
@Service
public class Ingest {
    private final PublicationIntake intake;
    private final Publications publications;
    private final Jobs jobs;

    Ingest(PublicationIntake intake, Publications publications, Jobs jobs) {
        this.intake = intake;
        this.publications = publications;
        this.jobs = jobs;
    }

    /**
     * The webhook's hot path: one SQL statement ({@link PublicationIntake}), so it is atomic
     * without an explicit transaction and costs one round trip. {@code n} is the announced
     * publication (status {@code queued}), {@code platformRef} the platform's id or slug as
     * announced, {@code d} the 202 delivery written with it. Returns {@link IntakeResult.Accepted}
     * or why nothing was written.
     */
    public IntakeResult accept(UUID id, NewPublication n, String platformRef, AcceptedDelivery d) {
        PublicationIntake.Outcome outcome = intake.insert(id, n, platformRef, d);
        if (outcome.result() instanceof IntakeResult.Accepted) {
            // the statement committed on its own: wake the scheduler instead of waiting for its next poll
            jobs.checkNow();
        } else if (outcome.result() instanceof IntakeResult.Raced) {
            // a concurrent announcement of the digest committed after the statement's snapshot: a
            // fresh read names it
            return publications
                    .findAnnounced(
                            outcome.platformId(), n.family(), n.arch(), PublicationIntake.manifestDigest(n.ociRef()))
                    .<IntakeResult>map(p -> new IntakeResult.AlreadyAnnounced(p.id(), p.status()))
                    .orElse(outcome.result());
        }
        return outcome.result();
    }
}
