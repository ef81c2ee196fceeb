package dev.powernode.server.ingest;

import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.publication.NewPublication;
import dev.powernode.server.publication.Publications;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Accepts announced artifacts: records the publication and schedules its ingest, atomically. */
@Service
public class Ingest {
    private final Publications publications;
    private final IngestScheduler scheduler;

    Ingest(Publications publications, IngestScheduler scheduler) {
        this.publications = publications;
        this.scheduler = scheduler;
    }

    /** Creates the {@code queued} publication and its job in the caller's transaction (or a new one). */
    @Transactional
    public DiskImagePublication enqueue(NewPublication announced) {
        DiskImagePublication p = publications.enqueue(announced);
        scheduler.scheduleNow(p.id());
        return p;
    }
}
