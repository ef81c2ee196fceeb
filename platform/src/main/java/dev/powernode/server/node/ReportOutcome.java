package dev.powernode.server.node;

import java.time.Instant;
import java.util.UUID;

/** An accepted report: {@code duplicate} when this report id was accepted before (a retry). */
public record ReportOutcome(UUID reportId, Instant receivedAt, boolean duplicate) {}
