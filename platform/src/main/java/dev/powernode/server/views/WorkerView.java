package dev.powernode.server.views;

import dev.powernode.server.ci.Worker;
import java.time.Instant;
import java.util.UUID;

/** A CI worker row; never its token. */
public record WorkerView(UUID id, String role, String label, Instant lastSeenAt, Instant createdAt, Instant rotatedAt) {
    public static WorkerView of(Worker w) {
        return new WorkerView(w.id(), w.role().value(), w.label(), w.lastSeenAt(), w.createdAt(), w.rotatedAt());
    }
}
