package dev.powernode.server.node;

import java.time.Instant;

/**
 * A platform's auto-rollback policy: when {@code failures} of the first {@code window} nodes that
 * reported on a triple's current publication report a failed or fallen-back boot of it, the triple
 * goes back to the previous publication.
 */
public record RollbackPolicy(int failures, int window, String updatedBy, Instant updatedAt) {}
