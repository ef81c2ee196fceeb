package dev.powernode.server.node;

import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * One auto-rollback: the publication that tripped, the one its triple went back to (null when there
 * was none to go back to, or the rollback was refused: {@code reason} says which), and why.
 */
public record RollbackTrip(UUID publicationId, @Nullable UUID targetPublicationId, String reason, Instant trippedAt) {}
