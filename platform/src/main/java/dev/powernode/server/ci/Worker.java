package dev.powernode.server.ci;

import java.time.Instant;
import java.util.UUID;

/** A registered CI runner (not a task, not a node). Its token is stored hashed and never returned. */
public record Worker(
        UUID id, WorkerRole role, String label, Instant lastSeenAt, Instant createdAt, Instant rotatedAt) {}
