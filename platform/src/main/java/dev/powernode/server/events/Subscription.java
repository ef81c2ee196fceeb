package dev.powernode.server.events;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** An operator endpoint that receives signed notifications; {@code eventTypes} empty = all. */
public record Subscription(UUID id, String url, List<String> eventTypes, Instant createdAt) {}
